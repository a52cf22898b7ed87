{{- define "task.trait.envs.env" }}
{{- range .Values.traits.envs.items }}
- name: {{ .name | quote }}
  {{- if hasKey . "value" }}
  value: {{ .value | toString | quote }}
  {{- else }}
  {{- with .valueFrom }}
  valueFrom:
    {{- if .secret }}
    secretKeyRef:
      name: {{ .secret.name | quote }}
      key: {{ .secret.key | quote }}
      {{- if .secret.optional }}
      optional: true
      {{- end }}
    {{- else if .config }}
    configMapKeyRef:
      name: {{ .config.name | quote }}
      key: {{ .config.key | quote }}
      {{- if .config.optional }}
      optional: true
      {{- end }}
    {{- else if .fieldRef }}
    fieldRef:
      fieldPath: {{ .fieldRef.fieldPath | quote }}
    {{- end }}
  {{- end }}
  {{- end }}
{{- end }}
{{- end }}
