package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tp,categories=kurator
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.service`
// +kubebuilder:printcolumn:name="Weighting",type=string,JSONPath=`.spec.weighting.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// TrafficPolicy shares the traffic of a Service propagated to several member
// clusters between them. The hub writes the same Istio VirtualService and
// DestinationRule (both named after the Service) into every member that
// holds the Service: one subset per cluster on the topology.istio.io/cluster
// label and an explicit weight per subset, summing to 100. A cluster that is
// not Ready, or where the workload is not healthy, gets weight 0 at once and
// its share goes to the healthy clusters; after it recovers it ramps back in
// steps (spec.recovery). It lives in the Service's namespace.
type TrafficPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TrafficPolicySpec   `json:"spec"`
	Status TrafficPolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TrafficPolicyList is a list of TrafficPolicy.
type TrafficPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TrafficPolicy `json:"items"`
}

// TrafficPolicySpec names the Service and says how its traffic is weighted
// across clusters.
type TrafficPolicySpec struct {
	// Service is the name of a Service of this namespace, propagated from the
	// hub to the member clusters that should share its traffic.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self != ''",message="service must name the Service whose traffic is shared, e.g. service: reviews"
	// +kubebuilder:validation:XValidation:rule="self == '' || !format.dns1123Label().validate(self).hasValue()",message="service must be a Service name: lower-case letters, digits and '-', at most 63 characters"
	Service string `json:"service"`

	// Port of the Service the routes send to; empty lets Istio pick the
	// Service's only port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port *int32 `json:"port,omitempty"`

	// Workload whose health and ready replicas steer the weights. Empty means
	// the one Deployment on the hub, in this namespace, whose pod labels the
	// Service selects (the Ready condition says when there is none or more
	// than one).
	// +optional
	Workload *WorkloadReference `json:"workload,omitempty"`

	// Hosts of the VirtualService; empty means the Service's FQDN,
	// <service>.<namespace>.svc.cluster.local.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Hosts []string `json:"hosts,omitempty"`

	// Gateways of the VirtualService; empty means in-mesh callers only
	// (Istio's "mesh"). Listing gateways stops routing in-mesh callers unless
	// "mesh" is listed too.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Gateways []string `json:"gateways,omitempty"`

	// Weighting says how each cluster's share is chosen.
	// +kubebuilder:default={type: ReadyReplicas}
	// +optional
	Weighting Weighting `json:"weighting,omitempty"`

	// Recovery says how a cluster that became healthy again gets its share
	// back.
	// +optional
	Recovery *Recovery `json:"recovery,omitempty"`

	// Timeout of a request through the route, a duration such as "5s".
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +optional
	Timeout string `json:"timeout,omitempty"`

	// Retries of a failed request.
	// +optional
	Retries *Retries `json:"retries,omitempty"`

	// OutlierDetection ejects failing endpoints, which is what makes Istio's
	// locality failover move traffic. Empty means on, with 5 consecutive 5xx
	// errors, an interval of 10s, a base ejection time of 30s and at most
	// 100% ejected.
	// +optional
	OutlierDetection *OutlierDetection `json:"outlierDetection,omitempty"`

	// Failover lists region pairs for Istio's locality load balancing:
	// when the endpoints of region from are unhealthy, traffic goes to
	// region to.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Failover []LocalityFailover `json:"failover,omitempty"`
}

// WorkloadReference names a workload template on the hub, in the
// TrafficPolicy's namespace.
type WorkloadReference struct {
	// APIVersion of the workload, such as apps/v1.
	// +kubebuilder:default="apps/v1"
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the workload, such as Deployment.
	// +kubebuilder:default=Deployment
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the workload.
	// +kubebuilder:validation:XValidation:rule="self != ''",message="workload.name must name the workload behind the Service, e.g. reviews-v1"
	Name string `json:"name"`
}

// WeightingType says where the per-cluster shares come from.
// +kubebuilder:validation:Enum=Explicit;ReadyReplicas;Latency
type WeightingType string

// Weighting types.
const (
	// WeightingExplicit takes the shares from spec.weighting.weights.
	WeightingExplicit WeightingType = "Explicit"
	// WeightingReadyReplicas shares in proportion to the workload's ready
	// replicas in each cluster.
	WeightingReadyReplicas WeightingType = "ReadyReplicas"
	// WeightingLatency starts from the ready replicas and lowers the share
	// of a cluster whose p99 latency is above the target.
	WeightingLatency WeightingType = "Latency"
)

// Weighting chooses each cluster's share of the traffic before health is
// applied.
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'Explicit' || (has(self.weights) && self.weights.size() > 0)",message="weighting.type Explicit needs weights, e.g. weights: [{cluster: cluster-shanghai, weight: 60}, {cluster: cluster-hangzhou, weight: 40}]"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'Explicit' || !has(self.weights) || self.weights.map(w, w.weight).sum() == 100",fieldPath=".weights",message="weights must sum to 100; change them so that they do"
// +kubebuilder:validation:XValidation:rule="!has(self.weights) || self.weights.size() == 0 || (has(self.type) && self.type == 'Explicit')",fieldPath=".weights",message="weights are used only with type Explicit; set type: Explicit or remove weights"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'Latency' || has(self.latency)",message="weighting.type Latency needs latency.targetMilliseconds, e.g. latency: {targetMilliseconds: 200}"
// +kubebuilder:validation:XValidation:rule="!has(self.latency) || (has(self.type) && self.type == 'Latency')",fieldPath=".latency",message="latency is used only with type Latency; set type: Latency or remove latency"
type Weighting struct {
	// Type is Explicit, ReadyReplicas (default) or Latency.
	// +kubebuilder:default=ReadyReplicas
	// +optional
	Type WeightingType `json:"type,omitempty"`

	// Weights per cluster for type Explicit, summing to 100. A cluster of the
	// Service not listed gets 0; a cluster listed with 0 is a standby that
	// gets traffic only when every weighted cluster is unhealthy.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.map(w, w.cluster).distinct().size() == self.size()",message="weights[].cluster must be unique; merge the duplicate entries into one"
	// +listType=atomic
	// +optional
	Weights []ClusterWeight `json:"weights,omitempty"`

	// Latency configures type Latency.
	// +optional
	Latency *LatencyWeighting `json:"latency,omitempty"`
}

// ClusterWeight is one cluster's share, in percent.
type ClusterWeight struct {
	// Cluster is the member cluster's name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self != ''",message="cluster must name a member cluster, e.g. cluster-shanghai"
	Cluster string `json:"cluster"`

	// Weight is the cluster's share, 0 to 100.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight"`
}

// LatencyWeighting lowers the share of slow clusters: a cluster whose p99
// latency is above the target gets its ready-replica share multiplied by
// target/p99, and the shares are renormalised to 100. A cluster without
// data keeps its share.
type LatencyWeighting struct {
	// Metric is the latency metric; only the built-in request-duration (p99
	// of istio_request_duration_milliseconds, per cluster) today.
	// +kubebuilder:validation:Enum=request-duration
	// +kubebuilder:default=request-duration
	// +optional
	Metric string `json:"metric,omitempty"`

	// TargetMilliseconds is the p99 latency above which a cluster's share
	// shrinks.
	// +kubebuilder:validation:Minimum=1
	TargetMilliseconds int32 `json:"targetMilliseconds"`

	// Prometheus is the address of the Prometheus holding the fleet's
	// metrics, such as http://127.0.0.1:9090; empty means the manager's
	// --prometheus-address.
	// +kubebuilder:validation:XValidation:rule="self == '' || url(self).getScheme() in ['http', 'https']",message="prometheus must be an http or https URL, e.g. http://prometheus.istio-system:9090"
	// +optional
	Prometheus string `json:"prometheus,omitempty"`

	// IntervalSeconds is the window of the p99 query and how often it is
	// evaluated (default 30, at least 10).
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:default=30
	// +optional
	IntervalSeconds int32 `json:"intervalSeconds,omitempty"`
}

// Recovery says how a cluster that became healthy again is given its share
// back: stepWeight points at a time, one step per interval, never at once.
type Recovery struct {
	// StepWeight is how many points of weight (out of 100) a recovering
	// cluster gains per step, until it reaches its target (default 10).
	// A cluster whose target is at most stepWeight is back in one step.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=10
	// +optional
	StepWeight int32 `json:"stepWeight,omitempty"`

	// IntervalSeconds between two steps (default 30, at least 10).
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:default=30
	// +optional
	IntervalSeconds int32 `json:"intervalSeconds,omitempty"`
}

// Retries is passed to the VirtualService route.
type Retries struct {
	// Attempts is the number of retries of a request.
	// +kubebuilder:validation:Minimum=0
	Attempts int32 `json:"attempts"`

	// PerTryTimeout is the timeout of each attempt, such as "2s".
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +optional
	PerTryTimeout string `json:"perTryTimeout,omitempty"`

	// RetryOn lists the conditions to retry on, as Envoy names them, such as
	// "5xx,connect-failure".
	// +optional
	RetryOn string `json:"retryOn,omitempty"`
}

// OutlierDetection is passed to the DestinationRule.
type OutlierDetection struct {
	// Consecutive5xxErrors ejects an endpoint after this many 5xx answers in
	// a row (default 5; 0 turns this check off).
	// +kubebuilder:validation:Minimum=0
	// +optional
	Consecutive5xxErrors *int32 `json:"consecutive5xxErrors,omitempty"`

	// Interval between ejection sweeps (default 10s).
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +optional
	Interval string `json:"interval,omitempty"`

	// BaseEjectionTime is the minimum ejection duration (default 30s).
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +optional
	BaseEjectionTime string `json:"baseEjectionTime,omitempty"`

	// MaxEjectionPercent is the most endpoints ejected at once (default 100).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MaxEjectionPercent *int32 `json:"maxEjectionPercent,omitempty"`
}

// LocalityFailover is one pair of Istio's localityLbSetting.failover.
type LocalityFailover struct {
	// From is the region whose traffic fails over.
	// +kubebuilder:validation:XValidation:rule="self != ''",message="failover[].from must name a region, e.g. cn-east"
	From string `json:"from"`
	// To is the region that takes it.
	// +kubebuilder:validation:XValidation:rule="self != ''",message="failover[].to must name a region, e.g. cn-north"
	To string `json:"to"`
}

// TrafficPolicyStatus is what the hub decided and wrote.
type TrafficPolicyStatus struct {
	// ObservedGeneration is the generation the status is for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Clusters are the clusters that hold the Service with their current and
	// target weights, in name order. The weights are those written to the
	// members; they survive a manager restart, so a ramp resumes where it
	// was.
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []ClusterTraffic `json:"clusters,omitempty"`

	// History holds the last weight changes, newest last (at most 10).
	// +optional
	History []WeightChange `json:"history,omitempty"`

	// Conditions: Ready says whether the members have routes whose weights
	// follow the clusters' health, and if not why.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClusterTraffic is one cluster's share.
type ClusterTraffic struct {
	// Name of the cluster.
	Name string `json:"name"`

	// Weight is the weight written to the routes, 0 to 100.
	Weight int32 `json:"weight"`

	// TargetWeight is the weight the cluster gets once every ramp is over.
	TargetWeight int32 `json:"targetWeight"`

	// Healthy says whether the cluster may take traffic.
	Healthy bool `json:"healthy"`

	// Reason is a machine-readable word for the cluster's state: Healthy,
	// Recovering, ClusterNotReady, WorkloadNotPlaced, WorkloadUnhealthy or
	// NoReadyReplicas.
	// +optional
	Reason string `json:"reason,omitempty"`

	// ReadyReplicas of the workload in the cluster, as last reported.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// P99Milliseconds is the cluster's last p99 latency (type Latency).
	// +optional
	P99Milliseconds *int64 `json:"p99Milliseconds,omitempty"`

	// Since is when Healthy last changed.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`

	// LastStepTime is when a recovery step last raised the weight.
	// +optional
	LastStepTime *metav1.Time `json:"lastStepTime,omitempty"`
}

// WeightChange records the weights written at one time.
type WeightChange struct {
	// Time of the change.
	Time metav1.Time `json:"time"`
	// Weights written, in cluster name order.
	// +listType=atomic
	Weights []ClusterWeight `json:"weights"`
	// Reason is the cause, such as ClusterNotReady or Recovering.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// Reasons of a cluster's state (status.clusters[].reason).
const (
	ClusterHealthy           = "Healthy"
	ClusterRecovering        = "Recovering"
	ClusterNotReady          = "ClusterNotReady"
	ClusterWorkloadNotPlaced = "WorkloadNotPlaced"
	ClusterWorkloadUnhealthy = "WorkloadUnhealthy"
	ClusterNoReadyReplicas   = "NoReadyReplicas"
)

// Condition types and reasons of a TrafficPolicy.
const (
	// ConditionReady is True when every member holding the Service has
	// routes with the current weights.
	ConditionReady = "Ready"

	ReasonWeightsApplied       = "WeightsApplied"
	ReasonNoHealthyCluster     = "NoHealthyCluster"
	ReasonServiceNotFound      = "ServiceNotFound"
	ReasonServiceNotPropagated = "ServiceNotPropagated"
	ReasonWorkloadNotFound     = "WorkloadNotFound"
	ReasonWorkloadAmbiguous    = "WorkloadAmbiguous"
	ReasonWorkloadNotBound     = "WorkloadNotBound"
	ReasonLatencyUnavailable   = "LatencyUnavailable"
	ReasonWorkConflict         = "WorkConflict"
)

// Finalizer holds a TrafficPolicy until its Works are deleted.
const Finalizer = "networking.kurator.dev/traffic-works"

// PolicyLabel, on a Work, names the TrafficPolicy it was written for, as
// "<namespace>.<name>".
const PolicyLabel = "networking.kurator.dev/traffic-policy"

// Defaults of the optional fields, as the controller applies them.
const (
	DefaultStepWeight              = 10
	DefaultRecoveryIntervalSeconds = 30
	DefaultLatencyIntervalSeconds  = 30
	DefaultLatencyMetric           = "request-duration"
	DefaultConsecutive5xxErrors    = 5
	DefaultOutlierInterval         = "10s"
	DefaultBaseEjectionTime        = "30s"
	DefaultMaxEjectionPercent      = 100
	DefaultWorkloadAPIVersion      = "apps/v1"
	DefaultWorkloadKind            = "Deployment"
)

// HistoryLimit is how many weight changes status.history keeps.
const HistoryLimit = 10

// TopologyClusterLabel is the label Istio puts on every endpoint with the
// name of its cluster; the per-cluster subsets select on it.
const TopologyClusterLabel = "topology.istio.io/cluster"

func init() {
	SchemeBuilder.Register(&TrafficPolicy{}, &TrafficPolicyList{})
}
