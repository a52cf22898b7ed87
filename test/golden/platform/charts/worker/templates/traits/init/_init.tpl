{{- define "worker.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "worker.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
