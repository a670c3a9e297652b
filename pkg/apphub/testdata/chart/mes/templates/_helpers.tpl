{{- define "mes.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "mes.labels" -}}
app: {{ include "mes.fullname" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
