{{/* Names and labels shared by every object of the chart. */}}
{{- define "task.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "task.name" -}}
{{- .Values.component.name | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "task.selectorLabels" -}}
app.kubernetes.io/name: {{ include "task.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" | quote }}
{{- end }}

{{- define "task.labels" -}}
{{ include "task.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.component.version | default .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: berth
berth.dev/application: {{ .Values.application | trunc 63 | trimSuffix "-" | quote }}
berth.dev/component: {{ .Values.component.entry | trunc 63 | trimSuffix "-" | quote }}
{{- end }}

{{/*
A container's securityContext from a list of contexts: each key of a later one
replaces the earlier's (a null removes it). Sprig's merge would keep a `true`
default over an explicit `false`, so keys are set one by one.
*/}}
{{- define "task.securityContext" -}}
{{- $sc := dict }}
{{- range . }}
{{- range $k, $v := . }}
{{- if kindIs "invalid" $v }}
{{- $_ := unset $sc $k }}
{{- else }}
{{- $_ := set $sc $k $v }}
{{- end }}
{{- end }}
{{- end }}
{{- with $sc }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/* "true" when the writable tmpDir is mounted: it is on, and no storage volume already sits at its path. */}}
{{- define "task.tmpDir" -}}
{{- if .Values.tmpDir.enabled }}
{{- $taken := false }}
{{- if .Values.traits.storage.enabled }}
{{- range .Values.traits.storage.items }}
{{- if eq .mountPath $.Values.tmpDir.mountPath }}
{{- $taken = true }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $taken }}true{{ end }}
{{- end }}
{{- end }}

{{/* The volumeMount of the tmpDir, in every container when it is mounted. */}}
{{- define "task.tmpDirMount" -}}
- name: berth-tmp
  mountPath: {{ .Values.tmpDir.mountPath | quote }}
{{- end }}

{{/*
A container from an item of the sidecar or init trait: (dict "c" item "root" $).
Its securityContext starts from defaultSecurityContext, as the main container's does.
*/}}
{{- define "task.extraContainer" -}}
{{- $root := .root }}
{{- with .c }}
- name: {{ .name | quote }}
  image: {{ .image | quote }}
  {{- with .imagePullPolicy }}
  imagePullPolicy: {{ . | quote }}
  {{- end }}
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
  {{- with include "task.securityContext" (list $root.Values.defaultSecurityContext .securityContext) }}
  securityContext:
    {{- . | nindent 4 }}
  {{- end }}
  {{- $tmp := include "task.tmpDir" $root }}
  {{- if or .volumeMounts $tmp }}
  volumeMounts:
    {{- with .volumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- if $tmp }}
    {{- include "task.tmpDirMount" $root | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end }}
