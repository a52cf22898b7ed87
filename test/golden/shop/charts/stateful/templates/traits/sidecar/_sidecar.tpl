{{- define "stateful.trait.sidecar.containers" }}
{{- range .Values.traits.sidecar.items }}
{{ include "stateful.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
