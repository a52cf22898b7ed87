{{- define "worker.trait.sidecar.containers" }}
{{- range .Values.traits.sidecar.items }}
{{ include "worker.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
