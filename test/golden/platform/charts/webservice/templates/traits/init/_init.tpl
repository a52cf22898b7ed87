{{- define "webservice.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "webservice.extraContainer" . }}
{{- end }}
{{- end }}
