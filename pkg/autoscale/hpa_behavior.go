package autoscale

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// HPAWithDefaultBehavior returns the spec with autoscaling/v2's behavior
// defaults filled in: scale-up with no stabilization window and the larger
// of 4 pods or 100% per 15 s; scale-down with 100% per 15 s and the
// controller's window (HPAConfig.DownscaleStabilizationWindow) unless one is
// given. A rule given in part keeps its fields and takes the defaults for
// the rest, as the API server's defaulting does. An HPA with no behavior at
// all gets the same defaults (Kubernetes runs a legacy path for it whose
// limits, 2x or 4 pods per sync, are nearly the same).
func HPAWithDefaultBehavior(spec autoscalingv2.HorizontalPodAutoscalerSpec) autoscalingv2.HorizontalPodAutoscalerSpec {
	out := *spec.DeepCopy()
	if out.Behavior == nil {
		out.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	}
	out.Behavior.ScaleUp = hpaRulesWithDefaults(out.Behavior.ScaleUp, autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](0),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	})
	out.Behavior.ScaleDown = hpaRulesWithDefaults(out.Behavior.ScaleDown, autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies:     []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	})
	return out
}

func hpaRulesWithDefaults(have *autoscalingv2.HPAScalingRules, def autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if have == nil {
		return &def
	}
	out := have.DeepCopy()
	if out.StabilizationWindowSeconds == nil {
		out.StabilizationWindowSeconds = def.StabilizationWindowSeconds
	}
	if out.SelectPolicy == nil {
		out.SelectPolicy = def.SelectPolicy
	}
	if out.Policies == nil {
		out.Policies = def.Policies
	}
	return out
}

// HPAHistory is what an HPA remembers between syncs, as
// kube-controller-manager keeps it in memory: the recommendations of recent
// syncs (for the stabilization windows) and the recent scale events (for
// the rate limits of the policies' periods).
type HPAHistory struct {
	Recommendations []HPARecommendation
	ScaleUps        []HPAScaleEvent
	ScaleDowns      []HPAScaleEvent
}

// HPARecommendation is one sync's proposal before stabilization.
type HPARecommendation struct {
	Replicas int32
	Time     time.Time
}

// HPAScaleEvent is one change of the template's replicas (Change > 0).
type HPAScaleEvent struct {
	Change int32
	Time   time.Time
}

func (h HPAHistory) clone() HPAHistory {
	return HPAHistory{
		Recommendations: append([]HPARecommendation(nil), h.Recommendations...),
		ScaleUps:        append([]HPAScaleEvent(nil), h.ScaleUps...),
		ScaleDowns:      append([]HPAScaleEvent(nil), h.ScaleDowns...),
	}
}

// hpaRecordInitial records the current count as the first recommendation,
// so that an HPA that just appeared does not scale down before its
// stabilization window has seen the workload.
func (h *HPAHistory) hpaRecordInitial(current int32, now time.Time) {
	if len(h.Recommendations) == 0 {
		h.Recommendations = append(h.Recommendations, HPARecommendation{Replicas: current, Time: now})
	}
}

// RecordScale returns the history with a change of the template from prev
// to next replicas at now; events older than the longest period of the
// direction's policies are dropped (they limit nothing any more). Call it
// after the template was written.
func (h HPAHistory) RecordScale(spec autoscalingv2.HorizontalPodAutoscalerSpec, prev, next int32, now time.Time) HPAHistory {
	out := h.clone()
	b := HPAWithDefaultBehavior(spec).Behavior
	switch {
	case next > prev:
		out.ScaleUps = append(hpaRecentEvents(out.ScaleUps, b.ScaleUp, now), HPAScaleEvent{Change: next - prev, Time: now})
	case next < prev:
		out.ScaleDowns = append(hpaRecentEvents(out.ScaleDowns, b.ScaleDown, now), HPAScaleEvent{Change: prev - next, Time: now})
	}
	return out
}

func hpaRecentEvents(events []HPAScaleEvent, rules *autoscalingv2.HPAScalingRules, now time.Time) []HPAScaleEvent {
	var longest int32
	for _, p := range rules.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	cutoff := now.Add(-time.Duration(longest) * time.Second)
	out := events[:0]
	for _, e := range events {
		if e.Time.After(cutoff) {
			out = append(out, e)
		}
	}
	return out
}

// hpaNormalizeArgs is the input of hpaNormalize.
type hpaNormalizeArgs struct {
	spec        autoscalingv2.HorizontalPodAutoscalerSpec // with behavior defaults
	cfg         HPAConfig
	current     int32
	proposal    int32
	minReplicas int32
	now         time.Time
}

// hpaNormalize is normalizeDesiredReplicasWithBehaviors: stabilize the
// proposal over the windows, then bound it by the policies' rates and by
// [min, max], setting AbleToScale and ScalingLimited as Kubernetes does.
func (r *HPAResult) hpaNormalize(a hpaNormalizeArgs) int32 {
	b := a.spec.Behavior
	stabilized, reason, msg := r.History.hpaStabilize(a, b)
	if stabilized != a.proposal {
		r.setCondition(autoscalingv2.AbleToScale, corev1.ConditionTrue, reason, msg)
	} else {
		r.setCondition(autoscalingv2.AbleToScale, corev1.ConditionTrue, "ReadyForNewScale", "recommended size matches current size")
	}
	desired, reason, msg := hpaRateLimit(a, b, stabilized, r.History)
	status := corev1.ConditionTrue
	if desired == stabilized {
		status = corev1.ConditionFalse
	}
	r.setCondition(autoscalingv2.ScalingLimited, status, reason, msg)
	return desired
}

// hpaStabilize records the proposal and returns it held within the
// recommendations of the windows: no higher than the highest of the
// scale-down window, no lower than the lowest of the scale-up window, so a
// count goes down only when every proposal of the last 5 minutes (by
// default) was as low.
func (h *HPAHistory) hpaStabilize(a hpaNormalizeArgs, b *autoscalingv2.HorizontalPodAutoscalerBehavior) (int32, string, string) {
	upWindow := a.cfg.hpaSeconds(ptr.Deref(b.ScaleUp.StabilizationWindowSeconds, 0))
	downWindow := a.cfg.DownscaleStabilizationWindow
	if b.ScaleDown.StabilizationWindowSeconds != nil {
		downWindow = a.cfg.hpaSeconds(*b.ScaleDown.StabilizationWindowSeconds)
	}
	upCutoff, downCutoff := a.now.Add(-upWindow), a.now.Add(-downWindow)
	up, down := a.proposal, a.proposal
	kept := h.Recommendations[:0]
	for _, rec := range h.Recommendations {
		if rec.Time.After(upCutoff) {
			up = min(up, rec.Replicas)
		}
		if rec.Time.After(downCutoff) {
			down = max(down, rec.Replicas)
		}
		if rec.Time.After(upCutoff) || rec.Time.After(downCutoff) {
			kept = append(kept, rec)
		}
	}
	h.Recommendations = append(kept, HPARecommendation{Replicas: a.proposal, Time: a.now})
	rec := max(a.current, up)
	rec = min(rec, down)
	if a.proposal >= a.current {
		return rec, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"
	}
	return rec, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
}

// hpaRateLimit is convertDesiredReplicasWithBehaviorRate: the stabilized
// count bounded by what the policies allow from the count at the start of
// their periods, and by [min, max].
func hpaRateLimit(a hpaNormalizeArgs, b *autoscalingv2.HorizontalPodAutoscalerBehavior, desired int32, h HPAHistory) (int32, string, string) {
	switch {
	case desired > a.current:
		limit := max(hpaScaleUpLimit(a.current, h, b.ScaleUp, a.now, a.cfg), a.current)
		allowed := a.spec.MaxReplicas
		reason, msg := "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		if allowed > limit {
			allowed = limit
			reason, msg = "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
		}
		if desired > allowed {
			return allowed, reason, msg
		}
	case desired < a.current:
		limit := min(hpaScaleDownLimit(a.current, h, b.ScaleDown, a.now, a.cfg), a.current)
		allowed := a.minReplicas
		reason, msg := "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		if allowed < limit {
			allowed = limit
			reason, msg = "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
		}
		if desired < allowed {
			return allowed, reason, msg
		}
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

// hpaChangeInPeriod sums the changes of the events within the last period.
func hpaChangeInPeriod(period time.Duration, events []HPAScaleEvent, now time.Time) int32 {
	cutoff := now.Add(-period)
	var n int32
	for _, e := range events {
		if e.Time.After(cutoff) {
			n += e.Change
		}
	}
	return n
}

// hpaScaleUpLimit is the most replicas the scale-up policies allow now:
// per policy, the count at the start of its period plus its pods or
// percentage (rounded up, so a percentage always adds one); the largest
// (selectPolicy Max) or smallest (Min) of them; the current count when
// scale-up is Disabled.
func hpaScaleUpLimit(current int32, h HPAHistory, rules *autoscalingv2.HPAScalingRules, now time.Time, cfg HPAConfig) int32 {
	sel := ptr.Deref(rules.SelectPolicy, autoscalingv2.MaxChangePolicySelect)
	if sel == autoscalingv2.DisabledPolicySelect {
		return current
	}
	result := int32(math.MinInt32)
	pick := func(a, b int32) int32 { return max(a, b) }
	if sel == autoscalingv2.MinChangePolicySelect {
		result = math.MaxInt32
		pick = func(a, b int32) int32 { return min(a, b) }
	}
	for _, p := range rules.Policies {
		period := cfg.hpaSeconds(p.PeriodSeconds)
		start := current - hpaChangeInPeriod(period, h.ScaleUps, now) + hpaChangeInPeriod(period, h.ScaleDowns, now)
		var proposed int32
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start + p.Value
		case autoscalingv2.PercentScalingPolicy:
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		default:
			continue
		}
		result = pick(result, proposed)
	}
	if result == math.MinInt32 || result == math.MaxInt32 {
		return current
	}
	return result
}

// hpaScaleDownLimit is the fewest replicas the scale-down policies allow
// now: per policy, the count at the start of its period less its pods or
// percentage (rounded down); the smallest (selectPolicy Max: the largest
// change) or largest (Min) of them; the current count when Disabled.
func hpaScaleDownLimit(current int32, h HPAHistory, rules *autoscalingv2.HPAScalingRules, now time.Time, cfg HPAConfig) int32 {
	sel := ptr.Deref(rules.SelectPolicy, autoscalingv2.MaxChangePolicySelect)
	if sel == autoscalingv2.DisabledPolicySelect {
		return current
	}
	result := int32(math.MaxInt32)
	pick := func(a, b int32) int32 { return min(a, b) }
	if sel == autoscalingv2.MinChangePolicySelect {
		result = math.MinInt32
		pick = func(a, b int32) int32 { return max(a, b) }
	}
	for _, p := range rules.Policies {
		period := cfg.hpaSeconds(p.PeriodSeconds)
		start := current - hpaChangeInPeriod(period, h.ScaleUps, now) + hpaChangeInPeriod(period, h.ScaleDowns, now)
		var proposed int32
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start - p.Value
		case autoscalingv2.PercentScalingPolicy:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		default:
			continue
		}
		result = pick(result, proposed)
	}
	if result == math.MinInt32 || result == math.MaxInt32 {
		return current
	}
	return result
}
