{{- define "stateful.trait.envFrom.envFrom" }}
{{- range .Values.traits.envFrom.items }}
{{- if .secret }}
- secretRef:
    name: {{ .secret | quote }}
  {{- with .prefix }}
  prefix: {{ . | quote }}
  {{- end }}
{{- else if .config }}
- configMapRef:
    name: {{ .config | quote }}
  {{- with .prefix }}
  prefix: {{ . | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}
