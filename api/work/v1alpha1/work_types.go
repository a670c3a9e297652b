package v1alpha1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ExecutionNamespacePrefix starts the hub namespace that holds the Works of
// one member cluster: "kurator-member-<cluster>".
const ExecutionNamespacePrefix = "kurator-member-"

// ExecutionNamespace is the hub namespace holding the Works of a cluster.
func ExecutionNamespace(cluster string) string {
	return ExecutionNamespacePrefix + cluster
}

// ClusterOfExecutionNamespace returns the cluster whose Works a namespace
// holds, and false when the namespace is not an execution namespace.
func ClusterOfExecutionNamespace(namespace string) (string, bool) {
	cluster, ok := strings.CutPrefix(namespace, ExecutionNamespacePrefix)
	if !ok || cluster == "" {
		return "", false
	}
	return cluster, true
}

// BindingFinalizer holds a binding until its Works are deleted. The detector
// sets it when it creates the binding (saving the binding controller a write);
// the binding controller removes it.
const BindingFinalizer = "work.kurator.dev/binding-works"

// ExecutionFinalizer holds a Work until its objects are removed from the
// member. The binding controller sets it when it creates the Work, which
// saves the execution controller one write per Work.
const ExecutionFinalizer = "work.kurator.dev/execution"

// Labels that tie a Work to the binding it was rendered from.
const (
	BindingNamespaceLabel       = "work.kurator.dev/binding-namespace"
	BindingNameLabel            = "work.kurator.dev/binding-name"
	ClusterResourceBindingLabel = "work.kurator.dev/cluster-binding-name"
	ClusterLabel                = "work.kurator.dev/cluster"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wk,categories=kurator
// +kubebuilder:printcolumn:name="Applied",type=string,JSONPath=`.status.conditions[?(@.type=="Applied")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Work holds the manifests to apply to one member cluster. It lives in that
// cluster's execution namespace on the hub (see ExecutionNamespace).
type Work struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkSpec   `json:"spec"`
	Status WorkStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// WorkList is a list of Work.
type WorkList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Work `json:"items"`
}

// WorkSpec is what to apply and whether to apply it now.
type WorkSpec struct {
	// Workload holds the manifests.
	Workload WorkloadTemplate `json:"workload"`

	// SuspendDispatching stops applying the manifests to the member while true.
	// +optional
	SuspendDispatching *bool `json:"suspendDispatching,omitempty"`

	// PreserveResourcesOnDeletion keeps the member objects when the Work is
	// deleted.
	// +optional
	PreserveResourcesOnDeletion *bool `json:"preserveResourcesOnDeletion,omitempty"`
}

// WorkloadTemplate holds complete Kubernetes objects.
type WorkloadTemplate struct {
	// Manifests are the objects to apply, each a complete object with
	// apiVersion, kind and metadata.
	// +optional
	Manifests []runtime.RawExtension `json:"manifests,omitempty"`
}

// WorkStatus is the member's report.
type WorkStatus struct {
	// Conditions: Applied is True when every manifest was applied.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ManifestStatuses hold the status of each applied object, keyed by
	// the manifest's ordinal. Two controllers write them with server-side
	// apply, each owning its fields: execution the identifying fields and
	// the Applied condition (field manager kurator-execution), the status
	// collector each entry's status and health (kurator-status).
	// +listType=map
	// +listMapKey=ordinal
	// +optional
	ManifestStatuses []ManifestStatus `json:"manifestStatuses,omitempty"`
}

// Field managers of status writers: execution writes a push cluster's
// Work status; the status controller a hub template's aggregated status.
const (
	FieldManagerExecution = "kurator-execution"
	FieldManagerStatus    = "kurator-status"
)

// ManifestStatus is the status of one applied object.
type ManifestStatus struct {
	// ResourceIdentifier says which manifest this is; its ordinal is the
	// list's key.
	ResourceIdentifier `json:",inline"`

	// Status is the member object's status.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Status *runtime.RawExtension `json:"status,omitempty"`

	// Health of the member object.
	// +optional
	Health ResourceHealth `json:"health,omitempty"`
}

// ResourceIdentifier identifies one manifest of a Work. Only the ordinal
// is required: when execution drops a manifest, its entry keeps the status
// collector's fields (without kind and name) until the collector, which
// skips such entries, lets go of it too.
type ResourceIdentifier struct {
	// Ordinal is the manifest's index in spec.workload.manifests.
	// +kubebuilder:validation:Minimum=0
	Ordinal int `json:"ordinal"`

	// Group of the object ("" for the core group).
	// +optional
	Group string `json:"group,omitempty"`

	// Version of the object.
	// +optional
	Version string `json:"version,omitempty"`

	// Kind of the object.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Namespace of the object; empty for cluster-scoped objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name of the object.
	// +optional
	Name string `json:"name,omitempty"`
}

// Condition types and reasons of a Work.
const (
	// ConditionApplied is True when every manifest was applied.
	ConditionApplied = "Applied"

	ReasonAppliedSuccessful  = "AppliedSuccessful"
	ReasonAppliedFailed      = "AppliedFailed"
	ReasonDispatchSuspended  = "DispatchingSuspended"
	ReasonClusterUnreachable = "ClusterUnreachable"
)

// DispatchingSuspended reports whether spec.suspendDispatching is true.
func (w *Work) DispatchingSuspended() bool {
	return w.Spec.SuspendDispatching != nil && *w.Spec.SuspendDispatching
}
