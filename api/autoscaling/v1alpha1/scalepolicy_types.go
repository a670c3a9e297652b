package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sp,categories=kurator
// +kubebuilder:printcolumn:name="Trigger",type=string,JSONPath=`.status.trigger`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Value",type=string,JSONPath=`.status.value`
// +kubebuilder:printcolumn:name="Last-Scale",type=date,JSONPath=`.status.lastScaleTime`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!(has(self.spec) && (has(self.trigger) || has(self.action) || has(self.targetClusters)))",message="give the policy either under spec or at the top level (the console's JSON form), not both"
// +kubebuilder:validation:XValidation:rule="has(self.spec) || (has(self.trigger) && has(self.action))",message="a ScalePolicy needs a trigger and an action, under spec or at the top level"
// +kubebuilder:validation:XValidation:rule="!has(self.name) || self.name == self.metadata.name",message="name must equal metadata.name (or be left out)",fieldPath=".name"
// +kubebuilder:validation:XValidation:rule="!has(self.spec) || !has(self.spec.name) || self.spec.name == self.metadata.name",message="spec.name must equal metadata.name (or be left out)",fieldPath=".spec.name"

// ScalePolicy grows and shrinks workloads and node pools in a set of member
// clusters when its trigger fires: a resource metric held above a threshold
// for a duration, a schedule, or a forecast that the metric will cross the
// threshold. When the condition clears and the cooldown has passed, it
// scales back in.
//
// The policy may be written as the console's JSON (name, targetClusters,
// trigger and action at the top level, next to apiVersion, kind and
// metadata) or in the usual form under spec; Resolved returns either as one
// spec.
type ScalePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// The console's form: the spec's fields at the top level.
	ScalePolicySpec `json:",inline"`

	// +optional
	Spec *ScalePolicySpec `json:"spec,omitempty"`

	Status ScalePolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ScalePolicyList is a list of ScalePolicy.
type ScalePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScalePolicy `json:"items"`
}

// ScalePolicySpec is what to watch and what to change.
// +kubebuilder:validation:XValidation:rule="!has(self.trigger) || self.trigger.type == 'cron' || !has(self.trigger.duration) || duration(self.trigger.duration) >= duration(has(self.evaluationInterval) ? self.evaluationInterval : '30s')",message="trigger.duration must be at least the evaluation interval (default 30s): a shorter window holds a single sample",fieldPath=".trigger.duration"
type ScalePolicySpec struct {
	// PolicyName is the console JSON's "name": it repeats metadata.name.
	// (Its Go name differs so that it does not hide ObjectMeta.Name.)
	// +optional
	PolicyName string `json:"name,omitempty"`

	// TargetClusters are the member clusters (AttachedCluster names) whose
	// metrics are watched and whose node pools are scaled. Empty: every
	// cluster the bound workloads are placed in.
	// +kubebuilder:validation:MaxItems=1000
	// +listType=set
	// +optional
	TargetClusters []string `json:"targetClusters,omitempty"`

	// Trigger says when to scale out.
	// +optional
	Trigger *ScaleTrigger `json:"trigger,omitempty"`

	// Action says what to change when the trigger fires.
	// +optional
	Action *ScaleAction `json:"action,omitempty"`

	// Cooldown is the least time between a scale-out and the scale-in that
	// follows it once the condition has cleared, and between two actions in
	// the same direction. Default 5m.
	// +optional
	Cooldown *metav1.Duration `json:"cooldown,omitempty"`

	// EvaluationInterval is how often the trigger is evaluated. Default 30s.
	// +optional
	EvaluationInterval *metav1.Duration `json:"evaluationInterval,omitempty"`

	// ScaleIn turns the scale-in back to the state before the scale-out on
	// (the default) or off: off, the scaled-out state stays until changed.
	// +kubebuilder:validation:Enum=Enabled;Disabled
	// +optional
	ScaleIn string `json:"scaleIn,omitempty"`

	// Suspend stops evaluating the trigger; a manual trigger still runs.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// TriggerType names a kind of trigger.
// +kubebuilder:validation:Enum=resource;cron;predictive
type TriggerType string

const (
	// TriggerResource fires when a resource metric has stayed above the
	// threshold for the whole duration.
	TriggerResource TriggerType = "resource"
	// TriggerCron fires once at every time of its schedule.
	TriggerCron TriggerType = "cron"
	// TriggerPredictive fires a lead time before the forecast of the metric
	// crosses the threshold.
	TriggerPredictive TriggerType = "predictive"
	// TriggerManual is what executions started by `kurator scale trigger`
	// record as their trigger; it is not a spec value.
	TriggerManual TriggerType = "manual"
)

// MetricScope says whose utilisation a resource or predictive trigger reads.
// +kubebuilder:validation:Enum=Workload;Cluster
type MetricScope string

const (
	// ScopeWorkload reads the average utilisation of the action's workloads'
	// pods in each target cluster (usage over requests).
	ScopeWorkload MetricScope = "Workload"
	// ScopeCluster reads each target cluster's utilisation (its nodes' usage
	// over their allocatable).
	ScopeCluster MetricScope = "Cluster"
)

// ScaleTrigger says when to scale out.
// +kubebuilder:validation:XValidation:rule="self.type == 'cron' || has(self.metric)",message="a resource or predictive trigger needs metric (cpu or memory)",fieldPath=".metric"
// +kubebuilder:validation:XValidation:rule="self.type == 'cron' || has(self.threshold)",message="a resource or predictive trigger needs threshold, a utilisation percentage from 1 to 100",fieldPath=".threshold"
// +kubebuilder:validation:XValidation:rule="self.type != 'cron' || has(self.schedule)",message="a cron trigger needs schedule, a cron expression such as \"0 8 * * 1-5\"",fieldPath=".schedule"
// +kubebuilder:validation:XValidation:rule="self.type != 'predictive' || has(self.leadTime)",message="a predictive trigger needs leadTime: how long before the predicted crossing to scale out",fieldPath=".leadTime"
type ScaleTrigger struct {
	// Type is resource, cron or predictive.
	Type TriggerType `json:"type"`

	// Metric is cpu or memory.
	// +kubebuilder:validation:Enum=cpu;memory
	// +optional
	Metric string `json:"metric,omitempty"`

	// Threshold is the utilisation, in percent, above which the trigger
	// fires.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	Threshold *int32 `json:"threshold,omitempty"`

	// ScaleInThreshold is the utilisation, in percent, below which the
	// condition has cleared. Default: the threshold.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	ScaleInThreshold *int32 `json:"scaleInThreshold,omitempty"`

	// Duration is, for a resource trigger, how long the metric must stay
	// above the threshold in a target cluster (default 5m; at least the
	// evaluation interval); for a cron trigger, how long the scaled-out
	// state lasts before the scale-in (empty: until changed).
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`

	// Scope is Workload (the action's workloads' pods; the default when the
	// action names workloads) or Cluster (the whole cluster's nodes).
	// +optional
	Scope MetricScope `json:"scope,omitempty"`

	// Schedule is a cron expression (five fields, or a descriptor such as
	// @daily) for a cron trigger.
	// +optional
	Schedule string `json:"schedule,omitempty"`

	// TimeZone is the IANA time zone of Schedule, for example Asia/Shanghai.
	// Default UTC.
	// +optional
	TimeZone string `json:"timeZone,omitempty"`

	// LeadTime is, for a predictive trigger, how long before the forecast
	// crossing of the threshold to scale out.
	// +optional
	LeadTime *metav1.Duration `json:"leadTime,omitempty"`

	// Season is the length of the metric's cycle for the forecast. Default
	// 24h.
	// +optional
	Season *metav1.Duration `json:"season,omitempty"`

	// History is how much of the metric's past the forecast reads. Default
	// three seasons.
	// +optional
	History *metav1.Duration `json:"history,omitempty"`

	// Query replaces the metric's built-in PromQL with your own, evaluated
	// per target cluster: {{ cluster }} and {{ namespace }} are replaced. Its
	// value is compared with the threshold as a percentage.
	// +optional
	Query string `json:"query,omitempty"`

	// Prometheus is the Prometheus HTTP API to read. Default: the manager's
	// --prometheus-address.
	// +optional
	Prometheus string `json:"prometheus,omitempty"`
}

// ScaleAction is what changes when the trigger fires.
// +kubebuilder:validation:XValidation:rule="has(self.nodePool) || has(self.deployment) || (has(self.workloads) && size(self.workloads) > 0)",message="an action changes something: give nodePool, deployment or workloads"
type ScaleAction struct {
	// Type is scale, the only action.
	// +kubebuilder:validation:Enum=scale
	// +kubebuilder:default=scale
	// +optional
	Type string `json:"type,omitempty"`

	// NodePool grows the named node pool of every target cluster.
	// +optional
	NodePool *NodePoolAction `json:"nodePool,omitempty"`

	// Deployment sets the replicas of one Deployment (in the policy's
	// namespace) on the hub; the scheduler divides them as its propagation
	// policy says.
	// +optional
	Deployment *WorkloadAction `json:"deployment,omitempty"`

	// Workloads lists further workloads to scale.
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Workloads []WorkloadAction `json:"workloads,omitempty"`
}

// WorkloadAction sets the replicas of a workload template on the hub.
// +kubebuilder:validation:XValidation:rule="type(self.replicas) == int ? self.replicas >= 0 : self.replicas.matches('^[+-]?[0-9]+%?$')",message="replicas is a count (30), a change (\"+5\") or a percentage of the current replicas (\"+30%\", \"150%\")",fieldPath=".replicas"
// +kubebuilder:validation:XValidation:rule="type(self.replicas) == int || !self.replicas.matches('^[+-]?[0-9]+%$') || int(self.replicas.replace(\"%\", \"\").replace(\"+\", \"\")) <= 1000",message="a percentage of replicas is at most 1000%",fieldPath=".replicas"
type WorkloadAction struct {
	// APIVersion of the workload. Default apps/v1.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the workload. Default Deployment.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the workload.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace of the workload. Default the policy's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Replicas on scale-out: a count (30), a change ("+5") or a percentage
	// of the replicas before the scale-out ("+30%" adds 30%, "150%" sets
	// one and a half times). At most 1000%.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=8
	Replicas intstr.IntOrString `json:"replicas"`

	// MinReplicas is the count to scale in to. Default: the replicas the
	// workload had before the scale-out.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
}

// NodePoolAction grows a node pool in every target cluster.
// +kubebuilder:validation:XValidation:rule="!has(self.minNodes) || !has(self.maxNodes) || self.minNodes <= self.maxNodes",message="minNodes must not exceed maxNodes",fieldPath=".minNodes"
type NodePoolAction struct {
	// Name of the pool (NodePool spec.poolName) in each target cluster.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// MinNodes is the pool's size after the scale-in.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinNodes *int32 `json:"minNodes,omitempty"`

	// MaxNodes is the pool's size on the scale-out, and its upper bound.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MaxNodes *int32 `json:"maxNodes,omitempty"`
}

// ScalePhase is where a policy is in its cycle.
type ScalePhase string

const (
	// PhaseWatching: nothing scaled out; the trigger is being evaluated.
	PhaseWatching ScalePhase = "Watching"
	// PhaseScaledOut: the action has been applied; waiting for the
	// condition to clear.
	PhaseScaledOut ScalePhase = "ScaledOut"
	// PhaseCoolingDown: the condition has cleared; the scale-in waits for
	// the cooldown.
	PhaseCoolingDown ScalePhase = "CoolingDown"
	// PhaseSuspended: spec.suspend is set.
	PhaseSuspended ScalePhase = "Suspended"
	// PhaseBlocked: the policy cannot act (bad target, conflict, no
	// metrics); the Ready condition says why.
	PhaseBlocked ScalePhase = "Blocked"
)

// ScalePolicyStatus is what the policy last saw and did.
type ScalePolicyStatus struct {
	// ObservedGeneration is the generation last evaluated.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Trigger repeats the trigger's type, for the table.
	// +optional
	Trigger TriggerType `json:"trigger,omitempty"`

	// Phase is Watching, ScaledOut, CoolingDown, Suspended or Blocked.
	// +optional
	Phase ScalePhase `json:"phase,omitempty"`

	// Value is the last evaluation's highest value, for the table
	// ("81.2%").
	// +optional
	Value string `json:"value,omitempty"`

	// LastEvaluationTime is when the trigger was last evaluated.
	// +optional
	LastEvaluationTime *metav1.Time `json:"lastEvaluationTime,omitempty"`

	// NextEvaluationTime is when it will be next (for cron: the next time
	// of the schedule).
	// +optional
	NextEvaluationTime *metav1.Time `json:"nextEvaluationTime,omitempty"`

	// LastScaleTime is when the last execution started.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`

	// ClearedSince is when the condition was first seen cleared after the
	// last scale-out; the scale-in waits for it plus the cooldown.
	// +optional
	ClearedSince *metav1.Time `json:"clearedSince,omitempty"`

	// LastScheduleTime is the last schedule time a cron trigger fired for,
	// so each time fires once.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// HandledTrigger is the value of the autoscaling.kurator.dev/trigger
	// annotation last acted on, so a manual trigger runs once.
	// +optional
	HandledTrigger string `json:"handledTrigger,omitempty"`

	// Clusters are the last evaluation's figures per target cluster.
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []ClusterEvaluation `json:"clusters,omitempty"`

	// Forecast is a predictive trigger's last forecast.
	// +optional
	Forecast *Forecast `json:"forecast,omitempty"`

	// Before holds what the scale-out changed from, to scale back in to.
	// +optional
	Before []ScaleChange `json:"before,omitempty"`

	// Executions are the latest executions, newest first (at most 20).
	// +optional
	Executions []ScaleExecution `json:"executions,omitempty"`

	// Conditions: Ready (the policy can act), TargetsFound, MetricsAvailable,
	// Conflict.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClusterEvaluation is what a trigger read in one cluster.
type ClusterEvaluation struct {
	// Name of the cluster.
	Name string `json:"name"`

	// Value is the latest value, in percent ("81.2").
	// +optional
	Value string `json:"value,omitempty"`

	// Min and Max are the lowest and highest values over the window.
	// +optional
	Min string `json:"min,omitempty"`
	// +optional
	Max string `json:"max,omitempty"`

	// Samples is how many samples the window held.
	// +optional
	Samples int32 `json:"samples,omitempty"`

	// Verdict is Above (held above the threshold for the whole duration),
	// Below (under the scale-in threshold for the whole duration), Mixed
	// (crossed it within the window, so no action) or NoData.
	// +optional
	Verdict string `json:"verdict,omitempty"`

	// Message explains the verdict.
	// +optional
	Message string `json:"message,omitempty"`
}

// Forecast is a predictive trigger's view of the metric's future.
type Forecast struct {
	// Model names the model and its fitted parameters.
	// +optional
	Model string `json:"model,omitempty"`
	// Cluster is the cluster whose forecast crosses first.
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// CrossingTime is when the forecast first exceeds the threshold.
	// +optional
	CrossingTime *metav1.Time `json:"crossingTime,omitempty"`
	// Peak is the forecast's highest value over the next season, percent.
	// +optional
	Peak string `json:"peak,omitempty"`
	// PeakTime is when it is reached.
	// +optional
	PeakTime *metav1.Time `json:"peakTime,omitempty"`
	// Error is the model's mean absolute percentage error on the last
	// season of history, held out ("4.1%").
	// +optional
	Error string `json:"error,omitempty"`
}

// ScaleChange is one target's size before and after an execution.
type ScaleChange struct {
	// Kind is the target's kind: Deployment, StatefulSet, NodePool, ...
	Kind string `json:"kind"`
	// Namespace of a workload.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the workload or pool.
	Name string `json:"name"`
	// Cluster of a node pool.
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// From is the size before.
	From int32 `json:"from"`
	// To is the size asked for.
	To int32 `json:"to"`
	// Ready is how many replicas or nodes were ready when last looked at.
	// +optional
	Ready int32 `json:"ready,omitempty"`
}

// ExecutionResult is how an execution ended.
type ExecutionResult string

const (
	// ResultInProgress: asked for, not all ready yet.
	ResultInProgress ExecutionResult = "InProgress"
	// ResultSucceeded: every target reached its size, ready.
	ResultSucceeded ExecutionResult = "Succeeded"
	// ResultFailed: a change was refused, or the targets did not become
	// ready within the evaluation interval after ten minutes.
	ResultFailed ExecutionResult = "Failed"
)

// ScaleExecution records one execution of the action.
type ScaleExecution struct {
	// ID numbers executions from 1.
	ID int32 `json:"id"`
	// Time the execution started.
	Time metav1.Time `json:"time"`
	// Trigger is what started it: resource, cron, predictive or manual (a
	// string, not a TriggerType: the spec's enum has no manual).
	// +kubebuilder:validation:Enum=resource;cron;predictive;manual
	Trigger string `json:"trigger"`
	// Direction is Out or In.
	// +kubebuilder:validation:Enum=Out;In
	Direction string `json:"direction"`
	// Reason says why, with the metric values ("cpu 81.2% > 70% for 5m in
	// north-cluster (min 78.0%), south-cluster (min 80.1%)").
	Reason string `json:"reason"`
	// Changes are the targets and their sizes.
	// +optional
	Changes []ScaleChange `json:"changes,omitempty"`
	// Result is InProgress, Succeeded or Failed.
	Result ExecutionResult `json:"result"`
	// Message details the result.
	// +optional
	Message string `json:"message,omitempty"`
	// CompletionTime is when the result became final.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// FailedPods are pods of the scaled workloads that are not running, as
	// cluster/namespace/name: reason.
	// +optional
	FailedPods []string `json:"failedPods,omitempty"`
	// FailedNodes are nodes of the scaled pools that are not Ready, as
	// cluster/name: reason.
	// +optional
	FailedNodes []string `json:"failedNodes,omitempty"`
}

// Condition types of a ScalePolicy.
const (
	ConditionReady            = "Ready"
	ConditionTargetsFound     = "TargetsFound"
	ConditionMetricsAvailable = "MetricsAvailable"
	ConditionConflict         = "Conflict"
)

// TriggerAnnotation, set to any new value (kurator scale trigger writes the
// time), runs the policy's scale-out once now.
const TriggerAnnotation = "autoscaling.kurator.dev/trigger"

// Resolved is the policy's spec, from spec or from the top-level form.
func (p *ScalePolicy) Resolved() ScalePolicySpec {
	if p.Spec != nil {
		return *p.Spec
	}
	return p.ScalePolicySpec
}
