package rollout

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// fleet simulates members for the Update strategy: each cluster runs
// what its status entry's primaryRevision says, healthy at once unless
// the revision is broken; a cluster running nothing is trivially healthy.
type fleet struct {
	t        *testing.T
	cfg      Config
	st       appsv1alpha1.RolloutStatus
	rev      string
	action   string
	clusters []string
	broken   string
	now      time.Time
	gate     func(Request) Outcome
	// order records when a cluster first ran each revision.
	order []string
}

func newFleet(t *testing.T, d *appsv1alpha1.Delivery, clusters ...string) *fleet {
	f := &fleet{t: t, rev: "v1", clusters: clusters, now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	f.cfg = DeliveryConfig(d, func(s appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		return func(name string, _ map[string]string) bool { return slices.Contains(s.ClusterNames, name) }
	})
	f.gate = func(Request) Outcome { return Outcome{Passed: true} }
	return f
}

func (f *fleet) running(name string) string {
	for _, c := range f.st.Clusters {
		if c.Name == name {
			return c.PrimaryRevision
		}
	}
	return ""
}

func (f *fleet) step() Output {
	in := Input{Revision: f.rev, Action: f.action, Now: f.now}
	for _, name := range f.clusters {
		rev := f.running(name)
		in.Clusters = append(in.Clusters, Observed{Name: name, Ready: true, Primary: Workload{Revision: rev, Ready: rev != f.broken || rev == ""}})
	}
	outcomes := map[Request]Outcome{}
	var out Output
	for range 5 {
		out = Step(f.cfg, &f.st, in, outcomes)
		if len(out.Requests) == 0 {
			break
		}
		for _, r := range out.Requests {
			outcomes[r] = f.gate(r)
		}
	}
	before := map[string]string{}
	for _, c := range f.st.Clusters {
		before[c.Name] = c.PrimaryRevision
	}
	f.st = out.Status
	for _, c := range f.st.Clusters {
		if c.PrimaryRevision != before[c.Name] {
			f.order = append(f.order, c.Name+"="+c.PrimaryRevision)
		}
	}
	f.now = f.now.Add(5 * time.Second)
	return out
}

// until steps until the phase is reached (at most n steps).
func (f *fleet) until(phase appsv1alpha1.RolloutPhase, n int) {
	f.t.Helper()
	for range n {
		f.step()
		if f.st.Phase == phase {
			return
		}
	}
	f.t.Fatalf("phase %s not reached in %d steps: phase %s, clusters %+v", phase, n, f.st.Phase, f.st.Clusters)
}

func stages(s ...appsv1alpha1.RolloutStage) *appsv1alpha1.Delivery {
	return &appsv1alpha1.Delivery{Stages: s, TimeoutSeconds: ptr(int32(60))}
}

func ptr[T any](v T) *T { return &v }

func TestUpdateFirstReleaseIsStagedPilotFirst(t *testing.T) {
	f := newFleet(t, stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}, BakeSeconds: 20}), "frankfurt", "hangzhou", "shanghai")
	f.until(appsv1alpha1.PhaseSucceeded, 50)
	if got := strings.Join(f.order, " "); !strings.HasPrefix(got, "hangzhou=v1 ") {
		t.Fatalf("order %q: hangzhou must take v1 alone first", got)
	}
	if f.st.StableRevision != "v1" {
		t.Fatalf("stable %q, want v1", f.st.StableRevision)
	}
	for _, c := range f.st.Clusters {
		if c.PrimaryRevision != "v1" || c.Phase != appsv1alpha1.ClusterSucceeded {
			t.Errorf("cluster %s: %s %s, want v1 Succeeded", c.Name, c.PrimaryRevision, c.Phase)
		}
	}
}

func TestUpdateBakeHoldsTheNextStage(t *testing.T) {
	f := newFleet(t, stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}, BakeSeconds: 60}), "hangzhou", "shanghai")
	start := f.now
	for f.running("shanghai") == "" {
		f.step()
		if f.now.Sub(start) > 5*time.Minute {
			t.Fatal("shanghai never started")
		}
	}
	if took := f.now.Sub(start); took < 60*time.Second {
		t.Fatalf("shanghai started %s after the release began, before the 60 s bake ended", took)
	}
}

func TestUpdateBrokenRevisionRollsBackTheStageAndNeverReachesTheNext(t *testing.T) {
	f := newFleet(t, stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}}), "frankfurt", "hangzhou", "shanghai")
	f.until(appsv1alpha1.PhaseSucceeded, 50)
	f.rev, f.broken, f.order = "v2", "v2", nil
	f.until(appsv1alpha1.PhaseFailed, 50)
	if got := strings.Join(f.order, " "); got != "hangzhou=v2 hangzhou=v1" {
		t.Fatalf("order %q, want hangzhou=v2 then back to v1 only", got)
	}
	if f.st.StableRevision != "v1" || f.st.FailedRevision != "v2" {
		t.Fatalf("stable %q failed %q", f.st.StableRevision, f.st.FailedRevision)
	}
	var phases []string
	for _, h := range f.st.History {
		phases = append(phases, h.Revision+":"+string(h.Phase))
	}
	if got := strings.Join(phases, " "); got != "v1:Succeeded v2:Failed" {
		t.Fatalf("history %q", got)
	}
	// The failed revision is not retried until the source changes.
	f.step()
	if f.running("hangzhou") != "v1" {
		t.Fatal("v2 retried")
	}
}

func TestUpdateFailedFirstReleaseRemovesWhatItInstalled(t *testing.T) {
	f := newFleet(t, stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}}), "hangzhou", "shanghai")
	f.broken = "v1"
	f.until(appsv1alpha1.PhaseFailed, 50)
	if f.running("hangzhou") != "" || f.running("shanghai") != "" {
		t.Fatalf("clusters run %q/%q, want nothing", f.running("hangzhou"), f.running("shanghai"))
	}
}

func TestUpdateRequireApprovalWaitsForPromote(t *testing.T) {
	f := newFleet(t, stages(
		appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}},
		appsv1alpha1.RolloutStage{Name: "plants", ClusterNames: []string{"shanghai"}, RequireApproval: true}), "hangzhou", "shanghai")
	var waited []string
	for range 20 {
		out := f.step()
		waited = append(waited, out.Events...)
	}
	if f.running("shanghai") != "" || f.st.Phase != appsv1alpha1.PhaseProgressing {
		t.Fatalf("shanghai runs %q (phase %s) before approval", f.running("shanghai"), f.st.Phase)
	}
	n := 0
	for _, e := range waited {
		if strings.HasPrefix(e, "WaitingApproval") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d WaitingApproval events, want one: %v", n, waited)
	}
	f.action = "promote/1"
	f.until(appsv1alpha1.PhaseSucceeded, 20)
	if f.running("shanghai") != "v1" || f.st.ApprovedStage != "plants" {
		t.Fatalf("shanghai %q, approved %q", f.running("shanghai"), f.st.ApprovedStage)
	}
}

func TestUpdateFailingChecksRollBackAfterThreshold(t *testing.T) {
	d := stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}})
	d.Analysis = &appsv1alpha1.TrafficAnalysis{CheckIntervalSeconds: ptr(10), CheckFailedTimes: ptr(2)}
	d.AnalysisTimes = 3
	f := newFleet(t, d, "hangzhou", "shanghai")
	checks := 0
	f.gate = func(r Request) Outcome { checks++; return Outcome{Passed: true} }
	f.until(appsv1alpha1.PhaseSucceeded, 80)
	if checks != 6 {
		t.Fatalf("%d checks, want 3 per cluster", checks)
	}
	f.rev, checks = "v2", 0
	f.gate = func(r Request) Outcome { checks++; return Outcome{Passed: false} }
	f.until(appsv1alpha1.PhaseFailed, 80)
	if checks != 2 || f.running("hangzhou") != "v1" || f.running("shanghai") != "v1" {
		t.Fatalf("%d checks (want 2), clusters %q %q", checks, f.running("hangzhou"), f.running("shanghai"))
	}
}

func TestUpdateAbortRollsBackEveryUpdatedCluster(t *testing.T) {
	f := newFleet(t, stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"a"}}, appsv1alpha1.RolloutStage{Name: "b", ClusterNames: []string{"b"}, BakeSeconds: 300}), "a", "b", "c")
	f.until(appsv1alpha1.PhaseSucceeded, 200)
	f.rev, f.order = "v2", nil
	for f.running("b") != "v2" {
		f.step()
	}
	f.action = "abort/1"
	f.until(appsv1alpha1.PhaseFailed, 50)
	if got := strings.Join(f.order, " "); got != "a=v2 b=v2 b=v1 a=v1" {
		t.Fatalf("order %q, want newest first back to v1", got)
	}
}

// A check judges a window of the new revision's traffic: the first one is
// due one check interval after the cluster turned healthy, not at once
// (a metric over the previous revision's traffic would pass it).
func TestUpdateFirstCheckWaitsAnIntervalAfterHealthy(t *testing.T) {
	d := stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}})
	d.Analysis = &appsv1alpha1.TrafficAnalysis{CheckIntervalSeconds: ptr(30)}
	f := newFleet(t, d, "hangzhou")
	var checkedAt []time.Time
	f.gate = func(r Request) Outcome { checkedAt = append(checkedAt, f.now); return Outcome{Passed: true} }
	var healthyAt time.Time
	for range 40 {
		f.step()
		if healthyAt.IsZero() && f.running("hangzhou") == "v1" {
			healthyAt = f.now.Add(-5 * time.Second) // the step that gave it v1 saw it healthy
		}
		if f.st.Phase == appsv1alpha1.PhaseSucceeded {
			break
		}
	}
	if f.st.Phase != appsv1alpha1.PhaseSucceeded || len(checkedAt) != 1 {
		t.Fatalf("phase %s after %d checks, want Succeeded after 1", f.st.Phase, len(checkedAt))
	}
	if wait := checkedAt[0].Sub(healthyAt); wait < 30*time.Second {
		t.Fatalf("the first check ran %s after the cluster turned healthy, want at least the 30 s interval", wait)
	}
}

// Without an analysis there is nothing to judge, so nothing waits.
func TestUpdateWithoutAnalysisDoesNotWaitForAnInterval(t *testing.T) {
	f := newFleet(t, stages(appsv1alpha1.RolloutStage{Name: "pilot", ClusterNames: []string{"hangzhou"}}), "hangzhou")
	f.until(appsv1alpha1.PhaseSucceeded, 4)
}
