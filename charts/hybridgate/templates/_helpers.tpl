{{/* Chart name, overridable. */}}
{{- define "hybridgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: the release name when it already contains the chart name
(`helm install hybridgate ...` gives "hybridgate", not "hybridgate-hybridgate").
*/}}
{{- define "hybridgate.fullname" -}}
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

{{/* Labels on every object of the release. */}}
{{- define "hybridgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hybridgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hybridgate
{{- end }}

{{/* Labels that select the operator's pods (immutable in the Deployment: never add to them). */}}
{{- define "hybridgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hybridgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The ServiceAccount the operator runs as. */}}
{{- define "hybridgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hybridgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest pins the image. */}}
{{- define "hybridgate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The operator's permissions: exactly what the code uses (kept equal to config/rbac/role.yaml by
test/helm; see that file for why each verb is there). Used as a ClusterRole, or as a Role in
watchNamespace.
*/}}
{{- define "hybridgate.operatorRules" -}}
- apiGroups: [hybridgate.dev]
  resources: [hybridclusters]
  verbs: [get, list, watch]
- apiGroups: [hybridgate.dev]
  resources: [controlplanes, dataplanes]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [hybridgate.dev]
  resources: [hybridclusters/status, controlplanes/status, dataplanes/status]
  verbs: [patch]
- apiGroups: [hybridgate.dev]
  resources: [hybridclusters/finalizers, controlplanes/finalizers, dataplanes/finalizers]
  verbs: [update]
- apiGroups: [apps]
  resources: [deployments, statefulsets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: ['']
  resources: [services, serviceaccounts]
  verbs: [get, list, watch, create, patch]
- apiGroups: ['']
  resources: [secrets]
  verbs: [get, list, watch, create, patch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch, create, patch]
- apiGroups: ['']
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: ['']
  resources: [configmaps]
  verbs: [get, list, watch]
- apiGroups: ['']
  resources: [events]
  verbs: [create]
- apiGroups: [cert-manager.io]
  resources: [certificates]
  verbs: [get, create, patch]
{{- end }}

{{/* The leader-election permissions (the Lease in the release namespace), as config/rbac's. */}}
{{- define "hybridgate.leaderElectionRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
{{- end }}

{{/* Cluster-scoped objects are named after the release and its namespace (unique cluster-wide). */}}
{{- define "hybridgate.clusterRoleName" -}}
{{- printf "%s-%s" .Release.Namespace (include "hybridgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Refuses combinations of values the schema cannot express, saying which and why. */}}
{{- define "hybridgate.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount is %d but leaderElection.enabled is false: replicas would reconcile the same objects at once; enable leader election or set replicaCount to 1" (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled: the ServiceMonitor scrapes the metrics Service" }}
{{- end }}
{{- end }}
