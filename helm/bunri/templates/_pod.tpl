{{/*
Pod and container pieces shared by every component (stages, scheduler, gateway).
Each helper takes (dict "root" $ "name" <component> "component" <its values>).
*/}}

{{/*
A component's nodeSelector: the labels of its node pool (.Values.nodePools[nodePool], a list of
key/value pairs) with the component's own nodeSelector merged over them. nodePool "" means no pool (the gateway).
*/}}
{{- define "bunri.nodeSelector" -}}
{{- $selector := dict }}
{{- with .component.nodePool }}
{{- if not (hasKey $.root.Values.nodePools .) }}
{{- fail (printf "%s.nodePool is %q, which is not a key of nodePools (%s)" $.name . (keys $.root.Values.nodePools | sortAlpha | join ", ")) }}
{{- end }}
{{- range (index $.root.Values.nodePools .) }}
{{- $_ := set $selector .key (toString .value) }}
{{- end }}
{{- end }}
{{- $selector = mergeOverwrite $selector (deepCopy (.component.nodeSelector | default dict)) }}
{{- with $selector }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
Everything in a pod spec except the containers.
*/}}
{{- define "bunri.podSpecCommon" -}}
{{- $root := .root -}}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "bunri.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automount }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with .component.terminationGracePeriodSeconds }}
terminationGracePeriodSeconds: {{ . }}
{{- end }}
{{- with (include "bunri.nodeSelector" .) }}
nodeSelector:
  {{- . | nindent 2 }}
{{- end }}
{{- with .component.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ $root.Values.scratch.tmpSizeLimit }}
  - name: data
    emptyDir:
      sizeLimit: {{ $root.Values.scratch.dataSizeLimit }}
  {{- if (include "bunri.sharedStoreClaim" $root) }}
  - name: store
    persistentVolumeClaim:
      claimName: {{ include "bunri.sharedStoreClaim" $root }}
  {{- end }}
  {{- with (include "bunri.securityVolumes" .) }}
  {{- . | nindent 2 }}
  {{- end }}
{{- end }}

{{/*
The PVC shared by every pod for the local store, or "" (S3, or a one-pod demo on emptyDir).
The app's LocalStore lives in <BUNRI_DATA_DIR>/store (streams/store.py), so only that directory is
shared; the rest of the data dir stays per pod.
*/}}
{{- define "bunri.sharedStoreClaim" -}}
{{- if eq .Values.store.backend "local" }}{{ .Values.store.local.existingClaim }}{{ end }}
{{- end }}

{{/*
Container pieces after name/image/args/ports: security context, env, mounts, resources.
*/}}
{{- define "bunri.containerCommon" -}}
{{- $root := .root -}}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "bunri.commonConfigName" $root }}
  - configMapRef:
      name: {{ include "bunri.componentName" (dict "root" $root "component" .name) }}
{{- $env := include "bunri.secretEnv" . }}
{{- $security := include "bunri.securityEnv" . }}
{{- if or $env $security .component.extraEnv }}
env:
  {{- with $env }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with $security }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with .component.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: data
    mountPath: {{ $root.Values.store.dataDir }}
  {{- if (include "bunri.sharedStoreClaim" $root) }}
  - name: store
    mountPath: {{ printf "%s/store" (trimSuffix "/" $root.Values.store.dataDir) }}
  {{- end }}
  {{- with (include "bunri.securityMounts" .) }}
  {{- . | nindent 2 }}
  {{- end }}
{{- with .component.livenessProbe }}
livenessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.readinessProbe }}
readinessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
resources:
  {{- toYaml .component.resources | nindent 2 }}
{{- end }}

{{/*
Secrets, by reference only (existing-secret pattern; the chart never renders a Secret):
- OPENAI_API_KEY for the components that call a model (the keys of .Values.llm.models),
  when llm.existingSecret is set (empty = no key: the app's offline provider answers);
- AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for every component when the store is S3 and
  store.s3.existingSecret is set (empty = the SDK's default chain, e.g. IRSA on the ServiceAccount).
*/}}
{{- define "bunri.secretEnv" -}}
{{- $root := .root -}}
{{- if and $root.Values.llm.existingSecret (hasKey $root.Values.llm.models .name) }}
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.llm.existingSecret }}
      key: {{ $root.Values.llm.apiKeySecretKey }}
{{- end }}
{{- if and (eq $root.Values.store.backend "s3") $root.Values.store.s3.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.store.s3.existingSecret }}
      key: {{ $root.Values.store.s3.accessKeyIdSecretKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.store.s3.existingSecret }}
      key: {{ $root.Values.store.s3.secretAccessKeySecretKey }}
{{- end }}
{{- end }}

{{/*
The pod annotations: checksum/config over the shared ConfigMap and the component's own, so a
settings change rolls exactly the pods that read it; the Prometheus scrape annotations (metrics.enabled:
/metrics on the port named `http`); then podAnnotations (global, then the component's).
*/}}
{{- define "bunri.podAnnotations" -}}
{{- $common := include "bunri.commonConfigMap" .root }}
{{- $own := include (printf "bunri.%sConfigMap" (ternary "gateway" "worker" (eq .name "gateway"))) . }}
checksum/config: {{ print $common $own | sha256sum }}
{{- if .root.Values.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ include (ternary "bunri.gatewayPort" "bunri.workerPort" (eq .name "gateway")) .root | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- with .root.Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- with .component.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
A PodDisruptionBudget for a component, when .component.pdb.enabled.
*/}}
{{- define "bunri.pdb" -}}
{{- if .component.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "bunri.componentName" (dict "root" .root "component" .name) }}
  namespace: {{ include "bunri.namespace" .root }}
  labels:
    {{- include "bunri.componentLabels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  {{- if hasKey .component.pdb "minAvailable" }}
  minAvailable: {{ .component.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .component.pdb.maxUnavailable | default 1 }}
  {{- end }}
  {{- with .component.pdb.unhealthyPodEvictionPolicy }}
  unhealthyPodEvictionPolicy: {{ . }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "bunri.componentSelectorLabels" (dict "root" .root "component" .name) | nindent 6 }}
{{- end }}
{{- end }}
