package v1alpha1

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rb,categories=kurator
// +kubebuilder:printcolumn:name="Scheduled",type=string,JSONPath=`.status.conditions[?(@.type=="Scheduled")].status`
// +kubebuilder:printcolumn:name="FullyApplied",type=string,JSONPath=`.status.conditions[?(@.type=="FullyApplied")].status`
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.resource.kind`,priority=1
// +kubebuilder:printcolumn:name="Resource",type=string,JSONPath=`.spec.resource.name`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ResourceBinding binds one namespaced resource template to the clusters it
// was scheduled to. It lives in the template's namespace.
type ResourceBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ResourceBindingSpec   `json:"spec"`
	Status ResourceBindingStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ResourceBindingList is a list of ResourceBinding.
type ResourceBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ResourceBinding `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=crb,categories=kurator
// +kubebuilder:printcolumn:name="Scheduled",type=string,JSONPath=`.status.conditions[?(@.type=="Scheduled")].status`
// +kubebuilder:printcolumn:name="FullyApplied",type=string,JSONPath=`.status.conditions[?(@.type=="FullyApplied")].status`
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.resource.kind`,priority=1
// +kubebuilder:printcolumn:name="Resource",type=string,JSONPath=`.spec.resource.name`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ClusterResourceBinding is the ResourceBinding of a cluster-scoped resource
// template (Namespace, ClusterRole, CRD, ...).
type ClusterResourceBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ResourceBindingSpec   `json:"spec"`
	Status ResourceBindingStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterResourceBindingList is a list of ClusterResourceBinding.
type ClusterResourceBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterResourceBinding `json:"items"`
}

// ResourceBindingSpec is the resource, what it needs, where it may go and
// where it was placed.
type ResourceBindingSpec struct {
	// Resource is the template this binding is for.
	Resource ObjectReference `json:"resource"`

	// Replicas wanted by the template (0 for resources without replicas).
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ReplicaRequirements is what one replica requests.
	// +optional
	ReplicaRequirements *ReplicaRequirements `json:"replicaRequirements,omitempty"`

	// Placement is a copy of the winning policy's placement.
	// +optional
	Placement *policyv1alpha1.Placement `json:"placement,omitempty"`

	// Failover is a copy of the winning policy's failover behaviour.
	// +optional
	Failover *policyv1alpha1.FailoverBehavior `json:"failover,omitempty"`

	// Clusters is the scheduling result: target clusters and their replicas.
	// A cluster appears at most once (a list map keyed by name).
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []TargetCluster `json:"clusters,omitempty"`

	// GracefulEvictionTasks are clusters the resource is leaving: their old
	// objects are kept until the new placement is healthy or the grace period
	// ends.
	// +optional
	GracefulEvictionTasks []GracefulEvictionTask `json:"gracefulEvictionTasks,omitempty"`

	// RescheduleTriggeredAt requests a fresh (not steady) schedule when it is
	// later than status.lastScheduledTime.
	// +optional
	RescheduleTriggeredAt *metav1.Time `json:"rescheduleTriggeredAt,omitempty"`

	// Policy is the policy that claimed the resource.
	// +optional
	Policy *PolicyReference `json:"policy,omitempty"`
}

// ObjectReference identifies a resource template and the version of it that
// was bound.
type ObjectReference struct {
	// APIVersion of the template, such as "apps/v1".
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`

	// Kind of the template.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`

	// Namespace of the template; empty for cluster-scoped templates.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name of the template.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// UID of the template.
	// +optional
	UID types.UID `json:"uid,omitempty"`

	// ResourceVersion of the template that was bound.
	// +optional
	ResourceVersion string `json:"resourceVersion,omitempty"`

	// Generation of the template that was bound.
	// +optional
	Generation int64 `json:"generation,omitempty"`
}

// ReplicaRequirements is what one replica requests.
type ReplicaRequirements struct {
	// ResourceRequest per replica (cpu, memory, ...).
	// +optional
	ResourceRequest corev1.ResourceList `json:"resourceRequest,omitempty"`
}

// TargetCluster is one cluster of a scheduling result.
type TargetCluster struct {
	// Name of the cluster.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Replicas assigned to the cluster (0 for resources without replicas).
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
}

// GracefulEvictionTask is a cluster a resource is being evicted from.
type GracefulEvictionTask struct {
	// FromCluster is the cluster being left.
	// +kubebuilder:validation:MinLength=1
	FromCluster string `json:"fromCluster"`

	// Replicas the resource had there, if it has replicas.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Reason is a machine-readable cause, such as "TaintUntolerated" or
	// "ApplicationFailure".
	// +kubebuilder:validation:MinLength=1
	Reason string `json:"reason"`

	// Message explains the eviction to a human.
	// +optional
	Message string `json:"message,omitempty"`

	// Producer is the controller that created the task.
	// +kubebuilder:validation:MinLength=1
	Producer string `json:"producer"`

	// PurgeMode is how the old objects are removed.
	// +optional
	PurgeMode policyv1alpha1.PurgeMode `json:"purgeMode,omitempty"`

	// GracePeriodSeconds is the longest the old objects are kept.
	// +optional
	GracePeriodSeconds *int32 `json:"gracePeriodSeconds,omitempty"`

	// SuppressDeletion keeps the old objects until it is set to false.
	// +optional
	SuppressDeletion *bool `json:"suppressDeletion,omitempty"`

	// CreationTimestamp is when the task was created; the grace period counts
	// from it.
	// +optional
	CreationTimestamp *metav1.Time `json:"creationTimestamp,omitempty"`
}

// PolicyReference names the policy that claimed a resource.
type PolicyReference struct {
	// Kind: PropagationPolicy or ClusterPropagationPolicy.
	// +kubebuilder:validation:Enum=PropagationPolicy;ClusterPropagationPolicy
	Kind string `json:"kind"`

	// Namespace of a PropagationPolicy; empty for ClusterPropagationPolicy.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name of the policy.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// ResourceBindingStatus is the scheduler's and the members' report.
type ResourceBindingStatus struct {
	// SchedulerObservedGeneration is the binding generation last scheduled.
	// +optional
	SchedulerObservedGeneration int64 `json:"schedulerObservedGeneration,omitempty"`

	// SchedulerObservedAffinityName is the clusterAffinities term the last
	// schedule used.
	// +optional
	SchedulerObservedAffinityName string `json:"schedulerObservedAffinityName,omitempty"`

	// LastScheduledTime is when the binding was last scheduled successfully.
	// +optional
	LastScheduledTime *metav1.Time `json:"lastScheduledTime,omitempty"`

	// Conditions: Scheduled, WorksRendered, FullyApplied and Failover.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// AggregatedStatus holds one item per target cluster.
	// +optional
	AggregatedStatus []AggregatedStatusItem `json:"aggregatedStatus,omitempty"`

	// AppliedOverrides lists the override policies that select the resource,
	// in the order they are applied, as of the last render.
	// +optional
	AppliedOverrides []OverrideReference `json:"appliedOverrides,omitempty"`
}

// OverrideReference names an OverridePolicy, ClusterOverridePolicy or StorageAdaptation.
type OverrideReference struct {
	// Kind: OverridePolicy, ClusterOverridePolicy or StorageAdaptation.
	Kind string `json:"kind"`
	// Namespace of an OverridePolicy; empty for ClusterOverridePolicy.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// AggregatedStatusItem is the state of the resource in one member cluster.
type AggregatedStatusItem struct {
	// ClusterName is the member cluster.
	// +kubebuilder:validation:MinLength=1
	ClusterName string `json:"clusterName"`

	// Status is the member object's status, as the member reports it.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Status *runtime.RawExtension `json:"status,omitempty"`

	// Applied says whether the object was applied to the member.
	// +optional
	Applied bool `json:"applied,omitempty"`

	// AppliedMessage says why applying failed.
	// +optional
	AppliedMessage string `json:"appliedMessage,omitempty"`

	// Health of the object in the member.
	// +optional
	Health ResourceHealth `json:"health,omitempty"`
}

// ResourceHealth is the health of an object in a member cluster.
// +kubebuilder:validation:Enum=Healthy;Unhealthy;Unknown
type ResourceHealth string

// Health values.
const (
	ResourceHealthy       ResourceHealth = "Healthy"
	ResourceUnhealthy     ResourceHealth = "Unhealthy"
	ResourceUnknownHealth ResourceHealth = "Unknown"
)

// Condition types and reasons of a binding.
const (
	// ConditionScheduled is True when the binding has a scheduling result
	// for its current generation.
	ConditionScheduled = "Scheduled"
	// ConditionFullyApplied is True when every target cluster applied its Work.
	ConditionFullyApplied = "FullyApplied"

	// ConditionFailover is True while the binding is leaving a cluster
	// (graceful eviction tasks), False when a needed eviction is held back,
	// and False with reason FailoverCompleted after the last one finished.
	ConditionFailover = "Failover"

	ReasonSuccess         = "Success"
	ReasonNoClusterFit    = "NoClusterFit"
	ReasonSchedulerError  = "SchedulerError"
	ReasonFullyApplied    = "FullyAppliedSuccess"
	ReasonNotFullyApplied = "FullyAppliedFailed"
)

// Producers and reasons of graceful eviction tasks.
const (
	EvictionProducerTaintManager       = "TaintManager"
	EvictionProducerApplicationFailure = "ApplicationFailover"
	EvictionReasonTaintUntolerated     = "TaintUntolerated"
	EvictionReasonApplicationFailure   = "ApplicationFailure"
)

// TargetClusterNames returns the names in spec.clusters, in order.
func (s *ResourceBindingSpec) TargetClusterNames() []string {
	out := make([]string, 0, len(s.Clusters))
	for _, c := range s.Clusters {
		out = append(out, c.Name)
	}
	return out
}

// TargetContains reports whether spec.clusters lists the cluster.
func (s *ResourceBindingSpec) TargetContains(cluster string) bool {
	for _, c := range s.Clusters {
		if c.Name == cluster {
			return true
		}
	}
	return false
}

// AssignedReplicas sums the replicas in spec.clusters.
func (s *ResourceBindingSpec) AssignedReplicas() int32 {
	var n int32
	for _, c := range s.Clusters {
		n += c.Replicas
	}
	return n
}

// ReplicasIn returns the replicas assigned to the cluster (0 if not a target).
func (s *ResourceBindingSpec) ReplicasIn(cluster string) int32 {
	for _, c := range s.Clusters {
		if c.Name == cluster {
			return c.Replicas
		}
	}
	return 0
}

// EvictingFrom reports whether a graceful eviction task leaves the cluster.
func (s *ResourceBindingSpec) EvictingFrom(cluster string) bool {
	for _, t := range s.GracefulEvictionTasks {
		if t.FromCluster == cluster {
			return true
		}
	}
	return false
}

// IsScheduled reports whether the Scheduled condition is True.
func (s *ResourceBindingStatus) IsScheduled() bool {
	return meta.IsStatusConditionTrue(s.Conditions, ConditionScheduled)
}

// BindingParts returns the spec and status of a ResourceBinding or a
// ClusterResourceBinding, which share both types. Any other object is a
// programming error and panics.
func BindingParts(obj runtime.Object) (*ResourceBindingSpec, *ResourceBindingStatus) {
	switch b := obj.(type) {
	case *ResourceBinding:
		return &b.Spec, &b.Status
	case *ClusterResourceBinding:
		return &b.Spec, &b.Status
	}
	panic(fmt.Sprintf("%T is not a ResourceBinding or ClusterResourceBinding", obj))
}
