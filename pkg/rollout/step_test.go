package rollout

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// world simulates the members: a primary takes the revision status gives
// it and is ready at once; the canary runs the template's revision and is
// ready when it has replicas.
type world struct {
	t        *testing.T
	cfg      Config
	st       appsv1alpha1.RolloutStatus
	rev      string
	clusters []string
	labels   map[string]map[string]string
	down     map[string]bool
	now      time.Time
	// gate decides each gate request.
	gate func(Request) Outcome
	// trace of canary weights per cluster.
	weights map[string][]int
	primary map[string]string
	calls   []Request
	// brokenPrimary is a revision no primary becomes ready with.
	brokenPrimary string
	// slowPrimary: a primary given a new revision, or whose cluster's
	// weights changed, is seen ready only two reconciles later (its Work's
	// status is collected well after the apply, as on a loaded hub).
	slowPrimary bool
	changedAt   map[string]int
	steps       int
	// routesLag: a new split is in effect in a member this many
	// reconciles after it was decided.
	routesLag  int
	splitSince map[string]int
	inEffect   map[string]bool
	// lagCanary: the canary's replicas reach its Work one reconcile
	// after the status asked for them (the binding controller renders
	// it separately).
	lagCanary      bool
	canaryReplicas map[string]int32
}

func newWorld(t *testing.T, spec appsv1alpha1.RolloutSpec, clusters ...string) *world {
	w := &world{t: t, rev: "v1", clusters: clusters, labels: map[string]map[string]string{}, down: map[string]bool{},
		now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), weights: map[string][]int{}, primary: map[string]string{}}
	w.cfg = ConfigOf(&spec, func(s appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		return func(name string, _ map[string]string) bool { return slices.Contains(s.ClusterNames, name) }
	})
	w.gate = func(Request) Outcome { return Outcome{Passed: true} }
	return w
}

func (w *world) observe() Input {
	in := Input{Revision: w.rev, Now: w.now}
	for _, name := range w.clusters {
		o := Observed{Name: name, Ready: !w.down[name], Labels: w.labels[name]}
		if rev, ok := w.primary[name]; ok {
			o.Primary = Workload{Revision: rev, Ready: rev != w.brokenPrimary && !(w.slowPrimary && w.changedAt[name]+1 >= w.steps)}
		}
		// A canary at 0 replicas is ready too (nothing to wait for), as
		// a Work's status says.
		o.Canary = Workload{Revision: w.rev, Ready: true, Replicas: CanaryReplicas(&w.st, name, 3)}
		if w.lagCanary {
			o.Canary.Replicas = w.canaryReplicas[name]
		}
		weight, matched := CanaryWeight(&w.st, name)
		if w.inEffect == nil {
			w.inEffect = map[string]bool{}
		}
		w.inEffect[name] = w.steps-w.splitSince[name] >= w.routesLag
		o.Split = Split{InEffect: w.inEffect[name], Weight: weight, Matched: matched}
		in.Clusters = append(in.Clusters, o)
	}
	return in
}

// step runs one reconcile the way the controller does: Step until no new
// gate is asked for, then the members catch up.
func (w *world) step() Output {
	in := w.observe()
	outcomes := map[Request]Outcome{}
	var out Output
	for range 5 {
		out = Step(w.cfg, &w.st, in, outcomes)
		if len(out.Requests) == 0 {
			break
		}
		for _, r := range out.Requests {
			w.calls = append(w.calls, r)
			outcomes[r] = w.gate(r)
		}
	}
	w.st = out.Status
	w.steps++
	if w.canaryReplicas == nil {
		w.canaryReplicas = map[string]int32{}
	}
	for _, name := range w.clusters {
		w.canaryReplicas[name] = CanaryReplicas(&w.st, name, 3)
	}
	if w.changedAt == nil {
		w.changedAt = map[string]int{}
	}
	for _, c := range w.st.Clusters {
		weight, _ := CanaryWeight(&w.st, c.Name)
		if n := len(w.weights[c.Name]); w.primary[c.Name] != c.PrimaryRevision || n > 0 && w.weights[c.Name][n-1] != weight {
			w.changedAt[c.Name] = w.steps
		}
		if n := len(w.weights[c.Name]); n > 0 && w.weights[c.Name][n-1] != weight {
			if w.splitSince == nil {
				w.splitSince = map[string]int{}
			}
			w.splitSince[c.Name] = w.steps
		}
		w.primary[c.Name] = c.PrimaryRevision
		if n := len(w.weights[c.Name]); n == 0 || w.weights[c.Name][n-1] != weight {
			w.weights[c.Name] = append(w.weights[c.Name], weight)
		}
	}
	return out
}

// runUntil steps every interval until the phase is reached.
func (w *world) runUntil(phase appsv1alpha1.RolloutPhase, max int) {
	w.t.Helper()
	for i := 0; i < max; i++ {
		w.step()
		if w.st.Phase == phase {
			return
		}
		w.now = w.now.Add(w.cfg.Interval)
	}
	w.t.Fatalf("phase %s not reached after %d steps; at %s: %+v", phase, max, w.st.Phase, w.st.Clusters)
}

func intp(i int) *int { return &i }

func canarySpec(stages ...appsv1alpha1.RolloutStage) appsv1alpha1.RolloutSpec {
	return appsv1alpha1.RolloutSpec{
		Workload: appsv1alpha1.CrossNamespaceObjectReference{Name: "reviews"}, ServiceName: "reviews", Port: 9080,
		RolloutPolicy: appsv1alpha1.RolloutPolicy{
			TrafficRouting:  &appsv1alpha1.TrafficRoutingConfig{CanaryStrategy: &appsv1alpha1.CanaryConfig{MaxWeight: 50, StepWeight: 10}},
			TrafficAnalysis: &appsv1alpha1.TrafficAnalysis{CheckIntervalSeconds: intp(10), CheckFailedTimes: intp(2)},
		},
		Stages: stages,
	}
}

var shanghaiThenHangzhou = []appsv1alpha1.RolloutStage{
	{Name: "shanghai", ClusterNames: []string{"cluster-shanghai"}, BakeSeconds: 20},
	{Name: "hangzhou", ClusterNames: []string{"cluster-hangzhou"}},
}

func TestCanarySteps(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   appsv1alpha1.CanaryConfig
		want []int
	}{
		{"step 10 to max 50", appsv1alpha1.CanaryConfig{MaxWeight: 50, StepWeight: 10}, []int{10, 20, 30, 40, 50}},
		{"step 30 lands on max 100", appsv1alpha1.CanaryConfig{StepWeight: 30}, []int{30, 60, 90, 100}},
		{"stepWeights as given", appsv1alpha1.CanaryConfig{StepWeights: []int{1, 10, 80}}, []int{1, 10, 80}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := canarySteps(&tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCanaryOverTwoStagesPromotes(t *testing.T) {
	w := newWorld(t, canarySpec(shanghaiThenHangzhou...), "cluster-hangzhou", "cluster-shanghai")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	if w.st.StableRevision != "v1" {
		t.Fatalf("stable %q, want v1", w.st.StableRevision)
	}
	w.rev = "v2"
	w.runUntil(appsv1alpha1.PhaseSucceeded, 40)
	if w.st.StableRevision != "v2" || w.primary["cluster-shanghai"] != "v2" || w.primary["cluster-hangzhou"] != "v2" {
		t.Errorf("stable %s, primaries %v; want v2 everywhere", w.st.StableRevision, w.primary)
	}
	for _, c := range []string{"cluster-shanghai", "cluster-hangzhou"} {
		// 100 while initializing, then 0, the steps, and 0 after promotion.
		if want := []int{100, 0, 10, 20, 30, 40, 50, 0}; !slices.Equal(w.weights[c], want) {
			t.Errorf("%s weights %v, want %v", c, w.weights[c], want)
		}
	}
	sh, hz := Find(&w.st, "cluster-shanghai"), Find(&w.st, "cluster-hangzhou")
	if !sh.LastTransitionTime.Add(20*time.Second).Before(hz.StartTime.Time) && !sh.LastTransitionTime.Add(20*time.Second).Equal(hz.StartTime.Time) {
		t.Errorf("hangzhou started at %s, before shanghai's bake ended (%s + 20s)", hz.StartTime, sh.LastTransitionTime)
	}
	if n := len(w.st.History); n != 1 || w.st.History[0].Phase != appsv1alpha1.PhaseSucceeded {
		t.Errorf("history %+v, want one Succeeded run", w.st.History)
	}
}

func TestFailureInTheSecondStageRollsBackTheFirst(t *testing.T) {
	w := newWorld(t, canarySpec(shanghaiThenHangzhou...), "cluster-hangzhou", "cluster-shanghai")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.gate = func(r Request) Outcome {
		if r.Kind == GateAnalysis && r.Cluster == "cluster-hangzhou" && !r.First {
			return Outcome{Results: []appsv1alpha1.GateResult{{Cluster: r.Cluster, Gate: "request-success-rate", Kind: "metric", Reason: "BelowMin", Value: "80"}}}
		}
		return Outcome{Passed: true}
	}
	w.rev = "v2"
	var sawRollingBack bool
	for i := 0; i < 40 && w.st.Phase != appsv1alpha1.PhaseFailed; i++ {
		w.step()
		if w.st.Phase == appsv1alpha1.PhaseRollingBack {
			sawRollingBack = true
		}
		w.now = w.now.Add(w.cfg.Interval)
	}
	if w.st.Phase != appsv1alpha1.PhaseFailed || !sawRollingBack {
		t.Fatalf("phase %s (rolling back seen: %v), want Failed after RollingBack", w.st.Phase, sawRollingBack)
	}
	if w.primary["cluster-shanghai"] != "v1" || w.primary["cluster-hangzhou"] != "v1" {
		t.Errorf("primaries %v, want v1 everywhere", w.primary)
	}
	hz := Find(&w.st, "cluster-hangzhou")
	if hz.FailedChecks != 2 {
		t.Errorf("hangzhou failed checks %d, want 2 (checkFailedTimes)", hz.FailedChecks)
	}
	if got := w.weights["cluster-hangzhou"]; got[len(got)-1] != 0 || slices.Max(got[2:]) != 10 {
		t.Errorf("hangzhou weights %v: want it held at 10 then 0", got)
	}
	if w.st.FailedRevision != "v2" || w.st.StableRevision != "v1" {
		t.Errorf("failed %s stable %s, want v2 and v1", w.st.FailedRevision, w.st.StableRevision)
	}
	// The failed revision is not tried again.
	w.step()
	if w.st.Phase != appsv1alpha1.PhaseFailed {
		t.Errorf("phase %s after the failure, want Failed until the workload changes", w.st.Phase)
	}
	for _, c := range w.clusters {
		if n := CanaryReplicas(&w.st, c, 3); n != 0 {
			t.Errorf("%s canary replicas %d after rollback, want 0", c, n)
		}
	}
}

func TestABTestAndBlueGreenPromote(t *testing.T) {
	exact := "insider"
	for _, tc := range []struct {
		name    string
		routing appsv1alpha1.TrafficRoutingConfig
		check   func(t *testing.T, w *world)
	}{
		{"A/B with a header match", appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 3, Match: []appsv1alpha1.HTTPMatchRequest{{Headers: map[string]appsv1alpha1.StringMatch{"x-user": {Exact: &exact}}}}}, nil},
		{"blue/green switches all traffic before promotion", appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 3}, func(t *testing.T, w *world) {
			if !slices.Contains(w.weights["a"], 100) {
				t.Errorf("weights %v: blue/green never switched to the canary", w.weights["a"])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := canarySpec()
			spec.RolloutPolicy.TrafficRouting = &tc.routing
			w := newWorld(t, spec, "a")
			w.runUntil(appsv1alpha1.PhaseInitialized, 3)
			w.rev = "v2"
			matched := false
			for i := 0; i < 20 && w.st.Phase != appsv1alpha1.PhaseSucceeded; i++ {
				w.step()
				if c := Find(&w.st, "a"); c.MatchedToCanary {
					matched = true
				}
				w.now = w.now.Add(w.cfg.Interval)
			}
			if w.st.Phase != appsv1alpha1.PhaseSucceeded {
				t.Fatalf("phase %s, want Succeeded", w.st.Phase)
			}
			if want := len(tc.routing.Match) > 0; matched != want {
				t.Errorf("matched requests sent to the canary: %v, want %v", matched, want)
			}
			if tc.check != nil {
				tc.check(t, w)
			}
		})
	}
}

// A restarted manager reads status back from the hub: the rollout goes on
// from the same step.
func TestStatusRoundTripResumesAtTheSameStep(t *testing.T) {
	w := newWorld(t, canarySpec(), "a")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.rev = "v2"
	for range 3 {
		w.step()
		w.now = w.now.Add(w.cfg.Interval)
	}
	before := Find(&w.st, "a").CanaryWeight
	raw, _ := json.Marshal(w.st)
	var back appsv1alpha1.RolloutStatus
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	w.st = back
	// Half an interval later nothing is due: the weight stays.
	w.now = w.now.Add(-w.cfg.Interval / 2)
	w.step()
	if got := Find(&w.st, "a").CanaryWeight; got != before {
		t.Errorf("weight %d after the restart, want %d (no reset, no extra step)", got, before)
	}
	w.now = w.now.Add(w.cfg.Interval)
	w.step()
	if got := Find(&w.st, "a").CanaryWeight; got != before+10 {
		t.Errorf("weight %d one interval later, want %d", got, before+10)
	}
}

func TestWarmUpDoesNotCountAndNoDataAfterItDoes(t *testing.T) {
	spec := canarySpec()
	spec.RolloutPolicy.TrafficAnalysis.WarmupSeconds = intp(30)
	w := newWorld(t, spec, "a")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.gate = func(r Request) Outcome {
		if r.Kind == GateAnalysis && !r.First {
			if !r.WarmupDone {
				return Outcome{WarmingUp: true}
			}
			return Outcome{Results: []appsv1alpha1.GateResult{{Reason: "NoData"}}}
		}
		return Outcome{Passed: true}
	}
	w.rev = "v2"
	w.runUntil(appsv1alpha1.PhaseFailed, 20)
	var warm, counted int
	for _, r := range w.calls {
		if r.Kind == GateAnalysis && !r.First {
			if r.WarmupDone {
				counted++
			} else {
				warm++
			}
		}
	}
	if warm == 0 || counted != 2 {
		t.Errorf("%d checks in warm-up, %d counted; want some warm-up and exactly checkFailedTimes=2 counted", warm, counted)
	}
}

func TestGatesHold(t *testing.T) {
	for _, tc := range []struct {
		hook  string
		phase appsv1alpha1.RolloutPhase
		want  string
	}{
		{"confirm-rollout", appsv1alpha1.PhaseWaiting, ""},
		{"confirm-traffic-increase", appsv1alpha1.PhaseProgressing, "holds the weight at 0"},
		{"confirm-promotion", appsv1alpha1.PhaseProgressing, "waiting for promotion"},
	} {
		t.Run(tc.hook+" refusing holds the rollout", func(t *testing.T) {
			spec := canarySpec()
			spec.RolloutPolicy.TrafficAnalysis.Webhooks.Hooks = []appsv1alpha1.Hook{{Name: "gate", Type: tc.hook, URL: "http://gate"}}
			w := newWorld(t, spec, "a")
			w.runUntil(appsv1alpha1.PhaseInitialized, 3)
			w.gate = func(r Request) Outcome { return Outcome{Passed: string(r.Kind) != tc.hook} }
			if tc.hook == "confirm-promotion" {
				w.cfg.Steps = []int{10}
				w.gate = func(r Request) Outcome { return Outcome{Passed: string(r.Kind) != tc.hook} }
			}
			w.rev = "v2"
			for range 15 {
				w.step()
				w.now = w.now.Add(w.cfg.Interval)
			}
			if w.st.Phase != tc.phase {
				t.Fatalf("phase %s, want %s", w.st.Phase, tc.phase)
			}
			if c := Find(&w.st, "a"); tc.want != "" && !strings.Contains(c.Message, tc.want) {
				t.Errorf("message %q, want it to say %q", c.Message, tc.want)
			}
			if w.primary["a"] != "v1" {
				t.Errorf("primary %s, want v1 while held", w.primary["a"])
			}
		})
	}
}

func TestAbortRollsBack(t *testing.T) {
	w := newWorld(t, canarySpec(), "a", "b")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.rev = "v2"
	w.step()
	w.now = w.now.Add(w.cfg.Interval)
	w.step()
	in := w.observe()
	in.Action = "abort/1"
	w.st = Step(w.cfg, &w.st, in, nil).Status
	if w.st.Phase != appsv1alpha1.PhaseFailed && w.st.Phase != appsv1alpha1.PhaseRollingBack {
		t.Fatalf("phase %s after abort, want RollingBack or Failed", w.st.Phase)
	}
	for _, c := range w.st.Clusters {
		if c.CanaryWeight != 0 {
			t.Errorf("%s weight %d after abort, want 0", c.Name, c.CanaryWeight)
		}
	}
}

func TestMaxConcurrency(t *testing.T) {
	one := int32(1)
	w := newWorld(t, canarySpec(appsv1alpha1.RolloutStage{Name: "all", ClusterNames: []string{"a", "b", "c"}, MaxConcurrency: &one}), "a", "b", "c")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.rev = "v2"
	for i := 0; i < 60 && w.st.Phase != appsv1alpha1.PhaseSucceeded; i++ {
		w.step()
		n := 0
		for _, c := range w.st.Clusters {
			if c.Phase == appsv1alpha1.ClusterProgressing || c.Phase == appsv1alpha1.ClusterPromoting {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%d clusters in flight, want at most 1: %+v", n, w.st.Clusters)
		}
		w.now = w.now.Add(w.cfg.Interval)
	}
	if w.st.Phase != appsv1alpha1.PhaseSucceeded {
		t.Fatalf("phase %s, want Succeeded", w.st.Phase)
	}
}

// A primary that cannot become ready with the new revision fails the
// promotion; during the rollback its cluster's traffic stays on the ready
// canary until the primary is back on the stable revision and ready, and
// only then goes to it (never to an unready primary).
func TestFailedPromotionKeepsTrafficOffTheUnreadyPrimary(t *testing.T) {
	spec := canarySpec()
	timeout := int32(30)
	spec.RolloutPolicy.RolloutTimeoutSeconds = &timeout
	w := newWorld(t, spec, "a")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.rev, w.brokenPrimary = "v2", "v2"
	var sawPromoting, sawCanaryAll bool
	for i := 0; i < 40 && w.st.Phase != appsv1alpha1.PhaseFailed; i++ {
		w.step()
		c := Find(&w.st, "a")
		if c.Phase == appsv1alpha1.ClusterPromoting {
			sawPromoting = true
		}
		if w.st.Phase == appsv1alpha1.PhaseRollingBack {
			// The primary was unready on v2 when the rollback began and
			// has not been seen ready on v1 yet.
			if weight, _ := CanaryWeight(&w.st, "a"); weight != 100 {
				t.Fatalf("rolling back before the primary is ready again: canary weight %d, want 100", weight)
			}
			if CanaryReplicas(&w.st, "a", 3) == 0 {
				t.Fatalf("the canary serving all traffic was scaled to 0")
			}
			sawCanaryAll = true
		}
		w.now = w.now.Add(w.cfg.Interval)
	}
	if !sawPromoting || w.st.Phase != appsv1alpha1.PhaseFailed {
		t.Fatalf("promoting seen %v, phase %s: want a failed promotion", sawPromoting, w.st.Phase)
	}
	if !sawCanaryAll {
		t.Errorf("never saw the canary keep the traffic while the primary was unready")
	}
	if weight, _ := CanaryWeight(&w.st, "a"); weight != 0 || w.primary["a"] != "v1" {
		t.Errorf("after the rollback: weight %d, primary %s; want 0 and v1", weight, w.primary["a"])
	}
}

// With primaries seen ready only a reconcile after each change, a run
// still ends with every canary's traffic at 0, whether it succeeds or
// rolls back: a finished run's weights are never left on a canary.
func TestRunsEndWithTrafficOnThePrimaries(t *testing.T) {
	for _, tc := range []struct {
		fail   bool
		stages []appsv1alpha1.RolloutStage
	}{{false, shanghaiThenHangzhou}, {true, shanghaiThenHangzhou}, {false, nil}, {true, nil}} {
		fail := tc.fail
		t.Run(fmt.Sprintf("failing %v, %d stages", fail, len(tc.stages)), func(t *testing.T) {
			w := newWorld(t, canarySpec(tc.stages...), "cluster-hangzhou", "cluster-shanghai")
			w.slowPrimary = true
			w.runUntil(appsv1alpha1.PhaseInitialized, 5)
			if fail {
				w.gate = func(r Request) Outcome {
					return Outcome{Passed: !(r.Kind == GateAnalysis && r.Cluster == "cluster-hangzhou" && !r.First)}
				}
			}
			w.rev = "v2"
			want := appsv1alpha1.PhaseSucceeded
			if fail {
				want = appsv1alpha1.PhaseFailed
			}
			w.runUntil(want, 60)
			for _, c := range w.st.Clusters {
				if weight, matched := CanaryWeight(&w.st, c.Name); weight != 0 || matched {
					t.Errorf("%s: %s with canary weight %d (matched %v), want 0", c.Name, w.st.Phase, weight, matched)
				}
			}
		})
	}
}

// Routes that reach the members late: no check runs while a cluster's
// split is not in effect, and warm-up counts from when it is, so the
// rollout still succeeds where checks on the decided (not applied) split
// would have found no data.
func TestChecksWaitForTheSplitToBeInEffect(t *testing.T) {
	spec := canarySpec()
	w := newWorld(t, spec, "a")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.routesLag = 2
	w.gate = func(r Request) Outcome {
		if r.Kind == GateAnalysis {
			if !w.inEffect[r.Cluster] {
				t.Errorf("a check of %s ran while its split was not in effect", r.Cluster)
			}
			if !r.First && !r.WarmupDone {
				return Outcome{WarmingUp: true}
			}
		}
		return Outcome{Passed: true}
	}
	w.rev = "v2"
	w.runUntil(appsv1alpha1.PhaseSucceeded, 80)
}

// The canary's replicas reach its Work after the status that asked for
// them: a canary still at 0 replicas (trivially ready) gets no traffic and
// no check.
func TestACanaryAtZeroReplicasGetsNoTraffic(t *testing.T) {
	w := newWorld(t, canarySpec(), "a")
	w.runUntil(appsv1alpha1.PhaseInitialized, 3)
	w.step() // the weight-0 split is applied: the canary scales to 0
	w.step()
	if w.canaryReplicas["a"] != 0 {
		t.Fatalf("canary replicas %d once initialized, want 0", w.canaryReplicas["a"])
	}
	w.lagCanary = true
	w.gate = func(r Request) Outcome {
		if r.Kind == GateAnalysis && w.canaryReplicas[r.Cluster] == 0 {
			t.Errorf("a check of %s ran while its canary had 0 replicas", r.Cluster)
		}
		return Outcome{Passed: true}
	}
	w.rev = "v2"
	for i := 0; i < 30 && w.st.Phase != appsv1alpha1.PhaseSucceeded; i++ {
		before := w.canaryReplicas["a"]
		w.step()
		if weight, _ := CanaryWeight(&w.st, "a"); weight > 0 && before == 0 && Find(&w.st, "a").Phase == appsv1alpha1.ClusterProgressing {
			t.Fatalf("weight %d given to a canary whose Work still had 0 replicas", weight)
		}
		w.now = w.now.Add(w.cfg.Interval)
	}
	if w.st.Phase != appsv1alpha1.PhaseSucceeded {
		t.Fatalf("phase %s, want Succeeded", w.st.Phase)
	}
}
