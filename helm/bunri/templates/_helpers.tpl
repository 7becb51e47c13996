{{/*
Names and labels: `helm create`'s scaffold helpers, plus the bunri component helpers.
*/}}

{{/*
Expand the name of the chart.
*/}}
{{- define "bunri.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "bunri.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "bunri.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The namespace every object goes to: namespaceOverride (default `workers`, the seed's namespace)
or, when that is empty, the release namespace (`helm install -n ...`).
*/}}
{{- define "bunri.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "bunri.labels" -}}
helm.sh/chart: {{ include "bunri.chart" . }}
{{ include "bunri.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels. Never put helm.sh/chart (or the version) here: selectors are immutable.
*/}}
{{- define "bunri.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bunri.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Component labels: the common labels plus app.kubernetes.io/component.
Call with (dict "root" $ "component" "gpt5").
*/}}
{{- define "bunri.componentLabels" -}}
{{ include "bunri.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Component selector labels: the selector labels plus app.kubernetes.io/component.
Call with (dict "root" $ "component" "gpt5").
*/}}
{{- define "bunri.componentSelectorLabels" -}}
{{ include "bunri.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
A component's object name: <fullname>-<component>.
Call with (dict "root" $ "component" "gpt5").
*/}}
{{- define "bunri.componentName" -}}
{{- printf "%s-%s" (include "bunri.fullname" .root | trunc 50 | trimSuffix "-") .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "bunri.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bunri.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The one image every component runs: repository:tag (tag defaults to appVersion), or @digest.
*/}}
{{- define "bunri.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag | toString }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- if or (eq $tag "") (eq $tag "latest") }}
{{- fail "image.tag resolves to an empty or `latest` tag: pin a version (or set image.digest)" }}
{{- end }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Name of the shared ConfigMap.
*/}}
{{- define "bunri.commonConfigName" -}}
{{- include "bunri.componentName" (dict "root" . "component" "common") }}
{{- end }}

{{/*
Render a number for an env var without float formatting: YAML numbers reach templates as
float64, and `toString 2000000` would print 2e+06.
*/}}
{{- define "bunri.num" -}}
{{- if eq (float64 .) (float64 (int64 .)) }}{{ int64 . }}{{ else }}{{ float64 . }}{{ end }}
{{- end }}

{{/*
The worker web port (faust web: /healthz, /readyz) and the gateway's HTTP port. These are the
process interface, not tunables: the containers name them `http` and the probes use the name.
*/}}
{{- define "bunri.workerPort" -}}6066{{- end }}
{{- define "bunri.gatewayPort" -}}8000{{- end }}
