{{/*
bunri.stageDeployment: the one Deployment shape shared by the four stage workers and the
scheduler. They differ only in their values block and their arguments:

  stages.<name>: bunri worker --stage <name> --concurrency <concurrency>
  scheduler:     bunri scheduler

Call with (dict "root" $ "name" <component> "component" <its values> "args" <list>).
Every worker serves /healthz and /readyz (faust web) on the port named `http`.
*/}}
{{- define "bunri.stageDeployment" -}}
{{- $root := .root -}}
{{- $ctx := dict "root" $root "name" .name "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "bunri.componentName" (dict "root" $root "component" .name) }}
  namespace: {{ include "bunri.namespace" $root }}
  labels:
    {{- include "bunri.componentLabels" (dict "root" $root "component" .name) | nindent 4 }}
spec:
  replicas: {{ .component.replicaCount }}
  revisionHistoryLimit: {{ $root.Values.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "bunri.componentSelectorLabels" (dict "root" $root "component" .name) | nindent 6 }}
  {{- with .component.strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  template:
    metadata:
      annotations:
        {{- include "bunri.podAnnotations" $ctx | nindent 8 }}
      labels:
        {{- include "bunri.componentLabels" (dict "root" $root "component" .name) | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "bunri.podSpecCommon" $ctx | nindent 6 }}
      containers:
        - name: {{ .name }}
          image: {{ include "bunri.image" $root }}
          args:
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ include "bunri.workerPort" $root }}
              protocol: TCP
          {{- include "bunri.containerCommon" $ctx | nindent 10 }}
{{- end }}
