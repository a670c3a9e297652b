package dashboard

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

var t0 = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func micro(minutes int) *metav1.MicroTime {
	t := metav1.NewMicroTime(t0.Add(time.Duration(minutes) * time.Minute))
	return &t
}

func mt(minutes int) *metav1.Time {
	t := metav1.NewTime(t0.Add(time.Duration(minutes) * time.Minute))
	return &t
}

func ptr[T any](v T) *T { return &v }

// canaryRollout: 10 -> 50 by 10 over shanghai then hangzhou, shanghai at 30.
func canaryRollout() *appsv1alpha1.Rollout {
	return &appsv1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bookinfo", Name: "reviews"},
		Spec: appsv1alpha1.RolloutSpec{
			Workload:    appsv1alpha1.CrossNamespaceObjectReference{Name: "reviews"},
			ServiceName: "reviews", Port: 9080,
			RolloutPolicy: appsv1alpha1.RolloutPolicy{
				TrafficRouting: &appsv1alpha1.TrafficRoutingConfig{TimeoutSeconds: 5,
					Retries:        &appsv1alpha1.HTTPRetry{Attempts: 3, PerTryTimeout: "2s"},
					CanaryStrategy: &appsv1alpha1.CanaryConfig{MaxWeight: 50, StepWeight: 10}},
				TrafficAnalysis: &appsv1alpha1.TrafficAnalysis{CheckIntervalSeconds: ptr(30), CheckFailedTimes: ptr(2),
					Metrics: []appsv1alpha1.Metric{
						{Name: "request-success-rate", ThresholdRange: &appsv1alpha1.CanaryThresholdRange{Min: ptr(99.0)}},
						{Name: "request-duration", IntervalSeconds: ptr(30), ThresholdRange: &appsv1alpha1.CanaryThresholdRange{Max: ptr(500.0)}},
						{Name: "error-budget", ThresholdRange: &appsv1alpha1.CanaryThresholdRange{Min: ptr(0.5), Max: ptr(1.0)},
							CustomMetric: &appsv1alpha1.CustomMetric{Query: `sum(rate(errors{cluster="{{ cluster }}"}[{{ interval }}]))`}},
						{Name: "saturation", CustomMetric: &appsv1alpha1.CustomMetric{Query: "up"}},
					},
					Webhooks: appsv1alpha1.Webhook{Hooks: []appsv1alpha1.Hook{{Name: "gate", Type: "confirm-promotion", URL: "http://gate.test/approve"}, {Name: "load", URL: "http://load.test/"}}}},
			},
			Stages: []appsv1alpha1.RolloutStage{
				{Name: "shanghai", ClusterNames: []string{"cluster-shanghai"}},
				{Name: "hangzhou", ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"region": "hangzhou"}}, MaxConcurrency: ptr(int32(1)), BakeSeconds: 60, MaxFailures: 1},
			},
		},
		Status: appsv1alpha1.RolloutStatus{
			Phase: appsv1alpha1.PhaseProgressing, StableRevision: "6b7f9c2a1d", CanaryRevision: "7d4e1a0b3c",
			CurrentStage: "shanghai", StartTime: mt(0),
			Clusters: []appsv1alpha1.ClusterRollout{
				{Name: "cluster-hangzhou", Stage: 1, Phase: appsv1alpha1.ClusterPending},
				{Name: "cluster-shanghai", Stage: 0, Phase: appsv1alpha1.ClusterProgressing, CanaryWeight: 30, LastCheckTime: micro(3)},
			},
			Gates: []appsv1alpha1.GateResult{
				{Time: *mt(1), Cluster: "cluster-shanghai", Gate: "request-success-rate", Kind: "metric", Passed: true, Value: "99.9", Reason: "InRange"},
				{Time: *mt(2), Cluster: "cluster-shanghai", Gate: "request-success-rate", Kind: "metric", Passed: false, Value: "97", Reason: "BelowMin", Message: "97 is below 99"},
				{Time: *mt(3), Cluster: "cluster-shanghai", Gate: "request-success-rate", Kind: "metric", Passed: true, Value: "99.5", Reason: "InRange"},
			},
			History: []appsv1alpha1.RolloutRun{
				{Revision: "6b7f9c2a1d", From: "5a5a5a5a5a", Phase: appsv1alpha1.PhaseSucceeded, StartTime: mt(-60), EndTime: mt(-50)},
				{Revision: "9c9c9c9c9c", From: "6b7f9c2a1d", Phase: appsv1alpha1.PhaseFailed, StartTime: mt(-30), EndTime: mt(-28), Message: "rolled back"},
			},
		},
	}
}

func TestRolloutSummary(t *testing.T) {
	s := RolloutOf(canaryRollout(), "reviews-deployment")
	if s.Phase != "Progressing" || s.Strategy != StrategyCanary || s.Stable != "6b7f9c2a1d" || s.Canary != "7d4e1a0b3c" || s.Binding != "reviews-deployment" {
		t.Errorf("summary %+v", s)
	}
	if s.Workload != (ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "bookinfo", Name: "reviews"}) {
		t.Errorf("workload defaults not filled: %+v", s.Workload)
	}
	if s.Stage != (StageRef{Index: 0, Name: "shanghai", Total: 2}) {
		t.Errorf("stage %+v, want shanghai 0 of 2 (the empty implicit stage is not counted)", s.Stage)
	}
	if got := WeightsText(s.Weights); got != "cluster-shanghai 30 cluster-hangzhou 0" {
		t.Errorf("weights %q, want by stage then name", got)
	}
	if s.Message != "" || !s.Started.Equal(t0) {
		t.Errorf("message %q started %v", s.Message, s.Started)
	}
}

func TestRolloutSummaryMessage(t *testing.T) {
	cases := []struct {
		name string
		edit func(*appsv1alpha1.Rollout)
		want string
	}{
		{"a progressing run needs nothing", func(*appsv1alpha1.Rollout) {}, ""},
		{"a failed run names its newest failed gate", func(ro *appsv1alpha1.Rollout) { ro.Status.Phase = appsv1alpha1.PhaseFailed },
			"cluster-shanghai request-success-rate failed (BelowMin): 97 is below 99"},
		{"a failed run without a failed gate gives its last run's message", func(ro *appsv1alpha1.Rollout) {
			ro.Status.Phase, ro.Status.Gates = appsv1alpha1.PhaseFailed, nil
		}, "rolled back"},
		{"a paused run says so", func(ro *appsv1alpha1.Rollout) { ro.Spec.RolloutPolicy.Suspend = true }, "paused: no step and no check until resumed"},
		{"Ready False wins over everything", func(ro *appsv1alpha1.Rollout) {
			ro.Status.Phase, ro.Spec.RolloutPolicy.Suspend = appsv1alpha1.PhaseFailed, true
			ro.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse, Reason: "WorkloadNotFound", Message: "Deployment bookinfo/reviews not found: create it"}}
		}, "Deployment bookinfo/reviews not found: create it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ro := canaryRollout()
			c.edit(ro)
			if got := RolloutOf(ro, "").Message; got != c.want {
				t.Fatalf("message %q, want %q", got, c.want)
			}
		})
	}
}

func TestRolloutStageStates(t *testing.T) {
	cases := []struct {
		phase appsv1alpha1.RolloutPhase
		index int32
		want  []string
	}{
		{appsv1alpha1.PhaseProgressing, 0, []string{StageCurrent, StagePending}},
		{appsv1alpha1.PhaseProgressing, 1, []string{StageDone, StageCurrent}},
		{appsv1alpha1.PhaseWaiting, 0, []string{StageCurrent, StagePending}},
		{appsv1alpha1.PhaseRollingBack, 1, []string{StageRolledBack, StageFailed}},
		{appsv1alpha1.PhaseFailed, 0, []string{StageFailed, StagePending}},
		{appsv1alpha1.PhaseSucceeded, 1, []string{StageDone, StageDone}},
		{appsv1alpha1.PhaseInitialized, 0, []string{StagePending, StagePending}},
		{"", 0, []string{StagePending, StagePending}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q at stage %d shows %s", c.phase, c.index+1, strings.Join(c.want, ",")), func(t *testing.T) {
			ro := canaryRollout()
			ro.Status.Phase, ro.Status.StageIndex, ro.Status.CurrentStage = c.phase, c.index, ""
			d := BuildRollout(ro, "", nil)
			var got []string
			for _, s := range d.Stages {
				got = append(got, s.State)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("states %v, want %v", got, c.want)
			}
		})
	}
}

func TestRolloutImplicitStageShowsWhenStatusUsesIt(t *testing.T) {
	ro := canaryRollout()
	ro.Status.Clusters = append(ro.Status.Clusters, appsv1alpha1.ClusterRollout{Name: "cluster-frankfurt", Stage: 2, Phase: appsv1alpha1.ClusterPending})
	d := BuildRollout(ro, "", nil)
	if len(d.Stages) != 3 || d.Stages[2].Name != "rest" || d.Stages[2].Selects != "every cluster no earlier stage selects" ||
		!slices.Equal(d.Stages[2].Clusters, []string{"cluster-frankfurt"}) || d.Summary.Stage.Total != 3 {
		t.Fatalf("stages %+v total %d", d.Stages, d.Summary.Stage.Total)
	}
	noStages := canaryRollout()
	noStages.Spec.Stages = nil
	for i := range noStages.Status.Clusters {
		noStages.Status.Clusters[i].Stage = 0
	}
	noStages.Status.CurrentStage = ""
	d = BuildRollout(noStages, "", nil)
	if len(d.Stages) != 1 || d.Stages[0].Name != "all" || d.Stages[0].Selects != "every cluster that holds the workload" || len(d.Stages[0].Clusters) != 2 {
		t.Fatalf("without stages: %+v", d.Stages)
	}
}

func TestRolloutDetailSaysTheSpecInWords(t *testing.T) {
	d := BuildRollout(canaryRollout(), "", nil)
	sp := d.Spec
	checks := []struct{ what, got, want string }{
		{"service", sp.Service, "reviews:9080"},
		{"strategy", sp.Strategy, "canary: the canary's share of each cluster's traffic goes 10% → 20% → 30% → 40% → 50%, one step per passing check; then the primary is promoted and takes all traffic back at once"},
		{"analysis", sp.Analysis, "a check every 30 s; 2 failed checks of a cluster roll the rollout back; no data is a failed check after 30 s of warm-up"},
		{"routing", sp.Routing, "request timeout 5 s; 3 retries of 2s each"},
		{"timeout", sp.Timeout, "a canary (or promoted primary) not ready within 600 s fails the run"},
		{"stage 1 selects", d.Stages[0].Selects, "clusters cluster-shanghai"},
		{"stage 1 rules", d.Stages[0].Rules, "all clusters at once; any failed cluster rolls back"},
		{"stage 2 selects", d.Stages[1].Selects, "labels region=hangzhou"},
		{"stage 2 rules", d.Stages[1].Rules, "1 at a time; bakes 60 s before the next stage; 1 failed cluster tolerated"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
	if !slices.Equal(sp.Steps, []int{10, 20, 30, 40, 50}) {
		t.Errorf("steps %v", sp.Steps)
	}
	wantMetrics := []RolloutMetric{
		{Name: "request-success-rate", BuiltIn: true, Range: "≥ 99 %", Interval: "60 s"},
		{Name: "request-duration", BuiltIn: true, Range: "≤ 500 ms", Interval: "30 s"},
		{Name: "error-budget", Range: "0.5 – 1", Interval: "60 s", Query: `sum(rate(errors{cluster="{{ cluster }}"}[{{ interval }}]))`},
		{Name: "saturation", Range: "any value", Interval: "60 s", Query: "up"},
	}
	if !slices.Equal(sp.Metrics, wantMetrics) {
		t.Errorf("metrics %+v\nwant %+v", sp.Metrics, wantMetrics)
	}
	if !slices.Equal(sp.Webhooks, []RolloutHook{{Name: "gate", Type: "confirm-promotion", URL: "http://gate.test/approve"}, {Name: "load", Type: "rollout", URL: "http://load.test/"}}) {
		t.Errorf("webhooks %+v (a hook without type is a rollout hook)", sp.Webhooks)
	}
}

func TestRolloutStrategiesInWords(t *testing.T) {
	insider, beta := "insider", "beta-"
	cases := []struct {
		name    string
		routing *appsv1alpha1.TrafficRoutingConfig
		policy  func(*appsv1alpha1.RolloutPolicy)
		kind    string
		want    string
	}{
		{"an A/B test names its matches and iterations", &appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 10, Match: []appsv1alpha1.HTTPMatchRequest{
			{Headers: map[string]appsv1alpha1.StringMatch{"x-user": {Exact: &insider}, "cookie": {Regex: ptr("^(.*?;)?(type=insider)(;.*)?$")}}},
			{URI: &appsv1alpha1.StringMatch{Prefix: &beta}},
		}}, nil, StrategyABTest, `A/B test: requests where header cookie matches "^(.*?;)?(type=insider)(;.*)?$" and header x-user is "insider", or uri starts with "beta-" go to the canary for 10 passing checks; then the primary is promoted`},
		{"blue/green counts its iterations", &appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 5}, nil, StrategyBlueGreen,
			"blue/green: the canary runs beside the primary without traffic for 5 passing checks; then traffic switches to the new revision and the primary is promoted"},
		{"stepWeights and a promotion step", &appsv1alpha1.TrafficRoutingConfig{CanaryStrategy: &appsv1alpha1.CanaryConfig{StepWeights: []int{5, 25, 60}, StepWeightPromotion: 20}}, nil, StrategyCanary,
			"canary: the canary's share of each cluster's traffic goes 5% → 25% → 60%, one step per passing check; then the primary is promoted and takes traffic back 20% per check"},
		{"a paused canary says so", nil, func(p *appsv1alpha1.RolloutPolicy) { p.Suspend = true }, StrategyCanary,
			"canary: the canary's share of each cluster's traffic goes 10% → 20% → 30% → 40% → 50% → 60% → 70% → 80% → 90% → 100%, one step per passing check; then the primary is promoted and takes all traffic back at once (paused)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ro := canaryRollout()
			ro.Spec.RolloutPolicy.TrafficRouting = c.routing
			if c.policy != nil {
				c.policy(&ro.Spec.RolloutPolicy)
			}
			d := BuildRollout(ro, "", nil)
			if d.Summary.Strategy != c.kind || d.Spec.Strategy != c.want {
				t.Fatalf("strategy %s %q\nwant %s %q", d.Summary.Strategy, d.Spec.Strategy, c.kind, c.want)
			}
			if c.kind != StrategyCanary && len(d.Spec.Steps) != 0 {
				t.Errorf("steps %v for a %s", d.Spec.Steps, c.kind)
			}
		})
	}
	skip := canaryRollout()
	skip.Spec.RolloutPolicy.SkipTrafficAnalysis = true
	if got := BuildRollout(skip, "", nil).Spec.Analysis; got != "no analysis: each cluster is promoted once its canary is ready" {
		t.Errorf("skipped analysis: %q", got)
	}
}

func TestRolloutDetailListsNewestFirst(t *testing.T) {
	d := BuildRollout(canaryRollout(), "", nil)
	if len(d.Gates) != 3 || !d.Gates[0].Time.Equal(mt(3).Time) || d.Gates[1].Passed || d.Gates[1].Message != "97 is below 99" {
		t.Errorf("gates %+v, want newest first with the failure in the middle", d.Gates)
	}
	if len(d.History) != 2 || d.History[0].Revision != "9c9c9c9c9c" || d.History[0].Seconds != 120 || d.History[1].Seconds != 600 {
		t.Errorf("history %+v, want newest first with durations", d.History)
	}
	if len(d.Clusters) != 2 || d.Clusters[0].Name != "cluster-shanghai" || d.Clusters[0].StageName != "shanghai" ||
		d.Clusters[1].StageName != "hangzhou" || !d.Clusters[0].LastCheck.Equal(mt(3).Time) {
		t.Errorf("clusters %+v, want by stage with stage names", d.Clusters)
	}
	if d.Events == nil || d.Conditions == nil {
		t.Errorf("nil lists serialise as null: events %v conditions %v", d.Events, d.Conditions)
	}
}

func TestRolloutsListAndRolloutFor(t *testing.T) {
	a := *canaryRollout()
	b := *canaryRollout()
	b.Namespace, b.Name = "alpha", "ratings"
	b.Spec.Workload.Name = "ratings"
	c := *canaryRollout()
	c.Name = "reviews-again"
	bindingOf := func(r ObjectRef) string {
		if r.Name == "reviews" {
			return "reviews-deployment"
		}
		return ""
	}
	l := Rollouts([]appsv1alpha1.Rollout{c, a, b}, bindingOf, "bookinfo")
	if len(l.Items) != 2 || l.Items[0].Name != "reviews" || l.Items[1].Name != "reviews-again" || l.Items[0].Binding != "reviews-deployment" {
		t.Errorf("items %+v, want bookinfo's two by name with their workload page", l.Items)
	}
	if !slices.Equal(l.Namespaces, []string{"alpha", "bookinfo"}) {
		t.Errorf("namespaces %v, want every namespace before filtering", l.Namespaces)
	}
	ref := RolloutFor([]appsv1alpha1.Rollout{c, a, b}, ObjectRef{Kind: "Deployment", Namespace: "bookinfo", Name: "reviews"})
	if ref == nil || ref.Name != "reviews" || ref.Kind != "Rollout" || ref.Namespace != "bookinfo" {
		t.Errorf("RolloutFor %+v, want the first by name", ref)
	}
	if RolloutFor([]appsv1alpha1.Rollout{a}, ObjectRef{Kind: "StatefulSet", Namespace: "bookinfo", Name: "reviews"}) != nil {
		t.Errorf("a Rollout of a Deployment matched a StatefulSet")
	}
	if RolloutFor([]appsv1alpha1.Rollout{a}, ObjectRef{Kind: "Deployment", Namespace: "other", Name: "reviews"}) != nil {
		t.Errorf("a Rollout matched a workload in another namespace")
	}
}
