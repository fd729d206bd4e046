{{/*
Named templates shared by every manifest. Keep to the Go-template/Sprig subset that
tests/chart/helmlite renders (default, quote, toYaml, nindent, trunc, trimSuffix, printf, ...).
*/}}

{{/* The chart name, at most 63 characters (a DNS label). */}}
{{- define "greengrass-reconciler.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of the release's objects: release-chart, unless the release name has it. */}}
{{- define "greengrass-reconciler.fullname" -}}
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

{{- define "greengrass-reconciler.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "greengrass-reconciler.selectorLabels" -}}
app.kubernetes.io/name: {{ include "greengrass-reconciler.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "greengrass-reconciler.labels" -}}
helm.sh/chart: {{ include "greengrass-reconciler.chart" . }}
{{ include "greengrass-reconciler.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "greengrass-reconciler.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "greengrass-reconciler.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The lock in force: lock.kind, with "auto" resolved by the number of replicas. */}}
{{- define "greengrass-reconciler.lock" -}}
{{- if eq .Values.lock.kind "auto" }}
{{- if gt (int .Values.replicaCount) 1 }}kubernetes{{ else }}none{{ end }}
{{- else }}
{{- .Values.lock.kind }}
{{- end }}
{{- end }}

{{- define "greengrass-reconciler.leaseName" -}}
{{- default (include "greengrass-reconciler.fullname" .) .Values.lock.leaseName }}
{{- end }}

{{/*
Where the controller finds its secrets: each existing Secret is mounted as a directory (so a
rotated value reaches the running pod) and named by a RECONCILER_*_FILE variable.
*/}}
{{- define "greengrass-reconciler.secretsDir" -}}
/var/run/secrets/greengrass-reconciler
{{- end }}

{{/*
The RECONCILER_* settings (docs/deployment.md); every key is a setting reconciler/settings.py
or the Git credentials read. The Deployment's checksum/config annotation hashes this text, so a
changed setting rolls the pods.
*/}}
{{- define "greengrass-reconciler.config" -}}
{{- $lock := include "greengrass-reconciler.lock" . -}}
RECONCILER_SOURCE: {{ required "source.url is required: the Git URL of the repository holding the specs" .Values.source.url | quote }}
RECONCILER_BRANCH: {{ .Values.source.branch | quote }}
RECONCILER_PATH: {{ .Values.source.path | quote }}
RECONCILER_POLL_INTERVAL: {{ .Values.reconciler.pollIntervalSeconds | quote }}
RECONCILER_RESYNC_INTERVAL: {{ .Values.reconciler.resyncIntervalSeconds | quote }}
RECONCILER_LOG_LEVEL: {{ .Values.reconciler.logLevel | quote }}
RECONCILER_LOG_FORMAT: {{ .Values.reconciler.logFormat | quote }}
RECONCILER_RATE_LIMIT: {{ .Values.reconciler.rateLimit | quote }}
RECONCILER_RATE_BURST: {{ .Values.reconciler.rateBurst | quote }}
RECONCILER_CONCURRENCY: {{ .Values.reconciler.concurrency | quote }}
RECONCILER_HTTP_HOST: "0.0.0.0"
RECONCILER_HTTP_PORT: "8080"
RECONCILER_CACHE_DIR: "/var/cache/reconciler"
RECONCILER_FACT_CACHE: {{ .Values.cache.facts.enabled | quote }}
RECONCILER_CACHE_MAX_MB: {{ .Values.cache.facts.maxMB | quote }}
RECONCILER_LOCK: {{ $lock | quote }}
RECONCILER_LEASE_DURATION: {{ .Values.lock.leaseDurationSeconds | quote }}
{{- if eq $lock "kubernetes" }}
RECONCILER_LEASE_NAME: {{ include "greengrass-reconciler.leaseName" . | quote }}
{{- end }}
{{- if eq $lock "s3" }}
RECONCILER_LOCK_BUCKET: {{ required "lock.s3.bucket is required with lock.kind s3" .Values.lock.s3.bucket | quote }}
RECONCILER_LOCK_KEY: {{ .Values.lock.s3.key | quote }}
{{- with .Values.lock.s3.region }}
RECONCILER_LOCK_REGION: {{ . | quote }}
{{- end }}
{{- end }}
{{- with .Values.reconciler.instance }}
RECONCILER_INSTANCE: {{ . | quote }}
{{- end }}
{{- with .Values.git.username }}
RECONCILER_GIT_USERNAME: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.slack.events }}
RECONCILER_NOTIFY_SLACK_EVENTS: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.webhook.events }}
RECONCILER_NOTIFY_WEBHOOK_EVENTS: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.sns.topicArn }}
RECONCILER_NOTIFY_SNS_TOPIC_ARN: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.sns.events }}
RECONCILER_NOTIFY_SNS_EVENTS: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.eventBridge.bus }}
RECONCILER_NOTIFY_EVENTBRIDGE_BUS: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.eventBridge.events }}
RECONCILER_NOTIFY_EVENTBRIDGE_EVENTS: {{ . | quote }}
{{- end }}
{{- with .Values.gitFeedback.repo }}
RECONCILER_GITHUB_REPO: {{ . | quote }}
{{- end }}
{{- with .Values.gitFeedback.apiUrl }}
RECONCILER_GITHUB_API_URL: {{ . | quote }}
{{- end }}
{{- with .Values.aws.endpointUrl }}
RECONCILER_ENDPOINT_URL: {{ . | quote }}
{{- end }}
{{- with .Values.aws.region }}
AWS_REGION: {{ . | quote }}
AWS_DEFAULT_REGION: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.extraConfig }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}
