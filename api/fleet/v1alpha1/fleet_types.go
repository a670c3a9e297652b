package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// FleetNameLabel is put on every member cluster of a fleet; its value is the
// fleet's name.
const FleetNameLabel = "fleet.kurator.dev/fleet-name"

// DefaultClusterKind is the kind of a fleet member when clusters[].kind is empty.
const DefaultClusterKind = "AttachedCluster"

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=fl,categories=kurator
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyClusters`
// +kubebuilder:printcolumn:name="Not-Ready",type=integer,JSONPath=`.status.notReadyClusters`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Fleet groups member clusters of its namespace. Members carry the label
// fleet.kurator.dev/fleet-name=<fleet> plus the labels the fleet gives each of
// them; the fleet's placement preferences add to the scheduling score of its
// members.
type Fleet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   FleetSpec   `json:"spec,omitempty"`
	Status FleetStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// FleetList is a list of Fleet.
type FleetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Fleet `json:"items"`
}

// FleetSpec lists the member clusters and the fleet's scheduling preferences.
type FleetSpec struct {
	// Clusters are the members, by name, in the fleet's namespace. A name
	// appears at most once: the list is a map keyed by name, so the
	// apiserver refuses a duplicate at no CEL cost (a CEL distinct() rule
	// ran out of the per-request cost budget before 1,000 names). At most
	// 3,000 keep the per-name CEL rules within the CRD's cost estimate.
	// +kubebuilder:validation:MaxItems=3000
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []FleetCluster `json:"clusters,omitempty"`

	// Registry is the image registry of the fleet's clusters that name
	// none of their own (see AttachedCluster spec.registry).
	// +optional
	Registry *clusterv1alpha1.Registry `json:"registry,omitempty"`

	// Placement holds preferences applied to workloads whose candidate
	// clusters all belong to this fleet.
	// +optional
	Placement *FleetPlacement `json:"placement,omitempty"`
}

// FleetCluster is one member of a fleet.
type FleetCluster struct {
	// Name of the cluster object.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self != ''",message="name must name an AttachedCluster of the fleet's namespace"
	// +kubebuilder:validation:XValidation:rule="self == '' || !format.dns1123Subdomain().validate(self).hasValue()",message="name must be a cluster object name: lower-case letters, digits, '-' and '.', at most 253 characters"
	Name string `json:"name"`

	// Kind of the cluster object; only AttachedCluster today.
	// +kubebuilder:validation:Enum=AttachedCluster
	// +kubebuilder:default=AttachedCluster
	// +optional
	Kind string `json:"kind,omitempty"`

	// Labels the fleet adds to this cluster for scheduling.
	// +kubebuilder:validation:XValidation:rule="!('' in self)",message="a label key must not be empty"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// ClusterKind is Kind, or AttachedCluster when empty.
func (c *FleetCluster) ClusterKind() string {
	if c.Kind == "" {
		return DefaultClusterKind
	}
	return c.Kind
}

// FleetPlacement holds a fleet's scheduling preferences.
type FleetPlacement struct {
	// SpreadConstraints apply to a policy without spread constraints whose
	// candidate clusters all belong to this fleet. They follow the rules of
	// a policy's spreadConstraints.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.map(c, has(c.spreadByLabel) ? 'label ' + c.spreadByLabel : (has(c.spreadByField) ? c.spreadByField : 'cluster')).distinct().size() == self.size()",message="each spreadByField and each spreadByLabel may appear in one constraint only (a constraint with neither is spreadByField cluster); merge the duplicate constraints"
	// +kubebuilder:validation:XValidation:rule="!self.exists(c, has(c.spreadByField) && c.spreadByField in ['region', 'zone', 'provider'] && !has(c.maxSkew)) || self.exists(c, !has(c.spreadByLabel) && (!has(c.spreadByField) || c.spreadByField == 'cluster'))",message="a spreadByField region, zone or provider constraint needs a cluster constraint too (it says how many clusters to pick); add {spreadByField: cluster, maxGroups: N} or set maxSkew on the constraint"
	// +optional
	SpreadConstraints []policyv1alpha1.SpreadConstraint `json:"spreadConstraints,omitempty"`

	// ClusterAffinity holds soft preferences over the members' labels.
	// +optional
	ClusterAffinity *FleetClusterAffinity `json:"clusterAffinity,omitempty"`
}

// FleetClusterAffinity holds soft cluster preferences.
type FleetClusterAffinity struct {
	// PreferredDuringSchedulingIgnoredDuringExecution: every term whose
	// preference matches a member's labels adds its weight (1-100) to that
	// member's score. A preference is matchExpressions over cluster labels
	// (at most 16; operators In, NotIn, Exists, DoesNotExist, Gt, Lt);
	// matchFields has no meaning for clusters.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:XValidation:rule="self.weight >= 1 && self.weight <= 100",fieldPath=".weight",message="weight must be between 1 and 100"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchFields) || self.preference.matchFields.size() == 0",fieldPath=".preference.matchFields",message="matchFields is not supported for clusters; use matchExpressions over cluster labels"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchExpressions) || self.preference.matchExpressions.size() <= 16",fieldPath=".preference.matchExpressions",message="at most 16 matchExpressions; merge the expressions on one key into one"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchExpressions) || lists.range(16).all(i, i >= self.preference.matchExpressions.size() || self.preference.matchExpressions[i].operator in ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'])",fieldPath=".preference.matchExpressions",message="matchExpressions[].operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchExpressions) || lists.range(16).all(i, i >= self.preference.matchExpressions.size() || !(self.preference.matchExpressions[i].operator in ['In', 'NotIn']) || (has(self.preference.matchExpressions[i].values) && self.preference.matchExpressions[i].values.size() > 0))",fieldPath=".preference.matchExpressions",message="matchExpressions[]: operator In and NotIn need at least one entry in values; add values or use Exists/DoesNotExist"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchExpressions) || lists.range(16).all(i, i >= self.preference.matchExpressions.size() || !(self.preference.matchExpressions[i].operator in ['Exists', 'DoesNotExist']) || !has(self.preference.matchExpressions[i].values) || self.preference.matchExpressions[i].values.size() == 0)",fieldPath=".preference.matchExpressions",message="matchExpressions[]: operator Exists and DoesNotExist take no values; remove values or use In/NotIn"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchExpressions) || lists.range(16).all(i, i >= self.preference.matchExpressions.size() || !(self.preference.matchExpressions[i].operator in ['Gt', 'Lt']) || (has(self.preference.matchExpressions[i].values) && self.preference.matchExpressions[i].values.size() == 1))",fieldPath=".preference.matchExpressions",message="matchExpressions[]: operator Gt and Lt take exactly one value, an integer"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.preference.matchExpressions) || lists.range(16).all(i, i >= self.preference.matchExpressions.size() || (self.preference.matchExpressions[i].key.size() > 0 && self.preference.matchExpressions[i].key.size() <= 317))",fieldPath=".preference.matchExpressions",message="matchExpressions[].key must be a label key: not empty, at most 317 characters (an optional DNS prefix and '/', then a name of at most 63)"
	// +optional
	PreferredDuringSchedulingIgnoredDuringExecution []corev1.PreferredSchedulingTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// FleetPhase summarises a fleet.
// +kubebuilder:validation:Enum=Pending;Ready;NotReady;Terminating
type FleetPhase string

// Fleet phases.
const (
	// FleetPending: members not yet observed.
	FleetPending FleetPhase = "Pending"
	// FleetReady: every member is Ready.
	FleetReady FleetPhase = "Ready"
	// FleetNotReady: some member is missing or not Ready.
	FleetNotReady FleetPhase = "NotReady"
	// FleetTerminating: the fleet is being deleted.
	FleetTerminating FleetPhase = "Terminating"
)

// FleetStatus is what the hub observed of the fleet's members.
type FleetStatus struct {
	// Phase summarises the members' readiness.
	// +optional
	Phase FleetPhase `json:"phase,omitempty"`

	// ReadyClusters counts Ready members.
	// +optional
	ReadyClusters int32 `json:"readyClusters,omitempty"`

	// NotReadyClusters counts members that are missing or not Ready.
	// +optional
	NotReadyClusters int32 `json:"notReadyClusters,omitempty"`

	// Conditions: Ready is True when every member is Ready; FailoverPaused
	// is True while too many of the hub's clusters are not Ready for
	// failover to evict safely.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Condition types and reasons of a Fleet.
const (
	ConditionReady = "Ready"

	ReasonAllClustersReady  = "AllClustersReady"
	ReasonClustersNotReady  = "ClustersNotReady"
	ReasonClustersNotFound  = "ClustersNotFound"
	ReasonNoClustersInFleet = "NoClusters"

	// ConditionFailoverPaused is True while more than the manager's
	// --failover-pause-share of the hub's clusters are not Ready: the fault
	// is likely on the hub's side, so no workload is evicted.
	ConditionFailoverPaused = "FailoverPaused"

	ReasonTooManyClustersNotReady = "TooManyClustersNotReady"
	ReasonFailoverActive          = "FailoverActive"
)

// ClusterNames returns the members' names in spec order.
func (f *Fleet) ClusterNames() []string {
	out := make([]string, 0, len(f.Spec.Clusters))
	for _, c := range f.Spec.Clusters {
		out = append(out, c.Name)
	}
	return out
}

// Member returns the member entry named name, or nil.
func (f *Fleet) Member(name string) *FleetCluster {
	for i := range f.Spec.Clusters {
		if f.Spec.Clusters[i].Name == name {
			return &f.Spec.Clusters[i]
		}
	}
	return nil
}

// IsReady reports whether the fleet's Ready condition is True.
func (f *Fleet) IsReady() bool {
	return meta.IsStatusConditionTrue(f.Status.Conditions, ConditionReady)
}
