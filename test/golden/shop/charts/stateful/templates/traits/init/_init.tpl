{{- define "stateful.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "stateful.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
