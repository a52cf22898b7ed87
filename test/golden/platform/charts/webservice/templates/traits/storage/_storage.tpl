{{- define "webservice.trait.storage.volumeMounts" }}
{{- range .Values.traits.storage.items }}
- name: {{ .name | quote }}
  mountPath: {{ .mountPath | quote }}
  {{- with .subPath }}
  subPath: {{ . | quote }}
  {{- end }}
  {{- if .readOnly }}
  readOnly: true
  {{- end }}
{{- end }}
{{- end }}
{{- define "webservice.trait.storage.volumes" }}
{{- range .Values.traits.storage.items }}
{{- if eq .type "persistent" }}
- name: {{ .name | quote }}
  persistentVolumeClaim:
    claimName: {{ printf "%s-%s" (include "webservice.fullname" $) .name | quote }}
{{- else if eq .type "ephemeral" }}
- name: {{ .name | quote }}
  emptyDir:
    {{- with .medium }}
    medium: {{ . | quote }}
    {{- end }}
    {{- with .size }}
    sizeLimit: {{ . | quote }}
    {{- end }}
{{- else if eq .type "config" }}
- name: {{ .name | quote }}
  configMap:
    name: {{ .source | quote }}
    {{- with .items }}
    items:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- else if eq .type "secret" }}
- name: {{ .name | quote }}
  secret:
    secretName: {{ .source | quote }}
    {{- with .items }}
    items:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- else if eq .type "host-mounted" }}
- name: {{ .name | quote }}
  hostPath:
    path: {{ .path | quote }}
    {{- with .hostPathType }}
    type: {{ . | quote }}
    {{- end }}
{{- end }}
{{- end }}
{{- end }}
