package autoscale

import (
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// This file and the other hpa*.go files are the fleet-wide
// HorizontalPodAutoscaler: Kubernetes' autoscaling/v2 algorithm (the
// replica calculator and the behavior rules of kube-controller-manager's
// podautoscaler) applied, as Karmada's FederatedHPA applies it, to the pods
// of one hub template in every member cluster. HPADesired is one sync of one
// HPA; the caller keeps the HPAHistory between syncs and records a scale in
// it (HPAHistory.RecordScale) once the template was written.

// HPAPodKey names a pod of the fleet: a pod's name is unique only within
// its cluster.
type HPAPodKey struct {
	Cluster string
	Name    string
}

func (k HPAPodKey) String() string { return k.Cluster + "/" + k.Name }

// HPAPod is one pod of the target workload in a member cluster.
type HPAPod struct {
	Cluster string
	Pod     *corev1.Pod
}

// Key is the pod's fleet-wide name.
func (p HPAPod) Key() HPAPodKey { return HPAPodKey{Cluster: p.Cluster, Name: p.Pod.Name} }

// HPAPodMetric is one pod's current value of a metric in milli-units
// (millicores for cpu, thousandths of a byte for memory, as Kubernetes'
// metrics client reads a Quantity's MilliValue), measured at Timestamp over
// Window (a rate's range; 0 for a gauge).
type HPAPodMetric struct {
	Value     int64
	Timestamp time.Time
	Window    time.Duration
}

// HPAObservation is what the caller read for one metric of the spec: a value
// per pod (Resource, ContainerResource and Pods metrics), or why it could not
// be read.
type HPAObservation struct {
	Pods map[HPAPodKey]HPAPodMetric
	Err  error
}

// HPAConfig are kube-controller-manager's HPA flags; zero fields take
// Kubernetes' defaults (HPADefaultConfig).
type HPAConfig struct {
	// Tolerance is the relative distance from the target within which no
	// scaling happens (--horizontal-pod-autoscaler-tolerance, 0.1). A
	// behavior's scaleUp/scaleDown tolerance overrides it per direction.
	Tolerance float64
	// CPUInitializationPeriod is how long after a pod starts its CPU samples
	// are distrusted unless it is ready and has been for one metric window
	// (--horizontal-pod-autoscaler-cpu-initialization-period, 5m).
	CPUInitializationPeriod time.Duration
	// DelayOfInitialReadinessStatus is how long after start a pod that is
	// not ready is taken as not having become ready yet
	// (--horizontal-pod-autoscaler-initial-readiness-delay, 30s).
	DelayOfInitialReadinessStatus time.Duration
	// DownscaleStabilizationWindow is the scale-down window of a behavior
	// that gives none (--horizontal-pod-autoscaler-downscale-stabilization, 5m).
	DownscaleStabilizationWindow time.Duration
	// TimeDivisor divides the behavior's periods and stabilization windows
	// (tests run a 5-minute window in 30 s with 10); 0 or 1 leaves them.
	// The durations above are the caller's to divide.
	TimeDivisor float64
}

// hpaSeconds is n seconds of a behavior, divided by TimeDivisor.
func (c HPAConfig) hpaSeconds(n int32) time.Duration {
	d := time.Duration(n) * time.Second
	if c.TimeDivisor > 1 {
		d = time.Duration(float64(d) / c.TimeDivisor)
	}
	return d
}

// HPADefaultConfig returns Kubernetes' defaults.
func HPADefaultConfig() HPAConfig {
	return HPAConfig{
		Tolerance:                     0.1,
		CPUInitializationPeriod:       5 * time.Minute,
		DelayOfInitialReadinessStatus: 30 * time.Second,
		DownscaleStabilizationWindow:  5 * time.Minute,
	}
}

func (c HPAConfig) withDefaults() HPAConfig {
	d := HPADefaultConfig()
	if c.Tolerance <= 0 {
		c.Tolerance = d.Tolerance
	}
	if c.CPUInitializationPeriod <= 0 {
		c.CPUInitializationPeriod = d.CPUInitializationPeriod
	}
	if c.DelayOfInitialReadinessStatus <= 0 {
		c.DelayOfInitialReadinessStatus = d.DelayOfInitialReadinessStatus
	}
	if c.DownscaleStabilizationWindow <= 0 {
		c.DownscaleStabilizationWindow = d.DownscaleStabilizationWindow
	}
	return c
}

// HPAInput is everything one sync of one HPA decides from.
type HPAInput struct {
	// Spec is the HPA's spec (a FederatedHPA's converts field for field).
	// Defaults are applied here: minReplicas 1, CPU at 80% when no metric
	// is given, and the behavior of HPAWithDefaultBehavior.
	Spec autoscalingv2.HorizontalPodAutoscalerSpec
	// TemplateReplicas is the hub template's spec.replicas: the current
	// replica count the HPA scales from, and the one it writes.
	TemplateReplicas int32
	// MemberReplicas is the sum of spec.replicas of the workload in the ready
	// member clusters. It calibrates the pod counts to the template: with a
	// policy that gives every cluster the full count (Duplicated), two
	// clusters run twice the template's replicas.
	MemberReplicas int32
	// Pods are the workload's pods in the ready member clusters.
	Pods []HPAPod
	// Observations hold one entry per metric of HPAMetrics(Spec), in order.
	Observations []HPAObservation
	// History is what the previous syncs recorded (zero for the first).
	History HPAHistory
	// Now is the time of this sync.
	Now    time.Time
	Config HPAConfig
}

// HPAResult is the decision of one sync.
type HPAResult struct {
	CurrentReplicas int32
	// DesiredReplicas is what the template should have; equal to
	// CurrentReplicas when nothing changes.
	DesiredReplicas int32
	// Rescale says the template's replicas are to be written.
	Rescale bool
	// Reason explains a rescale, as the HPA's SuccessfulRescale event does.
	Reason string
	// CurrentMetrics is status.currentMetrics.
	CurrentMetrics []autoscalingv2.MetricStatus
	// Conditions are AbleToScale, ScalingActive and ScalingLimited as far as
	// the decision sets them (no transition times: the caller merges them
	// into status). After writing the template the caller sets AbleToScale
	// to SucceededRescale or FailedUpdateScale.
	Conditions []autoscalingv2.HorizontalPodAutoscalerCondition
	// History is the input history with this sync's recommendation.
	History HPAHistory
	// Err is set when a metric could not be computed; with Rescale the
	// other metrics were enough to decide.
	Err error
}

// HPAMetrics returns the metrics an HPA scales on: its spec's, or CPU at
// 80% average utilisation when it gives none (the autoscaling/v2 default).
func HPAMetrics(spec autoscalingv2.HorizontalPodAutoscalerSpec) []autoscalingv2.MetricSpec {
	if len(spec.Metrics) > 0 {
		return spec.Metrics
	}
	return []autoscalingv2.MetricSpec{{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{
			Name:   corev1.ResourceCPU,
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](80)},
		},
	}}
}

// HPADesired runs one sync of an HPA over the fleet's pods, as
// kube-controller-manager's reconcileAutoscaler does over one cluster's,
// with Karmada's calibration: the template's replicas outside [min, max]
// are brought back; otherwise every metric proposes a count, the largest
// wins, and the behavior's stabilization window and rate limits bound it.
func HPADesired(in HPAInput) HPAResult {
	cfg := in.Config.withDefaults()
	spec := HPAWithDefaultBehavior(in.Spec)
	minReplicas := ptr.Deref(spec.MinReplicas, 1)
	current := in.TemplateReplicas
	res := HPAResult{CurrentReplicas: current, DesiredReplicas: current, History: in.History.clone()}
	res.History.hpaRecordInitial(current, in.Now)

	switch {
	case current == 0 && minReplicas != 0:
		res.setCondition(autoscalingv2.ScalingActive, corev1.ConditionFalse, "ScalingDisabled",
			"scaling is disabled since the replica count of the target is zero; set the template's replicas to scale again")
		return res
	case current > spec.MaxReplicas:
		res.rescaleTo(spec.MaxReplicas, "Current number of replicas above Spec.MaxReplicas")
		return res
	case current < minReplicas:
		res.rescaleTo(minReplicas, "Current number of replicas below Spec.MinReplicas")
		return res
	}
	if in.MemberReplicas <= 0 {
		res.setCondition(autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedGetScale",
			"the workload has no replicas in any ready member cluster yet; wait for the members to run it, or check the binding's clusters")
		res.Err = errors.New("no replicas in any ready member cluster")
		return res
	}
	res.setCondition(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale")

	proposal, metric, err := res.hpaComputeMetrics(in, spec, cfg)
	res.Err = err
	if proposal < 0 {
		return res
	}
	desired := proposal
	switch {
	case desired > current:
		res.Reason = metric + " above target"
	case desired < current:
		res.Reason = "All metrics below target"
	}
	desired = res.hpaNormalize(hpaNormalizeArgs{
		spec: spec, cfg: cfg, current: current, proposal: desired, minReplicas: minReplicas, now: in.Now,
	})
	res.DesiredReplicas = desired
	res.Rescale = desired != current
	return res
}

// rescaleTo brings a template outside [min, max] back inside.
func (r *HPAResult) rescaleTo(n int32, reason string) {
	r.DesiredReplicas, r.Rescale, r.Reason = n, n != r.CurrentReplicas, reason
	r.setCondition(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale")
}

// hpaComputeMetrics is computeReplicasForMetrics: the largest proposal of
// the metrics that could be computed. It returns -1 when none could, or
// when some could not and the others would scale down (a missing metric
// must not shrink the workload).
func (r *HPAResult) hpaComputeMetrics(in HPAInput, spec autoscalingv2.HorizontalPodAutoscalerSpec, cfg HPAConfig) (int32, string, error) {
	metrics := HPAMetrics(spec)
	calibration := float64(in.MemberReplicas) / float64(in.TemplateReplicas)
	r.CurrentMetrics = make([]autoscalingv2.MetricStatus, 0, len(metrics))
	var (
		replicas        int32
		metricName      string
		invalid         int
		firstErr        error
		firstCondReason string
		firstCondMsg    string
	)
	for i, m := range metrics {
		var obs HPAObservation
		if i < len(in.Observations) {
			obs = in.Observations[i]
		} else {
			obs.Err = errors.New("no value was read for this metric")
		}
		p, err := hpaReplicasForMetric(m, obs, hpaCalcInput{
			current: in.TemplateReplicas, pods: in.Pods, calibration: calibration, now: in.Now, cfg: cfg,
			upTolerance: hpaTolerance(spec.Behavior.ScaleUp, cfg), downTolerance: hpaTolerance(spec.Behavior.ScaleDown, cfg),
		})
		if err != nil {
			if invalid == 0 {
				firstErr = err
				firstCondReason = hpaFailedReason(m.Type)
				firstCondMsg = "the HPA was unable to compute the replica count: " + err.Error()
			}
			invalid++
			// Kubernetes keeps a status entry per metric; an unread one is empty.
			r.CurrentMetrics = append(r.CurrentMetrics, autoscalingv2.MetricStatus{})
			continue
		}
		r.CurrentMetrics = append(r.CurrentMetrics, p.status)
		if replicas == 0 || p.replicas > replicas {
			replicas, metricName = p.replicas, p.name
		}
	}
	r.CurrentMetrics = hpaDropEmpty(r.CurrentMetrics)
	if invalid >= len(metrics) || (invalid > 0 && replicas < in.TemplateReplicas) {
		r.setCondition(autoscalingv2.ScalingActive, corev1.ConditionFalse, firstCondReason, firstCondMsg)
		return -1, "", firstErr
	}
	r.setCondition(autoscalingv2.ScalingActive, corev1.ConditionTrue, "ValidMetricFound",
		"the HPA was able to successfully calculate a replica count from "+metricName)
	return replicas, metricName, firstErr
}

func hpaDropEmpty(in []autoscalingv2.MetricStatus) []autoscalingv2.MetricStatus {
	out := in[:0]
	for _, s := range in {
		if s.Type != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// hpaFailedReason is the ScalingActive=False reason of a metric that could
// not be computed, as Kubernetes names it per source type.
func hpaFailedReason(t autoscalingv2.MetricSourceType) string {
	switch t {
	case autoscalingv2.ResourceMetricSourceType:
		return "FailedGetResourceMetric"
	case autoscalingv2.ContainerResourceMetricSourceType:
		return "FailedGetContainerResourceMetric"
	case autoscalingv2.PodsMetricSourceType:
		return "FailedGetPodsMetric"
	case autoscalingv2.ObjectMetricSourceType:
		return "FailedGetObjectMetric"
	case autoscalingv2.ExternalMetricSourceType:
		return "FailedGetExternalMetric"
	}
	return "InvalidMetricSourceType"
}

// hpaTolerance is a direction's tolerance: the behavior's, else the flag's.
func hpaTolerance(rules *autoscalingv2.HPAScalingRules, cfg HPAConfig) float64 {
	if rules != nil && rules.Tolerance != nil {
		return rules.Tolerance.AsApproximateFloat64()
	}
	return cfg.Tolerance
}

// setCondition sets a condition of the result, replacing one of its type.
func (r *HPAResult) setCondition(t autoscalingv2.HorizontalPodAutoscalerConditionType, s corev1.ConditionStatus, reason, msg string) {
	c := autoscalingv2.HorizontalPodAutoscalerCondition{Type: t, Status: s, Reason: reason, Message: msg}
	for i := range r.Conditions {
		if r.Conditions[i].Type == t {
			r.Conditions[i] = c
			return
		}
	}
	r.Conditions = append(r.Conditions, c)
}

// HPACondition returns the condition of type t, if set.
func HPACondition(conds []autoscalingv2.HorizontalPodAutoscalerCondition, t autoscalingv2.HorizontalPodAutoscalerConditionType) (autoscalingv2.HorizontalPodAutoscalerCondition, bool) {
	for _, c := range conds {
		if c.Type == t {
			return c, true
		}
	}
	return autoscalingv2.HorizontalPodAutoscalerCondition{}, false
}

// HPAMergeConditions sets each of the new conditions in have, keeping the
// last transition time of a condition whose status did not change and
// stamping now on the others. Conditions of other types are kept.
func HPAMergeConditions(have, set []autoscalingv2.HorizontalPodAutoscalerCondition, now time.Time) []autoscalingv2.HorizontalPodAutoscalerCondition {
	out := append([]autoscalingv2.HorizontalPodAutoscalerCondition(nil), have...)
	for _, c := range set {
		found := false
		for i := range out {
			if out[i].Type != c.Type {
				continue
			}
			found = true
			if out[i].Status != c.Status || out[i].LastTransitionTime.IsZero() {
				c.LastTransitionTime.Time = now
			} else {
				c.LastTransitionTime = out[i].LastTransitionTime
			}
			out[i] = c
		}
		if !found {
			c.LastTransitionTime.Time = now
			out = append(out, c)
		}
	}
	return out
}

// hpaMilli is a milli-value as a Quantity, as HPA status shows it.
func hpaMilli(v int64) *resource.Quantity { return resource.NewMilliQuantity(v, resource.DecimalSI) }

// hpaErrorf formats an error of the replica calculator.
func hpaErrorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
