package autoscale

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/prometheus"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// TestCronFiresOncePerSchedule: a policy scheduled every minute scales out
// once at each minute (and back in after its 10m, here 30 s, duration),
// never twice for the same time.
func TestCronFiresOncePerSchedule(t *testing.T) {
	t.Parallel()
	const ns = "cron"
	apply(t, deployment(ns, "report-job", 2, east))
	apply(t, policy(ns, "every-minute", "report-job", `{type: cron, schedule: "*/1 * * * *", timeZone: Asia/Shanghai, duration: 10m}`))

	var p *autoscalingv1alpha1.ScalePolicy
	outs := func() []autoscalingv1alpha1.ScaleExecution {
		var out []autoscalingv1alpha1.ScaleExecution
		for _, e := range p.Status.Executions {
			if e.Direction == "Out" {
				out = append(out, e)
			}
		}
		return out
	}
	fleettest.Eventually(t, 150*time.Second, "two scheduled scale-outs", func() error {
		p = getPolicy(t, ns, "every-minute")
		if n := len(outs()); n < 2 {
			return fmt.Errorf("%d scale-outs: %s", n, describePolicy(p))
		}
		return nil
	})
	o := outs()
	newer, older := o[0], o[1]
	gap := newer.Time.Sub(older.Time.Time)
	t.Logf("scheduled scale-outs at %s and %s (%s apart)", older.Time.Format(time.RFC3339), newer.Time.Format(time.RFC3339), gap)
	if gap < 50*time.Second || gap > 70*time.Second {
		t.Errorf("scale-outs %s apart, want one per minute", gap)
	}
	for _, e := range o {
		if e.Trigger != string(autoscalingv1alpha1.TriggerCron) {
			t.Errorf("execution %d trigger %s, want cron", e.ID, e.Trigger)
		}
		// Each fires within a few seconds of its minute.
		if s := e.Time.Second(); s > 5 {
			t.Errorf("execution %d at %s: more than 5 s after its schedule time", e.ID, e.Time.Format(time.RFC3339))
		}
	}
	// Between the two, the 30 s duration ended in a scale-in.
	in := false
	for _, e := range p.Status.Executions {
		if e.Direction == "In" && e.Time.After(older.Time.Time) && e.Time.Before(&newer.Time) {
			in = true
		}
	}
	if !in {
		t.Errorf("no scale-in between the scheduled scale-outs: %s", describePolicy(p))
	}
	// No second execution for the newer schedule time.
	until := newer.Time.Truncate(time.Minute).Add(time.Minute - 3*time.Second)
	fleettest.Consistently(t, time.Until(until), "one scale-out per schedule time", func() error {
		p = getPolicy(t, ns, "every-minute")
		if n := len(outs()); n != len(o) {
			return fmt.Errorf("%d scale-outs, was %d: %s", n, len(o), describePolicy(p))
		}
		return nil
	})
}

// TestForecastScalesBeforeThePeak: a predictive policy reads a synthetic
// daily CPU series (a day lasts 72 minutes at the test's divisor) from a
// Prometheus holding its history, and scales out its 3h (9 minutes) lead
// time before the forecast crossing of 60%, well before the series
// actually crosses it.
func TestForecastScalesBeforeThePeak(t *testing.T) {
	t.Parallel()
	const ns = "forecast"
	season := 24 * time.Hour / divisor
	lead := 3 * time.Hour / divisor
	step := season / 288
	now := time.Now().Truncate(step)
	crossing := now.Add(lead + 90*time.Second) // when the series really crosses 60%

	// 45 + 25 cos(phase): 60% is reached when cos = 0.6, before the peak.
	peak := crossing.Add(time.Duration(math.Acos(0.6) / (2 * math.Pi) * float64(season)))
	value := func(at time.Time) float64 {
		phase := 2 * math.Pi * float64(at.Sub(peak)) / float64(season)
		noise := 0.8 * math.Sin(float64(at.Unix())*0.37) // deterministic
		return 45 + 25*math.Cos(phase) + noise
	}
	var om strings.Builder
	om.WriteString("# HELP synthetic_cpu Synthetic daily CPU utilisation.\n# TYPE synthetic_cpu gauge\n")
	for at := now.Add(-4 * time.Hour); at.Before(now.Add(time.Hour)); at = at.Add(step) {
		fmt.Fprintf(&om, "synthetic_cpu{cluster=%q} %.3f %d\n", east, value(at), at.Unix())
	}
	om.WriteString("# EOF\n")
	dir := t.TempDir()
	file := filepath.Join(dir, "series.om")
	if err := os.WriteFile(file, []byte(om.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		promtool = "/usr/bin/promtool"
	}
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "prom", "data")).CombinedOutput(); err != nil {
		t.Fatalf("promtool backfill: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The history reaches 5 h back from its newest sample (1 h ahead).
	srv, err := prometheus.Start(ctx, prometheus.Options{Dir: filepath.Join(dir, "prom"), Retention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	apply(t, deployment(ns, "checkout", 2, east))
	apply(t, policy(ns, "before-peak", "checkout", fmt.Sprintf(`{type: predictive, metric: cpu, threshold: 60, leadTime: 3h, season: 24h, history: 72h, prometheus: %q, query: 'synthetic_cpu{cluster="{{ cluster }}"}'}`, srv.URL)))

	var p *autoscalingv1alpha1.ScalePolicy
	fleettest.Eventually(t, lead+3*time.Minute, "a predictive scale-out", func() error {
		p = getPolicy(t, ns, "before-peak")
		if len(p.Status.Executions) == 0 {
			return fmt.Errorf("%s; forecast %+v", describePolicy(p), p.Status.Forecast)
		}
		return nil
	})
	e := p.Status.Executions[0]
	f := p.Status.Forecast
	if f == nil || f.CrossingTime == nil {
		t.Fatalf("no forecast crossing in status: %s", describePolicy(p))
	}
	t.Logf("forecast %s: crossing %s (true %s, off by %s), peak %s at %s, error %s; scaled out %s before the true crossing: %s",
		f.Model, f.CrossingTime.Format(time.TimeOnly), crossing.Format(time.TimeOnly), f.CrossingTime.Sub(crossing).Round(time.Second),
		f.Peak, f.PeakTime.Format(time.TimeOnly), f.Error, crossing.Sub(e.Time.Time).Round(time.Second), e.Reason)
	if e.Direction != "Out" || e.Trigger != string(autoscalingv1alpha1.TriggerPredictive) {
		t.Errorf("execution %+v, want a predictive scale-out", e)
	}
	if off := f.CrossingTime.Sub(crossing); off.Abs() > 3*step+time.Minute {
		t.Errorf("forecast crossing %s is %s off the true %s", f.CrossingTime.Format(time.TimeOnly), off, crossing.Format(time.TimeOnly))
	}
	if ahead := crossing.Sub(e.Time.Time); ahead < lead/2 || ahead > lead+2*time.Minute {
		t.Errorf("scaled out %s before the crossing, want about the %s lead time", ahead, lead)
	}
	// The execution is recorded before it is carried out (a stale decision
	// fails on the record and is never applied), so the template may still
	// hold 2 when the record is first seen.
	fleettest.Eventually(t, 30*time.Second, "checkout scaled out to 3 (+50% of 2)", func() error {
		if got := templateReplicas(t, ns, "checkout"); got != 3 {
			return fmt.Errorf("checkout has %d replicas: %s", got, describePolicy(getPolicy(t, ns, "before-peak")))
		}
		return nil
	})
}
