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
	"k8s.io/apimachinery/pkg/util/intstr"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// PhasePendingScale is a ScalePolicy's phase before the controller wrote any.
const PhasePendingScale = "Pending"

// ScalePolicyList is GET /api/v1/scalepolicies?namespace=.
type ScalePolicyList struct {
	Items []ScalePolicySummary `json:"items"`
	// Namespaces are the filter choices: every namespace among the
	// ScalePolicies the user may see, before filtering.
	Namespaces []string `json:"namespaces"`
	// Unavailable says why there are no ScalePolicies to show at all (the
	// hub has no ScalePolicy CRD).
	Unavailable string `json:"unavailable,omitempty"`
}

// ScalePolicySummary is one ScalePolicy as a list shows it.
type ScalePolicySummary struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Trigger is the trigger's type: resource, cron or predictive.
	Trigger string `json:"trigger"`
	// TriggerText is the trigger in words: "cpu above 70% for 5m in
	// north-cluster, south-cluster".
	TriggerText string `json:"triggerText"`
	// Targets are spec.targetClusters ("" means every cluster the
	// workloads are placed in).
	Targets []string `json:"targets"`
	// Phase is status.phase; PhasePendingScale before the controller wrote any.
	Phase     string `json:"phase"`
	Suspended bool   `json:"suspended,omitempty"`
	// Value is the last evaluation's highest value ("81.2%"), Threshold the
	// trigger's ("70%"); Over says the value is at or above it.
	Value     string `json:"value,omitempty"`
	Threshold string `json:"threshold,omitempty"`
	Over      bool   `json:"over,omitempty"`
	// Schedule is a cron trigger's schedule with its time zone.
	Schedule       string    `json:"schedule,omitempty"`
	LastScale      time.Time `json:"lastScale,omitzero"`
	LastEvaluation time.Time `json:"lastEvaluation,omitzero"`
	NextEvaluation time.Time `json:"nextEvaluation,omitzero"`
	// Last is the newest execution, if any.
	Last *ScaleExecutionView `json:"last,omitempty"`
	// Message says what needs a person: the policy cannot act (Ready
	// False), it conflicts with another, or its last execution failed.
	Message string    `json:"message,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// ScalePolicyDetail is GET /api/v1/scalepolicies/{namespace}/{name}.
type ScalePolicyDetail struct {
	Summary ScalePolicySummary `json:"summary"`
	Spec    ScaleSpecView      `json:"spec"`
	// Clusters are the last evaluation's figures per target cluster.
	Clusters []ScaleClusterView `json:"clusters"`
	Forecast *ForecastView      `json:"forecast,omitempty"`
	// Before are the sizes a scale-in returns to.
	Before []ScaleChangeView `json:"before"`
	// Executions are newest first.
	Executions []ScaleExecutionView `json:"executions"`
	// NodePools are the pools the action scales in the target clusters,
	// by cluster.
	NodePools []NodePoolSummary `json:"nodePools"`
	// NodePoolsHidden says why NodePools is empty although the hub may
	// hold some (the user may not list them, or the hub has no CRD).
	NodePoolsHidden string      `json:"nodePoolsHidden,omitempty"`
	Conditions      []Condition `json:"conditions"`
	Events          []Event     `json:"events"`
}

// ScaleSpecView is a policy's spec in words.
type ScaleSpecView struct {
	Trigger string `json:"trigger"`
	// Actions are what a scale-out changes, one line per target.
	Actions  []string `json:"actions"`
	Cooldown string   `json:"cooldown"`
	Interval string   `json:"interval"` // evaluation interval
	// ScaleIn says what happens when the condition clears.
	ScaleIn string `json:"scaleIn"`
	// Form is "console" for the console's top-level JSON, "spec" otherwise.
	Form string `json:"form"`
}

// Verdicts of a cluster's window, as the controller writes them.
const (
	VerdictAbove  = "Above"
	VerdictBelow  = "Below"
	VerdictMixed  = "Mixed"
	VerdictNoData = "NoData"
)

// ScaleClusterView is what the trigger read in one cluster.
type ScaleClusterView struct {
	Name string `json:"name"`
	// Value, Min and Max are percentages ("81.2%").
	Value   string `json:"value,omitempty"`
	Min     string `json:"min,omitempty"`
	Max     string `json:"max,omitempty"`
	Samples int32  `json:"samples"`
	// Verdict is VerdictAbove, VerdictBelow, VerdictMixed or VerdictNoData.
	Verdict string `json:"verdict"`
	Message string `json:"message,omitempty"`
}

// ForecastView is a predictive trigger's last forecast.
type ForecastView struct {
	Model        string    `json:"model,omitempty"`
	Cluster      string    `json:"cluster,omitempty"`
	CrossingTime time.Time `json:"crossingTime,omitzero"`
	// ScaleAt is the crossing less the lead time: when the policy acts.
	ScaleAt  time.Time `json:"scaleAt,omitzero"`
	LeadTime string    `json:"leadTime,omitempty"`
	Peak     string    `json:"peak,omitempty"`
	PeakTime time.Time `json:"peakTime,omitzero"`
	Error    string    `json:"error,omitempty"`
}

// Execution results, as the controller writes them.
const (
	ResultInProgress = string(autoscalingv1alpha1.ResultInProgress)
	ResultSucceeded  = string(autoscalingv1alpha1.ResultSucceeded)
	ResultFailed     = string(autoscalingv1alpha1.ResultFailed)
)

// ScaleExecutionView is one execution of a policy's action.
type ScaleExecutionView struct {
	ID        int32             `json:"id"`
	Time      time.Time         `json:"time"`
	Trigger   string            `json:"trigger"`
	Direction string            `json:"direction"` // Out or In
	Reason    string            `json:"reason"`
	Result    string            `json:"result"` // ResultInProgress, ResultSucceeded or ResultFailed
	Message   string            `json:"message,omitempty"`
	Completed time.Time         `json:"completed,omitzero"`
	Seconds   int64             `json:"seconds,omitempty"` // completed - time
	Changes   []ScaleChangeView `json:"changes"`
	// FailedPods and FailedNodes are the pods and nodes that are not
	// running or Ready.
	FailedPods  []FailedObject `json:"failedPods"`
	FailedNodes []FailedObject `json:"failedNodes"`
}

// ScaleChangeView is one target's size before and after an execution.
type ScaleChangeView struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Cluster   string `json:"cluster,omitempty"`
	From      int32  `json:"from"`
	To        int32  `json:"to"`
	Ready     int32  `json:"ready"`
	// Target names it: "north-cluster worker-pool", "Deployment
	// default/order-service".
	Target string `json:"target"`
	// Text is "north-cluster worker-pool 3 → 5", Progress "4/5 Ready".
	Text     string `json:"text"`
	Progress string `json:"progress"`
	// Done: as many ready as asked for.
	Done bool `json:"done"`
}

// FailedObject is a pod or node that is not running or Ready.
type FailedObject struct {
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Reason    string `json:"reason,omitempty"`
}

// NodePoolList is GET /api/v1/nodepools?namespace=.
type NodePoolList struct {
	Items       []NodePoolSummary `json:"items"`
	Namespaces  []string          `json:"namespaces"`
	Unavailable string            `json:"unavailable,omitempty"`
}

// NodePoolSummary is one NodePool.
type NodePoolSummary struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Cluster   string `json:"cluster"`
	Pool      string `json:"pool"`
	Desired   int32  `json:"desired"`
	Nodes     int32  `json:"nodes"`
	Ready     int32  `json:"ready"`
	Min       int32  `json:"min"`
	Max       int32  `json:"max"`
	Provider  string `json:"provider"` // kwok or clusterAPI
	// Health is HealthHealthy (every wanted node exists and is Ready),
	// HealthProgressing (nodes are being added or removed, or come up),
	// HealthDegraded (the provider reports it not Ready and is not
	// scaling) or HealthUnknown (no status yet).
	Health  string `json:"health"`
	Message string `json:"message,omitempty"`
	// NotReady are the pool's nodes that are not Ready, with why.
	NotReady []FailedObject `json:"notReady"`
	Created  time.Time      `json:"created,omitzero"`
}

// ShortDuration writes d as a person would: 5m, 1h30m, 90s -> 1m30s.
func ShortDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func durationOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.Duration
}

// PercentText is a controller's figure with a percent sign: "81.2" and
// "81.2%" give "81.2%"; "" stays "".
func PercentText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, "%") {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return s
	}
	return s + "%"
}

func percentValue(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	return f, err == nil
}

// clustersText is "north-cluster, south-cluster", or what an empty target
// list means.
func clustersText(targets []string) string {
	if len(targets) == 0 {
		return "every cluster its workloads are placed in"
	}
	return strings.Join(targets, ", ")
}

// ScaleTriggerText is a policy's trigger in words: "cpu above 70% for 5m
// in north-cluster, south-cluster".
func ScaleTriggerText(spec autoscalingv1alpha1.ScalePolicySpec) string {
	t := spec.Trigger
	if t == nil {
		return "no trigger: only `kurator scale trigger` runs it"
	}
	in := " in " + clustersText(spec.TargetClusters)
	metric := metricText(t, spec.Action)
	switch t.Type {
	case autoscalingv1alpha1.TriggerCron:
		text := "at " + orString(t.Schedule, "?") + " (" + orString(t.TimeZone, "UTC") + ")"
		if t.Duration != nil && t.Duration.Duration > 0 {
			text += ", scaled out for " + ShortDuration(t.Duration.Duration)
		}
		return text + in
	case autoscalingv1alpha1.TriggerPredictive:
		text := fmt.Sprintf("%s forecast to cross %s", metric, thresholdText(t))
		if t.LeadTime != nil {
			text += ", acting " + ShortDuration(t.LeadTime.Duration) + " ahead"
		}
		text += fmt.Sprintf(" (seasonal, %s season)", ShortDuration(durationOr(t.Season, autoscale.DefaultSeason)))
		return text + in
	}
	text := fmt.Sprintf("%s above %s for %s", metric, thresholdText(t), ShortDuration(durationOr(t.Duration, autoscale.DefaultDuration)))
	if t.ScaleInThreshold != nil && (t.Threshold == nil || *t.ScaleInThreshold != *t.Threshold) {
		text += fmt.Sprintf(", clear below %d%%", *t.ScaleInThreshold)
	}
	return text + in
}

// metricText names what is measured: "cpu", "node cpu" (the cluster's
// nodes) or "cpu (custom query)".
func metricText(t *autoscalingv1alpha1.ScaleTrigger, a *autoscalingv1alpha1.ScaleAction) string {
	m := orString(t.Metric, "cpu")
	switch {
	case t.Query != "":
		return m + " (custom query)"
	case t.Scope == autoscalingv1alpha1.ScopeCluster:
		return "node " + m
	case t.Scope == "" && a != nil && a.Deployment == nil && len(a.Workloads) == 0:
		return "node " + m // no workload to read: the cluster's nodes
	}
	return m
}

func thresholdText(t *autoscalingv1alpha1.ScaleTrigger) string {
	if t.Threshold == nil {
		return "?%"
	}
	return fmt.Sprintf("%d%%", *t.Threshold)
}

// ScaleActionTexts are what a scale-out changes, one line per target:
// "node pool worker-pool: up to 5 nodes (2 after the scale-in) in each
// target cluster", "Deployment default/order-service: 30 replicas".
func ScaleActionTexts(namespace string, a *autoscalingv1alpha1.ScaleAction) []string {
	out := []string{}
	if a == nil {
		return out
	}
	if np := a.NodePool; np != nil {
		text := "node pool " + np.Name + ": "
		switch {
		case np.MaxNodes != nil && np.MinNodes != nil:
			text += fmt.Sprintf("up to %d nodes (%d after the scale-in)", *np.MaxNodes, *np.MinNodes)
		case np.MaxNodes != nil:
			text += fmt.Sprintf("up to %d nodes", *np.MaxNodes)
		case np.MinNodes != nil:
			text += fmt.Sprintf("%d nodes after the scale-in", *np.MinNodes)
		default:
			text += "its NodePool's maxNodes"
		}
		out = append(out, text+" in each target cluster")
	}
	var ws []autoscalingv1alpha1.WorkloadAction
	if a.Deployment != nil {
		ws = append(ws, *a.Deployment)
	}
	ws = append(ws, a.Workloads...)
	for _, w := range ws {
		text := orString(w.Kind, "Deployment") + " " + orString(w.Namespace, namespace) + "/" + w.Name + ": " + ReplicasText(w.Replicas)
		if w.MinReplicas != nil {
			text += fmt.Sprintf(" (%d after the scale-in)", *w.MinReplicas)
		}
		out = append(out, text)
	}
	return out
}

// ReplicasText is a workload action's replicas in words: 30 -> "30
// replicas", "+5" -> "5 more replicas", "+30%" -> "30% more replicas",
// "150%" -> "150% of the replicas".
func ReplicasText(r intstr.IntOrString) string {
	if r.Type == intstr.Int {
		return fmt.Sprintf("%d replicas", r.IntVal)
	}
	s := strings.TrimSpace(r.StrVal)
	switch {
	case strings.HasPrefix(s, "+"):
		return strings.TrimPrefix(s, "+") + " more replicas"
	case strings.HasPrefix(s, "-"):
		return strings.TrimPrefix(s, "-") + " fewer replicas"
	case strings.HasSuffix(s, "%"):
		return s + " of the replicas"
	}
	return s + " replicas"
}

// ScalePhase is status.phase, or PhasePendingScale before the first status.
func ScalePhase(p *autoscalingv1alpha1.ScalePolicy) string {
	return orString(string(p.Status.Phase), PhasePendingScale)
}

// ScalePolicyOf summarises a ScalePolicy.
func ScalePolicyOf(p *autoscalingv1alpha1.ScalePolicy) ScalePolicySummary {
	spec := p.Resolved()
	s := ScalePolicySummary{
		Namespace:   p.Namespace,
		Name:        p.ObjectMeta.Name,
		TriggerText: ScaleTriggerText(spec),
		Targets:     append([]string{}, spec.TargetClusters...),
		Phase:       ScalePhase(p),
		Suspended:   spec.Suspend,
		Value:       PercentText(p.Status.Value),
		Created:     p.CreationTimestamp.Time,
	}
	if t := spec.Trigger; t != nil {
		s.Trigger = string(t.Type)
		switch {
		case t.Type == autoscalingv1alpha1.TriggerCron:
			s.Schedule = orString(t.Schedule, "?") + " " + orString(t.TimeZone, "UTC")
		case t.Threshold != nil:
			s.Threshold = fmt.Sprintf("%d%%", *t.Threshold)
			if v, ok := percentValue(s.Value); ok {
				s.Over = v >= float64(*t.Threshold)
			}
		}
	}
	if t := p.Status.LastScaleTime; t != nil {
		s.LastScale = t.Time
	}
	if t := p.Status.LastEvaluationTime; t != nil {
		s.LastEvaluation = t.Time
	}
	if t := p.Status.NextEvaluationTime; t != nil {
		s.NextEvaluation = t.Time
	}
	if execs := ScaleExecutions(p.Status.Executions); len(execs) > 0 {
		s.Last = &execs[0]
	}
	s.Message = scaleMessage(p, s.Last)
	return s
}

// scaleMessage is what needs a person, most urgent first.
func scaleMessage(p *autoscalingv1alpha1.ScalePolicy, last *ScaleExecutionView) string {
	conds := p.Status.Conditions
	if c := meta.FindStatusCondition(conds, autoscalingv1alpha1.ConditionReady); c != nil && c.Status == metav1.ConditionFalse && c.Message != "" {
		return c.Message
	}
	if c := meta.FindStatusCondition(conds, autoscalingv1alpha1.ConditionConflict); c != nil && c.Status == metav1.ConditionTrue && c.Message != "" {
		return c.Message
	}
	if last != nil && last.Result == ResultFailed {
		msg := fmt.Sprintf("execution %d failed", last.ID)
		if last.Message != "" {
			msg += ": " + last.Message
		}
		return msg
	}
	return ""
}

// ScalePolicies summarises ScalePolicies, sorted by namespace and name.
func ScalePolicies(items []autoscalingv1alpha1.ScalePolicy) []ScalePolicySummary {
	out := make([]ScalePolicySummary, 0, len(items))
	for i := range items {
		out = append(out, ScalePolicyOf(&items[i]))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ScalePoliciesIn lists the ScalePolicies of namespace ("" for all), with
// every namespace among items as the filter's choices.
func ScalePoliciesIn(items []autoscalingv1alpha1.ScalePolicy, namespace string) ScalePolicyList {
	ns := map[string]bool{}
	var kept []autoscalingv1alpha1.ScalePolicy
	for i := range items {
		ns[items[i].Namespace] = true
		if namespace == "" || items[i].Namespace == namespace {
			kept = append(kept, items[i])
		}
	}
	return ScalePolicyList{Items: ScalePolicies(kept), Namespaces: sortedKeys(ns)}
}

// ScaleExecutions are a status's executions, newest first (by start time,
// then number).
func ScaleExecutions(execs []autoscalingv1alpha1.ScaleExecution) []ScaleExecutionView {
	out := make([]ScaleExecutionView, 0, len(execs))
	for _, e := range execs {
		out = append(out, ScaleExecutionOf(e))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// ScaleExecutionOf is one execution as pages show it.
func ScaleExecutionOf(e autoscalingv1alpha1.ScaleExecution) ScaleExecutionView {
	v := ScaleExecutionView{ID: e.ID, Time: e.Time.Time, Trigger: string(e.Trigger), Direction: e.Direction, Reason: e.Reason,
		Result: orString(string(e.Result), ResultInProgress), Message: e.Message,
		Changes: ScaleChanges(e.Changes), FailedPods: []FailedObject{}, FailedNodes: []FailedObject{}}
	if t := e.CompletionTime; t != nil {
		v.Completed = t.Time
		if !e.Time.IsZero() && !t.Time.Before(e.Time.Time) {
			v.Seconds = int64(t.Sub(e.Time.Time).Seconds())
		}
	}
	for _, s := range e.FailedPods {
		v.FailedPods = append(v.FailedPods, ParseFailedPod(s))
	}
	for _, s := range e.FailedNodes {
		v.FailedNodes = append(v.FailedNodes, ParseFailedNode(s))
	}
	return v
}

// ScaleChanges are changes as pages show them, in status order.
func ScaleChanges(cs []autoscalingv1alpha1.ScaleChange) []ScaleChangeView {
	out := make([]ScaleChangeView, 0, len(cs))
	for _, c := range cs {
		out = append(out, ScaleChangeOf(c))
	}
	return out
}

// ScaleChangeOf names a change's target and says its progress: a node
// pool's is "north-cluster worker-pool 3 → 5" and "4/5 Ready", a
// workload's "Deployment default/order-service 20 → 30" and "27/30 ready".
func ScaleChangeOf(c autoscalingv1alpha1.ScaleChange) ScaleChangeView {
	v := ScaleChangeView{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name, Cluster: c.Cluster, From: c.From, To: c.To, Ready: c.Ready, Done: c.Ready == c.To}
	if c.Kind == autoscale.NodePoolKind {
		v.Target = strings.TrimSpace(c.Cluster + " " + c.Name)
		v.Progress = fmt.Sprintf("%d/%d Ready", c.Ready, c.To)
	} else {
		name := c.Name
		if c.Namespace != "" {
			name = c.Namespace + "/" + c.Name
		}
		v.Target = orString(c.Kind, "Deployment") + " " + name
		if c.Cluster != "" {
			v.Target += " in " + c.Cluster
		}
		v.Progress = fmt.Sprintf("%d/%d ready", c.Ready, c.To)
	}
	v.Text = fmt.Sprintf("%s %d → %d", v.Target, c.From, c.To)
	return v
}

// ParseFailedPod reads "cluster/namespace/name: reason".
func ParseFailedPod(s string) FailedObject {
	ref, reason := splitReason(s)
	parts := strings.SplitN(ref, "/", 3)
	switch len(parts) {
	case 3:
		return FailedObject{Cluster: parts[0], Namespace: parts[1], Name: parts[2], Reason: reason}
	case 2:
		return FailedObject{Namespace: parts[0], Name: parts[1], Reason: reason}
	}
	return FailedObject{Name: ref, Reason: reason}
}

// ParseFailedNode reads "cluster/name: reason".
func ParseFailedNode(s string) FailedObject {
	ref, reason := splitReason(s)
	if cluster, name, ok := strings.Cut(ref, "/"); ok {
		return FailedObject{Cluster: cluster, Name: name, Reason: reason}
	}
	return FailedObject{Name: ref, Reason: reason}
}

func splitReason(s string) (string, string) {
	ref, reason, _ := strings.Cut(s, ": ")
	return strings.TrimSpace(ref), strings.TrimSpace(reason)
}

// FailedText is "north-cluster/default/order-service-7d9c: ImagePullBackOff".
func (f FailedObject) FailedText() string {
	parts := []string{}
	for _, p := range []string{f.Cluster, f.Namespace, f.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s := strings.Join(parts, "/")
	if f.Reason != "" {
		s += ": " + f.Reason
	}
	return s
}

// BuildScalePolicy is a ScalePolicy's detail. pools are the NodePools the
// user may list (any; those the action scales in the targets are kept);
// events are the hub events about the policy.
func BuildScalePolicy(p *autoscalingv1alpha1.ScalePolicy, pools []autoscalingv1alpha1.NodePool, events []corev1.Event) ScalePolicyDetail {
	spec := p.Resolved()
	d := ScalePolicyDetail{
		Summary:    ScalePolicyOf(p),
		Spec:       scaleSpecView(p.Namespace, spec, p.Spec == nil),
		Clusters:   []ScaleClusterView{},
		Before:     ScaleChanges(p.Status.Before),
		Executions: ScaleExecutions(p.Status.Executions),
		NodePools:  PoolsOf(spec, pools),
		Conditions: readyFirst(conditionsOf(p.Status.Conditions)),
		Events:     Events(events),
	}
	for _, c := range p.Status.Clusters {
		d.Clusters = append(d.Clusters, ScaleClusterView{Name: c.Name, Value: PercentText(c.Value), Min: PercentText(c.Min), Max: PercentText(c.Max),
			Samples: c.Samples, Verdict: orString(c.Verdict, VerdictNoData), Message: c.Message})
	}
	if f := p.Status.Forecast; f != nil {
		fv := &ForecastView{Model: f.Model, Cluster: f.Cluster, Peak: PercentText(f.Peak), Error: f.Error}
		if f.CrossingTime != nil {
			fv.CrossingTime = f.CrossingTime.Time
		}
		if f.PeakTime != nil {
			fv.PeakTime = f.PeakTime.Time
		}
		if t := spec.Trigger; t != nil && t.LeadTime != nil {
			fv.LeadTime = ShortDuration(t.LeadTime.Duration)
			if !fv.CrossingTime.IsZero() {
				fv.ScaleAt = fv.CrossingTime.Add(-t.LeadTime.Duration)
			}
		}
		d.Forecast = fv
	}
	return d
}

func scaleSpecView(namespace string, spec autoscalingv1alpha1.ScalePolicySpec, console bool) ScaleSpecView {
	cooldown := ShortDuration(durationOr(spec.Cooldown, autoscale.DefaultCooldown))
	v := ScaleSpecView{
		Trigger:  ScaleTriggerText(spec),
		Actions:  ScaleActionTexts(namespace, spec.Action),
		Cooldown: cooldown,
		Interval: ShortDuration(durationOr(spec.EvaluationInterval, autoscale.DefaultInterval)),
		Form:     "spec",
	}
	if console {
		v.Form = "console"
	}
	switch {
	case spec.ScaleIn == "Disabled":
		v.ScaleIn = "off: the scaled-out sizes stay until changed"
	case spec.Trigger != nil && spec.Trigger.Type == autoscalingv1alpha1.TriggerCron && (spec.Trigger.Duration == nil || spec.Trigger.Duration.Duration == 0):
		v.ScaleIn = "none: a cron trigger without a duration leaves the scaled-out sizes until changed"
	case spec.Trigger != nil && spec.Trigger.Type == autoscalingv1alpha1.TriggerCron:
		v.ScaleIn = "back to the sizes before the scale-out " + ShortDuration(spec.Trigger.Duration.Duration) + " after it"
	default:
		v.ScaleIn = "back to the sizes before the scale-out once the condition has cleared for the " + cooldown + " cooldown"
	}
	if spec.Suspend {
		v.Trigger += " (suspended: only `kurator scale trigger` runs it)"
	}
	return v
}

// readyFirst puts Ready first: it says whether the policy can act.
func readyFirst(conds []Condition) []Condition {
	sort.SliceStable(conds, func(i, j int) bool {
		return conds[i].Type == autoscalingv1alpha1.ConditionReady && conds[j].Type != autoscalingv1alpha1.ConditionReady
	})
	return conds
}

// PoolsOf are the NodePools among pools that the policy's node-pool action
// scales (the pool name in a target cluster), by cluster.
func PoolsOf(spec autoscalingv1alpha1.ScalePolicySpec, pools []autoscalingv1alpha1.NodePool) []NodePoolSummary {
	out := []NodePoolSummary{}
	if spec.Action == nil || spec.Action.NodePool == nil {
		return out
	}
	targets := map[string]bool{}
	for _, c := range spec.TargetClusters {
		targets[c] = true
	}
	var kept []autoscalingv1alpha1.NodePool
	for i := range pools {
		np := &pools[i]
		if np.Spec.PoolName == spec.Action.NodePool.Name && (len(targets) == 0 || targets[np.Spec.Cluster]) {
			kept = append(kept, *np)
		}
	}
	return NodePools(kept)
}

// NodePoolOf summarises a NodePool.
func NodePoolOf(np *autoscalingv1alpha1.NodePool) NodePoolSummary {
	s := NodePoolSummary{Namespace: np.Namespace, Name: np.Name, Cluster: np.Spec.Cluster, Pool: np.Spec.PoolName,
		Desired: np.Spec.Replicas, Nodes: np.Status.Replicas, Ready: np.Status.ReadyReplicas, Min: np.Spec.MinNodes, Max: np.Spec.MaxNodes,
		Provider: np.Status.Provider, NotReady: []FailedObject{}, Created: np.CreationTimestamp.Time}
	if s.Provider == "" {
		switch {
		case np.Spec.Provider.Kwok != nil:
			s.Provider = "kwok"
		case np.Spec.Provider.ClusterAPI != nil:
			s.Provider = "clusterAPI"
		}
	}
	for _, n := range np.Status.Nodes {
		if !n.Ready {
			s.NotReady = append(s.NotReady, FailedObject{Cluster: np.Spec.Cluster, Name: n.Name, Reason: n.Message})
		}
	}
	s.Health, s.Message = nodePoolHealth(np)
	return s
}

// nodePoolHealth: Unknown before the provider reported; Healthy when
// every wanted node exists and is Ready; Progressing while nodes are added
// or removed (or come up); Degraded when the pool has its size but not
// every node is Ready and nothing is scaling.
func nodePoolHealth(np *autoscalingv1alpha1.NodePool) (string, string) {
	st := np.Status
	ready := meta.FindStatusCondition(st.Conditions, "Ready")
	msg := ""
	if ready != nil && ready.Status != metav1.ConditionTrue {
		msg = ready.Message
	}
	if st.Provider == "" && len(st.Conditions) == 0 && st.Replicas == 0 && st.ReadyReplicas == 0 {
		return HealthUnknown, "the provider has not reported this pool yet"
	}
	if st.Replicas == np.Spec.Replicas && st.ReadyReplicas >= np.Spec.Replicas && (ready == nil || ready.Status == metav1.ConditionTrue) {
		return HealthHealthy, ""
	}
	scaling := meta.FindStatusCondition(st.Conditions, "Scaling")
	if st.Replicas != np.Spec.Replicas || (scaling != nil && scaling.Status == metav1.ConditionTrue) || np.Status.ObservedGeneration < np.Generation {
		if msg == "" {
			msg = fmt.Sprintf("%d of %d nodes, %d Ready", st.Replicas, np.Spec.Replicas, st.ReadyReplicas)
		}
		return HealthProgressing, msg
	}
	if msg == "" {
		msg = fmt.Sprintf("%d of %d nodes Ready", st.ReadyReplicas, np.Spec.Replicas)
	}
	return HealthDegraded, msg
}

// NodePools summarises NodePools, by cluster, pool and namespace.
func NodePools(items []autoscalingv1alpha1.NodePool) []NodePoolSummary {
	out := make([]NodePoolSummary, 0, len(items))
	for i := range items {
		out = append(out, NodePoolOf(&items[i]))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Pool != b.Pool {
			return a.Pool < b.Pool
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	return out
}

// NodePoolsIn lists the NodePools of namespace ("" for all), with every
// namespace among items as the filter's choices.
func NodePoolsIn(items []autoscalingv1alpha1.NodePool, namespace string) NodePoolList {
	ns := map[string]bool{}
	var kept []autoscalingv1alpha1.NodePool
	for i := range items {
		ns[items[i].Namespace] = true
		if namespace == "" || items[i].Namespace == namespace {
			kept = append(kept, items[i])
		}
	}
	return NodePoolList{Items: NodePools(kept), Namespaces: sortedKeys(ns)}
}

// ExecutionFinal says whether an execution's result is final.
func ExecutionFinal(result string) bool {
	return result == ResultSucceeded || result == ResultFailed
}
