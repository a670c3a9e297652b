package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced

// ClusterProfile describes one cluster of a multi-cluster inventory: who
// manages it, whether its control plane is healthy, its Kubernetes version
// and a list of named properties. The cluster manager writes it; consumers
// only read it.
type ClusterProfile struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ClusterProfileSpec `json:"spec"`

	// +optional
	Status ClusterProfileStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProfileList is a list of ClusterProfile.
type ClusterProfileList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProfile `json:"items"`
}

// ClusterProfileSpec is what the cluster manager declares about the profile.
type ClusterProfileSpec struct {
	// DisplayName is a human-readable name of the cluster.
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// ClusterManager names the cluster manager that owns this profile.
	// +required
	ClusterManager ClusterManager `json:"clusterManager"`
}

// ClusterManager names the system that administers the cluster (Kurator,
// Open Cluster Management, Karmada, ...). It cannot change after creation;
// the manager also puts its name in the LabelClusterManagerKey label so
// consumers can select its profiles.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="ClusterManager is immutable"
type ClusterManager struct {
	// Name of the cluster manager.
	// +required
	Name string `json:"name"`
}

// ClusterProfileStatus is what the cluster manager observed of the cluster.
type ClusterProfileStatus struct {
	// Conditions of the cluster; ControlPlaneHealthy says whether its API
	// server is healthy.
	// +optional
	Conditions []metav1.Condition `json:"conditions"`

	// Version is the cluster's version information.
	// +optional
	Version ClusterVersion `json:"version,omitempty"`

	// Properties are named facts about the cluster: ClusterProperty objects
	// of the cluster (KEP-2149, such as cluster.clusterset.k8s.io) and
	// properties the cluster manager defines.
	// +optional
	Properties []Property `json:"properties,omitempty"`

	// CredentialProviders lists ways to reach the cluster.
	// Deprecated: use AccessProviders. When both name the same provider the
	// one in AccessProviders wins.
	// +optional
	CredentialProviders []CredentialProvider `json:"credentialProviders,omitempty"`

	// AccessProviders lists ways a consumer can reach the cluster: a
	// provider name the consumer is configured with, and the cluster's
	// connection details (server, CA) without credentials.
	// +optional
	AccessProviders []AccessProvider `json:"accessProviders,omitempty"`
}

// AccessProvider is one way to reach the cluster: Name identifies the kind
// of access (for example "kubeconfig" or "oidc") and Cluster holds the
// connection details a client needs besides credentials.
type AccessProvider struct {
	Name    string              `json:"name"`
	Cluster clientcmdv1.Cluster `json:"cluster,omitempty"`
}

// CredentialProvider is the former name of AccessProvider.
type CredentialProvider = AccessProvider

// ClusterVersion is the version information of a cluster.
type ClusterVersion struct {
	// Kubernetes is the cluster's Kubernetes version, as its API server
	// reports it (for example v1.37.2).
	// +optional
	Kubernetes string `json:"kubernetes,omitempty"`
}

// Property is one named fact about the cluster and when it was last seen.
type Property struct {
	// Name is a well-known property name (a ClusterProperty's name) or one
	// the cluster manager defines.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:MinLength=1
	// +required
	Name string `json:"name"`

	// Value of the property.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:MinLength=1
	// +required
	Value string `json:"value"`

	// LastObservedTime is when the property was last observed on the
	// cluster (not when the profile was written).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	// +optional
	LastObservedTime metav1.Time `json:"lastObservedTime,omitempty"`
}

// ClusterConditionControlPlaneHealthy is True when the cluster's control
// plane is healthy, False when it is not, Unknown when the manager cannot
// tell.
const ClusterConditionControlPlaneHealthy = "ControlPlaneHealthy"

// ClusterConditionJoined is True when the cluster is a member of the
// manager's inventory and the manager has reached it.
const ClusterConditionJoined = "Joined"

// Labels of the inventory API.
const (
	// LabelClusterManagerKey carries the name of the cluster manager that
	// owns a ClusterProfile (the same as spec.clusterManager.name), so
	// consumers can select one manager's profiles.
	LabelClusterManagerKey = "x-k8s.io/cluster-manager"

	// LabelClusterSetKey, on a namespace, names the ClusterSet whose
	// ClusterProfiles the namespace holds.
	LabelClusterSetKey = "multicluster.x-k8s.io/clusterset"
)

// Well-known ClusterProperty names (KEP-2149, about.k8s.io).
const (
	// PropertyClusterID is the cluster's unique id within its ClusterSet.
	PropertyClusterID = "cluster.clusterset.k8s.io"
	// PropertyClusterSet names the ClusterSet the cluster belongs to.
	PropertyClusterSet = "clusterset.k8s.io"
)
