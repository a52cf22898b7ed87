{{- define "task.trait.scheduling.podSpec" }}
{{- with .Values.traits.scheduling }}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}
{{- define "task.trait.scheduling.env" }}
{{- if .Values.traits.scheduling.clusterLabelsAsEnv }}
- name: BERTH_CLUSTER
  value: {{ .Values.cluster.name | quote }}
{{- range $k, $v := .Values.cluster.labels }}
- name: {{ printf "BERTH_CLUSTER_LABEL_%s" (regexReplaceAll "[^A-Za-z0-9]" $k "_" | upper) | quote }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end }}
{{- end }}
