package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ac,categories=kurator
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.kubernetesVersion`
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.region`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.status.nodeSummary.totalNum`
// +kubebuilder:printcolumn:name="Ready-Nodes",type=integer,JSONPath=`.status.nodeSummary.readyNum`,priority=1
// +kubebuilder:printcolumn:name="Pods",type=integer,JSONPath=`.status.podSummary.total`,priority=1
// +kubebuilder:printcolumn:name="Zone",type=string,JSONPath=`.spec.zone`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// AttachedCluster is an existing Kubernetes cluster joined to the hub as a
// member. In Push mode the hub reaches its API server with the kubeconfig
// held in a Secret in the AttachedCluster's own namespace; in Pull mode an
// agent inside the cluster connects to the hub instead.
type AttachedCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AttachedClusterSpec   `json:"spec"`
	Status AttachedClusterStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// AttachedClusterList is a list of AttachedCluster.
type AttachedClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AttachedCluster `json:"items"`
}

// AttachedClusterSpec describes how to reach a member cluster and what the
// scheduler should know about it.
// +kubebuilder:validation:XValidation:rule="has(self.kubeconfig) == (!has(self.mode) || self.mode == 'Push')",message="a Push cluster needs spec.kubeconfig (the Secret the hub reaches it with); a Pull cluster has none, its agent connects to the hub (kurator cluster register --mode pull)"
type AttachedClusterSpec struct {
	// Mode is how the hub and the cluster talk. Push (the default): the hub
	// holds the cluster's kubeconfig and applies to its API server. Pull: an
	// agent in the cluster registers with a bootstrap token, holds only its
	// own credentials, heartbeats through a Lease and applies its Works
	// itself; the hub holds no credentials of the cluster.
	// +kubebuilder:validation:Enum=Push;Pull
	// +kubebuilder:default=Push
	// +optional
	Mode ClusterMode `json:"mode,omitempty"`

	// Kubeconfig names the Secret (in this namespace) holding the kubeconfig
	// the hub uses to reach the cluster. Required in Push mode, absent in
	// Pull mode.
	// +optional
	Kubeconfig *KubeconfigReference `json:"kubeconfig,omitempty"`

	// APIEndpoint is the cluster's API server URL. Informational: the
	// kubeconfig's server wins when both are set.
	// +optional
	APIEndpoint string `json:"apiEndpoint,omitempty"`

	// Labels are the labels the cluster carries for scheduling, next to its
	// metadata.labels; on a conflict these win. Policies' labelSelectors and
	// spread-by-label constraints see them.
	// +kubebuilder:validation:XValidation:rule="!('' in self)",message="a label key must not be empty"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Registry is the cluster's private image registry: an Application
	// copies its images there before a release and the cluster's objects
	// reference them there, by digest. Empty: the fleet's registry, else
	// images are left as the objects name them.
	// +optional
	Registry *Registry `json:"registry,omitempty"`

	// Price is what the cluster's capacity costs an hour: the scheduler's
	// opt-in cost score prefers cheaper clusters and kurator plan shows each
	// placement's hourly cost. Empty: the cost.kurator.dev/cpu-hour and
	// cost.kurator.dev/memory-gib-hour labels, else unpriced.
	// +optional
	Price *Price `json:"price,omitempty"`

	// Provider is the cloud provider of the cluster (for example alibaba, aws).
	// Empty means the value of the "provider" label in Labels.
	// +optional
	Provider string `json:"provider,omitempty"`

	// Region is the region of the cluster. Empty means the value of the
	// "region" label in Labels.
	// +optional
	Region string `json:"region,omitempty"`

	// Zone is the single zone of the cluster; Zones lists several. The two are
	// merged. Both empty means the value of the "zone" label in Labels.
	// +optional
	Zone string `json:"zone,omitempty"`

	// Zones lists the zones the cluster spans.
	// +kubebuilder:validation:items:MinLength=1
	// +optional
	Zones []string `json:"zones,omitempty"`

	// Taints keep workloads that do not tolerate them away from the cluster.
	// Each has a key and an effect (NoSchedule, PreferNoSchedule or
	// NoExecute); a key+effect pair appears once.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:XValidation:rule="self.key != ''",fieldPath=".key",message="a taint needs a key, e.g. dedicated"
	// +kubebuilder:validation:items:XValidation:rule="self.effect in ['NoSchedule', 'PreferNoSchedule', 'NoExecute']",fieldPath=".effect",message="effect must be NoSchedule, PreferNoSchedule or NoExecute"
	// +listType=map
	// +listMapKey=key
	// +listMapKey=effect
	// +optional
	Taints []corev1.Taint `json:"taints,omitempty"`
}

// DefaultKubeconfigKey is the Secret key read when the kubeconfig reference
// names no key.
const DefaultKubeconfigKey = "kubeconfig"

// KubeconfigReference points at the Secret that holds a kubeconfig. Two forms
// are accepted and are mutually exclusive: seed 001's
// `secretRef: {name, key}` and Kurator's flat `name` / `key`. The Secret is
// always in the AttachedCluster's namespace; an empty key means "kubeconfig".
// +kubebuilder:validation:XValidation:rule="has(self.secretRef) != has(self.name)",message="spec.kubeconfig: set exactly one of secretRef.name (seed form) or name (Kurator form)"
// +kubebuilder:validation:XValidation:rule="!has(self.secretRef) || !has(self.key)",message="spec.kubeconfig.key belongs to the name form; with secretRef put the key in secretRef.key"
type KubeconfigReference struct {
	// SecretRef names the Secret and key (seed form).
	// +optional
	SecretRef *SecretKeyReference `json:"secretRef,omitempty"`

	// Name of the Secret (Kurator form).
	// +kubebuilder:validation:MinLength=1
	// +optional
	Name string `json:"name,omitempty"`

	// Key in the Secret's data (Kurator form); default "kubeconfig".
	// +optional
	Key string `json:"key,omitempty"`
}

// SecretKeyReference names a key of a Secret in the referrer's namespace.
type SecretKeyReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Key in the Secret's data; default "kubeconfig".
	// +optional
	Key string `json:"key,omitempty"`
}

// AttachedClusterStatus is what the hub observed of the cluster.
type AttachedClusterStatus struct {
	// Conditions: Ready says whether the API server answers its health probe.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// KubernetesVersion is the version the cluster's API server reports.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`

	// APIEnablements lists the resources the cluster serves, by group/version.
	// +optional
	APIEnablements []APIEnablement `json:"apiEnablements,omitempty"`

	// NodeSummary counts the cluster's nodes.
	// +optional
	NodeSummary *NodeSummary `json:"nodeSummary,omitempty"`

	// ResourceSummary sums the nodes' resources.
	// +optional
	ResourceSummary *ResourceSummary `json:"resourceSummary,omitempty"`

	// PodSummary counts the cluster's pods by state and names those that
	// failed or cannot start.
	// +optional
	PodSummary *PodSummary `json:"podSummary,omitempty"`

	// Nodes lists the cluster's nodes, those not Ready first, at most
	// MaxListedNodes of them (NodeSummary has the counts of all).
	// +optional
	// +listType=atomic
	Nodes []NodeStatus `json:"nodes,omitempty"`

	// Agent is what the agent of a Pull cluster last reported.
	// +optional
	Agent *AgentStatus `json:"agent,omitempty"`
}

// AgentStatus is the agent's own report of a Pull cluster.
type AgentStatus struct {
	// Version of the kurator-agent.
	// +optional
	Version string `json:"version,omitempty"`

	// ClusterID identifies the member the agent runs in: the UID of its
	// kube-system namespace, recorded at registration. An agent reporting
	// another is refused.
	// +optional
	ClusterID string `json:"clusterID,omitempty"`

	// HeartbeatInterval is how often the agent renews its Lease.
	// +optional
	HeartbeatInterval *metav1.Duration `json:"heartbeatInterval,omitempty"`

	// LastHeartbeatTime is the agent's last Lease renewal the hub saw.
	// +optional
	LastHeartbeatTime *metav1.Time `json:"lastHeartbeatTime,omitempty"`

	// CertificateNotAfter is when the agent's client certificate expires;
	// the agent renews it before.
	// +optional
	CertificateNotAfter *metav1.Time `json:"certificateNotAfter,omitempty"`
}

// APIEnablement lists the resources of one group/version a cluster serves.
type APIEnablement struct {
	// GroupVersion such as "apps/v1" or "v1".
	GroupVersion string `json:"groupVersion"`

	// Resources served in that group/version.
	// +optional
	Resources []APIResource `json:"resources,omitempty"`
}

// APIResource is one served resource.
type APIResource struct {
	// Name is the plural resource name, such as "deployments".
	Name string `json:"name"`

	// Kind is the resource's kind, such as "Deployment".
	Kind string `json:"kind"`
}

// MaxListedNodes and MaxListedPodIssues bound the lists in the status, so
// a cluster of thousands of nodes or pods keeps a small object.
const (
	MaxListedNodes     = 100
	MaxListedPodIssues = 20
)

// NodeStatus is one node as the hub last saw it.
type NodeStatus struct {
	// Name is the node's name.
	Name string `json:"name"`

	// Ready is the node's Ready condition.
	// +optional
	Ready bool `json:"ready,omitempty"`

	// Reason says why the node is not Ready (the condition's reason and
	// message).
	// +optional
	Reason string `json:"reason,omitempty"`

	// Unschedulable is set on cordoned nodes.
	// +optional
	Unschedulable bool `json:"unschedulable,omitempty"`

	// Allocatable holds the node's cpu, memory and pods.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`
}

// PodSummary counts pods.
type PodSummary struct {
	// Total counts the pods that have not succeeded.
	// +optional
	Total int32 `json:"total,omitempty"`

	// Running counts the pods in phase Running.
	// +optional
	Running int32 `json:"running,omitempty"`

	// Pending counts the pods waiting to be scheduled or to start.
	// +optional
	Pending int32 `json:"pending,omitempty"`

	// Failed counts pods in phase Failed and pods with a container that
	// cannot start (CrashLoopBackOff, ImagePullBackOff, ...).
	// +optional
	Failed int32 `json:"failed,omitempty"`

	// Issues names failed pods, at most MaxListedPodIssues of them.
	// +optional
	// +listType=atomic
	Issues []PodIssue `json:"issues,omitempty"`
}

// PodIssue is a pod that failed or cannot start.
type PodIssue struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Reason is the phase reason or the waiting container's reason.
	Reason string `json:"reason"`
	// +optional
	Message string `json:"message,omitempty"`
}

// NodeSummary counts nodes.
type NodeSummary struct {
	// TotalNum is the number of nodes.
	// +optional
	TotalNum int32 `json:"totalNum,omitempty"`

	// ReadyNum is the number of Ready nodes.
	// +optional
	ReadyNum int32 `json:"readyNum,omitempty"`
}

// ResourceSummary sums resources over the cluster's nodes.
type ResourceSummary struct {
	// Allocatable is the sum of the nodes' allocatable resources.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`

	// Allocating is what pending (not yet scheduled) pods request.
	// +optional
	Allocating corev1.ResourceList `json:"allocating,omitempty"`

	// Allocated is what scheduled pods request.
	// +optional
	Allocated corev1.ResourceList `json:"allocated,omitempty"`
}

// Condition types and reasons of an AttachedCluster.
const (
	// ConditionReady is True when the cluster's API server answers /readyz.
	ConditionReady = "Ready"

	ReasonClusterReady       = "ClusterReady"
	ReasonClusterNotReady    = "ClusterNotReady"
	ReasonClusterUnreachable = "ClusterUnreachable"
	ReasonKubeconfigInvalid  = "KubeconfigInvalid"
)

// Taint keys put on clusters that are not Ready (Ready=False: not-ready;
// Unknown: unreachable), each with both effects: NoSchedule keeps new work
// away, NoExecute evicts what does not tolerate it (failover).
const (
	TaintClusterNotReady    = "cluster.kurator.dev/not-ready"
	TaintClusterUnreachable = "cluster.kurator.dev/unreachable"
)

// karmadaTaintKeys are Karmada's names for the readiness taints.
var karmadaTaintKeys = map[string]string{
	"cluster.karmada.io/not-ready":   TaintClusterNotReady,
	"cluster.karmada.io/unreachable": TaintClusterUnreachable,
}

// CanonicalTaintKey maps Karmada's readiness taint keys to Kurator's, so that
// tolerations written for Karmada keep working; other keys are returned as is.
func CanonicalTaintKey(key string) string {
	if k, ok := karmadaTaintKeys[key]; ok {
		return k
	}
	return key
}

// Label keys the helpers fall back to when the matching spec field is empty.
const (
	LabelProvider = "provider"
	LabelRegion   = "region"
	LabelZone     = "zone"
)

// Registry is an OCI registry clusters pull from.
type Registry struct {
	// Host of the registry, host[:port], optionally with a path prefix
	// under which repositories are copied (registry.example.com/plant-1).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$`
	Host string `json:"host"`

	// Insecure: the registry speaks plain HTTP (a loopback registry).
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// SecretRef names a Secret (in the cluster's namespace) with the
	// username and password to push with.
	// +optional
	SecretRef string `json:"secretRef,omitempty"`
}

// Price is the hourly price of a cluster's capacity, as decimals in one
// currency.
type Price struct {
	// CPUHour is the price of one CPU core for an hour ("0.031").
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +optional
	CPUHour string `json:"cpuHour,omitempty"`

	// MemoryGiBHour is the price of one GiB of memory for an hour ("0.004").
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +optional
	MemoryGiBHour string `json:"memoryGiBHour,omitempty"`

	// Currency of the prices. Default USD.
	// +optional
	Currency string `json:"currency,omitempty"`
}
