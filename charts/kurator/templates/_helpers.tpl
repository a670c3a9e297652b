{{/*
kurator.labels: the labels of every object of the chart.
*/}}
{{- define "kurator.labels" -}}
app.kubernetes.io/name: kurator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kurator
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
kurator.selectorLabels: the labels a Deployment selects its pods by (with
app.kubernetes.io/component added per Deployment). They never change across
upgrades: a Deployment's selector is immutable.
*/}}
{{- define "kurator.selectorLabels" -}}
app.kubernetes.io/name: kurator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
kurator.serviceAccountName: the ServiceAccount the manager runs as.
*/}}
{{- define "kurator.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default "kurator-manager" }}
{{- end }}

{{/*
kurator.image: the manager's image, repository@digest when a digest is set,
else repository:tag (tag defaults to the chart's appVersion).
*/}}
{{- define "kurator.image" -}}
{{- include "kurator.imageOf" (dict "image" .Values.image "chart" .Chart) }}
{{- end }}

{{/*
kurator.imageOf: the image reference of (dict "image" IMAGE-VALUES "chart" .Chart).
*/}}
{{- define "kurator.imageOf" -}}
{{- if .image.digest -}}
{{ .image.repository }}@{{ .image.digest }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag | default .chart.AppVersion }}
{{- end -}}
{{- end }}
