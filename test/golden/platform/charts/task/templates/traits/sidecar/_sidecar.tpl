{{- define "task.trait.sidecar.containers" }}
{{- range .Values.traits.sidecar.items }}
{{ include "task.extraContainer" . }}
{{- end }}
{{- end }}
