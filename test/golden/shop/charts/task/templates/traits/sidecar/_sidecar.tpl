{{- define "task.trait.sidecar.containers" }}
{{- range .Values.traits.sidecar.items }}
{{ include "task.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
