{{- define "task.trait.init.initContainers" }}
{{- range .Values.traits.init.items }}
{{ include "task.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
