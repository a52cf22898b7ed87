{{/* The pod template of the main workload object, with the trait slots. */}}
{{- define "stateful.pod" -}}
{{- $tmp := include "stateful.tmpDir" . -}}
metadata:
  labels:
    {{- include "stateful.labels" . | nindent 4 }}
  annotations:
    berth.dev/config-checksum: {{ toYaml .Values.config | sha256sum | trunc 16 | quote }}
spec:
  {{- with .Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if or (.Values.traits.init.enabled) }}
  initContainers:
    {{- if .Values.traits.init.enabled }}
{{- include "stateful.trait.init.initContainers" . | trim | nindent 4 }}
{{- end }}
  {{- end }}
  containers:
    - name: {{ include "stateful.name" . | quote }}
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
{{- include "stateful.trait.envs.env" . | trim | nindent 8 }}
{{- end }}
{{- if .Values.traits.scheduling.enabled }}
{{- include "stateful.trait.scheduling.env" . | trim | nindent 8 }}
{{- end }}
      {{- end }}
      {{- if or (.Values.traits.envFrom.enabled) }}
      envFrom:
        {{- if .Values.traits.envFrom.enabled }}
{{- include "stateful.trait.envFrom.envFrom" . | trim | nindent 8 }}
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
      {{- with include "stateful.securityContext" (list .Values.defaultSecurityContext .Values.securityContext) }}
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
        {{- include "stateful.tmpDirMount" . | nindent 8 }}
        {{- end }}
        {{- if .Values.traits.storage.enabled }}
{{- include "stateful.trait.storage.volumeMounts" . | trim | nindent 8 }}
{{- end }}
      {{- end }}
    {{- if .Values.traits.sidecar.enabled }}
{{- include "stateful.trait.sidecar.containers" . | trim | nindent 4 }}
{{- end }}
  {{- if .Values.traits.scheduling.enabled }}
{{- include "stateful.trait.scheduling.podSpec" . | trim | nindent 2 }}
{{- end }}
  {{- if or (or (.Values.config.mountPath) (.Values.traits.storage.enabled)) $tmp }}
  volumes:
    {{- if .Values.config.mountPath }}
    - name: berth-config
      configMap:
        name: {{ include "stateful.fullname" . }}-config
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
{{- include "stateful.trait.storage.volumes" . | trim | nindent 4 }}
{{- end }}
  {{- end }}
{{- end }}
