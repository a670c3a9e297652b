package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

var rolloutNow = time.Date(2026, 3, 14, 10, 30, 0, 0, time.Local)

func at(minutesAgo int) *metav1.Time {
	t := metav1.NewTime(rolloutNow.Add(-time.Duration(minutesAgo) * time.Minute))
	return &t
}

// reviewsRollout is a canary 10 -> 50 by 10 over shanghai then hangzhou,
// at 30% in shanghai, with seven gate verdicts and two finished runs.
func reviewsRollout() *appsv1alpha1.Rollout {
	interval, failed := 30, 2
	minSuccess := 99.0
	ro := &appsv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bookinfo", Name: "reviews", ResourceVersion: "1", CreationTimestamp: *at(60)},
		Spec: appsv1alpha1.RolloutSpec{
			Workload:    appsv1alpha1.CrossNamespaceObjectReference{Name: "reviews"},
			ServiceName: "reviews", Port: 9080,
			RolloutPolicy: appsv1alpha1.RolloutPolicy{
				TrafficRouting: &appsv1alpha1.TrafficRoutingConfig{CanaryStrategy: &appsv1alpha1.CanaryConfig{MaxWeight: 50, StepWeight: 10}},
				TrafficAnalysis: &appsv1alpha1.TrafficAnalysis{CheckIntervalSeconds: &interval, CheckFailedTimes: &failed,
					Metrics: []appsv1alpha1.Metric{{Name: "request-success-rate", ThresholdRange: &appsv1alpha1.CanaryThresholdRange{Min: &minSuccess}}}},
			},
			Stages: []appsv1alpha1.RolloutStage{
				{Name: "shanghai", ClusterNames: []string{"cluster-shanghai"}},
				{Name: "hangzhou", ClusterNames: []string{"cluster-hangzhou"}, BakeSeconds: 60},
			},
		},
		Status: appsv1alpha1.RolloutStatus{
			Phase: appsv1alpha1.PhaseProgressing, StableRevision: "6b7f9c2a1d", CanaryRevision: "7d4e1a0b3c",
			CurrentStage: "shanghai", StageIndex: 0, StartTime: at(5),
			Clusters: []appsv1alpha1.ClusterRollout{
				{Name: "cluster-hangzhou", Stage: 1, Phase: appsv1alpha1.ClusterPending, Message: "waits for stage shanghai"},
				{Name: "cluster-shanghai", Stage: 0, Phase: appsv1alpha1.ClusterProgressing, CanaryWeight: 30, FailedChecks: 1, Message: "next check in 20s"},
			},
			History: []appsv1alpha1.RolloutRun{
				{Revision: "5a5a5a5a5a", From: "4b4b4b4b4b", Phase: appsv1alpha1.PhaseSucceeded, StartTime: at(50), EndTime: at(40), Message: "promoted everywhere"},
				{Revision: "6b7f9c2a1d", From: "5a5a5a5a5a", Phase: appsv1alpha1.PhaseFailed, StartTime: at(30), EndTime: at(27), Message: "cluster-hangzhou request-success-rate 80 below 99"},
			},
		},
	}
	for i := range 7 {
		g := appsv1alpha1.GateResult{Time: *at(7 - i), Cluster: "cluster-shanghai", Gate: "request-success-rate", Kind: "metric",
			Passed: true, Value: fmt.Sprintf("99.%d", i), Reason: "InRange"}
		if i == 5 {
			g.Passed, g.Value, g.Reason, g.Message = false, "97.5", "BelowMin", "97.5 is below 99"
		}
		ro.Status.Gates = append(ro.Status.Gates, g)
	}
	return ro
}

func matchAll(t *testing.T, out string, want []string, notWant []string) {
	t.Helper()
	for _, re := range want {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks a line matching %s:\n%s", re, out)
		}
	}
	for _, re := range notWant {
		if regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output has a line matching %s:\n%s", re, out)
		}
	}
}

func TestRolloutStatusPrint(t *testing.T) {
	clock := func(minutesAgo int) string { return regexp.QuoteMeta(at(minutesAgo).Format(time.TimeOnly)) }
	cases := []struct {
		name    string
		edit    func(*appsv1alpha1.Rollout)
		want    []string
		notWant []string
	}{
		{"a progressing canary shows phase, revisions, stage 1/2 and one row per cluster by stage", func(*appsv1alpha1.Rollout) {}, []string{
			`(?m)^Rollout:\s+bookinfo/reviews \(canary of Deployment reviews\)$`,
			`(?m)^Phase:\s+Progressing$`,
			`(?m)^Stable:\s+6b7f9c2a1d$`,
			`(?m)^Canary:\s+7d4e1a0b3c$`,
			`(?m)^Stage:\s+1/2 shanghai$`,
			`(?m)^Started:\s+.* \(5m0s ago\)$`,
			`(?m)^CLUSTER\s+STAGE\s+PHASE\s+CANARY-WEIGHT\s+ITERATIONS\s+FAILED-CHECKS\s+MESSAGE$`,
			`(?s)cluster-shanghai\s+1 shanghai\s+Progressing\s+30\s+0\s+1\s+next check in 20s.*cluster-hangzhou\s+2 hangzhou\s+Pending\s+0\s+0\s+0\s+waits for stage shanghai`,
		}, []string{`(?m)^Message:`, `paused`}},
		{"the last five gates show, oldest of them first, a failure with its reason and message", func(*appsv1alpha1.Rollout) {}, []string{
			`(?m)^Last gates \(5 of 7, newest last\):$`,
			`(?m)^\s+TIME\s+CLUSTER\s+GATE\s+VERDICT\s+VALUE\s+MESSAGE$`,
			`(?s)` + clock(5) + `\s+cluster-shanghai\s+request-success-rate\s+passed\s+99\.2.*` + clock(2) + `\s+cluster-shanghai\s+request-success-rate\s+FAILED BelowMin\s+97\.5\s+97\.5 is below 99.*` + clock(1) + `.*99\.6`,
		}, []string{`99\.0`, `99\.1`}},
		{"a paused rollout says how to resume it", func(ro *appsv1alpha1.Rollout) { ro.Spec.RolloutPolicy.Suspend = true }, []string{
			"(?m)^Phase:\\s+Progressing \\(paused: resume with `kurator rollout resume reviews -n bookinfo`\\)$",
			`(?m)^Message:\s+paused: no step and no check until resumed$`,
		}, nil},
		{"a failed run names the failed revision and the newest failed gate", func(ro *appsv1alpha1.Rollout) {
			ro.Status.Phase, ro.Status.FailedRevision = appsv1alpha1.PhaseFailed, "7d4e1a0b3c"
		}, []string{
			`(?m)^Phase:\s+Failed$`,
			`(?m)^Failed:\s+7d4e1a0b3c \(not tried again until the workload changes\)$`,
			`(?m)^Message:\s+cluster-shanghai request-success-rate failed \(BelowMin\): 97\.5 is below 99$`,
		}, nil},
		{"a new Rollout without status says Pending and that no cluster is placed yet", func(ro *appsv1alpha1.Rollout) {
			ro.Status = appsv1alpha1.RolloutStatus{}
		}, []string{
			`(?m)^Phase:\s+Pending$`, `(?m)^Stable:\s+-$`, `(?m)^Stage:\s+1/2 shanghai$`,
			`(?m)^Clusters: <none yet`, `(?m)^Gates: <no verdict yet>$`,
		}, []string{`(?m)^Started:`}},
		{"an A/B test is named as such", func(ro *appsv1alpha1.Rollout) {
			v := "insider"
			ro.Spec.RolloutPolicy.TrafficRouting = &appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 5,
				Match: []appsv1alpha1.HTTPMatchRequest{{Headers: map[string]appsv1alpha1.StringMatch{"x-user": {Exact: &v}}}}}
		}, []string{`(?m)^Rollout:\s+bookinfo/reviews \(A/B test of Deployment reviews\)$`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ro := reviewsRollout()
			c.edit(ro)
			var b bytes.Buffer
			printRolloutStatus(&b, ro, rolloutNow)
			matchAll(t, b.String(), c.want, c.notWant)
		})
	}
}

func TestRolloutStatusDocIsTheStatusAlone(t *testing.T) {
	var b bytes.Buffer
	if err := printStatusDoc(&b, reviewsRollout().Status, "json"); err != nil {
		t.Fatal(err)
	}
	var st appsv1alpha1.RolloutStatus
	if err := json.Unmarshal(b.Bytes(), &st); err != nil {
		t.Fatalf("not a RolloutStatus: %v\n%s", err, b.String())
	}
	if st.CanaryRevision != "7d4e1a0b3c" || len(st.Clusters) != 2 || strings.Contains(b.String(), `"spec"`) {
		t.Fatalf("status doc: %s", b.String())
	}
	b.Reset()
	if err := printStatusDoc(&b, reviewsRollout().Status, "yaml"); err != nil || !strings.Contains(b.String(), "phase: Progressing\n") {
		t.Fatalf("yaml %v:\n%s", err, b.String())
	}
}

func TestRolloutActionPatches(t *testing.T) {
	cases := []struct {
		name  string
		patch []byte
		want  string
	}{
		{"promote sets the action annotation to promote/<nonce>", actionPatch("promote/1710000000000000000"),
			`{"metadata":{"annotations":{"apps.kurator.dev/action":"promote/1710000000000000000"}}}`},
		{"abort sets the action annotation to abort/<nonce>", actionPatch("abort/42"),
			`{"metadata":{"annotations":{"apps.kurator.dev/action":"abort/42"}}}`},
		{"pause sets spec.rolloutPolicy.suspend true", suspendPatch(true), `{"spec":{"rolloutPolicy":{"suspend":true}}}`},
		{"resume sets spec.rolloutPolicy.suspend false explicitly (not omitted)", suspendPatch(false), `{"spec":{"rolloutPolicy":{"suspend":false}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if string(c.patch) != c.want {
				t.Fatalf("patch %s, want %s", c.patch, c.want)
			}
		})
	}
}

func TestRolloutActionRefusals(t *testing.T) {
	cases := []struct {
		phase   appsv1alpha1.RolloutPhase
		allowed bool
		why     string
	}{
		{appsv1alpha1.PhaseProgressing, true, ""},
		{appsv1alpha1.PhaseWaiting, true, ""},
		{appsv1alpha1.PhaseRollingBack, false, "already rolling back"},
		{appsv1alpha1.PhaseSucceeded, false, "last run succeeded"},
		{appsv1alpha1.PhaseFailed, false, "last run failed"},
		{appsv1alpha1.PhaseInitialized, false, "no run is in progress"},
		{appsv1alpha1.PhaseInitializing, false, "not set up yet"},
		{"", false, "it is Pending"},
	}
	for _, action := range []string{actionPromote, actionAbort} {
		for _, c := range cases {
			verdict := "refused"
			if c.allowed {
				verdict = "allowed"
			}
			t.Run(fmt.Sprintf("%s when %q is %s", action, c.phase, verdict), func(t *testing.T) {
				ro := reviewsRollout()
				ro.Status.Phase = c.phase
				err := checkAction(ro, action)
				if c.allowed {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("allowed")
				}
				for _, part := range []string{"cannot " + action + " Rollout bookinfo/reviews", c.why, "kurator rollout status reviews -n bookinfo"} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q lacks %q", err, part)
					}
				}
			})
		}
	}
}

func TestRolloutActionPlanSaysWhatHappens(t *testing.T) {
	ro := reviewsRollout()
	if got := actionPlan(ro, actionPromote); !strings.Contains(got, "the current stage 1/2 shanghai's clusters (cluster-shanghai) skip their remaining analysis and are promoted") {
		t.Errorf("promote plan: %s", got)
	}
	if got := actionPlan(ro, actionAbort); !strings.Contains(got, "every cluster is rolled back to 6b7f9c2a1d") || !strings.Contains(got, "7d4e1a0b3c is marked failed") {
		t.Errorf("abort plan: %s", got)
	}
	if got := suspendMessage(ro, true); !strings.Contains(got, "paused at stage 1/2 shanghai") || !strings.Contains(got, "kurator rollout resume reviews -n bookinfo") {
		t.Errorf("pause message: %s", got)
	}
}

func TestRolloutHistoryTable(t *testing.T) {
	var b bytes.Buffer
	printRolloutHistory(&b, reviewsRollout().Status.History)
	matchAll(t, b.String(), []string{
		`(?m)^REVISION\s+FROM\s+PHASE\s+START\s+DURATION\s+MESSAGE$`,
		`(?s)5a5a5a5a5a\s+4b4b4b4b4b\s+Succeeded\s+` + regexp.QuoteMeta(at(50).Format(time.DateTime)) + `\s+10m0s\s+promoted everywhere\n` +
			`6b7f9c2a1d\s+5a5a5a5a5a\s+Failed\s+\S+ \S+\s+3m0s\s+cluster-hangzhou request-success-rate 80 below 99\n$`,
	}, nil)
	b.Reset()
	printRolloutHistory(&b, nil)
	if b.String() != "No finished run yet.\n" {
		t.Fatalf("empty history: %q", b.String())
	}
}

func TestGetRolloutsRows(t *testing.T) {
	ro := reviewsRollout()
	idle := reviewsRollout()
	idle.Name, idle.Status = "ratings", appsv1alpha1.RolloutStatus{Phase: appsv1alpha1.PhaseInitialized, StableRevision: "1111111111"}
	var b bytes.Buffer
	if err := printRollouts(&b, []appsv1alpha1.Rollout{*ro, *idle}, true); err != nil {
		t.Fatal(err)
	}
	matchAll(t, b.String(), []string{
		`(?m)^NAMESPACE\s+NAME\s+WORKLOAD\s+PHASE\s+STAGE\s+STABLE\s+CANARY\s+WEIGHTS\s+AGE\s+STRATEGY\s+MESSAGE$`,
		`(?m)^bookinfo\s+reviews\s+Deployment/reviews\s+Progressing\s+1/2 shanghai\s+6b7f9c2a1d\s+7d4e1a0b3c\s+cluster-shanghai 30 cluster-hangzhou 0\s+\S+\s+canary\s+-$`,
		`(?m)^bookinfo\s+ratings\s+Deployment/reviews\s+Initialized\s+1/2 shanghai\s+1111111111\s+-\s+-\s+`,
	}, nil)
}

func TestDescribeRolloutSaysTheSpecInWords(t *testing.T) {
	var b bytes.Buffer
	describeRollout(&b, reviewsRollout(), rolloutNow)
	matchAll(t, b.String(), []string{
		`(?m)^Workload:\s+Deployment reviews \(Service reviews:9080\)$`,
		`(?m)^Strategy:\s+canary: the canary's share of each cluster's traffic goes 10% → 20% → 30% → 40% → 50%`,
		`(?m)^Analysis:\s+a check every 30 s; 2 failed checks of a cluster roll the rollout back; no data is a failed check after 30 s of warm-up$`,
		`(?m)^  request-success-rate: ≥ 99 % over 60 s$`,
		`(?m)^  1 shanghai \[current\]: selects clusters cluster-shanghai; all clusters at once; any failed cluster rolls back; holds cluster-shanghai$`,
		`(?m)^  2 hangzhou \[pending\]: selects clusters cluster-hangzhou; all clusters at once; bakes 60 s before the next stage;`,
		`(?m)^  CLUSTER\s+STAGE\s+PHASE`,
		`(?m)^Last gates \(7 of 7, newest last\):$`,
		`(?m)^  REVISION\s+FROM\s+PHASE`,
	}, nil)
}

// fakeRollouts serves gets from a queue and one fake watch per watch call.
type fakeRollouts struct {
	gets    []*appsv1alpha1.Rollout
	watches []*watch.FakeWatcher
	rvs     []string // resource versions the watches were asked from
}

func (f *fakeRollouts) get(context.Context) (*appsv1alpha1.Rollout, error) {
	ro := f.gets[0]
	f.gets = f.gets[1:]
	return ro, nil
}

func (f *fakeRollouts) watch(_ context.Context, rv string) (watch.Interface, error) {
	f.rvs = append(f.rvs, rv)
	if len(f.watches) == 0 {
		return nil, fmt.Errorf("no more watches")
	}
	w := f.watches[0]
	f.watches = f.watches[1:]
	return w, nil
}

func withRV(ro *appsv1alpha1.Rollout, rv string, edit func(*appsv1alpha1.Rollout)) *appsv1alpha1.Rollout {
	ro = ro.DeepCopy()
	ro.ResourceVersion = rv
	edit(ro)
	return ro
}

func TestWatchRolloutPrintsABlockPerChangeUntilTerminal(t *testing.T) {
	start := reviewsRollout()
	w1 := watch.NewFakeWithChanSize(10, false)
	w2 := watch.NewFakeWithChanSize(10, false)
	// First watch: an annotation-only change (no block), a weight change
	// (a block), then the watch expires (410) and the object is read again.
	w1.Modify(withRV(start, "2", func(ro *appsv1alpha1.Rollout) { ro.Annotations = map[string]string{"a": "b"} }))
	w1.Modify(withRV(start, "3", func(ro *appsv1alpha1.Rollout) { ro.Status.Clusters[1].CanaryWeight = 40 }))
	w1.Error(&metav1.Status{Code: 410, Reason: metav1.StatusReasonExpired})
	reread := withRV(start, "5", func(ro *appsv1alpha1.Rollout) { ro.Status.Clusters[1].CanaryWeight = 50 })
	// Second watch: a bookmark (no block), then success ends the watch.
	w2.Action(watch.Bookmark, withRV(start, "6", func(*appsv1alpha1.Rollout) {}))
	w2.Modify(withRV(reread, "7", func(ro *appsv1alpha1.Rollout) {
		ro.Status.Phase, ro.Status.StableRevision = appsv1alpha1.PhaseSucceeded, "7d4e1a0b3c"
	}))
	src := &fakeRollouts{gets: []*appsv1alpha1.Rollout{start, reread}, watches: []*watch.FakeWatcher{w1, w2}}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := watchRollout(ctx, src, &out, false, func() time.Time { return rolloutNow }); err != nil {
		t.Fatalf("watch: %v\n%s", err, out.String())
	}
	text := out.String()
	blocks := strings.Count(text, "--- "+rolloutNow.Format(time.TimeOnly)+" ---\n")
	if blocks != 4 {
		t.Errorf("%d blocks, want 4 (start, 40%%, re-read at 50%%, Succeeded):\n%s", blocks, text)
	}
	if strings.Count(text, "\x1b[") != 0 {
		t.Errorf("ANSI escapes written to a non-terminal:\n%q", text)
	}
	for _, want := range []string{"Progressing\\s+40", "Progressing\\s+50", "(?m)^Phase:\\s+Succeeded$", "(?m)^Rollout bookinfo/reviews succeeded\\.$"} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("output lacks %s:\n%s", want, text)
		}
	}
	if strings.Join(src.rvs, ",") != "1,5" {
		t.Errorf("watched from resource versions %v, want 1 then 5 (after the re-read)", src.rvs)
	}
}

func TestWatchRolloutStopsAtOnceOnATerminalPhaseAndRedrawsOnATTY(t *testing.T) {
	done := withRV(reviewsRollout(), "9", func(ro *appsv1alpha1.Rollout) { ro.Status.Phase = appsv1alpha1.PhaseInitialized })
	src := &fakeRollouts{gets: []*appsv1alpha1.Rollout{done}}
	var out bytes.Buffer
	if err := watchRollout(context.Background(), src, &out, true, func() time.Time { return rolloutNow }); err != nil {
		t.Fatal(err)
	}
	if len(src.rvs) != 0 {
		t.Errorf("watched an Initialized rollout")
	}
	if !strings.HasPrefix(out.String(), "\x1b[H\x1b[2J") || !strings.Contains(out.String(), "is Initialized: no run in progress") {
		t.Errorf("output:\n%q", out.String())
	}
}

func TestWatchRolloutFailsWhenTheRolloutIsDeleted(t *testing.T) {
	w := watch.NewFakeWithChanSize(1, false)
	w.Delete(reviewsRollout())
	src := &fakeRollouts{gets: []*appsv1alpha1.Rollout{reviewsRollout()}, watches: []*watch.FakeWatcher{w}}
	err := watchRollout(context.Background(), src, &bytes.Buffer{}, false, time.Now)
	if err == nil || !strings.Contains(err.Error(), "Rollout bookinfo/reviews was deleted") {
		t.Fatalf("err %v", err)
	}
}

func TestRolloutVerbsAreRegisteredWithHelp(t *testing.T) {
	for _, verb := range []string{"status", "promote", "abort", "pause", "resume", "history"} {
		out, err := runKurator(t, "", "rollout", verb, "--help")
		if err != nil || !strings.Contains(out, "kurator rollout "+verb+" reviews -n bookinfo") || !strings.Contains(out, "--kubeconfig") {
			t.Errorf("rollout %s --help: %v\n%s", verb, err, out)
		}
	}
}
