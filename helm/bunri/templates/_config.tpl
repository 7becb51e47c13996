{{/*
Values -> environment. This file is the only place that maps chart values to the settings the
processes read (pydantic-settings: prefix BUNRI_, nesting with __, see streams/settings.py).

- bunri.commonConfigMap: read by every component (Kafka, object store, preprocessing limits).
- bunri.workerConfigMap: one per stage and the scheduler (worker web port, concurrency, and the
  model block for the stages that call a model).
- bunri.gatewayConfigMap: the gateway's own settings.

Each is a named template so that the Deployments can hash it into checksum/config.
*/}}

{{- define "bunri.kafkaEnv" -}}
{{- $k := .Values.kafka -}}
KAFKA_BOOTSTRAP: {{ required "kafka.bootstrapServers is required (host:port[,host:port])" $k.bootstrapServers | quote }}
BUNRI_KAFKA__TOPIC_PREFIX: {{ $k.topicPrefix | quote }}
BUNRI_KAFKA__REPLICATION_FACTOR: {{ include "bunri.num" $k.replicationFactor | quote }}
BUNRI_KAFKA__FETCH_MAX_WAIT_MS: {{ include "bunri.num" $k.fetchMaxWaitMs | quote }}
BUNRI_KAFKA__SESSION_TIMEOUT_MS: {{ include "bunri.num" $k.sessionTimeoutMs | quote }}
BUNRI_KAFKA__HEARTBEAT_INTERVAL_MS: {{ include "bunri.num" $k.heartbeatIntervalMs | quote }}
{{ include "bunri.kafkaSecurityEnv" . }}
{{- range $topic, $count := $k.partitions }}
BUNRI_KAFKA__PARTITIONS__{{ regexReplaceAll "([a-z0-9])([A-Z])" $topic "${1}_${2}" | upper }}: {{ include "bunri.num" $count | quote }}
{{- end }}
{{- end }}

{{- define "bunri.commonConfigMap" -}}
{{- $s := .Values.store -}}
{{- $p := .Values.preprocess -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "bunri.commonConfigName" . }}
  namespace: {{ include "bunri.namespace" . }}
  labels:
    {{- include "bunri.componentLabels" (dict "root" . "component" "common") | nindent 4 }}
data:
  {{- include "bunri.kafkaEnv" . | nindent 2 }}
  BUNRI_DATA_DIR: {{ $s.dataDir | quote }}
  {{- with .Values.rulesDir }}
  BUNRI_RULES_DIR: {{ . | quote }}
  {{- end }}
  {{- if eq $s.backend "s3" }}
  BUNRI_S3__BUCKET: {{ required "store.s3.bucket is required when store.backend is s3" $s.s3.bucket | quote }}
  BUNRI_S3__REGION: {{ $s.s3.region | quote }}
  BUNRI_S3__PREFIX: {{ $s.s3.prefix | quote }}
  BUNRI_S3__PRESIGN_TTL_S: {{ include "bunri.num" $s.s3.presignTtlS | quote }}
  {{- with $s.s3.endpointUrl }}
  BUNRI_S3__ENDPOINT_URL: {{ . | quote }}
  {{- end }}
  {{- end }}
  BUNRI_PREPROCESS__MAX_EDGE: {{ include "bunri.num" $p.maxEdge | quote }}
  BUNRI_PREPROCESS__JPEG_QUALITY: {{ include "bunri.num" $p.jpegQuality | quote }}
  BUNRI_PREPROCESS__POOL: {{ $p.pool | quote }}
  BUNRI_PREPROCESS__POOL_WORKERS: {{ include "bunri.num" $p.poolWorkers | quote }}
  BUNRI_PREPROCESS__MAX_UPLOAD_BYTES: {{ include "bunri.num" $p.maxUploadBytes | quote }}
  BUNRI_PREPROCESS__MAX_PIXELS: {{ include "bunri.num" $p.maxPixels | quote }}
  BUNRI_PREPROCESS__RAW_RETENTION_S: {{ include "bunri.num" $p.rawRetentionS | quote }}
  BUNRI_PREPROCESS__IMAGE_RETENTION_S: {{ include "bunri.num" $p.imageRetentionS | quote }}
  BUNRI_PREPROCESS__SWEEP_INTERVAL_S: {{ include "bunri.num" $p.sweepIntervalS | quote }}
  BUNRI_LOG_LEVEL: {{ .Values.logLevel | quote }}
  BUNRI_LOG_FORMAT: {{ .Values.logFormat | quote }}
{{- end }}

{{/*
Call with (dict "root" $ "name" <stage or "scheduler"> "component" <its values>).
*/}}
{{- define "bunri.workerConfigMap" -}}
{{- $root := .root -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "bunri.componentName" (dict "root" $root "component" .name) }}
  namespace: {{ include "bunri.namespace" $root }}
  labels:
    {{- include "bunri.componentLabels" (dict "root" $root "component" .name) | nindent 4 }}
data:
  BUNRI_WORKER__WEB_PORT: {{ include "bunri.workerPort" $root | quote }}
  {{- with .component.terminationGracePeriodSeconds }}
  {{- /* the drain on SIGTERM ends 5 s before the kubelet's SIGKILL, leaving time to commit and stop */}}
  BUNRI_WORKER__SHUTDOWN_GRACE_S: {{ max 1 (sub (int .) 5) | quote }}
  {{- end }}
  {{- if hasKey .component "concurrency" }}
  BUNRI_WORKER__CONCURRENCY: {{ include "bunri.num" .component.concurrency | quote }}
  {{- end }}
  {{- with (get $root.Values.llm.models .name) }}
  {{- $prefix := printf "BUNRI_%s__" (upper $.name) }}
  {{- with $root.Values.llm.baseUrl }}
  OPENAI_BASE_URL: {{ . | quote }}
  {{- end }}
  {{ $prefix }}MODEL: {{ .model | quote }}
  {{ $prefix }}DETAIL: {{ .detail | quote }}
  {{ $prefix }}TIMEOUT_S: {{ include "bunri.num" .timeoutS | quote }}
  {{ $prefix }}MAX_RETRIES: {{ include "bunri.num" .maxRetries | quote }}
  {{ $prefix }}MAX_OUTPUT_TOKENS: {{ include "bunri.num" .maxOutputTokens | quote }}
  {{ $prefix }}RPM: {{ include "bunri.num" .rpm | quote }}
  {{ $prefix }}TPM: {{ include "bunri.num" .tpm | quote }}
  {{ $prefix }}MIN_CONFIDENCE: {{ include "bunri.num" .minConfidence | quote }}
  {{ $prefix }}PROMPT_VARIANT: {{ .promptVariant | default "default" | quote }}
  {{- with .reasoningEffort }}
  {{ $prefix }}REASONING_EFFORT: {{ . | quote }}
  {{- end }}
  {{- end }}
{{- end }}

{{/*
Call with (dict "root" $ "name" "gateway" "component" .Values.gateway).
*/}}
{{- define "bunri.gatewayConfigMap" -}}
{{- $root := .root -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "bunri.componentName" (dict "root" $root "component" .name) }}
  namespace: {{ include "bunri.namespace" $root }}
  labels:
    {{- include "bunri.componentLabels" (dict "root" $root "component" .name) | nindent 4 }}
data:
  BUNRI_QUERY_TIMEOUT_S: {{ include "bunri.num" $root.Values.queryTimeoutS | quote }}
  {{- include "bunri.gatewaySecurityEnv" $root | nindent 2 }}
{{- end }}
