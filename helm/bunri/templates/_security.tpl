{{/*
What faces the internet and the cluster (issue 16): Kafka TLS/SASL for every component and the topic
job, the gateway's API keys and limits, and the workers' web servers bound to the pod IP only.
Secrets by reference only: the chart never renders a Secret.
*/}}

{{/* Kafka connection settings (non-secret): goes into bunri.kafkaEnv, so the topic job gets them too. */}}
{{- define "bunri.kafkaSecurityEnv" -}}
{{- $s := .Values.kafka.security -}}
BUNRI_KAFKA__SECURITY_PROTOCOL: {{ $s.protocol | quote }}
BUNRI_KAFKA__SASL_MECHANISM: {{ $s.saslMechanism | quote }}
{{- if $s.tlsSecret }}
{{- with $s.caFileKey }}
BUNRI_KAFKA__SSL_CA_FILE: {{ printf "/var/run/secrets/bunri-kafka/%s" . | quote }}
{{- end }}
{{- if and $s.certFileKey $s.keyFileKey }}
BUNRI_KAFKA__SSL_CERT_FILE: {{ printf "/var/run/secrets/bunri-kafka/%s" $s.certFileKey | quote }}
BUNRI_KAFKA__SSL_KEY_FILE: {{ printf "/var/run/secrets/bunri-kafka/%s" $s.keyFileKey | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* SASL username and password from an existing Secret (env entries). Takes the root context. */}}
{{- define "bunri.kafkaSecretEnv" -}}
{{- $s := .Values.kafka.security -}}
{{- if $s.existingSecret }}
- name: BUNRI_KAFKA__SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.usernameSecretKey }}
- name: BUNRI_KAFKA__SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.passwordSecretKey }}
{{- end }}
{{- end }}

{{/*
Env entries of one component (dict "root" "name" "component"): Kafka SASL secrets, and for the
workers their web host: the pod IP, so /healthz, /readyz and /metrics are reachable by the kubelet
and Prometheus but bound nowhere else (no Service selects a worker).
*/}}
{{- define "bunri.securityEnv" -}}
{{- include "bunri.kafkaSecretEnv" .root }}
{{- if ne .name "gateway" }}
- name: BUNRI_WORKER__WEB_HOST
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end }}
{{- end }}

{{/* Volumes (dict "root" "name"): the Kafka TLS files for every pod, the API keys for the gateway. */}}
{{- define "bunri.securityVolumes" -}}
{{- $root := .root -}}
{{- with $root.Values.kafka.security.tlsSecret }}
- name: kafka-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- if and (eq .name "gateway") $root.Values.auth.enabled }}
- name: api-keys
  secret:
    secretName: {{ required "auth.existingSecret is required when auth.enabled (a Secret holding the keys file from `bunri keys create`)" $root.Values.auth.existingSecret }}
{{- end }}
{{- end }}

{{- define "bunri.securityMounts" -}}
{{- $root := .root -}}
{{- if $root.Values.kafka.security.tlsSecret }}
- name: kafka-tls
  mountPath: /var/run/secrets/bunri-kafka
  readOnly: true
{{- end }}
{{- if and (eq .name "gateway") $root.Values.auth.enabled }}
- name: api-keys
  mountPath: /var/run/secrets/bunri-keys
  readOnly: true
{{- end }}
{{- end }}

{{/* The gateway's ConfigMap lines: API keys and limits. */}}
{{- define "bunri.gatewaySecurityEnv" -}}
{{- $a := .Values.auth -}}
{{- $l := .Values.limits -}}
BUNRI_AUTH__ENABLED: {{ $a.enabled | toString | quote }}
{{- if $a.enabled }}
BUNRI_AUTH__KEYS_FILE: {{ printf "/var/run/secrets/bunri-keys/%s" $a.keysFileKey | quote }}
{{- end }}
BUNRI_LIMITS__RPM_PER_KEY: {{ include "bunri.num" $l.rpmPerKey | quote }}
BUNRI_LIMITS__INFLIGHT_PER_KEY: {{ include "bunri.num" $l.inflightPerKey | quote }}
BUNRI_LIMITS__INFLIGHT_TOTAL: {{ include "bunri.num" $l.inflightTotal | quote }}
BUNRI_LIMITS__DAILY_USD_PER_KEY: {{ $l.dailyUsdPerKey | toString | quote }}
BUNRI_LIMITS__DAILY_USD_TOTAL: {{ $l.dailyUsdTotal | toString | quote }}
{{- end }}
