{{- define "stateful.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "stateful.extraContainer" . }}
{{- end }}
{{- end }}
