package scalepolicy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// observe gathers what Decide needs: the manual trigger, the due schedule
// time, each target cluster's window and the forecast.
func (r *Reconciler) observe(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, s *autoscale.Settings, w *world, now time.Time) (autoscale.Observation, error) {
	obs := autoscale.Observation{Now: now}
	if v := p.Annotations[autoscalingv1alpha1.TriggerAnnotation]; v != "" && v != p.Status.HandledTrigger {
		obs.Manual = true
	}
	switch s.Trigger.Type {
	case autoscalingv1alpha1.TriggerCron:
		var last *time.Time
		if p.Status.LastScheduleTime != nil {
			last = &p.Status.LastScheduleTime.Time
		}
		obs.CronTime, obs.CronNext = s.Schedule.Due(last, p.CreationTimestamp.Time, now)
		p.Status.Clusters = nil
		return obs, nil
	case autoscalingv1alpha1.TriggerResource, autoscalingv1alpha1.TriggerPredictive:
	default:
		return obs, nil
	}
	if s.Suspend && !obs.Manual {
		return obs, nil
	}

	queries, problem := r.queries(s, w)
	if problem != "" {
		setCondition(p, autoscalingv1alpha1.ConditionMetricsAvailable, metav1.ConditionFalse, "NoRequest", problem)
		return obs, nil
	}
	mc := r.metrics.For(s.Trigger.Prometheus)
	if mc == nil {
		setCondition(p, autoscalingv1alpha1.ConditionMetricsAvailable, metav1.ConditionFalse, "NoPrometheus", "no Prometheus to read: set trigger.prometheus, or start the manager with --prometheus-address (kurator up passes its own)")
		return obs, nil
	}
	window := s.Window()
	step := window.Step
	obs.Clusters = map[string]autoscale.WindowResult{}
	for _, q := range queries {
		answer, err := mc.Range(ctx, q.expr, now.Add(-s.Duration), now, step)
		if err != nil {
			setCondition(p, autoscalingv1alpha1.ConditionMetricsAvailable, metav1.ConditionFalse, "QueryFailed", err.Error())
			return autoscale.Observation{Now: now, Manual: obs.Manual}, nil
		}
		for _, c := range w.clusters {
			if q.cluster == "" || q.cluster == c {
				obs.Clusters[c] = combine(obs.Clusters[c], autoscale.Judge(window, q.seriesOf(answer, c), now))
			}
		}
	}
	if s.Trigger.Type == autoscalingv1alpha1.TriggerPredictive {
		if err := r.forecast(ctx, p, s, w, mc, queries, now, &obs); err != nil {
			setCondition(p, autoscalingv1alpha1.ConditionMetricsAvailable, metav1.ConditionFalse, "ForecastFailed", err.Error())
			return autoscale.Observation{Now: now, Manual: obs.Manual}, nil
		}
	}
	n := len(queries)
	if s.Trigger.Type == autoscalingv1alpha1.TriggerPredictive {
		n *= 2 // the window and the history
	}
	setCondition(p, autoscalingv1alpha1.ConditionMetricsAvailable, metav1.ConditionTrue, "Read", fmt.Sprintf("%d %s over %s at %s steps", n, plural(n, "query", "queries"), s.Duration, step))
	p.Status.Clusters = evaluations(w.clusters, obs.Clusters)
	return obs, nil
}

// query is one PromQL expression whose per-cluster values the trigger
// compares with its threshold. A query written for one cluster (a
// policy's own trigger.query) counts for it whatever labels it returns.
type query struct {
	expr    string
	cluster string // "" when the answer is keyed by the cluster label
}

// seriesOf is cluster c's series in an answer to q.
func (q query) seriesOf(answer map[string][]autoscale.Sample, c string) []autoscale.Sample {
	if q.cluster == "" {
		return answer[c]
	}
	if q.cluster != c {
		return nil
	}
	if s, ok := answer[c]; ok {
		return s
	}
	if len(answer) == 1 {
		for _, s := range answer {
			return s
		}
	}
	return nil
}

// queries are the expressions of a trigger: the policy's own per target
// cluster, else the built-in one per workload, or one for the clusters. A
// problem with the metric itself (no request to compare usage with, no
// allocatable yet) is returned as a message for the condition.
func (r *Reconciler) queries(s *autoscale.Settings, w *world) ([]query, string) {
	if s.Trigger.Query != "" {
		ns := ""
		if len(w.workloads) > 0 {
			ns = w.workloads[0].w.Namespace
		}
		out := make([]query, 0, len(w.clusters))
		for _, c := range w.clusters {
			out = append(out, query{expr: autoscale.ExpandQuery(s.Trigger.Query, c, ns), cluster: c})
		}
		return out, ""
	}
	resource := corev1.ResourceCPU
	if s.Trigger.Metric == "memory" {
		resource = corev1.ResourceMemory
	}
	if s.Scope == autoscalingv1alpha1.ScopeCluster {
		alloc := map[string]float64{}
		for _, c := range w.clusters {
			ac := w.attached[c]
			if ac.Status.ResourceSummary == nil {
				return nil, fmt.Sprintf("cluster %s reports no allocatable %s yet (status.resourceSummary); wait for its first health check", c, resource)
			}
			q := ac.Status.ResourceSummary.Allocatable[resource]
			alloc[c] = q.AsApproximateFloat64()
		}
		return []query{{expr: autoscale.ClusterQueryRate(s.Trigger.Metric, alloc, s.RateWindow)}}, ""
	}
	var out []query
	for _, t := range w.workloads {
		req := t.demand.PerReplica[resource]
		if req.IsZero() {
			return nil, fmt.Sprintf("%s requests no %s: utilisation is usage over request, so set resources.requests.%s on its containers (or use scope Cluster)", t.w.Key(), resource, resource)
		}
		expr := autoscale.WorkloadQueryRate(s.Trigger.Metric, t.w.Namespace, t.w.Kind, t.w.Name, req.AsApproximateFloat64(), s.RateWindow)
		out = append(out, query{expr: autoscale.ClusterFilter(expr, w.clusters)})
	}
	return out, ""
}

// combine merges two workloads' verdicts in one cluster: above if either
// is (the busiest workload decides the scale-out), below only if both are.
func combine(a, b autoscale.WindowResult) autoscale.WindowResult {
	if a.Verdict == "" {
		return b
	}
	rank := map[autoscale.Verdict]int{autoscale.Above: 3, autoscale.Mixed: 2, autoscale.NoData: 1, autoscale.Below: 0}
	if rank[b.Verdict] > rank[a.Verdict] {
		return b
	}
	return a
}

// evaluations turns the windows into status, and the table's value.
func evaluations(clusters []string, results map[string]autoscale.WindowResult) []autoscalingv1alpha1.ClusterEvaluation {
	out := make([]autoscalingv1alpha1.ClusterEvaluation, 0, len(clusters))
	for _, c := range clusters {
		res := results[c]
		e := autoscalingv1alpha1.ClusterEvaluation{Name: c, Samples: int32(res.Samples), Verdict: string(res.Verdict), Message: res.Message}
		if res.Samples > 0 {
			e.Value, e.Min, e.Max = pct(res.Last), pct(res.Min), pct(res.Max)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// forecast reads each cluster's history and forecasts it; the earliest
// crossing of the threshold is the one that counts.
func (r *Reconciler) forecast(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, s *autoscale.Settings, w *world, mc metricsReader, queries []query, now time.Time, obs *autoscale.Observation) error {
	step := forecastStep(s.Season)
	var first *autoscalingv1alpha1.Forecast
	var firstAt time.Time
	for _, q := range queries {
		answer, err := mc.Range(ctx, q.expr, now.Add(-s.History), now, step)
		if err != nil {
			return err
		}
		for _, c := range w.clusters {
			if q.cluster != "" && q.cluster != c {
				continue
			}
			res, err := autoscale.ForecastCrossing(q.seriesOf(answer, c), step, s.Season, s.Threshold, s.Season)
			if err != nil {
				return fmt.Errorf("cluster %s: %w", c, err)
			}
			f := &autoscalingv1alpha1.Forecast{Model: res.Model, Cluster: c, Peak: pct(res.Peak), PeakTime: &metav1.Time{Time: res.PeakTime}, Error: pct(res.Error) + "%"}
			if res.Crossing != nil {
				f.CrossingTime = &metav1.Time{Time: *res.Crossing}
			}
			switch {
			case first == nil,
				res.Crossing != nil && (first.CrossingTime == nil || res.Crossing.Before(firstAt)):
				first = f
				if res.Crossing != nil {
					firstAt = *res.Crossing
				}
			}
		}
	}
	p.Status.Forecast = first
	if first != nil && first.CrossingTime != nil {
		t := first.CrossingTime.Time
		obs.ForecastCrossing = &t
	}
	return nil
}

// forecastStep reads about 288 samples a season (5 minutes in a day), in
// whole seconds that divide the season, as the forecast needs.
func forecastStep(season time.Duration) time.Duration {
	step := max(time.Second, (season / 288).Truncate(time.Second))
	for step > time.Second && season%step != 0 {
		step -= time.Second
	}
	return step
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
