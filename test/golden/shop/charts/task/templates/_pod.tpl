{{/* The pod template of the main workload object, with the trait slots. */}}
{{- define "task.pod" -}}
{{- $tmp := include "task.tmpDir" . -}}
metadata:
  labels:
    {{- include "task.labels" . | nindent 4 }}
  annotations:
    berth.dev/config-checksum: {{ toYaml .Values.config | sha256sum | trunc 16 | quote }}
spec:
  {{- with .Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  restartPolicy: {{ .Values.restartPolicy | default "Never" | quote }}
  {{- if or (.Values.traits.init.enabled) }}
  initContainers:
    {{- if .Values.traits.init.enabled }}
{{- include "task.trait.init.initContainers" . | trim | nindent 4 }}
{{- end }}
  {{- end }}
  containers:
    - name: {{ include "task.name" . | quote }}
      image: {{ printf "%s:%s" .Values.image.repository (toString .Values.image.tag) | quote }}
      {{- with .Values.image.pullPolicy }}
      imagePullPolicy: {{ . | quote }}
      {{- end }}
      {{- with .Values.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if or (.Values.env) (.Values.traits.envs.enabled) (.Values.traits.scheduling.enabled) }}
      env:
        {{- range $k, $v := .Values.env }}
        - name: {{ $k | quote }}
          value: {{ $v | toString | quote }}
        {{- end }}
        {{- if .Values.traits.envs.enabled }}
{{- include "task.trait.envs.env" . | trim | nindent 8 }}
{{- end }}
{{- if .Values.traits.scheduling.enabled }}
{{- include "task.trait.scheduling.env" . | trim | nindent 8 }}
{{- end }}
      {{- end }}
      {{- if or (.Values.traits.envFrom.enabled) }}
      envFrom:
        {{- if .Values.traits.envFrom.enabled }}
{{- include "task.trait.envFrom.envFrom" . | trim | nindent 8 }}
{{- end }}
      {{- end }}
      {{- with .Values.ports }}
      ports:
        {{- range . }}
        - name: {{ .name | quote }}
          containerPort: {{ .port | int }}
          protocol: {{ .protocol | default "TCP" | quote }}
        {{- end }}
      {{- end }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with include "task.securityContext" (list .Values.defaultSecurityContext .Values.securityContext) }}
      securityContext:
        {{- . | nindent 8 }}
      {{- end }}
      {{- with .Values.probes.liveness }}
      livenessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.probes.readiness }}
      readinessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.probes.startup }}
      startupProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if or (or (.Values.config.mountPath) (.Values.traits.storage.enabled)) $tmp }}
      volumeMounts:
        {{- if .Values.config.mountPath }}
        - name: berth-config
          mountPath: {{ .Values.config.mountPath | quote }}
          subPath: config.yaml
          readOnly: true
        {{- end }}
        {{- if $tmp }}
        {{- include "task.tmpDirMount" . | nindent 8 }}
        {{- end }}
        {{- if .Values.traits.storage.enabled }}
{{- include "task.trait.storage.volumeMounts" . | trim | nindent 8 }}
{{- end }}
      {{- end }}
    {{- if .Values.traits.sidecar.enabled }}
{{- include "task.trait.sidecar.containers" . | trim | nindent 4 }}
{{- end }}
  {{- if .Values.traits.scheduling.enabled }}
{{- include "task.trait.scheduling.podSpec" . | trim | nindent 2 }}
{{- end }}
  {{- if or (or (.Values.config.mountPath) (.Values.traits.storage.enabled)) $tmp }}
  volumes:
    {{- if .Values.config.mountPath }}
    - name: berth-config
      configMap:
        name: {{ include "task.fullname" . }}-config
    {{- end }}
    {{- if $tmp }}
    - name: berth-tmp
      {{- if or .Values.tmpDir.medium .Values.tmpDir.sizeLimit }}
      emptyDir:
        {{- with .Values.tmpDir.medium }}
        medium: {{ . | quote }}
        {{- end }}
        {{- with .Values.tmpDir.sizeLimit }}
        sizeLimit: {{ . | quote }}
        {{- end }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- end }}
    {{- if .Values.traits.storage.enabled }}
{{- include "task.trait.storage.volumes" . | trim | nindent 4 }}
{{- end }}
  {{- end }}
{{- end }}
