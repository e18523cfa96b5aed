{{/* Labels of everything the datalab chart makes. */}}
{{- define "datalab.labels" -}}
app.kubernetes.io/name: datalab
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* The public URL without a trailing slash. */}}
{{- define "datalab.publicUrl" -}}
{{- .Values.datalab.publicUrl | trimSuffix "/" -}}
{{- end }}

{{/* Where users' servers (in other namespaces) and the proxy reach the hub's Service. */}}
{{- define "datalab.hubHost" -}}
{{- printf "hub.%s.svc.cluster.local" .Release.Namespace -}}
{{- end }}

{{/* Cluster-scoped names carry the release namespace: one datalab per namespace. */}}
{{- define "datalab.clusterName" -}}
{{- printf "datalab-hub-%s" .Release.Namespace | trunc 63 | trimSuffix "-" -}}
{{- end }}
