{{- define "worker.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "worker.extraContainer" . }}
{{- end }}
{{- end }}
