{{- define "task.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "task.extraContainer" . }}
{{- end }}
{{- end }}
