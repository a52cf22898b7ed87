{{- define "webservice.trait.sidecar.containers" }}
{{- range .Values.traits.sidecar.items }}
{{ include "webservice.extraContainer" (dict "c" . "root" $) }}
{{- end }}
{{- end }}
