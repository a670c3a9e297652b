package v1alpha1

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=fhpa,categories=kurator
// +kubebuilder:printcolumn:name="Reference",type=string,JSONPath=`.spec.scaleTargetRef.name`
// +kubebuilder:printcolumn:name="MinPods",type=integer,JSONPath=`.spec.minReplicas`
// +kubebuilder:printcolumn:name="MaxPods",type=integer,JSONPath=`.spec.maxReplicas`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.status.currentReplicas`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.minReplicas) || self.spec.minReplicas <= self.spec.maxReplicas",message="spec.minReplicas must not exceed spec.maxReplicas",fieldPath=".spec.minReplicas"

// FederatedHPA scales a propagated workload from the metrics of its pods in
// every member cluster, as one HorizontalPodAutoscaler: the result is set on
// the hub's template and divided by its propagation policy.
type FederatedHPA struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec FederatedHPASpec `json:"spec"`
	// +optional
	Status autoscalingv2.HorizontalPodAutoscalerStatus `json:"status,omitempty"`
}

// FederatedHPASpec is an autoscaling/v2 HorizontalPodAutoscalerSpec.
type FederatedHPASpec struct {
	// ScaleTargetRef is the workload template on the hub.
	ScaleTargetRef autoscalingv2.CrossVersionObjectReference `json:"scaleTargetRef"`

	// MinReplicas is the lower bound. Default 1.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// MaxReplicas is the upper bound.
	// +kubebuilder:validation:Minimum=1
	MaxReplicas int32 `json:"maxReplicas"`

	// Metrics to scale on. Default: CPU at 80% average utilisation.
	// +optional
	Metrics []autoscalingv2.MetricSpec `json:"metrics,omitempty"`

	// Behavior tunes the speed of scaling up and down, as in HPA v2.
	// +optional
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// +kubebuilder:object:root=true

// FederatedHPAList is a list of FederatedHPA.
type FederatedHPAList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []FederatedHPA `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cronfhpa,categories=kurator
// +kubebuilder:printcolumn:name="Reference",type=string,JSONPath=`.spec.scaleTargetRef.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// CronFederatedHPA sets a workload's replicas, or a FederatedHPA's bounds,
// at the times of its rules' schedules. Each rule fires once per schedule
// time and nothing reverts what it set.
type CronFederatedHPA struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CronFederatedHPASpec `json:"spec"`
	// +optional
	Status CronFederatedHPAStatus `json:"status,omitempty"`
}

// CronFederatedHPASpec is the target and the rules.
type CronFederatedHPASpec struct {
	// ScaleTargetRef is a workload with a scale subresource, or a
	// FederatedHPA (apiVersion autoscaling.karmada.io/v1alpha1).
	ScaleTargetRef autoscalingv2.CrossVersionObjectReference `json:"scaleTargetRef"`

	// Rules are the schedules and what each sets.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Rules []CronFederatedHPARule `json:"rules"`
}

// CronFederatedHPARule is one schedule.
type CronFederatedHPARule struct {
	// Name identifies the rule in the execution history.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	Name string `json:"name"`

	// Schedule is a cron expression.
	// +kubebuilder:validation:MinLength=1
	Schedule string `json:"schedule"`

	// TargetReplicas is set on a workload target.
	// +optional
	TargetReplicas *int32 `json:"targetReplicas,omitempty"`

	// TargetMinReplicas and TargetMaxReplicas are set on a FederatedHPA
	// target; empty leaves the bound as it is.
	// +optional
	TargetMinReplicas *int32 `json:"targetMinReplicas,omitempty"`
	// +optional
	TargetMaxReplicas *int32 `json:"targetMaxReplicas,omitempty"`

	// Suspend stops the rule.
	// +kubebuilder:default=false
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// TimeZone of the schedule (IANA name). Default the controller's.
	// +optional
	TimeZone *string `json:"timeZone,omitempty"`

	// SuccessfulHistoryLimit is how many successful executions to keep.
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=32
	// +optional
	SuccessfulHistoryLimit *int32 `json:"successfulHistoryLimit,omitempty"`

	// FailedHistoryLimit is how many failed executions to keep.
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=32
	// +optional
	FailedHistoryLimit *int32 `json:"failedHistoryLimit,omitempty"`
}

// CronFederatedHPAStatus is the execution history per rule.
type CronFederatedHPAStatus struct {
	// +optional
	ExecutionHistories []ExecutionHistory `json:"executionHistories,omitempty"`
}

// ExecutionHistory is one rule's past and next execution.
type ExecutionHistory struct {
	RuleName string `json:"ruleName"`
	// +optional
	NextExecutionTime *metav1.Time `json:"nextExecutionTime,omitempty"`
	// +optional
	SuccessfulExecutions []SuccessfulExecution `json:"successfulExecutions,omitempty"`
	// +optional
	FailedExecutions []FailedExecution `json:"failedExecutions,omitempty"`
}

// SuccessfulExecution records a rule that fired and set its values.
type SuccessfulExecution struct {
	ScheduleTime  *metav1.Time `json:"scheduleTime"`
	ExecutionTime *metav1.Time `json:"executionTime"`
	// +optional
	AppliedReplicas *int32 `json:"appliedReplicas,omitempty"`
	// +optional
	AppliedMaxReplicas *int32 `json:"appliedMaxReplicas,omitempty"`
	// +optional
	AppliedMinReplicas *int32 `json:"appliedMinReplicas,omitempty"`
}

// FailedExecution records a rule that fired and could not set its values.
type FailedExecution struct {
	ScheduleTime  *metav1.Time `json:"scheduleTime"`
	ExecutionTime *metav1.Time `json:"executionTime"`
	Message       string       `json:"message"`
}

// +kubebuilder:object:root=true

// CronFederatedHPAList is a list of CronFederatedHPA.
type CronFederatedHPAList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CronFederatedHPA `json:"items"`
}

func init() {
	SchemeBuilder.Register(&FederatedHPA{}, &FederatedHPAList{}, &CronFederatedHPA{}, &CronFederatedHPAList{})
}
