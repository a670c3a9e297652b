package autoscale

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

func hpaSpec(minR, maxR int32, metrics ...autoscalingv2.MetricSpec) autoscalingv2.HorizontalPodAutoscalerSpec {
	return autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "app"},
		MinReplicas:    ptr.To(minR), MaxReplicas: maxR, Metrics: metrics,
	}
}

// hpaSeedSpec is seed 001's cost-aware-hpa: 3 to 20 replicas at 50% cpu,
// scaling down at most by the smaller of 50% and 5 pods per minute.
func hpaSeedSpec() autoscalingv2.HorizontalPodAutoscalerSpec {
	s := hpaSpec(3, 20, hpaCPUUtilization(50))
	s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60},
			{Type: autoscalingv2.PodsScalingPolicy, Value: 5, PeriodSeconds: 60},
		},
		SelectPolicy: ptr.To(autoscalingv2.MinChangePolicySelect),
	}}
	return s
}

// hpaUniform returns n pods and each one's usage in millicores.
func hpaUniform(n int, milli int64) ([]HPAPod, map[HPAPodKey]HPAPodMetric) {
	pods := hpaMakePods(make([]hpaTestPod, n)...)
	levels := make([]int64, n)
	for i := range levels {
		levels[i] = milli
	}
	return pods, hpaLevels(pods, levels...)
}

func hpaCond(t *testing.T, r HPAResult, ct autoscalingv2.HorizontalPodAutoscalerConditionType) autoscalingv2.HorizontalPodAutoscalerCondition {
	t.Helper()
	c, ok := HPACondition(r.Conditions, ct)
	if !ok {
		t.Fatalf("no %s condition in %+v", ct, r.Conditions)
	}
	return c
}

func TestHPADesired(t *testing.T) {
	memory := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("100"))},
	}}
	pods4, cpu4 := hpaUniform(4, 900) // 90% of request
	memLevels := func(v int64) map[HPAPodKey]HPAPodMetric {
		m := map[HPAPodKey]HPAPodMetric{}
		for _, p := range pods4 {
			m[p.Key()] = HPAPodMetric{Value: v * 1000, Timestamp: hpaTestNow}
		}
		return m
	}
	failedRead := HPAObservation{Err: errors.New("prometheus: connection refused")}
	tests := []struct {
		name         string
		spec         autoscalingv2.HorizontalPodAutoscalerSpec
		template     int32
		members      int32
		obs          []HPAObservation
		want         int32
		wantRescale  bool
		wantReason   string
		wantActive   corev1.ConditionStatus
		wantActiveIs string
		wantLimited  string
		wantErr      bool
	}{
		{name: "cpu at 90% of a 50% target scales 4 to 8", spec: hpaSpec(1, 10, hpaCPUUtilization(50)), template: 4, members: 4,
			obs: []HPAObservation{{Pods: cpu4}}, want: 8, wantRescale: true, wantReason: "cpu resource utilization (percentage of request) above target",
			wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "DesiredWithinRange"},
		{name: "no metric given means cpu at 80%: 90% scales 4 to 5", spec: hpaSpec(1, 10), template: 4, members: 4,
			obs: []HPAObservation{{Pods: cpu4}}, want: 5, wantRescale: true, wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "DesiredWithinRange"},
		{name: "no metric given means cpu at 80%: 85% is within the tolerance, stays at 4", spec: hpaSpec(1, 10), template: 4, members: 4,
			obs: []HPAObservation{{Pods: hpaLevels(pods4, 850, 850, 850, 850)}}, want: 4, wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "DesiredWithinRange"},
		{name: "the largest proposal wins: cpu wants 5, memory wants 7", spec: hpaSpec(1, 20, hpaCPUUtilization(50), memory), template: 4, members: 4,
			obs: []HPAObservation{{Pods: hpaLevels(pods4, 600, 600, 600, 600)}, {Pods: memLevels(175)}}, want: 7, wantRescale: true, wantReason: "memory resource above target",
			wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "DesiredWithinRange"},
		{name: "max bounds the proposal: 8 wanted, 6 allowed", spec: hpaSpec(1, 6, hpaCPUUtilization(50)), template: 4, members: 4,
			obs: []HPAObservation{{Pods: cpu4}}, want: 6, wantRescale: true, wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "TooManyReplicas"},
		{name: "a template above max is brought to max without reading metrics", spec: hpaSpec(1, 3, hpaCPUUtilization(50)), template: 5, members: 5,
			want: 3, wantRescale: true, wantReason: "Current number of replicas above Spec.MaxReplicas"},
		{name: "a template below min is brought to min", spec: hpaSpec(3, 10, hpaCPUUtilization(50)), template: 1, members: 1,
			want: 3, wantRescale: true, wantReason: "Current number of replicas below Spec.MinReplicas"},
		{name: "a template at zero replicas is not scaled", spec: hpaSpec(1, 10, hpaCPUUtilization(50)), template: 0, members: 0,
			want: 0, wantActive: corev1.ConditionFalse, wantActiveIs: "ScalingDisabled"},
		{name: "no replicas in any member yet: no change, an error", spec: hpaSpec(1, 10, hpaCPUUtilization(50)), template: 4, members: 0,
			obs: []HPAObservation{{Pods: cpu4}}, want: 4, wantErr: true},
		{name: "the only metric failing: no change, ScalingActive=False", spec: hpaSpec(1, 10, hpaCPUUtilization(50)), template: 4, members: 4,
			obs: []HPAObservation{failedRead}, want: 4, wantActive: corev1.ConditionFalse, wantActiveIs: "FailedGetResourceMetric", wantErr: true},
		{name: "one metric failing, the other scaling up: scale up", spec: hpaSpec(1, 20, memory, hpaCPUUtilization(50)), template: 4, members: 4,
			obs: []HPAObservation{failedRead, {Pods: cpu4}}, want: 8, wantRescale: true, wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "DesiredWithinRange", wantErr: true},
		{name: "one metric failing, the other scaling down: no change (a missing metric never shrinks)", spec: hpaSpec(1, 20, memory, hpaCPUUtilization(50)), template: 4, members: 4,
			obs: []HPAObservation{failedRead, {Pods: hpaLevels(pods4, 100, 100, 100, 100)}}, want: 4, wantActive: corev1.ConditionFalse, wantActiveIs: "FailedGetResourceMetric", wantErr: true},
		{name: "calibration: members run twice the template (Duplicated on 2 clusters), 8 pods at 90% of 50% scale the template 4 to 8", spec: hpaSpec(1, 20, hpaCPUUtilization(50)), template: 4, members: 8,
			want: 8, wantRescale: true, wantActive: corev1.ConditionTrue, wantActiveIs: "ValidMetricFound", wantLimited: "DesiredWithinRange"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods := pods4
			obs := tt.obs
			if tt.members == 8 {
				var m map[HPAPodKey]HPAPodMetric
				pods, m = hpaUniform(8, 900)
				obs = []HPAObservation{{Pods: m}}
			}
			r := HPADesired(HPAInput{Spec: tt.spec, TemplateReplicas: tt.template, MemberReplicas: tt.members, Pods: pods, Observations: obs, Now: hpaTestNow})
			if r.DesiredReplicas != tt.want || r.Rescale != tt.wantRescale {
				t.Fatalf("desired %d rescale %v, want %d %v (conditions %+v, err %v)", r.DesiredReplicas, r.Rescale, tt.want, tt.wantRescale, r.Conditions, r.Err)
			}
			if tt.wantReason != "" && r.Reason != tt.wantReason {
				t.Errorf("reason %q, want %q", r.Reason, tt.wantReason)
			}
			if tt.wantActive != "" {
				c := hpaCond(t, r, autoscalingv2.ScalingActive)
				if c.Status != tt.wantActive || c.Reason != tt.wantActiveIs {
					t.Errorf("ScalingActive %s/%s, want %s/%s (%s)", c.Status, c.Reason, tt.wantActive, tt.wantActiveIs, c.Message)
				}
			}
			if tt.wantLimited != "" {
				if c := hpaCond(t, r, autoscalingv2.ScalingLimited); c.Reason != tt.wantLimited {
					t.Errorf("ScalingLimited reason %s, want %s", c.Reason, tt.wantLimited)
				}
			}
			if (r.Err != nil) != tt.wantErr {
				t.Errorf("err = %v, want an error: %v", r.Err, tt.wantErr)
			}
		})
	}
}

func TestHPADesiredStatusMetrics(t *testing.T) {
	pods, m := hpaUniform(4, 900)
	r := HPADesired(HPAInput{Spec: hpaSpec(1, 10, hpaCPUUtilization(50)), TemplateReplicas: 4, MemberReplicas: 4, Pods: pods,
		Observations: []HPAObservation{{Pods: m}}, Now: hpaTestNow})
	if len(r.CurrentMetrics) != 1 || r.CurrentMetrics[0].Resource == nil {
		t.Fatalf("currentMetrics = %+v, want one resource status", r.CurrentMetrics)
	}
	cur := r.CurrentMetrics[0].Resource.Current
	if *cur.AverageUtilization != 90 || cur.AverageValue.String() != "900m" {
		t.Errorf("current = %d%% %s, want 90%% 900m", *cur.AverageUtilization, cur.AverageValue)
	}
	if c := hpaCond(t, r, autoscalingv2.ScalingActive); !strings.Contains(c.Message, "cpu resource utilization (percentage of request)") {
		t.Errorf("ScalingActive message %q does not name the metric", c.Message)
	}
}

// TestHPABehaviorRates checks the policies' limits on one sync from a
// given history, as Kubernetes' TestScalingWithRules does.
func TestHPABehaviorRates(t *testing.T) {
	up := func(rules autoscalingv2.HPAScalingRules) *autoscalingv2.HorizontalPodAutoscalerBehavior {
		return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &rules}
	}
	down := func(rules autoscalingv2.HPAScalingRules) *autoscalingv2.HorizontalPodAutoscalerBehavior {
		return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &rules, ScaleUp: nil}
	}
	pods := func(v, p int32) autoscalingv2.HPAScalingPolicy {
		return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PodsScalingPolicy, Value: v, PeriodSeconds: p}
	}
	pct := func(v, p int32) autoscalingv2.HPAScalingPolicy {
		return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: v, PeriodSeconds: p}
	}
	ago := func(d time.Duration) time.Time { return hpaTestNow.Add(-d) }
	noWindow := ptr.To[int32](0)
	tests := []struct {
		name        string
		behavior    *autoscalingv2.HorizontalPodAutoscalerBehavior
		minR, maxR  int32
		current     int32
		proposal    int32
		history     HPAHistory
		want        int32
		wantLimited string
	}{
		{name: "default scale-up from 5: the larger of +4 pods and +100% gives 10", current: 5, proposal: 50, minR: 1, maxR: 100, want: 10, wantLimited: "ScaleUpLimit"},
		{name: "default scale-up from 1: +4 pods beats +100%, 5", current: 1, proposal: 50, minR: 1, maxR: 100, want: 5, wantLimited: "ScaleUpLimit"},
		{name: "a pods policy larger than the percent one: 3 to 103", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pods(100, 60), pct(100, 60)}}),
			current: 3, proposal: 500, minR: 1, maxR: 1000, want: 103, wantLimited: "ScaleUpLimit"},
		{name: "a percent policy larger than the pods one: 6 to 12", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pods(2, 60), pct(100, 60)}}),
			current: 6, proposal: 500, minR: 1, maxR: 1000, want: 12, wantLimited: "ScaleUpLimit"},
		{name: "max below the policies' limit: 3 to 10, TooManyReplicas", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pods(100, 60)}}),
			current: 3, proposal: 50, minR: 1, maxR: 10, want: 10, wantLimited: "TooManyReplicas"},
		{name: "selectPolicy Min takes the smaller change: 10 to 14", behavior: up(autoscalingv2.HPAScalingRules{SelectPolicy: ptr.To(autoscalingv2.MinChangePolicySelect), Policies: []autoscalingv2.HPAScalingPolicy{pods(4, 60), pct(100, 60)}}),
			current: 10, proposal: 50, minR: 1, maxR: 100, want: 14, wantLimited: "ScaleUpLimit"},
		{name: "a percentage rounds up, so 10% of 3 still adds one: 4", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pct(10, 60)}}),
			current: 3, proposal: 50, minR: 1, maxR: 100, want: 4, wantLimited: "ScaleUpLimit"},
		{name: "scale-up Disabled keeps 5", behavior: up(autoscalingv2.HPAScalingRules{SelectPolicy: ptr.To(autoscalingv2.DisabledPolicySelect)}),
			current: 5, proposal: 50, minR: 1, maxR: 100, want: 5, wantLimited: "ScaleUpLimit"},
		{name: "a scale-up 10 s ago counts against the 60 s period: from 10 (was 5) +100% of 5 allows no more", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pct(100, 60)}}),
			history: HPAHistory{ScaleUps: []HPAScaleEvent{{Change: 5, Time: ago(10 * time.Second)}}}, current: 10, proposal: 50, minR: 1, maxR: 100, want: 10, wantLimited: "ScaleUpLimit"},
		{name: "a scale-up older than the period does not count: 10 to 20", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pct(100, 60)}}),
			history: HPAHistory{ScaleUps: []HPAScaleEvent{{Change: 5, Time: ago(61 * time.Second)}}}, current: 10, proposal: 50, minR: 1, maxR: 100, want: 20, wantLimited: "ScaleUpLimit"},
		{name: "a recent scale-down gives a scale-up room: from 6 (was 10) +4 pods allows 14", behavior: up(autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pods(4, 60)}}),
			history: HPAHistory{ScaleDowns: []HPAScaleEvent{{Change: 4, Time: ago(10 * time.Second)}}}, current: 6, proposal: 50, minR: 1, maxR: 100, want: 14, wantLimited: "ScaleUpLimit"},
		{name: "default scale-down goes all the way in one step after the window: 10 to 2", behavior: down(autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: noWindow}),
			current: 10, proposal: 2, minR: 1, maxR: 100, want: 2, wantLimited: "DesiredWithinRange"},
		{name: "scale-down to below min stops at min: TooFewReplicas", behavior: down(autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: noWindow}),
			current: 10, proposal: 1, minR: 3, maxR: 100, want: 3, wantLimited: "TooFewReplicas"},
		{name: "scale-down selectPolicy Max takes the larger change: -50% beats -2 pods, 10 to 5", behavior: down(autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: noWindow, Policies: []autoscalingv2.HPAScalingPolicy{pct(50, 60), pods(2, 60)}}),
			current: 10, proposal: 1, minR: 1, maxR: 100, want: 5, wantLimited: "ScaleDownLimit"},
		{name: "a scale-down percentage rounds down: -30% of 5 leaves 3", behavior: down(autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: noWindow, Policies: []autoscalingv2.HPAScalingPolicy{pct(30, 60)}}),
			current: 5, proposal: 1, minR: 1, maxR: 100, want: 3, wantLimited: "ScaleDownLimit"},
		{name: "scale-down Disabled keeps 10", behavior: down(autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: noWindow, SelectPolicy: ptr.To(autoscalingv2.DisabledPolicySelect)}),
			current: 10, proposal: 1, minR: 1, maxR: 100, want: 10, wantLimited: "ScaleDownLimit"},
		{name: "the default 5-minute window holds a scale-down at the highest recent recommendation", behavior: nil,
			history: HPAHistory{Recommendations: []HPARecommendation{{Replicas: 10, Time: ago(4 * time.Minute)}, {Replicas: 7, Time: ago(time.Minute)}}},
			current: 10, proposal: 3, minR: 1, maxR: 100, want: 10, wantLimited: "DesiredWithinRange"},
		{name: "after the window the highest recommendation inside it is taken: 7", behavior: nil,
			history: HPAHistory{Recommendations: []HPARecommendation{{Replicas: 10, Time: ago(6 * time.Minute)}, {Replicas: 7, Time: ago(time.Minute)}}},
			current: 10, proposal: 3, minR: 1, maxR: 100, want: 7, wantLimited: "DesiredWithinRange"},
		{name: "a scale-up window holds a scale-up at the lowest recent recommendation: 6", behavior: up(autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](60)}),
			history: HPAHistory{Recommendations: []HPARecommendation{{Replicas: 6, Time: ago(30 * time.Second)}}},
			current: 5, proposal: 9, minR: 1, maxR: 100, want: 6, wantLimited: "DesiredWithinRange"},
		{name: "seed 001 scale-down from 20: the smaller of -50% and -5 pods, 15", behavior: hpaSeedSpec().Behavior,
			history: HPAHistory{Recommendations: []HPARecommendation{{Replicas: 20, Time: ago(6 * time.Minute)}}}, current: 20, proposal: 3, minR: 3, maxR: 20, want: 15, wantLimited: "ScaleDownLimit"},
		{name: "seed 001 scale-down from 8: -50% (4) is the smaller change, 4", behavior: hpaSeedSpec().Behavior,
			history: HPAHistory{Recommendations: []HPARecommendation{{Replicas: 8, Time: ago(6 * time.Minute)}}}, current: 8, proposal: 3, minR: 3, maxR: 20, want: 4, wantLimited: "ScaleDownLimit"},
		{name: "seed 001 scale-down 30 s after 20 went to 15: no more within the minute", behavior: hpaSeedSpec().Behavior,
			history: HPAHistory{Recommendations: []HPARecommendation{{Replicas: 3, Time: ago(6 * time.Minute)}}, ScaleDowns: []HPAScaleEvent{{Change: 5, Time: ago(30 * time.Second)}}},
			current: 15, proposal: 3, minR: 3, maxR: 20, want: 15, wantLimited: "ScaleDownLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := hpaSpec(tt.minR, tt.maxR)
			spec.Behavior = tt.behavior
			spec = HPAWithDefaultBehavior(spec)
			r := HPAResult{History: tt.history.clone()}
			got := r.hpaNormalize(hpaNormalizeArgs{spec: spec, cfg: HPADefaultConfig(), current: tt.current, proposal: tt.proposal, minReplicas: tt.minR, now: hpaTestNow})
			if got != tt.want {
				t.Errorf("desired = %d, want %d", got, tt.want)
			}
			if c := hpaCond(t, r, autoscalingv2.ScalingLimited); c.Reason != tt.wantLimited {
				t.Errorf("ScalingLimited reason %s, want %s", c.Reason, tt.wantLimited)
			}
		})
	}
}

// TestHPASeedScaleDown runs seed 001's HPA sync after sync (every 15 s) with
// the load gone: nothing happens for the 5-minute window, then the template
// shrinks by at most the smaller of 50% and 5 pods in any 60 s, down to min.
// With a time divisor of 10 (as the e2e tests run it) the same happens ten
// times faster.
func TestHPASeedScaleDown(t *testing.T) {
	for _, div := range []float64{1, 10} {
		t.Run(fmt.Sprintf("time divided by %g", div), func(t *testing.T) {
			scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) / div) }
			cfg := HPAConfig{TimeDivisor: div, DownscaleStabilizationWindow: scaled(5 * time.Minute)}
			spec := hpaSeedSpec()
			var h HPAHistory
			replicas := int32(20)
			type change struct {
				at       time.Duration
				from, to int32
			}
			var changes []change
			start := hpaTestNow
			// Load at 100% of the 50% target holds 20 for a minute, then drops to 5%.
			for step := 0; step <= 60; step++ {
				now := start.Add(time.Duration(step) * scaled(15*time.Second))
				usage := int64(1000)
				if step >= 4 {
					usage = 50
				}
				pods, m := hpaUniform(int(replicas), usage)
				r := HPADesired(HPAInput{Spec: spec, TemplateReplicas: replicas, MemberReplicas: replicas, Pods: pods,
					Observations: []HPAObservation{{Pods: m}}, History: h, Now: now, Config: cfg})
				h = r.History
				if r.Err != nil {
					t.Fatalf("step %d: %v", step, r.Err)
				}
				if r.Rescale {
					changes = append(changes, change{at: now.Sub(start), from: replicas, to: r.DesiredReplicas})
					h = h.RecordScale(spec, replicas, r.DesiredReplicas, now)
					replicas = r.DesiredReplicas
				}
			}
			want := []change{
				// The last high recommendation (40, at 45 s) leaves the window 300 s later.
				{at: scaled(5*time.Minute + 45*time.Second), from: 20, to: 15},
				{at: scaled(6*time.Minute + 45*time.Second), from: 15, to: 10},
				{at: scaled(7*time.Minute + 45*time.Second), from: 10, to: 5},
				{at: scaled(8*time.Minute + 45*time.Second), from: 5, to: 3},
			}
			if len(changes) != len(want) {
				t.Fatalf("changes = %+v, want %+v", changes, want)
			}
			for i := range want {
				if changes[i] != want[i] {
					t.Errorf("change %d = %+v, want %+v", i, changes[i], want[i])
				}
			}
			// No period holds a larger drop than the policy allows.
			for i, c := range changes {
				if c.from-c.to > min(5, c.from/2+c.from%2) {
					t.Errorf("change %d drops %d from %d in one step", i, c.from-c.to, c.from)
				}
				if i > 0 && c.at-changes[i-1].at < scaled(time.Minute) {
					t.Errorf("changes %d and %d are %s apart, within one period", i-1, i, c.at-changes[i-1].at)
				}
			}
		})
	}
}

func TestHPAWithDefaultBehavior(t *testing.T) {
	spec := HPAWithDefaultBehavior(hpaSeedSpec())
	b := spec.Behavior
	if *b.ScaleUp.StabilizationWindowSeconds != 0 || *b.ScaleUp.SelectPolicy != autoscalingv2.MaxChangePolicySelect || len(b.ScaleUp.Policies) != 2 {
		t.Errorf("scale-up defaults = %+v, want window 0, Max, 4 pods and 100%% per 15 s", b.ScaleUp)
	}
	if b.ScaleDown.StabilizationWindowSeconds != nil {
		t.Errorf("scale-down window = %d, want unset (the controller's 5 minutes)", *b.ScaleDown.StabilizationWindowSeconds)
	}
	if *b.ScaleDown.SelectPolicy != autoscalingv2.MinChangePolicySelect || len(b.ScaleDown.Policies) != 2 {
		t.Errorf("the seed's scale-down rules were not kept: %+v", b.ScaleDown)
	}
	if hpaSeedSpec().Behavior.ScaleUp != nil {
		t.Error("defaulting changed its input")
	}
}

func TestHPAHistoryRecordScale(t *testing.T) {
	spec := hpaSeedSpec()
	h := HPAHistory{ScaleDowns: []HPAScaleEvent{{Change: 2, Time: hpaTestNow.Add(-2 * time.Minute)}, {Change: 1, Time: hpaTestNow.Add(-30 * time.Second)}}}
	got := h.RecordScale(spec, 10, 7, hpaTestNow)
	if len(got.ScaleDowns) != 2 || got.ScaleDowns[1].Change != 3 || got.ScaleDowns[0].Change != 1 {
		t.Errorf("scale-downs = %+v, want the 30 s old event and the new one of 3 (the 2-minute one is past the 60 s period)", got.ScaleDowns)
	}
	if len(h.ScaleDowns) != 2 || h.ScaleDowns[0].Change != 2 {
		t.Errorf("RecordScale changed its receiver: %+v", h.ScaleDowns)
	}
	if up := got.RecordScale(spec, 7, 9, hpaTestNow); len(up.ScaleUps) != 1 || up.ScaleUps[0].Change != 2 {
		t.Errorf("scale-ups = %+v, want one of 2", up.ScaleUps)
	}
}

func TestHPAMergeConditions(t *testing.T) {
	earlier := hpaTestNow.Add(-time.Hour)
	have := HPAMergeConditions(nil, []autoscalingv2.HorizontalPodAutoscalerCondition{
		{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "ReadyForNewScale"},
		{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionTrue, Reason: "ValidMetricFound"},
	}, earlier)
	got := HPAMergeConditions(have, []autoscalingv2.HorizontalPodAutoscalerCondition{
		{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "SucceededRescale"},
		{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionFalse, Reason: "FailedGetResourceMetric"},
	}, hpaTestNow)
	able, _ := HPACondition(got, autoscalingv2.AbleToScale)
	active, _ := HPACondition(got, autoscalingv2.ScalingActive)
	if !able.LastTransitionTime.Time.Equal(earlier) || able.Reason != "SucceededRescale" {
		t.Errorf("AbleToScale kept its status: transition %s reason %s, want %s SucceededRescale", able.LastTransitionTime, able.Reason, earlier)
	}
	if !active.LastTransitionTime.Time.Equal(hpaTestNow) {
		t.Errorf("ScalingActive changed status: transition %s, want %s", active.LastTransitionTime, hpaTestNow)
	}
}

func BenchmarkHPADesired(b *testing.B) {
	// One sync of seed 001's HPA over 20 pods in two clusters.
	pods := hpaMakePods(make([]hpaTestPod, 20)...)
	for i := range pods {
		if i >= 16 {
			pods[i].Cluster = "ondemand-cluster"
		}
	}
	m := map[HPAPodKey]HPAPodMetric{}
	for _, p := range pods {
		m[p.Key()] = HPAPodMetric{Value: 700, Timestamp: hpaTestNow, Window: time.Minute}
	}
	in := HPAInput{Spec: hpaSeedSpec(), TemplateReplicas: 10, MemberReplicas: 20, Pods: pods, Observations: []HPAObservation{{Pods: m}}, Now: hpaTestNow}
	b.ReportAllocs()
	for b.Loop() {
		HPADesired(in)
	}
}
