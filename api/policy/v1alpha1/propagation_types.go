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
//
// The validation markers below make the hub's kube-apiserver refuse what
// Karmada's webhook refuses (and a little more, listed in README); the same
// CRDs back the offline check of `kurator plan` (config/crd/validation).
// +kubebuilder:validation:XValidation:rule="!has(self.preemption) || self.preemption != 'Always' || self.resourceSelectors.all(s, has(s.name) && s.name.size() > 0)",fieldPath=".resourceSelectors",message="with preemption Always every resource selector needs a name (a selector by labels could take resources from other policies); set resourceSelectors[].name or use preemption: Never"
type PropagationSpec struct {
	// ResourceSelectors select the resource templates this policy propagates:
	// at least one, at most 256.
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:XValidation:rule="self.size() > 0",message="list at least one resource to propagate, e.g. {apiVersion: apps/v1, kind: Deployment, name: nginx}"
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
	// APIVersion of the target resources: group/version, or version for the
	// core group (apps/v1, v1).
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-z0-9]+$')",message="apiVersion must be group/version, or version for the core group, e.g. apps/v1 or v1"
	APIVersion string `json:"apiVersion"`

	// Kind of the target resources, e.g. Deployment.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z]([-A-Za-z0-9]*[A-Za-z0-9])?$')",message="kind must be the kind of the resources, e.g. Deployment: a letter, then letters, digits or '-'"
	Kind string `json:"kind"`

	// Namespace of the target resources. Empty in a PropagationPolicy means the
	// policy's own namespace.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Label().validate(self).hasValue()",message="namespace must be a namespace name: lower-case letters, digits and '-', at most 63 characters"
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Name of the target resource. When set, LabelSelector is ignored.
	// +optional
	Name string `json:"name,omitempty"`

	// LabelSelector over the target resources' labels. At most 16
	// matchExpressions (a bound that keeps the admission check cheap).
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.size() <= 16",fieldPath=".matchExpressions",message="at most 16 matchExpressions; merge the expressions on one key into one"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || self.matchExpressions[i].operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",fieldPath=".matchExpressions",message="matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || !(self.matchExpressions[i].operator in ['In', 'NotIn']) || (has(self.matchExpressions[i].values) && self.matchExpressions[i].values.size() > 0))",fieldPath=".matchExpressions",message="matchExpressions[]: operator In and NotIn need at least one entry in values; add values or use Exists/DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || !(self.matchExpressions[i].operator in ['Exists', 'DoesNotExist']) || !has(self.matchExpressions[i].values) || self.matchExpressions[i].values.size() == 0)",fieldPath=".matchExpressions",message="matchExpressions[]: operator Exists and DoesNotExist take no values; remove values or use In/NotIn"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || (self.matchExpressions[i].key.size() > 0 && self.matchExpressions[i].key.size() <= 317))",fieldPath=".matchExpressions",message="matchExpressions[].key must be a label key: not empty, at most 317 characters (an optional DNS prefix and '/', then a name of at most 63)"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchLabels) || !('' in self.matchLabels)",fieldPath=".matchLabels",message="matchLabels: a label key must not be empty"
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
	// uses the first term that yields a schedulable result. Each term has its
	// own affinityName. Mutually exclusive with ClusterAffinity.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.map(t, t.affinityName).distinct().size() == self.size()",message="clusterAffinities[].affinityName must be unique; give each term its own name"
	// +optional
	ClusterAffinities []ClusterAffinityTerm `json:"clusterAffinities,omitempty"`

	// ClusterTolerations tolerate cluster taints (Kubernetes toleration
	// rules: operator Equal or Exists, an empty key needs Exists,
	// tolerationSeconds only with effect NoExecute).
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:XValidation:rule="!has(self.operator) || self.operator in ['', 'Equal', 'Exists']",fieldPath=".operator",message="operator must be Equal or Exists"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.effect) || self.effect in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']",fieldPath=".effect",message="effect must be NoSchedule, PreferNoSchedule or NoExecute (or empty to tolerate every effect)"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",fieldPath=".value",message="operator Exists matches any value; remove value or use operator Equal"
	// +kubebuilder:validation:items:XValidation:rule="(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",fieldPath=".operator",message="a toleration without a key tolerates every taint and needs operator Exists; set key or operator: Exists"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.tolerationSeconds) || self.tolerationSeconds >= 0",fieldPath=".tolerationSeconds",message="tolerationSeconds must not be negative; use 0 to leave at once"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",fieldPath=".tolerationSeconds",message="tolerationSeconds only applies to NoExecute taints; set effect: NoExecute or remove tolerationSeconds"
	// +optional
	ClusterTolerations []corev1.Toleration `json:"clusterTolerations,omitempty"`

	// Tolerations is accepted as an alias of ClusterTolerations (the seed
	// documents write it); both lists are honoured and checked alike.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:XValidation:rule="!has(self.operator) || self.operator in ['', 'Equal', 'Exists']",fieldPath=".operator",message="operator must be Equal or Exists"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.effect) || self.effect in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']",fieldPath=".effect",message="effect must be NoSchedule, PreferNoSchedule or NoExecute (or empty to tolerate every effect)"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",fieldPath=".value",message="operator Exists matches any value; remove value or use operator Equal"
	// +kubebuilder:validation:items:XValidation:rule="(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",fieldPath=".operator",message="a toleration without a key tolerates every taint and needs operator Exists; set key or operator: Exists"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.tolerationSeconds) || self.tolerationSeconds >= 0",fieldPath=".tolerationSeconds",message="tolerationSeconds must not be negative; use 0 to leave at once"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",fieldPath=".tolerationSeconds",message="tolerationSeconds only applies to NoExecute taints; set effect: NoExecute or remove tolerationSeconds"
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// SpreadConstraints spread the resources over groups of clusters. Each
	// spreadByField and each spreadByLabel appears at most once (a constraint
	// with neither counts as spreadByField cluster). As in Karmada, a
	// spreadByField region, zone or provider constraint needs a cluster
	// constraint too, unless it sets maxSkew (Kurator's skew-based spreading,
	// seed 001).
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.map(c, has(c.spreadByLabel) ? 'label ' + c.spreadByLabel : (has(c.spreadByField) ? c.spreadByField : 'cluster')).distinct().size() == self.size()",message="each spreadByField and each spreadByLabel may appear in one constraint only (a constraint with neither is spreadByField cluster); merge the duplicate constraints"
	// +kubebuilder:validation:XValidation:rule="!self.exists(c, has(c.spreadByField) && c.spreadByField in ['region', 'zone', 'provider'] && !has(c.maxSkew)) || self.exists(c, !has(c.spreadByLabel) && (!has(c.spreadByField) || c.spreadByField == 'cluster'))",message="a spreadByField region, zone or provider constraint needs a cluster constraint too (it says how many clusters to pick); add {spreadByField: cluster, maxGroups: N} or set maxSkew on the constraint"
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
	// LabelSelector over cluster labels. At most 16 matchExpressions (a
	// bound that keeps the admission check cheap).
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.size() <= 16",fieldPath=".matchExpressions",message="at most 16 matchExpressions; merge the expressions on one key into one"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || self.matchExpressions[i].operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",fieldPath=".matchExpressions",message="matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || !(self.matchExpressions[i].operator in ['In', 'NotIn']) || (has(self.matchExpressions[i].values) && self.matchExpressions[i].values.size() > 0))",fieldPath=".matchExpressions",message="matchExpressions[]: operator In and NotIn need at least one entry in values; add values or use Exists/DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || !(self.matchExpressions[i].operator in ['Exists', 'DoesNotExist']) || !has(self.matchExpressions[i].values) || self.matchExpressions[i].values.size() == 0)",fieldPath=".matchExpressions",message="matchExpressions[]: operator Exists and DoesNotExist take no values; remove values or use In/NotIn"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || lists.range(16).all(i, i >= self.matchExpressions.size() || (self.matchExpressions[i].key.size() > 0 && self.matchExpressions[i].key.size() <= 317))",fieldPath=".matchExpressions",message="matchExpressions[].key must be a label key: not empty, at most 317 characters (an optional DNS prefix and '/', then a name of at most 63)"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchLabels) || !('' in self.matchLabels)",fieldPath=".matchLabels",message="matchLabels: a label key must not be empty"
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// FieldSelector over the cluster fields provider, region and zone.
	// +optional
	FieldSelector *FieldSelector `json:"fieldSelector,omitempty"`

	// ClusterNames lists the allowed clusters; empty means any.
	// +kubebuilder:validation:items:MinLength=1
	// +optional
	ClusterNames []string `json:"clusterNames,omitempty"`

	// Exclude lists clusters that are never selected.
	// +kubebuilder:validation:items:MinLength=1
	// +optional
	Exclude []string `json:"exclude,omitempty"`
}

// ClusterAffinityTerm is one named alternative of Placement.ClusterAffinities.
type ClusterAffinityTerm struct {
	// AffinityName identifies the term; recorded in the binding's status. A
	// qualified name (as a label key) of at most 32 characters, unique in
	// the policy.
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self != ''",message="affinityName must be set: name the term, e.g. primary"
	// +kubebuilder:validation:XValidation:rule="self == '' || !format.qualifiedName().validate(self).hasValue()",message="affinityName must be a qualified name: letters, digits, '-', '_' and '.', starting and ending with a letter or digit, optionally after a DNS prefix and '/'"
	AffinityName string `json:"affinityName"`

	ClusterAffinity `json:",inline"`
}

// FieldSelector selects clusters by fields.
type FieldSelector struct {
	// MatchExpressions over the keys provider, region and zone, with the
	// operators In and NotIn (Karmada's rule).
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:XValidation:rule="self.key in ['provider', 'region', 'zone']",fieldPath=".key",message="fieldSelector key must be provider, region or zone"
	// +kubebuilder:validation:items:XValidation:rule="self.operator in ['In', 'NotIn']",fieldPath=".operator",message="fieldSelector operator must be In or NotIn"
	// +kubebuilder:validation:items:XValidation:rule="has(self.values) && self.values.size() > 0",fieldPath=".values",message="list at least one provider, region or zone in values"
	// +optional
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
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="!format.qualifiedName().validate(self).hasValue()",message="spreadByLabel must be a label key: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
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
	// +kubebuilder:validation:MaxItems=128
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
// +kubebuilder:validation:XValidation:rule="!has(self.gracePeriodSeconds) || !has(self.purgeMode) || self.purgeMode in ['Gracefully', 'Graciously']",fieldPath=".gracePeriodSeconds",message="gracePeriodSeconds only applies with purgeMode Gracefully; remove it or set purgeMode: Gracefully"
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
	// +kubebuilder:validation:MaxItems=64
	Rules []StatePreservationRule `json:"rules"`
}

// StatePreservationRule maps one status value to a label.
type StatePreservationRule struct {
	// AliasLabelName is the label that receives the value.
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="!format.qualifiedName().validate(self).hasValue()",message="aliasLabelName must be a label key: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	AliasLabelName string `json:"aliasLabelName"`
	// JSONPath into the old object's status.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	JSONPath string `json:"jsonPath"`
}
