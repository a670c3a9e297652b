package traffic

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func healthy(name string, ready int32) Observed {
	return Observed{Name: name, ClusterReady: true, WorkloadPlaced: true, WorkloadHealthy: true, ReadyReplicas: ptr.To(ready)}
}

func down(name string) Observed {
	o := healthy(name, 3)
	o.ClusterReady = false
	return o
}

func explicit(weights ...any) *networkingv1alpha1.TrafficPolicySpec {
	s := &networkingv1alpha1.TrafficPolicySpec{Service: "reviews", Weighting: networkingv1alpha1.Weighting{Type: networkingv1alpha1.WeightingExplicit}}
	for i := 0; i < len(weights); i += 2 {
		s.Weighting.Weights = append(s.Weighting.Weights, networkingv1alpha1.ClusterWeight{Cluster: weights[i].(string), Weight: int32(weights[i+1].(int))})
	}
	return s
}

func byReplicas() *networkingv1alpha1.TrafficPolicySpec {
	return &networkingv1alpha1.TrafficPolicySpec{Service: "reviews", Weighting: networkingv1alpha1.Weighting{Type: networkingv1alpha1.WeightingReadyReplicas}}
}

func byLatency(targetMs int32) *networkingv1alpha1.TrafficPolicySpec {
	return &networkingv1alpha1.TrafficPolicySpec{Service: "reviews", Weighting: networkingv1alpha1.Weighting{
		Type: networkingv1alpha1.WeightingLatency, Latency: &networkingv1alpha1.LatencyWeighting{TargetMilliseconds: targetMs},
	}}
}

// prev is a previous status entry: name, weight, target, healthy, reason,
// last step (zero time for none).
func prev(name string, weight, target int32, ok bool, reason string, lastStep time.Time) networkingv1alpha1.ClusterTraffic {
	c := networkingv1alpha1.ClusterTraffic{Name: name, Weight: weight, TargetWeight: target, Healthy: ok, Reason: reason, Since: &metav1.Time{Time: t0.Add(-time.Hour)}}
	if !lastStep.IsZero() {
		c.LastStepTime = &metav1.Time{Time: lastStep}
	}
	return c
}

type want struct {
	weights  map[string]int32
	targets  map[string]int32 // nil: not checked
	reasons  map[string]string
	noneOK   bool
	writable bool
	requeue  time.Duration
	changed  *bool
	cause    string
}

func TestWeights(t *testing.T) {
	H, R := networkingv1alpha1.ClusterHealthy, networkingv1alpha1.ClusterRecovering
	cases := []struct {
		name string
		in   Input
		want want
	}{
		{
			name: "explicit 60/40, both healthy: 60/40",
			in:   Input{Spec: explicit("a", 60, "b", 40), Clusters: []Observed{healthy("b", 1), healthy("a", 1)}},
			want: want{weights: map[string]int32{"a": 60, "b": 40}, targets: map[string]int32{"a": 60, "b": 40}, writable: true},
		},
		{
			name: "ready replicas 3:1 gives 75/25",
			in:   Input{Spec: byReplicas(), Clusters: []Observed{healthy("a", 3), healthy("b", 1)}},
			want: want{weights: map[string]int32{"a": 75, "b": 25}, writable: true},
		},
		{
			name: "ready replicas 1:1:1 gives 34/33/33, the spare point to the first name",
			in:   Input{Spec: byReplicas(), Clusters: []Observed{healthy("c", 1), healthy("b", 1), healthy("a", 1)}},
			want: want{weights: map[string]int32{"a": 34, "b": 33, "c": 33}, writable: true},
		},
		{
			name: "ready replicas 2:1:0 with c unready: 67/33/0",
			in:   Input{Spec: byReplicas(), Clusters: []Observed{healthy("a", 2), healthy("b", 1), healthy("c", 0)}},
			want: want{weights: map[string]int32{"a": 67, "b": 33, "c": 0}, reasons: map[string]string{"a": H, "b": H, "c": networkingv1alpha1.ClusterNoReadyReplicas}, writable: true},
		},
		{
			name: "a workload without ready replicas counts each healthy cluster once: 50/50",
			in: Input{Spec: byReplicas(), Clusters: []Observed{
				{Name: "a", ClusterReady: true, WorkloadPlaced: true, WorkloadHealthy: true},
				{Name: "b", ClusterReady: true, WorkloadPlaced: true, WorkloadHealthy: true},
			}},
			want: want{weights: map[string]int32{"a": 50, "b": 50}, writable: true},
		},
		{
			name: "a cluster not Ready gets 0 at once; the others share its 50 in proportion: 0/60/40",
			in: Input{Spec: explicit("a", 50, "b", 30, "c", 20), Clusters: []Observed{down("a"), healthy("b", 1), healthy("c", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 50, 50, true, H, time.Time{}), prev("b", 30, 30, true, H, time.Time{}), prev("c", 20, 20, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 0, "b": 60, "c": 40}, targets: map[string]int32{"a": 0, "b": 60, "c": 40},
				reasons: map[string]string{"a": networkingv1alpha1.ClusterNotReady, "b": H, "c": H}, writable: true, changed: ptr.To(true), cause: networkingv1alpha1.ClusterNotReady},
		},
		{
			name: "an unhealthy workload and an unplaced workload get 0: 0/0/100",
			in: Input{Spec: byReplicas(), Clusters: []Observed{
				{Name: "a", ClusterReady: true, WorkloadPlaced: true, WorkloadHealthy: false, ReadyReplicas: ptr.To[int32](2)},
				{Name: "b", ClusterReady: true, WorkloadPlaced: false},
				healthy("c", 1),
			}},
			want: want{weights: map[string]int32{"a": 0, "b": 0, "c": 100},
				reasons: map[string]string{"a": networkingv1alpha1.ClusterWorkloadUnhealthy, "b": networkingv1alpha1.ClusterWorkloadNotPlaced, "c": H}, writable: true},
		},
		{
			name: "no healthy cluster keeps the last weights and says so",
			in: Input{Spec: byReplicas(), Clusters: []Observed{down("a"), down("b")},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 0, 0, false, networkingv1alpha1.ClusterNotReady, time.Time{}), prev("b", 100, 100, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 0, "b": 100}, targets: map[string]int32{"a": 0, "b": 0}, noneOK: true, writable: true, changed: ptr.To(false)},
		},
		{
			name: "no healthy cluster and a cluster gone: the kept weights are renormalised over those left",
			in: Input{Spec: byReplicas(), Clusters: []Observed{down("a"), down("b")},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 30, 30, true, H, time.Time{}), prev("b", 10, 10, true, H, time.Time{}), prev("c", 60, 60, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 75, "b": 25}, noneOK: true, writable: true, changed: ptr.To(true)},
		},
		{
			name: "no healthy cluster and no previous weights: nothing to write",
			in:   Input{Spec: byReplicas(), Clusters: []Observed{down("a"), down("b")}, Now: t0},
			want: want{weights: map[string]int32{"a": 0, "b": 0}, noneOK: true, writable: false},
		},
		{
			name: "the first decision puts every cluster at its target, no ramp",
			in:   Input{Spec: explicit("a", 50, "b", 50), Clusters: []Observed{healthy("a", 1), healthy("b", 1)}, Now: t0},
			want: want{weights: map[string]int32{"a": 50, "b": 50}, reasons: map[string]string{"a": H, "b": H}, writable: true, requeue: 0},
		},
		{
			name: "a recovered cluster takes one step (10) at once and the other keeps 90",
			in: Input{Spec: explicit("a", 50, "b", 50), Clusters: []Observed{healthy("a", 1), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 0, 0, false, networkingv1alpha1.ClusterNotReady, time.Time{}), prev("b", 100, 100, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 10, "b": 90}, targets: map[string]int32{"a": 50, "b": 50}, reasons: map[string]string{"a": R, "b": H},
				writable: true, requeue: 30 * time.Second, changed: ptr.To(true), cause: R},
		},
		{
			name: "a recovering cluster waits for the interval: still 10, next step in 20s",
			in: Input{Spec: explicit("a", 50, "b", 50), Clusters: []Observed{healthy("a", 1), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 10, 50, true, R, t0.Add(-10*time.Second)), prev("b", 90, 50, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 10, "b": 90}, reasons: map[string]string{"a": R, "b": H}, writable: true, requeue: 20 * time.Second, changed: ptr.To(false)},
		},
		{
			name: "after the interval a recovering cluster gains stepWeight: 10 -> 30 with step 20",
			in: Input{Spec: func() *networkingv1alpha1.TrafficPolicySpec {
				s := explicit("a", 50, "b", 50)
				s.Recovery = &networkingv1alpha1.Recovery{StepWeight: 20, IntervalSeconds: 15}
				return s
			}(), Clusters: []Observed{healthy("a", 1), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 10, 50, true, R, t0.Add(-15*time.Second)), prev("b", 90, 50, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 30, "b": 70}, reasons: map[string]string{"a": R, "b": H}, writable: true, requeue: 15 * time.Second, changed: ptr.To(true), cause: R},
		},
		{
			name: "the last step stops at the target and the ramp ends: 45 -> 50, Healthy, no requeue",
			in: Input{Spec: explicit("a", 50, "b", 50), Clusters: []Observed{healthy("a", 1), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 45, 50, true, R, t0.Add(-time.Minute)), prev("b", 55, 50, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 50, "b": 50}, reasons: map[string]string{"a": H, "b": H}, writable: true, requeue: 0, changed: ptr.To(true)},
		},
		{
			name: "two clusters stay, one ramps: the two share the rest by their targets (10/60/30)",
			in: Input{Spec: explicit("a", 40, "b", 40, "c", 20), Clusters: []Observed{healthy("a", 1), healthy("b", 1), healthy("c", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 0, 0, false, networkingv1alpha1.ClusterNotReady, time.Time{}), prev("b", 67, 67, true, H, time.Time{}), prev("c", 33, 33, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 10, "b": 60, "c": 30}, targets: map[string]int32{"a": 40, "b": 40, "c": 20}, writable: true, requeue: 30 * time.Second},
		},
		{
			name: "every cluster back at once after none was healthy: the targets apply, nobody else could carry the rest",
			in: Input{Spec: explicit("a", 50, "b", 50), Clusters: []Observed{healthy("a", 1), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 50, 0, false, networkingv1alpha1.ClusterNotReady, time.Time{}), prev("b", 50, 0, false, networkingv1alpha1.ClusterNotReady, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 50, "b": 50}, reasons: map[string]string{"a": H, "b": H}, writable: true, requeue: 0},
		},
		{
			name: "a cluster that joins the Service later ramps in too",
			in: Input{Spec: byReplicas(), Clusters: []Observed{healthy("a", 1), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 100, 100, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 90, "b": 10}, reasons: map[string]string{"a": H, "b": R}, writable: true, requeue: 30 * time.Second},
		},
		{
			name: "an explicit standby (weight 0) takes everything when the weighted cluster fails",
			in: Input{Spec: explicit("a", 100, "b", 0), Clusters: []Observed{down("a"), healthy("b", 1)},
				Previous: []networkingv1alpha1.ClusterTraffic{prev("a", 100, 100, true, H, time.Time{}), prev("b", 0, 0, true, H, time.Time{})}, Now: t0},
			want: want{weights: map[string]int32{"a": 0, "b": 100}, reasons: map[string]string{"a": networkingv1alpha1.ClusterNotReady, "b": H}, writable: true},
		},
		{
			name: "a cluster not named in explicit weights gets 0",
			in:   Input{Spec: explicit("a", 100), Clusters: []Observed{healthy("a", 1), healthy("b", 1)}},
			want: want{weights: map[string]int32{"a": 100, "b": 0}, writable: true},
		},
		{
			name: "latency: p99 400ms over a 200ms target halves the share: 67/33",
			in: Input{Spec: byLatency(200), Clusters: []Observed{
				withP99(healthy("a", 2), 100), withP99(healthy("b", 2), 400),
			}},
			want: want{weights: map[string]int32{"a": 67, "b": 33}, writable: true},
		},
		{
			name: "latency: a cluster without data keeps its replica share: 50/50",
			in:   Input{Spec: byLatency(200), Clusters: []Observed{healthy("a", 1), healthy("b", 1)}},
			want: want{weights: map[string]int32{"a": 50, "b": 50}, writable: true},
		},
		{
			name: "latency: the factor applies on top of replicas: 3 replicas at 300ms vs 1 at 100ms, target 150: 60/40",
			in: Input{Spec: byLatency(150), Clusters: []Observed{
				withP99(healthy("a", 3), 300), withP99(healthy("b", 1), 100),
			}},
			want: want{weights: map[string]int32{"a": 60, "b": 40}, writable: true},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Weights(c.in)
			check(t, got, c.want)
		})
	}
}

func withP99(o Observed, ms float64) Observed {
	o.P99Milliseconds = &ms
	return o
}

func check(t *testing.T, got Result, w want) {
	t.Helper()
	weights, targets, reasons := map[string]int32{}, map[string]int32{}, map[string]string{}
	var sum int32
	for _, c := range got.Clusters {
		weights[c.Name], targets[c.Name], reasons[c.Name] = c.Weight, c.TargetWeight, c.Reason
		sum += c.Weight
	}
	if !reflect.DeepEqual(weights, w.weights) {
		t.Errorf("weights %v, want %v", weights, w.weights)
	}
	if w.targets != nil && !reflect.DeepEqual(targets, w.targets) {
		t.Errorf("targets %v, want %v", targets, w.targets)
	}
	if w.reasons != nil && !reflect.DeepEqual(reasons, w.reasons) {
		t.Errorf("reasons %v, want %v", reasons, w.reasons)
	}
	if got.NoHealthyCluster != w.noneOK {
		t.Errorf("NoHealthyCluster %v, want %v", got.NoHealthyCluster, w.noneOK)
	}
	if got.Writable != w.writable {
		t.Errorf("Writable %v, want %v", got.Writable, w.writable)
	}
	if got.Writable && sum != 100 {
		t.Errorf("writable weights sum to %d", sum)
	}
	if got.RequeueAfter != w.requeue {
		t.Errorf("RequeueAfter %s, want %s", got.RequeueAfter, w.requeue)
	}
	if w.changed != nil && got.Changed != *w.changed {
		t.Errorf("Changed %v, want %v", got.Changed, *w.changed)
	}
	if w.cause != "" && got.Cause != w.cause {
		t.Errorf("Cause %q, want %q", got.Cause, w.cause)
	}
}

// A cluster that fails gives its share away in one decision; when it is
// back it returns in steps of 10 every 30s (never more than one step per
// interval, at least two steps), and the weights always sum to 100.
func TestFailAndRecoverRamp(t *testing.T) {
	spec := explicit("a", 50, "b", 50)
	now := t0
	res := Weights(Input{Spec: spec, Clusters: []Observed{healthy("a", 1), healthy("b", 1)}, Now: now})
	now = now.Add(time.Second)
	res = Weights(Input{Spec: spec, Clusters: []Observed{down("a"), healthy("b", 1)}, Previous: res.Clusters, Now: now})
	if w := weightsOf(res); w != "a=0 b=100" {
		t.Fatalf("after a fails: %s, want a=0 b=100", w)
	}
	var seen []string
	for i := 0; i < 40 && len(seen) < 20; i++ {
		now = now.Add(10 * time.Second)
		before := res.Clusters
		res = Weights(Input{Spec: spec, Clusters: []Observed{healthy("a", 1), healthy("b", 1)}, Previous: before, Now: now})
		if res.Changed {
			seen = append(seen, weightsOf(res))
		}
		if d := res.Clusters[0].Weight - before[0].Weight; d > 10 {
			t.Fatalf("a gained %d points in one decision at %s", d, now.Sub(t0))
		}
		if res.RequeueAfter == 0 {
			break
		}
	}
	want := []string{"a=10 b=90", "a=20 b=80", "a=30 b=70", "a=40 b=60", "a=50 b=50"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("ramp %v, want %v", seen, want)
	}
	if res.Clusters[0].Reason != networkingv1alpha1.ClusterHealthy || res.RequeueAfter != 0 {
		t.Errorf("after the ramp: reason %s, requeue %s; want Healthy, 0", res.Clusters[0].Reason, res.RequeueAfter)
	}
}

func weightsOf(r Result) string {
	s := ""
	for i, c := range r.Clusters {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s=%d", c.Name, c.Weight)
	}
	return s
}

// Whatever the input, written weights sum to exactly 100, unhealthy
// clusters get 0, and no weight exceeds 100.
func TestWeightsInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []networkingv1alpha1.WeightingType{networkingv1alpha1.WeightingExplicit, networkingv1alpha1.WeightingReadyReplicas, networkingv1alpha1.WeightingLatency}
	for round := 0; round < 2000; round++ {
		n := 1 + rng.IntN(12)
		spec := &networkingv1alpha1.TrafficPolicySpec{Weighting: networkingv1alpha1.Weighting{Type: types[rng.IntN(len(types))]}}
		if spec.Weighting.Type == networkingv1alpha1.WeightingLatency {
			spec.Weighting.Latency = &networkingv1alpha1.LatencyWeighting{TargetMilliseconds: int32(1 + rng.IntN(500))}
		}
		if rng.IntN(2) == 0 {
			spec.Recovery = &networkingv1alpha1.Recovery{StepWeight: int32(1 + rng.IntN(50)), IntervalSeconds: int32(10 + rng.IntN(50))}
		}
		left := int32(100)
		var obs []Observed
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("c%02d", i)
			o := healthy(name, int32(rng.IntN(5)))
			o.ClusterReady = rng.IntN(4) != 0
			o.WorkloadHealthy = rng.IntN(5) != 0
			if rng.IntN(2) == 0 {
				o = withP99(o, float64(rng.IntN(1000)))
			}
			obs = append(obs, o)
			if spec.Weighting.Type == networkingv1alpha1.WeightingExplicit {
				w := int32(rng.IntN(int(left) + 1))
				if i == n-1 {
					w = left
				}
				left -= w
				spec.Weighting.Weights = append(spec.Weighting.Weights, networkingv1alpha1.ClusterWeight{Cluster: name, Weight: w})
			}
		}
		var previous []networkingv1alpha1.ClusterTraffic
		now := t0
		for tick := 0; tick < 5; tick++ {
			res := Weights(Input{Spec: spec, Clusters: obs, Previous: previous, Now: now})
			var sum int32
			for i, c := range res.Clusters {
				sum += c.Weight
				if c.Weight < 0 || c.Weight > 100 {
					t.Fatalf("round %d: weight %d of %s", round, c.Weight, c.Name)
				}
				if !res.NoHealthyCluster && !c.Healthy && c.Weight != 0 {
					t.Fatalf("round %d: unhealthy %s (%s) has weight %d", round, c.Name, c.Reason, c.Weight)
				}
				_ = i
			}
			if res.Writable && sum != 100 {
				t.Fatalf("round %d tick %d: weights sum to %d: %s", round, tick, sum, weightsOf(res))
			}
			previous = res.Clusters
			now = now.Add(time.Duration(rng.IntN(40)) * time.Second)
			i := rng.IntN(n)
			obs[i].ClusterReady = !obs[i].ClusterReady
		}
	}
}

func TestDistribute(t *testing.T) {
	cases := []struct {
		name    string
		total   int32
		weights []int64
		want    []int32
	}{
		{"1:1:1 of 100 is 34/33/33", 100, []int64{1, 1, 1}, []int32{34, 33, 33}},
		{"1:2 of 100 is 33/67", 100, []int64{1, 2}, []int32{33, 67}},
		{"zero weights get nothing: 0:1:1 of 7 is 0/4/3", 7, []int64{0, 1, 1}, []int32{0, 4, 3}},
		{"all zero is nil", 100, []int64{0, 0}, nil},
		{"huge replica counts do not overflow", 100, []int64{2_000_000_000, 1_000_000_000}, []int32{67, 33}},
	}
	for _, c := range cases {
		if got := distribute(c.total, c.weights); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

func BenchmarkWeights100Clusters(b *testing.B) {
	spec := byReplicas()
	var obs []Observed
	var previous []networkingv1alpha1.ClusterTraffic
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("cluster-%03d", i)
		obs = append(obs, healthy(name, int32(1+i%7)))
		ok := i%10 != 0
		previous = append(previous, prev(name, 1, 1, ok, networkingv1alpha1.ClusterHealthy, time.Time{}))
	}
	b.ReportAllocs()
	for b.Loop() {
		res := Weights(Input{Spec: spec, Clusters: obs, Previous: previous, Now: t0})
		if !res.Writable {
			b.Fatal("not writable")
		}
	}
}

// A cluster whose p99 was above the target lost share at once; when its
// latency is back under the target it regains the share in steps of
// stepWeight per interval, as a recovered cluster does, never at once. The
// drop itself is immediate, and health changes elsewhere are unaffected.
func TestLatencyRecoveryRamps(t *testing.T) {
	spec := byLatency(100)
	spec.Recovery = &networkingv1alpha1.Recovery{StepWeight: 10, IntervalSeconds: 10}
	fast := func(name string) Observed { return withP99(healthy(name, 1), 25) }
	now := t0
	res := Weights(Input{Spec: spec, Clusters: []Observed{fast("a"), fast("b")}, Now: now})
	if w := weightsOf(res); w != "a=50 b=50" {
		t.Fatalf("both fast: %s, want a=50 b=50", w)
	}
	now = now.Add(10 * time.Second)
	res = Weights(Input{Spec: spec, Clusters: []Observed{fast("a"), withP99(healthy("b", 1), 497.5)}, Previous: res.Clusters, Now: now})
	if w := weightsOf(res); w != "a=83 b=17" {
		t.Fatalf("b at 497.5 ms: %s, want a=83 b=17 at once", w)
	}
	var seen []string
	for i := 0; i < 20; i++ {
		now = now.Add(10 * time.Second)
		before := res.Clusters
		res = Weights(Input{Spec: spec, Clusters: []Observed{fast("a"), fast("b")}, Previous: before, Now: now})
		if res.Changed {
			seen = append(seen, weightsOf(res)+" "+res.Cause)
		}
		if d := res.Clusters[1].Weight - before[1].Weight; d > 10 {
			t.Fatalf("b gained %d points in one decision at %s", d, now.Sub(t0))
		}
		if res.RequeueAfter == 0 {
			break
		}
	}
	want := []string{"a=73 b=27 Recovering", "a=63 b=37 Recovering", "a=53 b=47 Recovering", "a=50 b=50 Recovering"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("ramp %v, want %v", seen, want)
	}
	if res.Clusters[1].Reason != networkingv1alpha1.ClusterHealthy || res.RequeueAfter != 0 {
		t.Errorf("after the ramp: reason %s, requeue %s; want Healthy, 0", res.Clusters[1].Reason, res.RequeueAfter)
	}
}
