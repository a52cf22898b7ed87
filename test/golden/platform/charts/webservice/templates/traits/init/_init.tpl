{{- define "webservice.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "webservice.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
