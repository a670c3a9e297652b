package dashboard

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/rollout"
)

// PhasePending is the phase shown for a Rollout the controller has not
// written a status for yet.
const PhasePending = "Pending"

// Built-in metric names and the unit of their value.
var builtInMetricUnit = map[string]string{"request-success-rate": "%", "request-duration": "ms"}

// rolloutConfig is the spec with the controller's defaults, from the same
// function the controller uses. Stage membership needs the clusters, which
// a view reads from status instead, so no stage selects anything here.
func rolloutConfig(ro *appsv1alpha1.Rollout) rollout.Config {
	return rollout.ConfigOf(&ro.Spec, func(appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		return func(string, map[string]string) bool { return false }
	})
}

// RolloutPhase is status.phase, or PhasePending before the first status.
func RolloutPhase(ro *appsv1alpha1.Rollout) string {
	if ro.Status.Phase == "" {
		return PhasePending
	}
	return string(ro.Status.Phase)
}

// RolloutTerminal says whether a phase is one a run ends in (or one that
// waits for a new revision): nothing moves until the workload changes.
func RolloutTerminal(phase appsv1alpha1.RolloutPhase) bool {
	switch phase {
	case appsv1alpha1.PhaseSucceeded, appsv1alpha1.PhaseFailed, appsv1alpha1.PhaseInitialized:
		return true
	}
	return false
}

// RolloutStageRef is the stage in progress, of all the stages (the spec's
// plus the implicit last one of clusters no stage selects).
func RolloutStageRef(ro *appsv1alpha1.Rollout) StageRef {
	names := stageNames(ro, rolloutConfig(ro))
	i := int(ro.Status.StageIndex)
	ref := StageRef{Index: i, Total: len(names), Name: ro.Status.CurrentStage}
	if ref.Name == "" && i < len(names) {
		ref.Name = names[i]
	}
	return ref
}

// stageNames are the names of the stages in order. The implicit last
// stage is listed only when it is the only one or status puts a cluster
// (or the run) in it: otherwise it holds no cluster.
func stageNames(ro *appsv1alpha1.Rollout, cfg rollout.Config) []string {
	var names []string
	for _, s := range cfg.Stages {
		names = append(names, s.Name)
	}
	if len(names) <= 1 {
		return names
	}
	last := len(names) - 1
	used := int(ro.Status.StageIndex) == last
	for _, c := range ro.Status.Clusters {
		used = used || int(c.Stage) >= last
	}
	if !used {
		names = names[:last]
	}
	return names
}

func stageName(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("stage %d", i+1)
}

// RolloutStrategy names the strategy: StrategyCanary, StrategyABTest or
// StrategyBlueGreen.
func RolloutStrategy(ro *appsv1alpha1.Rollout) string {
	switch rolloutConfig(ro).Strategy {
	case rollout.ABTest:
		return StrategyABTest
	case rollout.BlueGreen:
		return StrategyBlueGreen
	}
	return StrategyCanary
}

// RolloutWeights are the canary's weights per cluster, by stage then name.
func RolloutWeights(ro *appsv1alpha1.Rollout) []ClusterWeight {
	out := make([]ClusterWeight, 0, len(ro.Status.Clusters))
	for _, c := range ro.Status.Clusters {
		out = append(out, ClusterWeight{Cluster: c.Name, Stage: int(c.Stage), Phase: string(c.Phase), Weight: c.CanaryWeight})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Stage != out[j].Stage {
			return out[i].Stage < out[j].Stage
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out
}

// WeightsText is the weights in one line: "cluster-shanghai 30 cluster-hangzhou 0".
func WeightsText(ws []ClusterWeight) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("%s %d", w.Cluster, w.Weight))
	}
	return strings.Join(parts, " ")
}

// RolloutOf summarises a Rollout. binding names the target's workload page
// ("" for none).
func RolloutOf(ro *appsv1alpha1.Rollout, binding string) RolloutSummary {
	wl := ro.Spec.Workload
	s := RolloutSummary{
		Namespace: ro.Namespace,
		Name:      ro.Name,
		Workload:  ObjectRef{APIVersion: orString(wl.APIVersion, "apps/v1"), Kind: orString(wl.Kind, "Deployment"), Namespace: orString(wl.Namespace, ro.Namespace), Name: wl.Name},
		Binding:   binding,
		Strategy:  RolloutStrategy(ro),
		Phase:     RolloutPhase(ro),
		Paused:    ro.Spec.RolloutPolicy.Suspend,
		Stage:     RolloutStageRef(ro),
		Stable:    ro.Status.StableRevision,
		Canary:    ro.Status.CanaryRevision,
		Failed:    ro.Status.FailedRevision,
		Weights:   RolloutWeights(ro),
		Message:   rolloutMessage(ro),
	}
	if t := ro.Status.StartTime; t != nil {
		s.Started = t.Time
	}
	return s
}

// rolloutMessage is what needs a person, most urgent first.
func rolloutMessage(ro *appsv1alpha1.Rollout) string {
	if c := meta.FindStatusCondition(ro.Status.Conditions, "Ready"); c != nil && c.Status == metav1.ConditionFalse {
		return c.Message
	}
	switch ro.Status.Phase {
	case appsv1alpha1.PhaseFailed, appsv1alpha1.PhaseRollingBack:
		for i := len(ro.Status.Gates) - 1; i >= 0; i-- {
			if g := ro.Status.Gates[i]; !g.Passed {
				return GateText(g)
			}
		}
		if n := len(ro.Status.History); n > 0 && ro.Status.Phase == appsv1alpha1.PhaseFailed {
			return ro.Status.History[n-1].Message
		}
	}
	if ro.Spec.RolloutPolicy.Suspend {
		return "paused: no step and no check until resumed"
	}
	return ""
}

// GateText is a verdict in one line: "cluster-hangzhou request-success-rate
// failed (BelowMin): 80 is below 99".
func GateText(g appsv1alpha1.GateResult) string {
	verdict := "passed"
	if !g.Passed {
		verdict = "failed"
	}
	s := g.Gate + " " + verdict
	if g.Reason != "" {
		s += " (" + g.Reason + ")"
	}
	if g.Cluster != "" {
		s = g.Cluster + " " + s
	}
	if g.Message != "" {
		s += ": " + g.Message
	}
	return s
}

// Rollouts summarises Rollouts, sorted by namespace and name, keeping
// those in namespace ("" for all). bindingOf names a workload's page.
func Rollouts(ros []appsv1alpha1.Rollout, bindingOf func(ObjectRef) string, namespace string) RolloutList {
	list := RolloutList{Items: []RolloutSummary{}}
	ns := map[string]bool{}
	for i := range ros {
		ro := &ros[i]
		ns[ro.Namespace] = true
		if namespace != "" && ro.Namespace != namespace {
			continue
		}
		s := RolloutOf(ro, "")
		s.Binding = bindingOf(s.Workload)
		list.Items = append(list.Items, s)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	list.Namespaces = sortedKeys(ns)
	return list
}

// RolloutFor is the first Rollout (by name) that targets the workload ref,
// or nil.
func RolloutFor(ros []appsv1alpha1.Rollout, ref ObjectRef) *ObjectRef {
	var found *ObjectRef
	for i := range ros {
		ro := &ros[i]
		wl := ro.Spec.Workload
		if orString(wl.Kind, "Deployment") != ref.Kind || orString(wl.Namespace, ro.Namespace) != ref.Namespace || wl.Name != ref.Name {
			continue
		}
		if found == nil || ro.Name < found.Name {
			found = &ObjectRef{APIVersion: appsv1alpha1.GroupVersion.String(), Kind: "Rollout", Namespace: ro.Namespace, Name: ro.Name}
		}
	}
	return found
}

// BuildRollout is the rollout page. events are the hub events about it.
func BuildRollout(ro *appsv1alpha1.Rollout, binding string, events []corev1.Event) RolloutDetail {
	cfg := rolloutConfig(ro)
	names := stageNames(ro, cfg)
	d := RolloutDetail{
		Summary:    RolloutOf(ro, binding),
		Spec:       specView(ro, cfg),
		Stages:     []RolloutStageView{},
		Clusters:   []RolloutCluster{},
		Gates:      []GateVerdict{},
		History:    []RolloutRunView{},
		LastAction: ro.Status.LastAction,
		Conditions: conditionsOf(ro.Status.Conditions),
		Events:     Events(events),
	}
	byStage := map[int][]string{}
	for _, c := range ro.Status.Clusters {
		rc := RolloutCluster{Name: c.Name, Stage: int(c.Stage), StageName: stageName(names, int(c.Stage)), Phase: string(c.Phase),
			CanaryWeight: c.CanaryWeight, MatchedToCanary: c.MatchedToCanary, Iterations: c.Iterations, FailedChecks: c.FailedChecks,
			PrimaryRevision: c.PrimaryRevision, Message: c.Message}
		if c.LastCheckTime != nil {
			rc.LastCheck = c.LastCheckTime.Time
		}
		if c.LastTransitionTime != nil {
			rc.Since = c.LastTransitionTime.Time
		}
		d.Clusters = append(d.Clusters, rc)
		byStage[int(c.Stage)] = append(byStage[int(c.Stage)], c.Name)
	}
	sort.SliceStable(d.Clusters, func(i, j int) bool {
		if d.Clusters[i].Stage != d.Clusters[j].Stage {
			return d.Clusters[i].Stage < d.Clusters[j].Stage
		}
		return d.Clusters[i].Name < d.Clusters[j].Name
	})
	for i, name := range names {
		clusters := byStage[i]
		sort.Strings(clusters)
		if clusters == nil {
			clusters = []string{}
		}
		d.Stages = append(d.Stages, RolloutStageView{Index: i, Name: name, Selects: stageSelects(ro, i),
			Clusters: clusters, Rules: stageRules(cfg, i), State: stageState(ro, i)})
	}
	for i := len(ro.Status.Gates) - 1; i >= 0; i-- {
		g := ro.Status.Gates[i]
		d.Gates = append(d.Gates, GateVerdict{Time: g.Time.Time, Cluster: g.Cluster, Gate: g.Gate, Kind: g.Kind, Passed: g.Passed,
			Value: g.Value, Reason: g.Reason, Message: g.Message})
	}
	for i := len(ro.Status.History) - 1; i >= 0; i-- {
		h := ro.Status.History[i]
		r := RolloutRunView{Revision: h.Revision, From: h.From, Phase: string(h.Phase), Message: h.Message}
		if h.StartTime != nil {
			r.Start = h.StartTime.Time
		}
		if h.EndTime != nil {
			r.End = h.EndTime.Time
		}
		if !r.Start.IsZero() && !r.End.IsZero() {
			r.Seconds = int64(r.End.Sub(r.Start).Seconds())
		}
		d.History = append(d.History, r)
	}
	return d
}

// stageState says where stage i is in the run.
func stageState(ro *appsv1alpha1.Rollout, i int) string {
	cur := int(ro.Status.StageIndex)
	switch ro.Status.Phase {
	case appsv1alpha1.PhaseSucceeded:
		return StageDone
	case appsv1alpha1.PhaseProgressing, appsv1alpha1.PhaseWaiting:
		switch {
		case i < cur:
			return StageDone
		case i == cur:
			return StageCurrent
		}
	case appsv1alpha1.PhaseRollingBack, appsv1alpha1.PhaseFailed:
		switch {
		case i < cur:
			return StageRolledBack
		case i == cur:
			return StageFailed
		}
	}
	return StagePending
}

func stageSelects(ro *appsv1alpha1.Rollout, i int) string {
	if i >= len(ro.Spec.Stages) {
		if len(ro.Spec.Stages) == 0 {
			return "every cluster that holds the workload"
		}
		return "every cluster no earlier stage selects"
	}
	s := ro.Spec.Stages[i]
	var parts []string
	if len(s.ClusterNames) > 0 {
		parts = append(parts, "clusters "+strings.Join(s.ClusterNames, ", "))
	}
	if s.ClusterSelector != nil {
		parts = append(parts, "labels "+metav1.FormatLabelSelector(s.ClusterSelector))
	}
	return strings.Join(parts, " or ")
}

func stageRules(cfg rollout.Config, i int) string {
	if i >= len(cfg.Stages) {
		return ""
	}
	s := cfg.Stages[i]
	conc := "all clusters at once"
	if s.MaxConcurrency > 0 {
		conc = fmt.Sprintf("%d at a time", s.MaxConcurrency)
	}
	parts := []string{conc}
	if s.Bake > 0 {
		parts = append(parts, "bakes "+seconds(s.Bake)+" before the next stage")
	}
	switch s.MaxFailures {
	case 0:
		parts = append(parts, "any failed cluster rolls back")
	case 1:
		parts = append(parts, "1 failed cluster tolerated")
	default:
		parts = append(parts, fmt.Sprintf("%d failed clusters tolerated", s.MaxFailures))
	}
	return strings.Join(parts, "; ")
}

func specView(ro *appsv1alpha1.Rollout, cfg rollout.Config) RolloutSpecView {
	p := ro.Spec.RolloutPolicy
	v := RolloutSpecView{
		Service:  fmt.Sprintf("%s:%d", ro.Spec.ServiceName, ro.Spec.Port),
		Strategy: strategyText(ro, cfg),
		Steps:    []int{},
		Metrics:  []RolloutMetric{},
		Webhooks: []RolloutHook{},
		Routing:  routingText(p.TrafficRouting),
		Timeout:  fmt.Sprintf("a canary (or promoted primary) not ready within %s fails the run", seconds(cfg.Timeout)),
	}
	if cfg.Strategy == rollout.Canary {
		v.Steps = append(v.Steps, cfg.Steps...)
	}
	if cfg.SkipAnalysis {
		v.Analysis = "no analysis: each cluster is promoted once its canary is ready"
	} else {
		checks := "1 failed check of a cluster rolls the rollout back"
		if cfg.Threshold > 1 {
			checks = fmt.Sprintf("%d failed checks of a cluster roll the rollout back", cfg.Threshold)
		}
		v.Analysis = fmt.Sprintf("a check every %s; %s; no data is a failed check after %s of warm-up", seconds(cfg.Interval), checks, seconds(cfg.Warmup))
	}
	if a := p.TrafficAnalysis; a != nil {
		for _, m := range a.Metrics {
			rm := RolloutMetric{Name: m.Name, Range: rangeText(m.ThresholdRange, builtInMetricUnit[m.Name]), Interval: "60 s"}
			_, rm.BuiltIn = builtInMetricUnit[m.Name]
			if m.IntervalSeconds != nil {
				rm.Interval = fmt.Sprintf("%d s", *m.IntervalSeconds)
			}
			if m.CustomMetric != nil {
				rm.Query = m.CustomMetric.Query
			}
			v.Metrics = append(v.Metrics, rm)
		}
		for _, h := range a.Webhooks.Hooks {
			v.Webhooks = append(v.Webhooks, RolloutHook{Name: h.Name, Type: orString(h.Type, "rollout"), URL: h.URL})
		}
		for i, c := range a.Webhooks.Commands {
			v.Webhooks = append(v.Webhooks, RolloutHook{Name: fmt.Sprintf("command %d: %s", i+1, c), Type: "rollout", URL: a.Webhooks.LoadTesterURL})
		}
	}
	return v
}

func strategyText(ro *appsv1alpha1.Rollout, cfg rollout.Config) string {
	var s string
	switch cfg.Strategy {
	case rollout.ABTest:
		s = fmt.Sprintf("A/B test: requests where %s go to the canary for %d passing checks; then the primary is promoted",
			matchText(ro.Spec.RolloutPolicy.TrafficRouting.Match), cfg.Iterations)
	case rollout.BlueGreen:
		s = fmt.Sprintf("blue/green: the canary runs beside the primary without traffic for %d passing checks; then traffic switches to the new revision and the primary is promoted", cfg.Iterations)
	default:
		steps := make([]string, len(cfg.Steps))
		for i, w := range cfg.Steps {
			steps[i] = fmt.Sprintf("%d%%", w)
		}
		back := "then the primary is promoted and takes all traffic back at once"
		if cfg.StepWeightPromotion > 0 {
			back = fmt.Sprintf("then the primary is promoted and takes traffic back %d%% per check", cfg.StepWeightPromotion)
		}
		s = fmt.Sprintf("canary: the canary's share of each cluster's traffic goes %s, one step per passing check; %s", strings.Join(steps, " → "), back)
	}
	if cfg.Suspend {
		s += " (paused)"
	}
	return s
}

func matchText(ms []appsv1alpha1.HTTPMatchRequest) string {
	var alts []string
	for _, m := range ms {
		var conds []string
		names := make([]string, 0, len(m.Headers))
		for n := range m.Headers {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			conds = append(conds, "header "+n+" "+stringMatchText(m.Headers[n]))
		}
		if m.URI != nil {
			conds = append(conds, "uri "+stringMatchText(*m.URI))
		}
		alts = append(alts, strings.Join(conds, " and "))
	}
	return strings.Join(alts, ", or ")
}

func stringMatchText(m appsv1alpha1.StringMatch) string {
	switch {
	case m.Exact != nil:
		return "is " + strconv.Quote(*m.Exact)
	case m.Prefix != nil:
		return "starts with " + strconv.Quote(*m.Prefix)
	case m.Regex != nil:
		return "matches " + strconv.Quote(*m.Regex)
	}
	return "is set"
}

func routingText(r *appsv1alpha1.TrafficRoutingConfig) string {
	if r == nil {
		return ""
	}
	var parts []string
	if r.TimeoutSeconds > 0 {
		parts = append(parts, fmt.Sprintf("request timeout %d s", r.TimeoutSeconds))
	}
	if rt := r.Retries; rt != nil {
		s := fmt.Sprintf("%d retries", rt.Attempts)
		if rt.PerTryTimeout != "" {
			s += " of " + rt.PerTryTimeout + " each"
		}
		if rt.RetryOn != "" {
			s += " on " + rt.RetryOn
		}
		parts = append(parts, s)
	}
	if len(r.Gateways) > 0 {
		parts = append(parts, "gateways "+strings.Join(r.Gateways, ", "))
	}
	if len(r.Hosts) > 0 {
		parts = append(parts, "hosts "+strings.Join(r.Hosts, ", "))
	}
	return strings.Join(parts, "; ")
}

func rangeText(r *appsv1alpha1.CanaryThresholdRange, unit string) string {
	if unit != "" {
		unit = " " + unit
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case r == nil || (r.Min == nil && r.Max == nil):
		return "any value"
	case r.Min != nil && r.Max != nil:
		return f(*r.Min) + " – " + f(*r.Max) + unit
	case r.Min != nil:
		return "≥ " + f(*r.Min) + unit
	}
	return "≤ " + f(*r.Max) + unit
}

func seconds(d time.Duration) string { return fmt.Sprintf("%d s", int64(d.Seconds())) }

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
