package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas
// +kubebuilder:resource:shortName=np,categories=kurator
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="Pool",type=string,JSONPath=`.spec.poolName`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.status.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Min",type=integer,JSONPath=`.spec.minNodes`,priority=1
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.maxNodes`,priority=1
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.status.provider`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.spec.minNodes <= self.spec.maxNodes",message="spec.minNodes must not exceed spec.maxNodes",fieldPath=".spec.minNodes"
// +kubebuilder:validation:XValidation:rule="self.spec.replicas >= self.spec.minNodes && self.spec.replicas <= self.spec.maxNodes",message="spec.replicas must lie within spec.minNodes and spec.maxNodes",fieldPath=".spec.replicas"

// NodePool is a group of like nodes in one member cluster, grown and shrunk
// by a provider: kwok (the local fleet's fake nodes, created in the member)
// or clusterAPI (a Cluster API MachineDeployment scaled in a management
// cluster). It lives on the hub, next to the cluster's AttachedCluster.
type NodePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   NodePoolSpec   `json:"spec"`
	Status NodePoolStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// NodePoolList is a list of NodePool.
type NodePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodePool `json:"items"`
}

// NodePoolSpec is the pool's size, bounds and node template.
type NodePoolSpec struct {
	// Cluster is the AttachedCluster (in this namespace) the pool's nodes
	// belong to.
	// +kubebuilder:validation:MinLength=1
	Cluster string `json:"cluster"`

	// PoolName is the pool's name within the cluster, as ScalePolicies name
	// it (worker-pool). Nodes carry it in the kurator.dev/node-pool label.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	PoolName string `json:"poolName"`

	// Replicas is the number of nodes wanted.
	// +kubebuilder:validation:Minimum=0
	Replicas int32 `json:"replicas"`

	// MinNodes and MaxNodes bound Replicas.
	// +kubebuilder:validation:Minimum=0
	MinNodes int32 `json:"minNodes"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MaxNodes int32 `json:"maxNodes"`

	// Template describes the nodes the pool adds.
	// +optional
	Template NodeTemplate `json:"template,omitempty"`

	// Provider says who adds and removes the nodes.
	Provider NodePoolProvider `json:"provider"`
}

// NodeTemplate is the shape of a pool's nodes.
type NodeTemplate struct {
	// Labels are set on every node, next to kurator.dev/node-pool.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Taints are set on every node.
	// +optional
	Taints []corev1.Taint `json:"taints,omitempty"`

	// Capacity of each node (cpu, memory, pods). Default 8 CPU, 32Gi, 110
	// pods (kwok only; a real provider's machine type decides).
	// +optional
	Capacity corev1.ResourceList `json:"capacity,omitempty"`
}

// NodePoolProvider names exactly one provider.
// +kubebuilder:validation:XValidation:rule="[has(self.kwok), has(self.clusterAPI)].filter(x, x).size() == 1",message="spec.provider takes exactly one of kwok and clusterAPI"
type NodePoolProvider struct {
	// Kwok creates and deletes kwok-managed fake nodes in the member (the
	// local fleet).
	// +optional
	Kwok *KwokProvider `json:"kwok,omitempty"`

	// ClusterAPI scales a Cluster API MachineDeployment.
	// +optional
	ClusterAPI *ClusterAPIProvider `json:"clusterAPI,omitempty"`
}

// KwokProvider has no settings: nodes are named <cluster>-<pool>-<n>.
type KwokProvider struct{}

// ClusterAPIProvider points at the MachineDeployment that backs the pool.
type ClusterAPIProvider struct {
	// Namespace and Name of the MachineDeployment
	// (cluster.x-k8s.io/v1beta2, or v1beta1 when the management cluster
	// serves only that).
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// KubeconfigSecretRef names a Secret (in the pool's namespace, key
	// "kubeconfig") for the management cluster. Empty: the hub is the
	// management cluster.
	// +optional
	KubeconfigSecretRef *corev1.LocalObjectReference `json:"kubeconfigSecretRef,omitempty"`
}

// NodePoolStatus is what the provider reports.
type NodePoolStatus struct {
	// ObservedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Provider is kwok or clusterAPI.
	// +optional
	Provider string `json:"provider,omitempty"`
	// Replicas is how many nodes exist.
	// +optional
	Replicas int32 `json:"replicas"`
	// ReadyReplicas is how many are Ready.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`
	// Nodes lists the pool's nodes.
	// +optional
	Nodes []PoolNode `json:"nodes,omitempty"`
	// Conditions: Ready (every wanted node exists and is Ready), Scaling.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// PoolNode is one node of a pool.
type PoolNode struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	// Message says why a node is not Ready.
	// +optional
	Message string `json:"message,omitempty"`
}

// NodePoolLabel is the node label naming its pool.
const NodePoolLabel = "kurator.dev/node-pool"

func init() {
	SchemeBuilder.Register(&ScalePolicy{}, &ScalePolicyList{}, &NodePool{}, &NodePoolList{})
}
