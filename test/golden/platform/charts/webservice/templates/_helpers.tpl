{{/* Names and labels shared by every object of the chart. */}}
{{- define "webservice.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "webservice.name" -}}
{{- .Values.component.name | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "webservice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "webservice.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" | quote }}
{{- end }}

{{- define "webservice.labels" -}}
{{ include "webservice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.component.version | default .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: berth
berth.dev/application: {{ .Values.application | trunc 63 | trimSuffix "-" | quote }}
berth.dev/component: {{ .Values.component.entry | trunc 63 | trimSuffix "-" | quote }}
{{- end }}

{{/* A container from an item of the sidecar or init trait. */}}
{{- define "webservice.extraContainer" -}}
- name: {{ .name | quote }}
  image: {{ .image | quote }}
  {{- with .command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .env }}
  env:
    {{- range $k, $v := . }}
    - name: {{ $k | quote }}
      value: {{ $v | toString | quote }}
    {{- end }}
  {{- end }}
  {{- with .ports }}
  ports:
    {{- range . }}
    - name: {{ .name | quote }}
      containerPort: {{ .port | int }}
      protocol: {{ .protocol | default "TCP" | quote }}
    {{- end }}
  {{- end }}
  {{- with .resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .volumeMounts }}
  volumeMounts:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
