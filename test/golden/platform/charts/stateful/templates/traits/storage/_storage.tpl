{{- define "stateful.trait.storage.volumeMounts" }}
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
{{- define "stateful.trait.storage.volumes" }}
{{- range .Values.traits.storage.items }}
{{- if eq .type "persistent" }}
{{- /* mounted from the volumeClaimTemplates of the StatefulSet */}}
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
{{- define "stateful.trait.storage.volumeClaimTemplates" }}
{{- range .Values.traits.storage.items }}
{{- if eq .type "persistent" }}
- metadata:
    name: {{ .name | quote }}
  spec:
    accessModes:
      {{- toYaml (.accessModes | default (list "ReadWriteOnce")) | nindent 6 }}
    {{- with .storageClass }}
    storageClassName: {{ . | quote }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size | quote }}
{{- end }}
{{- end }}
{{- end }}
