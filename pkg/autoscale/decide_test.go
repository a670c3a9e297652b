package autoscale

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

func seedSettings(t testing.TB) Settings {
	t.Helper()
	s, errs := Resolve(policy(t, seedPolicy), 1)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

func resolved(t testing.TB, js string) Settings {
	t.Helper()
	s, errs := Resolve(policy(t, js), 1)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

func above(min, last float64) WindowResult {
	return WindowResult{Verdict: Above, Min: min, Max: last + 1, Last: last, Samples: 11}
}
func below(max, last float64) WindowResult {
	return WindowResult{Verdict: Below, Min: last - 1, Max: max, Last: last, Samples: 11}
}
func mixed(min, max float64) WindowResult {
	return WindowResult{Verdict: Mixed, Min: min, Max: max, Last: max, Samples: 11}
}

var noData = WindowResult{Verdict: NoData, Samples: 3, Message: "3 samples over 40s, need 5m of data"}

func mt(t time.Time) *metav1.Time { return &metav1.Time{Time: t} }

func status(phase v1alpha1.ScalePhase, lastScale, clearedSince time.Duration) v1alpha1.ScalePolicyStatus {
	st := v1alpha1.ScalePolicyStatus{Phase: phase}
	if lastScale != 0 {
		st.LastScaleTime = mt(t0.Add(-lastScale))
	}
	if clearedSince != 0 {
		st.ClearedSince = mt(t0.Add(-clearedSince))
	}
	return st
}

func TestDecide(t *testing.T) {
	seed := seedSettings(t)
	suspended := seed
	suspended.Suspend = true
	noScaleIn := seed
	noScaleIn.ScaleIn = false
	cronDaily := resolved(t, `{"trigger": {"type": "cron", "schedule": "0 8 * * *", "timeZone": "Asia/Shanghai", "duration": "1h"}, "action": {"deployment": {"name": "web", "replicas": "+5"}}}`)
	cronForever := resolved(t, `{"trigger": {"type": "cron", "schedule": "0 8 * * *"}, "action": {"deployment": {"name": "web", "replicas": "+5"}}}`)
	cronShort := resolved(t, `{"trigger": {"type": "cron", "schedule": "0 8 * * *", "duration": "1m"}, "cooldown": "10m", "action": {"deployment": {"name": "web", "replicas": "+5"}}}`)
	predictive := resolved(t, `{"targetClusters": ["north-cluster", "south-cluster"], "trigger": {"type": "predictive", "metric": "cpu", "threshold": 70, "leadTime": "10m"}, "action": {"deployment": {"name": "web", "replicas": "150%"}}}`)

	bothAbove := map[string]WindowResult{"north-cluster": above(78, 81.2), "south-cluster": above(80.1, 80.4)}
	bothBelow := map[string]WindowResult{"north-cluster": below(40, 38), "south-cluster": below(45, 44)}
	dueAt := t0.Add(-10 * time.Second)
	cronNext := t0.Add(24*time.Hour - 10*time.Second)
	outExecution := v1alpha1.ScalePolicyStatus{Phase: v1alpha1.PhaseBlocked, LastScaleTime: mt(t0.Add(-20 * time.Minute)),
		Executions: []v1alpha1.ScaleExecution{{ID: 1, Direction: "Out"}}}

	cases := []struct {
		name    string
		s       Settings
		st      v1alpha1.ScalePolicyStatus
		o       Observation
		dir     Direction
		phase   v1alpha1.ScalePhase
		reason  string
		cleared *time.Time
		next    time.Duration // from t0
	}{
		{"80% for the whole 5m in north fires", seed, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: map[string]WindowResult{"north-cluster": above(78, 81.2), "south-cluster": mixed(60, 75)}},
			Out, v1alpha1.PhaseScaledOut, "cpu above 70% for 5m in north-cluster (min 78.0%, last 81.2%)", nil, 30 * time.Second},
		{"both clusters above are named with their figures", seed, status("", 0, 0), Observation{Clusters: bothAbove},
			Out, v1alpha1.PhaseScaledOut, "cpu above 70% for 5m in north-cluster (min 78.0%, last 81.2%), south-cluster (min 80.1%, last 80.4%)", nil, 30 * time.Second},
		{"alternating 75/65 is Mixed, no action", seed, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: map[string]WindowResult{"north-cluster": mixed(65, 75), "south-cluster": mixed(65, 75)}},
			None, v1alpha1.PhaseWatching, "north-cluster Mixed (65.0% to 75.0%", nil, 30 * time.Second},
		{"no data does not act and says what is missing", seed, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: map[string]WindowResult{"north-cluster": noData}},
			None, v1alpha1.PhaseWatching, "north-cluster NoData (3 samples over 40s, need 5m of data), south-cluster NoData (not evaluated)", nil, 30 * time.Second},
		{"a cluster that is not a target does not fire", seed, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: map[string]WindowResult{"east-cluster": above(90, 90), "north-cluster": below(50, 50), "south-cluster": below(50, 50)}},
			None, v1alpha1.PhaseWatching, "not above 70% for the whole 5m in any target cluster", nil, 30 * time.Second},
		{"a manual trigger scales out even when suspended", suspended, status(v1alpha1.PhaseSuspended, 0, 0), Observation{Manual: true},
			Out, v1alpha1.PhaseSuspended, "manual trigger", nil, 30 * time.Second},
		{"a manual trigger while scaled out re-applies the scale-out", seed, status(v1alpha1.PhaseCoolingDown, 20*time.Minute, 2*time.Minute),
			Observation{Manual: true, Clusters: bothBelow}, Out, v1alpha1.PhaseScaledOut, "re-applies the scale-out", nil, 30 * time.Second},
		{"suspended, a metric above does nothing", suspended, status(v1alpha1.PhaseWatching, 0, 0), Observation{Clusters: bothAbove},
			None, v1alpha1.PhaseSuspended, "suspended (spec.suspend is true)", nil, 30 * time.Second},
		{"scaled out, every cluster below starts the cooldown", seed, status(v1alpha1.PhaseScaledOut, 10*time.Minute, 0), Observation{Clusters: bothBelow},
			None, v1alpha1.PhaseCoolingDown, "cpu below 70% for 5m in north-cluster (max 40.0%, last 38.0%), south-cluster (max 45.0%, last 44.0%); the scale-in waits for the cooldown of 5m", &t0, 30 * time.Second},
		{"scale-in waits for the cooldown", seed, status(v1alpha1.PhaseCoolingDown, 10*time.Minute, 4*time.Minute), Observation{Clusters: bothBelow},
			None, v1alpha1.PhaseCoolingDown, "waits for the cooldown of 5m, until 2025-11-11T12:01:00Z", ptrTime(t0.Add(-4 * time.Minute)), 30 * time.Second},
		{"the next evaluation is when the cooldown ends, if sooner than the interval", seed, status(v1alpha1.PhaseCoolingDown, 10*time.Minute, 4*time.Minute+50*time.Second), Observation{Clusters: bothBelow},
			None, v1alpha1.PhaseCoolingDown, "waits for the cooldown", ptrTime(t0.Add(-4*time.Minute - 50*time.Second)), 10 * time.Second},
		{"scale-in once the cooldown has passed", seed, status(v1alpha1.PhaseCoolingDown, 10*time.Minute, 5*time.Minute), Observation{Clusters: bothBelow},
			In, v1alpha1.PhaseWatching, "and the cooldown of 5m has passed", nil, 30 * time.Second},
		{"scale-in also waits for the cooldown since the last scale-out", seed, status(v1alpha1.PhaseCoolingDown, 4*time.Minute, 8*time.Minute), Observation{Clusters: bothBelow},
			None, v1alpha1.PhaseCoolingDown, "until 2025-11-11T12:01:00Z", ptrTime(t0.Add(-8 * time.Minute)), 30 * time.Second},
		{"a Mixed cluster during the cooldown resets it, back to ScaledOut", seed, status(v1alpha1.PhaseCoolingDown, 10*time.Minute, 4*time.Minute),
			Observation{Clusters: map[string]WindowResult{"north-cluster": below(40, 38), "south-cluster": mixed(60, 72)}},
			None, v1alpha1.PhaseScaledOut, "cpu not below 70% for the whole 5m in south-cluster Mixed (60.0% to 72.0%", nil, 30 * time.Second},
		{"an Above cluster while scaled out does not act again", seed, status(v1alpha1.PhaseScaledOut, 10*time.Minute, 0), Observation{Clusters: bothAbove},
			None, v1alpha1.PhaseScaledOut, "the scale-in waits until every target cluster stays below it", nil, 30 * time.Second},
		{"no data during the cooldown holds it", seed, status(v1alpha1.PhaseCoolingDown, 10*time.Minute, 6*time.Minute),
			Observation{Clusters: map[string]WindowResult{"north-cluster": below(40, 38), "south-cluster": noData}},
			None, v1alpha1.PhaseCoolingDown, "no data to judge the scale-in by in south-cluster NoData", ptrTime(t0.Add(-6 * time.Minute)), 30 * time.Second},
		{"scaleIn Disabled never scales in", noScaleIn, status(v1alpha1.PhaseScaledOut, time.Hour, 0), Observation{Clusters: bothBelow},
			None, v1alpha1.PhaseScaledOut, "scaleIn is Disabled", nil, 30 * time.Second},
		{"a Blocked policy whose last execution was a scale-out scales in", seed, outExecution, Observation{Clusters: bothBelow},
			None, v1alpha1.PhaseCoolingDown, "waits for the cooldown", &t0, 30 * time.Second},
		{"a due cron time scales out and the next look is the scale-in an hour later", cronDaily, status(v1alpha1.PhaseWatching, 0, 0), Observation{CronTime: &dueAt, CronNext: cronNext},
			Out, v1alpha1.PhaseScaledOut, `schedule "0 8 * * *" (Asia/Shanghai) fired for 2025-11-11T11:59:50Z`, nil, time.Hour},
		{"no cron time due waits for the next one", cronDaily, status(v1alpha1.PhaseWatching, 0, 0), Observation{CronNext: cronNext},
			None, v1alpha1.PhaseWatching, "next at 2025-11-12T11:59:50Z", nil, 24*time.Hour - 10*time.Second},
		{"cron stays scaled out for its duration", cronDaily, status(v1alpha1.PhaseScaledOut, 30*time.Minute, 0), Observation{CronNext: cronNext},
			None, v1alpha1.PhaseScaledOut, "the scale-in comes at 2025-11-11T12:30:00Z", nil, 30 * time.Minute},
		{"cron scales in when its duration has passed", cronDaily, status(v1alpha1.PhaseScaledOut, time.Hour, 0), Observation{CronNext: cronNext},
			In, v1alpha1.PhaseWatching, "the scale-out's duration of 1h has passed", nil, 24*time.Hour - 10*time.Second},
		{"cron with a duration shorter than the cooldown waits for the cooldown", cronShort, status(v1alpha1.PhaseScaledOut, 5*time.Minute, 0), Observation{CronNext: cronNext},
			None, v1alpha1.PhaseCoolingDown, "the scale-in comes at 2025-11-11T12:05:00Z", ptrTime(t0.Add(-4 * time.Minute)), 5 * time.Minute},
		{"cron without a duration never scales in", cronForever, status(v1alpha1.PhaseScaledOut, 48*time.Hour, 0), Observation{CronNext: cronNext},
			None, v1alpha1.PhaseScaledOut, "trigger.duration is not set", nil, 24*time.Hour - 10*time.Second},
		{"a cron time due while scaled out re-applies the scale-out", cronDaily, status(v1alpha1.PhaseScaledOut, 30*time.Minute, 0), Observation{CronTime: &dueAt, CronNext: cronNext},
			Out, v1alpha1.PhaseScaledOut, "re-applies the scale-out", nil, time.Hour},
		{"a forecast crossing within the lead time scales out", predictive, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: bothBelow, ForecastCrossing: ptrTime(t0.Add(8 * time.Minute)), ForecastCluster: "north-cluster"},
			Out, v1alpha1.PhaseScaledOut, "the cpu forecast crosses 70% in north-cluster at 2025-11-11T12:08:00Z (in 8m), within the lead time of 10m; scaling out ahead of it", nil, 30 * time.Second},
		{"a forecast crossing beyond the lead time waits", predictive, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: bothBelow, ForecastCrossing: ptrTime(t0.Add(12 * time.Minute))},
			None, v1alpha1.PhaseWatching, "(in 12m), beyond the lead time of 10m", nil, 30 * time.Second},
		{"predictive also fires on a metric above the threshold the forecast missed", predictive, status(v1alpha1.PhaseWatching, 0, 0),
			Observation{Clusters: bothAbove}, Out, v1alpha1.PhaseScaledOut, "(the forecast did not see it coming)", nil, 30 * time.Second},
		{"predictive stays scaled out while the forecast still crosses within the lead time", predictive, status(v1alpha1.PhaseCoolingDown, 20*time.Minute, 2*time.Minute),
			Observation{Clusters: bothBelow, ForecastCrossing: ptrTime(t0.Add(5 * time.Minute))}, None, v1alpha1.PhaseScaledOut, "staying scaled out", nil, 30 * time.Second},
		{"predictive cools down when no crossing is forecast and every cluster is below", predictive, status(v1alpha1.PhaseScaledOut, 20*time.Minute, 0),
			Observation{Clusters: bothBelow}, None, v1alpha1.PhaseCoolingDown, "waits for the cooldown", &t0, 30 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.Now = t0
			d := Decide(c.s, c.st, c.o)
			if d.Direction != c.dir || d.Phase != c.phase {
				t.Fatalf("direction %q phase %s, want %q %s (%s)", d.Direction, d.Phase, c.dir, c.phase, d.Reason)
			}
			if !strings.Contains(d.Reason, c.reason) {
				t.Errorf("reason\n  %s\nwant it to contain\n  %s", d.Reason, c.reason)
			}
			switch {
			case c.cleared == nil && d.ClearedSince != nil:
				t.Errorf("cleared since %v, want none", d.ClearedSince)
			case c.cleared != nil && (d.ClearedSince == nil || !d.ClearedSince.Equal(*c.cleared)):
				t.Errorf("cleared since %v, want %v", d.ClearedSince, *c.cleared)
			}
			if got := d.NextEvaluation.Sub(t0); got != c.next {
				t.Errorf("next evaluation in %v, want %v", got, c.next)
			}
		})
	}
}

func TestDecideTriggerAndScheduleTime(t *testing.T) {
	cron := resolved(t, `{"suspend": true, "trigger": {"type": "cron", "schedule": "*/5 * * * *"}, "action": {"deployment": {"name": "web", "replicas": "+5"}}}`)
	due := t0.Add(-time.Second)
	d := Decide(cron, v1alpha1.ScalePolicyStatus{}, Observation{Now: t0, CronTime: &due})
	if d.Direction != None || d.ScheduleTime == nil || !d.ScheduleTime.Equal(due) {
		t.Errorf("suspended cron: direction %q schedule time %v; want no action and the time used up, so resuming does not replay it", d.Direction, d.ScheduleTime)
	}
	d = Decide(seedSettings(t), v1alpha1.ScalePolicyStatus{}, Observation{Now: t0, Manual: true})
	if d.Trigger != v1alpha1.TriggerManual {
		t.Errorf("manual decision records trigger %s", d.Trigger)
	}
	d = Decide(seedSettings(t), v1alpha1.ScalePolicyStatus{}, Observation{Now: t0, Clusters: map[string]WindowResult{"north-cluster": above(75, 81.25), "south-cluster": below(40, 39)}})
	if d.Trigger != v1alpha1.TriggerResource || d.Value != "81.2%" {
		t.Errorf("trigger %s value %q, want resource 81.2%%", d.Trigger, d.Value)
	}
}

// Over a whole episode, evaluated every interval: the load rises, holds,
// flaps, falls; the policy scales out once after the duration and in once
// after the cooldown, and never while the load flaps.
func TestDecideEpisode(t *testing.T) {
	s := seedSettings(t)
	w := s.Window()
	load := func(at time.Duration) float64 { // minutes since start
		m := at.Minutes()
		switch {
		case m < 10:
			return 40
		case m < 30:
			return 85
		case m < 40: // flapping around the threshold
			if int(at/(30*time.Second))%2 == 0 {
				return 75
			}
			return 65
		default:
			return 30
		}
	}
	start := t0
	var samples map[string][]Sample = map[string][]Sample{}
	st := v1alpha1.ScalePolicyStatus{Phase: v1alpha1.PhaseWatching}
	var events []string
	for at := time.Duration(0); at <= 80*time.Minute; at += s.Interval {
		now := start.Add(at)
		o := Observation{Now: now, Clusters: map[string]WindowResult{}}
		for _, c := range s.Clusters {
			samples[c] = append(samples[c], Sample{T: now, V: load(at)})
			o.Clusters[c] = Judge(w, samples[c], now)
		}
		d := Decide(s, st, o)
		if d.Direction != None {
			events = append(events, string(d.Direction)+"@"+formatDuration(at))
			st.LastScaleTime = mt(now)
			st.Executions = append([]v1alpha1.ScaleExecution{{Direction: string(d.Direction)}}, st.Executions...)
		}
		st.Phase = d.Phase
		st.ClearedSince = nil
		if d.ClearedSince != nil {
			st.ClearedSince = mt(*d.ClearedSince)
		}
	}
	// Out: 85% from 10m, held over a whole 5m window (samples from 10m to
	// 15m) at 15m. Flapping 75/65 from 30m to 40m holds it scaled out; its
	// last sample (65% at 39m30s) is already below, so the window is Below
	// from 44m30s and the cooldown of 5m ends at 49m30s.
	if got := strings.Join(events, " "); got != "Out@15m In@49m30s" {
		t.Errorf("events %s, want Out@15m In@49m30s", got)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
