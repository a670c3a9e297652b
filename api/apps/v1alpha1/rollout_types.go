package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ro,categories=kurator
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.status.currentStage`
// +kubebuilder:printcolumn:name="Stable",type=string,JSONPath=`.status.stableRevision`
// +kubebuilder:printcolumn:name="Canary",type=string,JSONPath=`.status.canaryRevision`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Rollout delivers every new revision of one propagated workload to the
// whole fleet progressively: stage by stage over cluster selectors, and in
// each cluster as a canary (or A/B test, or blue/green switch) whose traffic
// grows while metric and webhook gates pass. When a gate fails beyond its
// tolerance, every cluster goes back to the previous revision.
//
// In every member the workload itself (spec.workload) is the canary, at 0
// replicas between runs; "<workload>-primary" runs the stable revision and
// the VirtualService "<serviceName>" splits traffic between the Services
// "<serviceName>-primary" and "<serviceName>-canary". The field names follow
// Kurator's Application rollout, so its examples carry over.
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RolloutSpec   `json:"spec"`
	Status RolloutStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RolloutList is a list of Rollout.
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Rollout `json:"items"`
}

// RolloutSpec says what to roll out, how traffic moves and how each step is
// judged.
type RolloutSpec struct {
	// TrafficRoutingProvider routes the traffic; only istio is supported.
	// +kubebuilder:validation:Enum=istio
	// +kubebuilder:default=istio
	// +optional
	TrafficRoutingProvider string `json:"trafficRoutingProvider,omitempty"`

	// Workload is the propagated workload (a Deployment on the hub, in the
	// Rollout's namespace) whose new revisions are rolled out.
	Workload CrossNamespaceObjectReference `json:"workload"`

	// ServiceName is the Service (propagated with the workload) that
	// selects the workload's pods.
	// +kubebuilder:validation:MinLength=1
	ServiceName string `json:"serviceName"`

	// Port the Service exposes.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// RolloutPolicy is the release strategy.
	RolloutPolicy RolloutPolicy `json:"rolloutPolicy"`

	// Stages order the clusters holding the workload: the first stage's
	// clusters are released first, the next stage starts when every
	// cluster of the current one succeeded and baked. Clusters no stage
	// selects form a last stage of their own. Empty: one stage with every
	// cluster.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Stages []RolloutStage `json:"stages,omitempty"`
}

// CrossNamespaceObjectReference names the workload.
type CrossNamespaceObjectReference struct {
	// APIVersion of the workload.
	// +kubebuilder:validation:Enum=apps/v1
	// +kubebuilder:default=apps/v1
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the workload.
	// +kubebuilder:validation:Enum=Deployment
	// +kubebuilder:default=Deployment
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the workload.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace of the workload; it must be the Rollout's (the default).
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// RolloutStage is one wave of clusters.
// +kubebuilder:validation:XValidation:rule="has(self.clusterSelector) || (has(self.clusterNames) && self.clusterNames.size() > 0)",message="a stage selects clusters with clusterSelector or clusterNames; set one"
type RolloutStage struct {
	// Name of the stage, shown in status.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// ClusterSelector selects the stage's clusters by label.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`

	// ClusterNames select the stage's clusters by name.
	// +optional
	ClusterNames []string `json:"clusterNames,omitempty"`

	// MaxConcurrency is how many of the stage's clusters progress at once
	// (default: all of them).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxConcurrency *int32 `json:"maxConcurrency,omitempty"`

	// BakeSeconds is how long the stage must stay healthy after its last
	// cluster succeeded before the next stage starts.
	// +kubebuilder:validation:Minimum=0
	// +optional
	BakeSeconds int32 `json:"bakeSeconds,omitempty"`

	// MaxFailures is how many of the stage's clusters may fail without
	// rolling the whole rollout back (default 0).
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxFailures int32 `json:"maxFailures,omitempty"`

	// RequireApproval holds the stage until a person approves it
	// (kurator rollout promote, kurator app promote) once the stages
	// before it succeeded and baked.
	// +optional
	RequireApproval bool `json:"requireApproval,omitempty"`
}

// RolloutPolicy is Kurator's rollout policy.
type RolloutPolicy struct {
	// TrafficRouting shapes the VirtualService and the strategy.
	// +optional
	TrafficRouting *TrafficRoutingConfig `json:"trafficRouting,omitempty"`

	// TrafficAnalysis judges every step.
	// +optional
	TrafficAnalysis *TrafficAnalysis `json:"trafficAnalysis,omitempty"`

	// RolloutTimeoutSeconds is how long a canary (or a promoted primary)
	// may take to become ready before the rollout fails (default 600).
	// +kubebuilder:validation:Minimum=10
	// +optional
	RolloutTimeoutSeconds *int32 `json:"rolloutTimeoutSeconds,omitempty"`

	// SkipTrafficAnalysis promotes each cluster without analysis.
	// +optional
	SkipTrafficAnalysis bool `json:"skipTrafficAnalysis,omitempty"`

	// RevertOnDeletion, when the Rollout is deleted, gives the workload its
	// traffic and replicas back and removes the primary, its Services and
	// the routes; otherwise they stay as they are.
	// +optional
	RevertOnDeletion bool `json:"revertOnDeletion,omitempty"`

	// Suspend holds the rollout where it is: no step, no check.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// TrafficRoutingConfig is the VirtualService's shape and the strategy: a
// canary with canaryStrategy (the default), an A/B test with match and
// analysisTimes, or a blue/green switch with analysisTimes alone.
// +kubebuilder:validation:XValidation:rule="!(has(self.canaryStrategy) && has(self.analysisTimes) && self.analysisTimes > 0)",message="canaryStrategy (a canary) and analysisTimes (A/B or blue/green) cannot be combined; keep one"
// +kubebuilder:validation:XValidation:rule="!has(self.match) || self.match.size() == 0 || (has(self.analysisTimes) && self.analysisTimes > 0)",message="an A/B test (match) needs analysisTimes, the number of checks before promotion"
type TrafficRoutingConfig struct {
	// TimeoutSeconds of each request (0: none).
	// +kubebuilder:validation:Minimum=0
	// +optional
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`

	// Gateways of the VirtualService (default: mesh).
	// +optional
	Gateways []string `json:"gateways,omitempty"`

	// Hosts of the VirtualService besides serviceName.
	// +optional
	Hosts []string `json:"hosts,omitempty"`

	// Retries of a failed request.
	// +optional
	Retries *HTTPRetry `json:"retries,omitempty"`

	// CanaryStrategy are the weight steps of a canary.
	// +optional
	CanaryStrategy *CanaryConfig `json:"canaryStrategy,omitempty"`

	// AnalysisTimes is the number of passing checks before promotion, for
	// A/B tests and blue/green.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AnalysisTimes int `json:"analysisTimes,omitempty"`

	// Match routes the requests it matches to the canary (A/B testing).
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Match []HTTPMatchRequest `json:"match,omitempty"`
}

// HTTPRetry is Istio's retry policy.
type HTTPRetry struct {
	// Attempts is the number of retries.
	// +kubebuilder:validation:Minimum=0
	Attempts int32 `json:"attempts"`
	// PerTryTimeout, e.g. 2s.
	// +optional
	PerTryTimeout string `json:"perTryTimeout,omitempty"`
	// RetryOn, e.g. gateway-error,connect-failure,refused-stream.
	// +optional
	RetryOn string `json:"retryOn,omitempty"`
}

// HTTPMatchRequest matches requests by header (cookies are the cookie
// header) or URI.
type HTTPMatchRequest struct {
	// Headers by lower-case name.
	// +kubebuilder:validation:MaxProperties=16
	// +optional
	Headers map[string]StringMatch `json:"headers,omitempty"`
	// URI of the request.
	// +optional
	URI *StringMatch `json:"uri,omitempty"`
}

// StringMatch is one of exact, prefix or regex (ECMAScript).
// +kubebuilder:validation:XValidation:rule="(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1",message="set exactly one of exact, prefix and regex"
type StringMatch struct {
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Exact *string `json:"exact,omitempty"`
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Prefix *string `json:"prefix,omitempty"`
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Regex *string `json:"regex,omitempty"`
}

// CanaryConfig are the weight steps of a canary.
// +kubebuilder:validation:XValidation:rule="!(has(self.stepWeight) && self.stepWeight > 0 && has(self.stepWeights) && self.stepWeights.size() > 0)",message="stepWeight and stepWeights cannot both be set; keep one"
// +kubebuilder:validation:XValidation:rule="!has(self.stepWeights) || (self.stepWeights.isSorted() && self.stepWeights.distinct().size() == self.stepWeights.size())",fieldPath=".stepWeights",message="stepWeights must increase strictly, e.g. [5, 10, 25, 50]"
type CanaryConfig struct {
	// MaxWeight is the canary's largest share before promotion (default
	// 100, or the last stepWeights entry).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	MaxWeight int `json:"maxWeight,omitempty"`

	// StepWeight is the canary's increase per passing check.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	StepWeight int `json:"stepWeight,omitempty"`

	// StepWeights are the canary's successive weights.
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=100
	// +optional
	StepWeights []int `json:"stepWeights,omitempty"`

	// StepWeightPromotion is the primary's increase per check after
	// promotion (0: all traffic back to the primary at once).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	StepWeightPromotion int `json:"stepWeightPromotion,omitempty"`
}

// TrafficAnalysis is how each step is judged.
type TrafficAnalysis struct {
	// CheckIntervalSeconds is the time between two checks, and two steps
	// (default 60).
	// +kubebuilder:validation:Minimum=10
	// +optional
	CheckIntervalSeconds *int `json:"checkIntervalSeconds,omitempty"`

	// CheckFailedTimes is how many failed checks of one cluster roll the
	// rollout back (default 1).
	// +kubebuilder:validation:Minimum=1
	// +optional
	CheckFailedTimes *int `json:"checkFailedTimes,omitempty"`

	// WarmupSeconds is how long after a cluster's canary started a check
	// without data is not counted (default: one check interval). After
	// it, no data is a failed check.
	// +kubebuilder:validation:Minimum=0
	// +optional
	WarmupSeconds *int `json:"warmupSeconds,omitempty"`

	// Metrics are checked at every step, per cluster.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Metrics []Metric `json:"metrics,omitempty"`

	// Webhooks are called at the points their type names.
	// +optional
	Webhooks Webhook `json:"webhooks,omitempty"`
}

// Metric is one check: a built-in (request-success-rate, 0-100;
// request-duration, p99 in ms) or a custom PromQL query.
// +kubebuilder:validation:XValidation:rule="self.name in ['request-success-rate', 'request-duration'] || (has(self.customMetric) && has(self.customMetric.query) && self.customMetric.query.size() > 0)",message="metric is neither built in (request-success-rate, request-duration) nor has customMetric.query; add the PromQL query or use a built-in name"
type Metric struct {
	// Name of the metric.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// IntervalSeconds is the window of the query (default 60).
	// +kubebuilder:validation:Minimum=10
	// +optional
	IntervalSeconds *int `json:"intervalSeconds,omitempty"`

	// ThresholdRange is the accepted range; without it any value passes
	// (but no value never does).
	// +optional
	ThresholdRange *CanaryThresholdRange `json:"thresholdRange,omitempty"`

	// CustomMetric is a PromQL query template for a metric that is not
	// built in.
	// +optional
	CustomMetric *CustomMetric `json:"customMetric,omitempty"`
}

// CanaryThresholdRange is an inclusive range.
// +kubebuilder:validation:XValidation:rule="!has(self.min) || !has(self.max) || self.min <= self.max",message="thresholdRange.min is above thresholdRange.max; swap them"
type CanaryThresholdRange struct {
	// +optional
	Min *float64 `json:"min,omitempty"`
	// +optional
	Max *float64 `json:"max,omitempty"`
}

// CustomMetric is a query template with Flagger's functions: {{ cluster }},
// {{ namespace }}, {{ target }}, {{ service }}, {{ interval }},
// {{ variables.NAME }}.
type CustomMetric struct {
	// Query is the PromQL template; its result is the value (with several
	// series, the last one, as Flagger takes it).
	// +kubebuilder:validation:MinLength=1
	Query string `json:"query"`

	// Address of the Prometheus to ask (default: the manager's
	// --prometheus-address).
	// +kubebuilder:validation:XValidation:rule="isURL(self)",message="address must be a URL, e.g. http://prometheus.monitoring:9090"
	// +optional
	Address string `json:"address,omitempty"`

	// TemplateVariables fill {{ variables.NAME }}.
	// +optional
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`
}

// Webhook holds Kurator's load-test commands and typed webhooks.
type Webhook struct {
	// TimeoutSeconds of each call (default 10).
	// +kubebuilder:validation:Minimum=1
	// +optional
	TimeoutSeconds *int `json:"timeoutSeconds,omitempty"`

	// Commands are sent, as Kurator does, to the load tester at
	// LoadTesterURL as rollout-type webhooks with metadata {type: cmd, cmd}.
	// +optional
	Commands []string `json:"command,omitempty"`

	// LoadTesterURL receives the commands.
	// +kubebuilder:validation:XValidation:rule="isURL(self)",message="loadTesterURL must be a URL, e.g. http://flagger-loadtester.test/"
	// +optional
	LoadTesterURL string `json:"loadTesterURL,omitempty"`

	// Hooks are webhooks of Flagger's types.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Hooks []Hook `json:"hooks,omitempty"`
}

// Hook is one webhook. A call passes when it answers with a status up to
// 202, except a rollback hook, whose 2xx answer rolls the rollout back.
type Hook struct {
	// Name of the hook, shown in status.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Type says when it is called: confirm-rollout (before a run starts;
	// refusal waits), pre-rollout (first check; failure counts),
	// rollout (every later check; failure counts), confirm-traffic-increase
	// (before a weight increase; refusal holds), confirm-promotion (before
	// promotion; refusal holds), post-rollout (after success or failure;
	// logged), rollback (every check; a 2xx answer rolls back).
	// +kubebuilder:validation:Enum=confirm-rollout;pre-rollout;rollout;confirm-traffic-increase;confirm-promotion;post-rollout;rollback
	// +kubebuilder:default=rollout
	// +optional
	Type string `json:"type,omitempty"`

	// URL to POST to.
	// +kubebuilder:validation:XValidation:rule="isURL(self)",message="url must be a URL, e.g. http://loadtester.test/gate/approve"
	URL string `json:"url"`

	// TimeoutSeconds of the call (default: webhooks.timeoutSeconds).
	// +kubebuilder:validation:Minimum=1
	// +optional
	TimeoutSeconds *int `json:"timeoutSeconds,omitempty"`

	// Retries of a failed call.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	// +optional
	Retries int `json:"retries,omitempty"`

	// Metadata is sent with the call.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// RolloutStatus is the rollout's persisted state: a restarted manager
// resumes from it at the same step.
type RolloutStatus struct {
	// ObservedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase of the rollout.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`

	// StableRevision is the revision the primaries run when no rollout is
	// in progress (a ControllerRevision "<rollout>-<revision>" holds it).
	// +optional
	StableRevision string `json:"stableRevision,omitempty"`

	// CanaryRevision is the revision being rolled out (or last tried).
	// +optional
	CanaryRevision string `json:"canaryRevision,omitempty"`

	// FailedRevision is the last revision that failed; it is not tried
	// again until the workload changes.
	// +optional
	FailedRevision string `json:"failedRevision,omitempty"`

	// CurrentStage is the name of the stage in progress.
	// +optional
	CurrentStage string `json:"currentStage,omitempty"`

	// StageIndex is the index of the stage in progress.
	// +optional
	StageIndex int32 `json:"stageIndex,omitempty"`

	// ApprovedStage is the stage of this run a person approved last
	// (stages with requireApproval wait for it).
	// +optional
	ApprovedStage string `json:"approvedStage,omitempty"`

	// StartTime of the current run.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// Clusters are the per-cluster states of the run.
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []ClusterRollout `json:"clusters,omitempty"`

	// Gates are the most recent gate verdicts (newest last, at most 50).
	// +optional
	Gates []GateResult `json:"gates,omitempty"`

	// History lists past runs (newest last, at most 10).
	// +optional
	History []RolloutRun `json:"history,omitempty"`

	// Actions consumed from the apps.kurator.dev/action annotation.
	// +optional
	LastAction string `json:"lastAction,omitempty"`

	// Conditions: Ready (the rollout's spec and target are usable).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// RolloutPhase is where a rollout is.
type RolloutPhase string

// Rollout phases.
const (
	// PhaseInitializing: primaries, Services and routes are being created.
	PhaseInitializing RolloutPhase = "Initializing"
	// PhaseInitialized: every cluster serves the stable revision from its
	// primary; waiting for a new revision.
	PhaseInitialized RolloutPhase = "Initialized"
	// PhaseWaiting: a confirm-rollout hook holds the start.
	PhaseWaiting RolloutPhase = "Waiting"
	// PhaseProgressing: stages are being released.
	PhaseProgressing RolloutPhase = "Progressing"
	// PhaseRollingBack: every cluster is going back to the stable revision.
	PhaseRollingBack RolloutPhase = "RollingBack"
	// PhaseSucceeded: the canary revision is stable everywhere.
	PhaseSucceeded RolloutPhase = "Succeeded"
	// PhaseFailed: the run failed and was rolled back.
	PhaseFailed RolloutPhase = "Failed"
)

// ClusterRollout is one cluster's state in the run.
type ClusterRollout struct {
	// Name of the cluster.
	Name string `json:"name"`

	// Stage is the index of the cluster's stage.
	Stage int32 `json:"stage"`

	// Phase of the cluster.
	Phase ClusterPhase `json:"phase"`

	// Initialized is true once the cluster's primary served the stable
	// revision: from then on the workload itself is only the canary.
	// +optional
	Initialized bool `json:"initialized,omitempty"`

	// PrimaryRevision is the revision the cluster's primary is given.
	// +optional
	PrimaryRevision string `json:"primaryRevision,omitempty"`

	// CanaryWeight is the canary's share of the cluster's traffic.
	CanaryWeight int `json:"canaryWeight"`

	// MatchedToCanary is true while an A/B test sends matched requests to
	// the canary.
	// +optional
	MatchedToCanary bool `json:"matchedToCanary,omitempty"`

	// AppliedWeight and AppliedMatched are the split the member last
	// applied (nil until seen): the canary keeps its replicas until no
	// applied route sends it traffic, so traffic moves before pods go.
	// +optional
	AppliedWeight *int `json:"appliedWeight,omitempty"`
	// +optional
	AppliedMatched bool `json:"appliedMatched,omitempty"`

	// Iterations are the passing checks of an A/B or blue/green run.
	Iterations int `json:"iterations"`

	// FailedChecks of the run so far.
	FailedChecks int `json:"failedChecks"`

	// StartTime is when the cluster's canary started (warm-up and
	// deadlines count from it).
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// TrafficStartTime is when the canary first got traffic (the metric
	// warm-up counts from it).
	// +optional
	TrafficStartTime *metav1.Time `json:"trafficStartTime,omitempty"`

	// LastCheckTime is the last check; the next is due one interval later
	// (in microseconds: whole seconds would make steps up to 1 s early).
	// +optional
	LastCheckTime *metav1.MicroTime `json:"lastCheckTime,omitempty"`

	// LastTransitionTime is when Phase last changed.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`

	// Message says what the cluster waits for.
	// +optional
	Message string `json:"message,omitempty"`
}

// ClusterPhase is where one cluster is in a run.
type ClusterPhase string

// Cluster phases.
const (
	ClusterPending     ClusterPhase = "Pending"
	ClusterProgressing ClusterPhase = "Progressing"
	// ClusterPromoting: the primary is being given the canary revision;
	// traffic moves back to it once it is ready.
	ClusterPromoting ClusterPhase = "Promoting"
	ClusterSucceeded ClusterPhase = "Succeeded"
	ClusterFailed    ClusterPhase = "Failed"
	// ClusterRollingBack: the primary is being put back to the previous
	// revision.
	ClusterRollingBack ClusterPhase = "RollingBack"
	ClusterRolledBack  ClusterPhase = "RolledBack"
)

// GateResult is one gate's verdict.
type GateResult struct {
	// Time of the verdict.
	Time metav1.Time `json:"time"`
	// Cluster judged ("" for the whole rollout).
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// Gate: a metric name, a hook name, or readiness, deadline, action.
	Gate string `json:"gate"`
	// Kind: metric, webhook, readiness, deadline or action.
	Kind string `json:"kind"`
	// Passed is the verdict.
	Passed bool `json:"passed"`
	// Value measured, if any.
	// +optional
	Value string `json:"value,omitempty"`
	// Reason, machine-readable (BelowMin, NoData, Refused, ...).
	Reason string `json:"reason"`
	// Message, for people.
	// +optional
	Message string `json:"message,omitempty"`
}

// RolloutRun is one finished run.
type RolloutRun struct {
	// Revision rolled out.
	Revision string `json:"revision"`
	// From is the revision it replaced.
	// +optional
	From string `json:"from,omitempty"`
	// Phase: Succeeded or Failed.
	Phase RolloutPhase `json:"phase"`
	// StartTime and EndTime of the run.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	EndTime *metav1.Time `json:"endTime,omitempty"`
	// Message: why it ended.
	// +optional
	Message string `json:"message,omitempty"`
}

// ActionAnnotation, set on a Rollout by `kurator rollout promote|abort`,
// asks the controller for an action: "promote/<nonce>" skips the remaining
// analysis of the current stage's clusters, "abort/<nonce>" rolls back.
// Each nonce is acted on once (status.lastAction).
const ActionAnnotation = "apps.kurator.dev/action"

// RevisionAnnotation, on the workload rendered for a member and on its
// primary, is the revision (a hash of the pod template) it carries.
const RevisionAnnotation = "apps.kurator.dev/revision"

// RolloutLabel, on objects a Rollout generates (Works, ControllerRevisions),
// is "<namespace>.<name>" of the Rollout.
const RolloutLabel = "apps.kurator.dev/rollout"

func init() {
	SchemeBuilder.Register(&Rollout{}, &RolloutList{})
}
