package autoscale

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// Observation is what the controller saw in one evaluation.
type Observation struct {
	// Now is the evaluation's time.
	Now time.Time
	// Clusters are the windows judged per target cluster (resource and
	// predictive). A target cluster without an entry counts as NoData.
	Clusters map[string]WindowResult
	// CronTime is the schedule time due now that has not fired yet (from
	// Schedule.Due), CronNext the schedule's next time (zero: unknown).
	CronTime *time.Time
	CronNext time.Time
	// ForecastCrossing is a predictive trigger's earliest forecast crossing
	// of the threshold (nil: none in the forecast), in ForecastCluster.
	ForecastCrossing *time.Time
	ForecastCluster  string
	// Manual is true when the trigger annotation holds a value not yet
	// handled.
	Manual bool
}

// Direction is what a decision does: nothing, scale out or scale in.
type Direction string

const (
	None Direction = ""
	Out  Direction = "Out"
	In   Direction = "In"
)

// Decision is one cycle's outcome. Phase, ClearedSince and NextEvaluation
// are written to the status whatever the direction.
type Decision struct {
	Direction Direction
	// Phase is the phase after the decision is carried out.
	Phase v1alpha1.ScalePhase
	// Trigger is what an execution of this decision records: the spec's
	// trigger type, or manual.
	Trigger v1alpha1.TriggerType
	// Reason says why, with the values: for an execution's reason and the
	// Ready condition's message.
	Reason string
	// ClearedSince is when the condition was first seen cleared (nil: it is
	// not).
	ClearedSince *time.Time
	// NextEvaluation is when to evaluate again.
	NextEvaluation time.Time
	// ScheduleTime is the cron time this cycle used up (fired, or passed
	// while suspended so that resuming does not replay it): write it to
	// status.lastScheduleTime. Nil: leave that as it is.
	ScheduleTime *time.Time
	// Value is the highest latest value over the clusters ("81.2%"), for
	// status.value; empty without data.
	Value string
}

// Decide is one evaluation cycle of a policy: from its settings, its status
// as last written and what was observed, whether to scale out, scale in or
// wait, and why.
//
// Scale-out, from Watching: a target cluster's window is Above (resource;
// predictive too, as a safety net when the forecast missed the load), a
// schedule time is due (cron), or the forecast crosses the threshold within
// the lead time (predictive). A manual trigger always scales out, even when
// suspended or already scaled out: it re-applies the scale-out. A cron time
// due while scaled out does the same and restarts the duration.
//
// Scale-in, from ScaledOut or CoolingDown, when the condition has cleared:
// every target cluster Below (resource), no forecast crossing within the
// lead time and every cluster Below (predictive), the duration passed since
// the scale-out (cron with a duration; without one the scale-out stays).
// The first cycle that sees it cleared sets ClearedSince and moves to
// CoolingDown; the scale-in comes once ClearedSince+Cooldown and
// LastScaleTime+Cooldown have both passed (cron: LastScaleTime+Cooldown
// only, so that the duration is kept to). A Mixed or Above cluster during
// CoolingDown resets ClearedSince and goes back to ScaledOut; NoData holds
// everything as it is. Mixed and NoData never act. With ScaleIn false there
// is no scale-in. Suspended, only a manual trigger acts.
func Decide(s Settings, st v1alpha1.ScalePolicyStatus, o Observation) Decision {
	now := o.Now
	d := Decision{Trigger: s.Trigger.Type, NextEvaluation: now.Add(s.Interval), Value: highestValue(o.Clusters)}
	if s.Trigger.Type == v1alpha1.TriggerCron && o.CronTime != nil {
		d.ScheduleTime = o.CronTime
	}
	out := scaledOut(st)

	if o.Manual {
		d.Direction, d.Trigger, d.Phase = Out, v1alpha1.TriggerManual, v1alpha1.PhaseScaledOut
		d.Reason = "manual trigger (" + v1alpha1.TriggerAnnotation + ")"
		if out {
			d.Reason += ": re-applies the scale-out"
		}
		if s.Suspend {
			d.Phase = v1alpha1.PhaseSuspended
		}
		return d
	}
	if s.Suspend {
		d.Phase = v1alpha1.PhaseSuspended
		d.Reason = "suspended (spec.suspend is true): the trigger is not evaluated; kurator scale trigger still runs the scale-out"
		if out {
			d.Reason += "; the scaled-out sizes stay until it is resumed"
		}
		return d
	}
	if !out {
		return decideOut(s, o, d)
	}
	return decideIn(s, st, o, d)
}

// scaledOut reports whether the policy's last action was a scale-out that
// has not been scaled in: from the phase, or, when the phase does not say
// (Suspended, Blocked, empty), from the newest execution.
func scaledOut(st v1alpha1.ScalePolicyStatus) bool {
	switch st.Phase {
	case v1alpha1.PhaseScaledOut, v1alpha1.PhaseCoolingDown:
		return true
	case v1alpha1.PhaseWatching:
		return false
	}
	return len(st.Executions) > 0 && st.Executions[0].Direction == string(Out)
}

func decideOut(s Settings, o Observation, d Decision) Decision {
	now := o.Now
	d.Phase = v1alpha1.PhaseWatching
	switch s.Trigger.Type {
	case v1alpha1.TriggerCron:
		if !o.CronNext.IsZero() {
			d.NextEvaluation = o.CronNext
		}
		if o.CronTime != nil {
			d.Direction, d.Phase = Out, v1alpha1.PhaseScaledOut
			d.Reason = fmt.Sprintf("schedule %s fired for %s", scheduleName(s), o.CronTime.UTC().Format(time.RFC3339))
			d.NextEvaluation = cronNextEvaluation(s, now, now, o.CronNext)
			return d
		}
		d.Reason = fmt.Sprintf("waiting for schedule %s", scheduleName(s))
		if !o.CronNext.IsZero() {
			d.Reason += ", next at " + o.CronNext.UTC().Format(time.RFC3339)
		}
		return d
	case v1alpha1.TriggerPredictive:
		if crossingWithin(s, o) {
			d.Direction, d.Phase = Out, v1alpha1.PhaseScaledOut
			d.Reason = forecastReason(s, o) + "; scaling out ahead of it"
			return d
		}
	}
	targets := s.TargetClusters(o.Clusters)
	above := clustersWith(targets, o.Clusters, Above)
	if len(above) > 0 {
		d.Direction, d.Phase = Out, v1alpha1.PhaseScaledOut
		d.Reason = fmt.Sprintf("%s above %s%% for %s in %s", metricName(s), formatNumber(s.Threshold),
			formatDuration(s.Duration), listFigures(above, o.Clusters, Above))
		if s.Trigger.Type == v1alpha1.TriggerPredictive {
			d.Reason += " (the forecast did not see it coming)"
		}
		return d
	}
	if len(targets) == 0 {
		d.Reason = "no target clusters: give targetClusters, or place the action's workloads in clusters"
		return d
	}
	d.Reason = fmt.Sprintf("%s not above %s%% for the whole %s in any target cluster: %s",
		metricName(s), formatNumber(s.Threshold), formatDuration(s.Duration), summary(targets, o.Clusters))
	if s.Trigger.Type == v1alpha1.TriggerPredictive {
		d.Reason = forecastReason(s, o) + "; " + d.Reason
	}
	return d
}

func decideIn(s Settings, st v1alpha1.ScalePolicyStatus, o Observation, d Decision) Decision {
	now := o.Now
	d.Phase = v1alpha1.PhaseScaledOut
	last := timeOf(st.LastScaleTime)

	if s.Trigger.Type == v1alpha1.TriggerCron {
		if o.CronTime != nil {
			d.Direction = Out
			d.Reason = fmt.Sprintf("schedule %s fired for %s: re-applies the scale-out", scheduleName(s), o.CronTime.UTC().Format(time.RFC3339))
			d.NextEvaluation = cronNextEvaluation(s, now, now, o.CronNext)
			return d
		}
		d.NextEvaluation = cronNextEvaluation(s, now, last, o.CronNext)
		switch {
		case !s.ScaleIn:
			d.Reason = "scaled out; scaleIn is Disabled, so the sizes stay until changed"
			return d
		case s.Duration <= 0:
			d.Reason = "scaled out by the schedule; trigger.duration is not set, so the sizes stay until changed"
			return d
		}
		end := last.Add(max(s.Duration, s.Cooldown))
		if now.Before(end) {
			if !now.Before(last.Add(s.Duration)) {
				d.Phase = v1alpha1.PhaseCoolingDown
				cleared := last.Add(s.Duration)
				d.ClearedSince = &cleared
			}
			d.Reason = fmt.Sprintf("scaled out by the schedule for %s; the scale-in comes at %s", formatDuration(s.Duration), end.UTC().Format(time.RFC3339))
			return d
		}
		d.Direction, d.Phase = In, v1alpha1.PhaseWatching
		d.Reason = fmt.Sprintf("the scale-out's duration of %s has passed", formatDuration(s.Duration))
		if !o.CronNext.IsZero() {
			d.NextEvaluation = o.CronNext
		}
		return d
	}

	if !s.ScaleIn {
		d.Reason = "scaled out; scaleIn is Disabled, so the sizes stay until changed"
		return d
	}
	targets := s.TargetClusters(o.Clusters)
	if s.Trigger.Type == v1alpha1.TriggerPredictive && crossingWithin(s, o) {
		d.Reason = forecastReason(s, o) + "; staying scaled out"
		return d
	}
	notBelow := make([]string, 0, len(targets))
	noData := make([]string, 0, len(targets))
	for _, c := range targets {
		switch verdictOf(o.Clusters, c) {
		case Below:
		case NoData:
			noData = append(noData, c)
		default:
			notBelow = append(notBelow, c)
		}
	}
	switch {
	case len(targets) == 0:
		d = hold(d, st)
		d.Reason = "no target clusters to judge the scale-in by; staying scaled out"
		return d
	case len(notBelow) > 0:
		// Not cleared (or no longer): the scale-in starts over.
		d.Reason = fmt.Sprintf("%s not below %s%% for the whole %s in %s; the scale-in waits until every target cluster stays below it",
			metricName(s), formatNumber(s.ScaleInThreshold), formatDuration(s.Duration), summary(notBelow, o.Clusters))
		return d
	case len(noData) > 0:
		// No data is no evidence either way: hold the phase and the clock.
		d = hold(d, st)
		d.Reason = fmt.Sprintf("no data to judge the scale-in by in %s", summary(noData, o.Clusters))
		return d
	}

	cleared := now
	if st.ClearedSince != nil && st.Phase == v1alpha1.PhaseCoolingDown {
		cleared = st.ClearedSince.Time
	}
	d.ClearedSince = &cleared
	due := cleared.Add(s.Cooldown)
	if byLast := last.Add(s.Cooldown); byLast.After(due) {
		due = byLast
	}
	below := fmt.Sprintf("%s below %s%% for %s in %s", metricName(s), formatNumber(s.ScaleInThreshold),
		formatDuration(s.Duration), listFigures(targets, o.Clusters, Below))
	if now.Before(due) {
		d.Phase = v1alpha1.PhaseCoolingDown
		d.Reason = fmt.Sprintf("%s; the scale-in waits for the cooldown of %s, until %s", below, formatDuration(s.Cooldown), due.UTC().Format(time.RFC3339))
		if due.Before(d.NextEvaluation) {
			d.NextEvaluation = due
		}
		return d
	}
	d.Direction, d.Phase, d.ClearedSince = In, v1alpha1.PhaseWatching, nil
	d.Reason = fmt.Sprintf("%s, and the cooldown of %s has passed", below, formatDuration(s.Cooldown))
	return d
}

// hold keeps a scaled-out policy's phase and ClearedSince as they are (a
// Suspended or Blocked phase being left becomes ScaledOut).
func hold(d Decision, st v1alpha1.ScalePolicyStatus) Decision {
	d.Phase = v1alpha1.PhaseScaledOut
	if st.Phase == v1alpha1.PhaseCoolingDown {
		d.Phase, d.ClearedSince = v1alpha1.PhaseCoolingDown, timePtr(st.ClearedSince)
	}
	return d
}

// cronNextEvaluation is when a scaled-out cron policy looks again: at the
// next schedule time or when its scale-in is due, whichever comes first.
func cronNextEvaluation(s Settings, now, lastScale time.Time, cronNext time.Time) time.Time {
	next := cronNext
	if s.ScaleIn && s.Duration > 0 {
		end := lastScale.Add(max(s.Duration, s.Cooldown))
		if end.After(now) && (next.IsZero() || end.Before(next)) {
			next = end
		}
	}
	if next.IsZero() || !next.After(now) {
		next = now.Add(s.Interval)
	}
	return next
}

func crossingWithin(s Settings, o Observation) bool {
	return o.ForecastCrossing != nil && !o.ForecastCrossing.After(o.Now.Add(s.LeadTime))
}

func forecastReason(s Settings, o Observation) string {
	if o.ForecastCrossing == nil {
		return fmt.Sprintf("the forecast does not cross %s%%", formatNumber(s.Threshold))
	}
	where := ""
	if o.ForecastCluster != "" {
		where = " in " + o.ForecastCluster
	}
	in := o.ForecastCrossing.Sub(o.Now)
	when := "now"
	if in > 0 {
		when = "in " + formatDuration(in.Round(time.Second))
	}
	rel := "within"
	if in > s.LeadTime {
		rel = "beyond"
	}
	return fmt.Sprintf("the %s forecast crosses %s%%%s at %s (%s), %s the lead time of %s", metricName(s), formatNumber(s.Threshold),
		where, o.ForecastCrossing.UTC().Format(time.RFC3339), when, rel, formatDuration(s.LeadTime))
}

func scheduleName(s Settings) string {
	if s.Schedule != nil {
		return fmt.Sprintf("%q (%s)", s.Schedule.Expression(), s.Schedule.Location())
	}
	return fmt.Sprintf("%q", s.Trigger.Schedule)
}

func metricName(s Settings) string {
	if s.Trigger.Metric != "" {
		return s.Trigger.Metric
	}
	return "the metric"
}

func verdictOf(results map[string]WindowResult, cluster string) Verdict {
	r, ok := results[cluster]
	if !ok || r.Verdict == "" {
		return NoData
	}
	return r.Verdict
}

func clustersWith(targets []string, results map[string]WindowResult, v Verdict) []string {
	var out []string
	for _, c := range targets {
		if verdictOf(results, c) == v {
			out = append(out, c)
		}
	}
	return out
}

// listFigures is "north (min 78.0%, last 81.2%), south (min 80.1%, last 80.4%)".
func listFigures(clusters []string, results map[string]WindowResult, v Verdict) string {
	parts := make([]string, 0, len(clusters))
	for _, c := range clusters {
		r := results[c]
		if v == Above {
			parts = append(parts, fmt.Sprintf("%s (min %s, last %s)", c, percent(r.Min), percent(r.Last)))
		} else {
			parts = append(parts, fmt.Sprintf("%s (max %s, last %s)", c, percent(r.Max), percent(r.Last)))
		}
	}
	return strings.Join(parts, ", ")
}

// summary says each cluster's verdict with its figures: "north Mixed
// (62.0% to 75.0%), south Below (max 40.1%), east NoData (no samples ...)".
func summary(clusters []string, results map[string]WindowResult) string {
	parts := make([]string, 0, len(clusters))
	for _, c := range clusters {
		r, ok := results[c]
		switch {
		case !ok || r.Verdict == "" || r.Verdict == NoData:
			msg := "not evaluated"
			if ok && r.Message != "" {
				msg = r.Message
			}
			parts = append(parts, fmt.Sprintf("%s NoData (%s)", c, msg))
		case r.Verdict == Above:
			parts = append(parts, fmt.Sprintf("%s Above (min %s, last %s)", c, percent(r.Min), percent(r.Last)))
		case r.Verdict == Below:
			parts = append(parts, fmt.Sprintf("%s Below (max %s, last %s)", c, percent(r.Max), percent(r.Last)))
		default:
			parts = append(parts, fmt.Sprintf("%s %s (%s to %s, last %s)", c, r.Verdict, percent(r.Min), percent(r.Max), percent(r.Last)))
		}
	}
	return strings.Join(parts, ", ")
}

func highestValue(results map[string]WindowResult) string {
	best, found := 0.0, false
	for _, r := range results {
		if r.Samples == 0 {
			continue
		}
		if !found || r.Last > best {
			best, found = r.Last, true
		}
	}
	if !found {
		return ""
	}
	return percent(best)
}

// timeOf is t's time, zero for nil.
func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// timePtr is t as a *time.Time, nil for nil.
func timePtr(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}
