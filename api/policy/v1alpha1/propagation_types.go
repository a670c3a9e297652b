package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=pp,categories=kurator
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Claimed",type=integer,JSONPath=`.status.claimedResources`
// +kubebuilder:printcolumn:name="Priority",type=integer,JSONPath=`.spec.priority`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// PropagationPolicy says which namespaced resources go to which member clusters
// and how their replicas are divided. Field names and semantics follow Karmada's
// policy.karmada.io/v1alpha1 so that Karmada YAML applies unchanged.
type PropagationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PropagationSpec `json:"spec"`
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PropagationPolicyList is a list of PropagationPolicy.
type PropagationPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PropagationPolicy `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cpp,categories=kurator
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Claimed",type=integer,JSONPath=`.status.claimedResources`
// +kubebuilder:printcolumn:name="Priority",type=integer,JSONPath=`.spec.priority`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ClusterPropagationPolicy is the cluster-scoped PropagationPolicy: it may select
// cluster-scoped resources and resources in any namespace. A namespaced
// PropagationPolicy that matches a resource always wins over it.
type ClusterPropagationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PropagationSpec `json:"spec"`
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterPropagationPolicyList is a list of ClusterPropagationPolicy.
type ClusterPropagationPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterPropagationPolicy `json:"items"`
}

// PropagationSpec is the shared spec of PropagationPolicy and ClusterPropagationPolicy.
type PropagationSpec struct {
	// ResourceSelectors select the resource templates this policy propagates.
	// +kubebuilder:validation:MinItems=1
	ResourceSelectors []ResourceSelector `json:"resourceSelectors"`

	// PropagateDeps also propagates the resources the selected ones depend on
	// (ConfigMaps, Secrets, ServiceAccounts, PVCs referenced by pod templates).
	// +optional
	PropagateDeps bool `json:"propagateDeps,omitempty"`

	// Placement says where the resources go.
	// +optional
	Placement Placement `json:"placement,omitempty"`

	// Priority decides between several policies that match one resource:
	// the higher explicit priority wins.
	// +kubebuilder:default=0
	// +optional
	Priority *int32 `json:"priority,omitempty"`

	// Preemption lets this policy take resources already claimed by a policy of
	// lower priority.
	// +kubebuilder:validation:Enum=Always;Never
	// +kubebuilder:default=Never
	// +optional
	Preemption PreemptionBehavior `json:"preemption,omitempty"`

	// DependentOverrides names OverridePolicies that must exist before the
	// resources are propagated.
	// +optional
	DependentOverrides []string `json:"dependentOverrides,omitempty"`

	// SchedulerName is the scheduler that places the resources.
	// +kubebuilder:default=default-scheduler
	// +optional
	SchedulerName string `json:"schedulerName,omitempty"`

	// Failover says how the resources move when a cluster or the application fails.
	// +optional
	Failover *FailoverBehavior `json:"failover,omitempty"`

	// ConflictResolution says what to do when the resource already exists in a
	// member cluster: Abort (default) or Overwrite.
	// +kubebuilder:validation:Enum=Abort;Overwrite
	// +kubebuilder:default=Abort
	// +optional
	ConflictResolution ConflictResolution `json:"conflictResolution,omitempty"`

	// ActivationPreference: Lazy means policy changes only apply when the
	// resource template itself changes.
	// +kubebuilder:validation:Enum="";Lazy
	// +optional
	ActivationPreference ActivationPreference `json:"activationPreference,omitempty"`

	// Suspension pauses dispatching to member clusters.
	// +optional
	Suspension *Suspension `json:"suspension,omitempty"`

	// PreserveResourcesOnDeletion keeps the propagated objects in the members
	// when the template is deleted from the hub.
	// +optional
	PreserveResourcesOnDeletion *bool `json:"preserveResourcesOnDeletion,omitempty"`
}

// ResourceSelector selects resource templates by type and by name or labels.
type ResourceSelector struct {
	// APIVersion of the target resources.
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`

	// Kind of the target resources.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`

	// Namespace of the target resources. Empty in a PropagationPolicy means the
	// policy's own namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name of the target resource. When set, LabelSelector is ignored.
	// +optional
	Name string `json:"name,omitempty"`

	// LabelSelector over the target resources' labels.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
}

// Placement describes the target clusters and how replicas are spread.
// +kubebuilder:validation:XValidation:rule="!(has(self.clusterAffinity) && has(self.clusterAffinities))",message="placement.clusterAffinity and placement.clusterAffinities are mutually exclusive; keep clusterAffinity for one term or move it into clusterAffinities as an ordered fallback term"
type Placement struct {
	// ClusterAffinity restricts the candidate clusters.
	// +optional
	ClusterAffinity *ClusterAffinity `json:"clusterAffinity,omitempty"`

	// ClusterAffinities are ordered alternative affinity terms: the scheduler
	// uses the first term that yields a schedulable result.
	// Mutually exclusive with ClusterAffinity.
	// +optional
	ClusterAffinities []ClusterAffinityTerm `json:"clusterAffinities,omitempty"`

	// ClusterTolerations tolerate cluster taints.
	// +optional
	ClusterTolerations []corev1.Toleration `json:"clusterTolerations,omitempty"`

	// Tolerations is accepted as an alias of ClusterTolerations (the seed
	// documents write it); both lists are honoured.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// SpreadConstraints spread the resources over groups of clusters.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	SpreadConstraints []SpreadConstraint `json:"spreadConstraints,omitempty"`

	// ReplicaScheduling says how replicas are assigned to the selected clusters.
	// Nil means Duplicated.
	// +optional
	ReplicaScheduling *ReplicaSchedulingStrategy `json:"replicaScheduling,omitempty"`
}

// AllTolerations returns ClusterTolerations followed by the Tolerations alias.
func (p *Placement) AllTolerations() []corev1.Toleration {
	if len(p.Tolerations) == 0 {
		return p.ClusterTolerations
	}
	out := make([]corev1.Toleration, 0, len(p.ClusterTolerations)+len(p.Tolerations))
	out = append(out, p.ClusterTolerations...)
	return append(out, p.Tolerations...)
}

// ClusterAffinity selects clusters by name, labels and fields. All given
// conditions must hold.
type ClusterAffinity struct {
	// LabelSelector over cluster labels.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// FieldSelector over the cluster fields provider, region and zone.
	// +optional
	FieldSelector *FieldSelector `json:"fieldSelector,omitempty"`

	// ClusterNames lists the allowed clusters; empty means any.
	// +optional
	ClusterNames []string `json:"clusterNames,omitempty"`

	// Exclude lists clusters that are never selected.
	// +optional
	Exclude []string `json:"exclude,omitempty"`
}

// ClusterAffinityTerm is one named alternative of Placement.ClusterAffinities.
type ClusterAffinityTerm struct {
	// AffinityName identifies the term; recorded in the binding's status.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	AffinityName string `json:"affinityName"`

	ClusterAffinity `json:",inline"`
}

// FieldSelector selects clusters by fields.
type FieldSelector struct {
	// MatchExpressions over the keys provider, region and zone.
	MatchExpressions []corev1.NodeSelectorRequirement `json:"matchExpressions,omitempty"`
}

// Field names a FieldSelector and a SpreadConstraint may use.
const (
	ProviderField = "provider"
	RegionField   = "region"
	ZoneField     = "zone"
)

// SpreadFieldValue is a cluster field replicas may be spread over.
// +kubebuilder:validation:Enum=cluster;region;zone;provider
type SpreadFieldValue string

// The fields a SpreadConstraint can spread by.
const (
	SpreadByFieldCluster  SpreadFieldValue = "cluster"
	SpreadByFieldRegion   SpreadFieldValue = "region"
	SpreadByFieldZone     SpreadFieldValue = "zone"
	SpreadByFieldProvider SpreadFieldValue = "provider"
)

// SpreadConstraint spreads resources over groups of clusters: groups are the
// distinct values of a field or a label.
// +kubebuilder:validation:XValidation:rule="!(has(self.spreadByField) && has(self.spreadByLabel))",message="spreadConstraints[]: spreadByField and spreadByLabel are mutually exclusive; set only one of them"
// +kubebuilder:validation:XValidation:rule="!has(self.maxGroups) || self.maxGroups == 0 || !has(self.minGroups) || self.maxGroups >= self.minGroups",message="spreadConstraints[].maxGroups must be greater than or equal to minGroups; raise maxGroups, lower minGroups or set maxGroups to 0 for no limit"
type SpreadConstraint struct {
	// SpreadByField groups clusters by a field. Neither field nor label means
	// cluster.
	// +optional
	SpreadByField SpreadFieldValue `json:"spreadByField,omitempty"`

	// SpreadByLabel groups clusters by the value of this label.
	// +optional
	SpreadByLabel string `json:"spreadByLabel,omitempty"`

	// MaxGroups is the most groups to select (0 means no limit).
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxGroups int `json:"maxGroups,omitempty"`

	// MinGroups is the fewest groups to select (default 1).
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinGroups int `json:"minGroups,omitempty"`

	// MaxSkew bounds the difference between the replica totals of the selected
	// groups after division, where capacity allows. Not in Karmada; the seed
	// documents use it and Kurator implements it.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxSkew *int32 `json:"maxSkew,omitempty"`
}

// ReplicaSchedulingType says whether replicas are duplicated or divided.
// +kubebuilder:validation:Enum=Duplicated;Divided
type ReplicaSchedulingType string

// ReplicaDivisionPreference says how Divided replicas are divided.
// +kubebuilder:validation:Enum=Aggregated;Weighted
type ReplicaDivisionPreference string

// DynamicWeightFactor is where dynamic weights come from.
// +kubebuilder:validation:Enum=AvailableReplicas
type DynamicWeightFactor string

// Replica scheduling values.
const (
	ReplicaSchedulingTypeDuplicated     ReplicaSchedulingType     = "Duplicated"
	ReplicaSchedulingTypeDivided        ReplicaSchedulingType     = "Divided"
	ReplicaDivisionPreferenceAggregated ReplicaDivisionPreference = "Aggregated"
	ReplicaDivisionPreferenceWeighted   ReplicaDivisionPreference = "Weighted"
	DynamicWeightByAvailableReplicas    DynamicWeightFactor       = "AvailableReplicas"
)

// ReplicaSchedulingStrategy says how replicas are assigned to clusters.
type ReplicaSchedulingStrategy struct {
	// ReplicaSchedulingType: Duplicated gives every cluster all replicas;
	// Divided splits them.
	// +kubebuilder:default=Divided
	// +optional
	ReplicaSchedulingType ReplicaSchedulingType `json:"replicaSchedulingType,omitempty"`

	// ReplicaDivisionPreference applies when Divided; default Weighted.
	// +optional
	ReplicaDivisionPreference ReplicaDivisionPreference `json:"replicaDivisionPreference,omitempty"`

	// WeightPreference gives the weights when Weighted.
	// +optional
	WeightPreference *ClusterPreferences `json:"weightPreference,omitempty"`
}

// ClusterPreferences gives cluster weights, static or dynamic.
type ClusterPreferences struct {
	// StaticWeightList gives fixed weights to clusters.
	// +optional
	StaticWeightList []StaticClusterWeight `json:"staticWeightList,omitempty"`

	// DynamicWeight derives weights from the clusters' state; it overrides
	// StaticWeightList.
	// +optional
	DynamicWeight DynamicWeightFactor `json:"dynamicWeight,omitempty"`
}

// StaticClusterWeight gives a weight to the clusters an affinity selects.
type StaticClusterWeight struct {
	// TargetCluster selects the clusters this weight applies to.
	TargetCluster ClusterAffinity `json:"targetCluster"`

	// Weight of the selected clusters.
	// +kubebuilder:validation:Minimum=1
	Weight int64 `json:"weight"`
}

// PreemptionBehavior says whether a policy may take claimed resources.
type PreemptionBehavior string

// Preemption values.
const (
	PreemptAlways PreemptionBehavior = "Always"
	PreemptNever  PreemptionBehavior = "Never"
)

// ConflictResolution says what to do when the object already exists in a member.
type ConflictResolution string

// Conflict resolution values.
const (
	ConflictOverwrite ConflictResolution = "Overwrite"
	ConflictAbort     ConflictResolution = "Abort"
)

// ActivationPreference says when policy changes take effect.
type ActivationPreference string

// LazyActivation applies policy changes only when the template changes.
const LazyActivation ActivationPreference = "Lazy"

// Suspension pauses work.
type Suspension struct {
	// Dispatching pauses dispatching to every member cluster.
	// +optional
	Dispatching *bool `json:"dispatching,omitempty"`
}

// FailoverBehavior says how resources move on failure.
type FailoverBehavior struct {
	// Application failover moves replicas away from a cluster where the
	// application stays unhealthy.
	// +optional
	Application *ApplicationFailoverBehavior `json:"application,omitempty"`

	// Cluster failover moves replicas away from a failed cluster.
	// +optional
	Cluster *ClusterFailoverBehavior `json:"cluster,omitempty"`
}

// PurgeMode says how a workload leaves the cluster it is evicted from.
// Immediately and Graciously are the older names of Directly and Gracefully.
// +kubebuilder:validation:Enum=Directly;Gracefully;Never;Immediately;Graciously
type PurgeMode string

// Purge modes.
const (
	PurgeDirectly    PurgeMode = "Directly"
	PurgeGracefully  PurgeMode = "Gracefully"
	PurgeNever       PurgeMode = "Never"
	PurgeImmediately PurgeMode = "Immediately"
	PurgeGraciously  PurgeMode = "Graciously"
)

// ApplicationFailoverBehavior configures application failover.
type ApplicationFailoverBehavior struct {
	// DecisionConditions decide when the application counts as failed.
	DecisionConditions DecisionConditions `json:"decisionConditions"`

	// PurgeMode: how the old cluster's objects are removed.
	// +kubebuilder:default=Gracefully
	// +optional
	PurgeMode PurgeMode `json:"purgeMode,omitempty"`

	// GracePeriodSeconds is the longest the old objects are kept with Gracefully.
	// +kubebuilder:validation:Minimum=1
	// +optional
	GracePeriodSeconds *int32 `json:"gracePeriodSeconds,omitempty"`

	// StatePreservation carries state from the failed cluster to the new one.
	// +optional
	StatePreservation *StatePreservation `json:"statePreservation,omitempty"`
}

// DecisionConditions decide when to fail over.
type DecisionConditions struct {
	// TolerationSeconds is how long the application may stay unhealthy.
	// +kubebuilder:default=300
	// +kubebuilder:validation:Minimum=0
	// +optional
	TolerationSeconds *int32 `json:"tolerationSeconds,omitempty"`
}

// ClusterFailoverBehavior configures cluster failover.
type ClusterFailoverBehavior struct {
	// PurgeMode: how the failed cluster's objects are removed.
	// +kubebuilder:default=Gracefully
	// +optional
	PurgeMode PurgeMode `json:"purgeMode,omitempty"`

	// StatePreservation carries state from the failed cluster to the new one.
	// +optional
	StatePreservation *StatePreservation `json:"statePreservation,omitempty"`
}

// StatePreservation lists values to carry over on failover.
type StatePreservation struct {
	// Rules map JSONPaths of the old status to labels on the new object.
	// +kubebuilder:validation:MinItems=1
	Rules []StatePreservationRule `json:"rules"`
}

// StatePreservationRule maps one status value to a label.
type StatePreservationRule struct {
	// AliasLabelName is the label that receives the value.
	AliasLabelName string `json:"aliasLabelName"`
	// JSONPath into the old object's status.
	JSONPath string `json:"jsonPath"`
}
