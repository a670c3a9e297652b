package autoscale

import (
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, time.November, 11, 12, 0, 0, 0, time.UTC)

// series makes samples every step from start for len(values) values.
func series(start time.Time, step time.Duration, values ...float64) []Sample {
	out := make([]Sample, len(values))
	for i, v := range values {
		out[i] = Sample{T: start.Add(time.Duration(i) * step), V: v}
	}
	return out
}

// constant makes samples every step over [now-d, now] at v.
func constant(now time.Time, d, step time.Duration, v float64) []Sample {
	n := int(d/step) + 1
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = v
	}
	return series(now.Add(-d), step, vals...)
}

func alternating(now time.Time, d, step time.Duration, a, b float64) []Sample {
	s := constant(now, d, step, a)
	for i := range s {
		if i%2 == 1 {
			s[i].V = b
		}
	}
	return s
}

func TestJudge(t *testing.T) {
	w := Window{Threshold: 70, ScaleInThreshold: 60, Duration: 5 * time.Minute, Step: 30 * time.Second}
	now := t0
	withDip := constant(now, 5*time.Minute, 30*time.Second, 80)
	withDip[4].V = 69.9
	withGap := append(constant(now.Add(-3*time.Minute), 2*time.Minute, 30*time.Second, 80),
		constant(now, 90*time.Second, 30*time.Second, 80)...) // 1m30s between samples
	nan := constant(now, 5*time.Minute, 30*time.Second, 80)
	nan[3].V = math.NaN()
	unsorted := constant(now, 5*time.Minute, 30*time.Second, 80)
	unsorted[0], unsorted[5] = unsorted[5], unsorted[0]

	cases := []struct {
		name    string
		samples []Sample
		want    Verdict
		min     float64
		last    float64
		msg     string
	}{
		{"80% for the whole 5m fires", constant(now, 5*time.Minute, 30*time.Second, 80), Above, 80, 80, "above 70% for the whole 5m"},
		{"one sample under the threshold in the window does not fire: Mixed", withDip, Mixed, 69.9, 80, "not above 70%"},
		{"alternating 75/65 is Mixed, no action", alternating(now, 5*time.Minute, 30*time.Second, 75, 65), Mixed, 65, 75, "between 65.0% and 75.0%"},
		{"40% for the whole 5m is Below", constant(now, 5*time.Minute, 30*time.Second, 40), Below, 40, 40, "below 60% for the whole 5m"},
		{"65% between scale-in and scale-out thresholds is Mixed", constant(now, 5*time.Minute, 30*time.Second, 65), Mixed, 65, 65, "not below 60%"},
		{"exactly the threshold is not above it", constant(now, 5*time.Minute, 30*time.Second, 70), Mixed, 70, 70, ""},
		{"3 samples over the last 40s are NoData, need 5m", series(now.Add(-40*time.Second), 20*time.Second, 90, 90, 90), NoData, 90, 90, "3 samples over 40s, need 5m of data"},
		{"no samples is NoData and asks about scraping", nil, NoData, 0, 0, "is Prometheus scraping"},
		{"a hole longer than two steps is NoData", withGap, NoData, 80, 80, "no samples for 1m30s after 2025-11-11T11:57:00Z"},
		{"a stale series (last sample 2m old) is NoData", constant(now.Add(-2*time.Minute), 5*time.Minute, 30*time.Second, 80), NoData, 80, 80, "the latest sample is 2m old"},
		{"one missed step is tolerated", append(constant(now.Add(-3*time.Minute), 2*time.Minute, 30*time.Second, 80), constant(now, 2*time.Minute, 30*time.Second, 80)...), Above, 80, 80, ""},
		{"samples before the window do not count against it", append(series(now.Add(-10*time.Minute), time.Minute, 10, 10), constant(now, 5*time.Minute, 30*time.Second, 80)...), Above, 80, 80, ""},
		{"a NaN sample is skipped, the rest fires", nan, Above, 80, 80, ""},
		{"unsorted samples are judged in time order", unsorted, Above, 80, 80, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Judge(w, c.samples, now)
			if r.Verdict != c.want {
				t.Fatalf("verdict %s, want %s (%s)", r.Verdict, c.want, r.Message)
			}
			if r.Min != c.min || r.Last != c.last {
				t.Errorf("min %v last %v, want %v %v", r.Min, r.Last, c.min, c.last)
			}
			if !strings.Contains(r.Message, c.msg) {
				t.Errorf("message %q does not contain %q", r.Message, c.msg)
			}
		})
	}
}

func TestJudgeDefaultsStepToATenthOfTheDuration(t *testing.T) {
	w := Window{Threshold: 70, ScaleInThreshold: 70, Duration: 5 * time.Minute}
	// Step 30s by default: samples 60s apart are within two steps, 61s not.
	if r := Judge(w, constant(t0, 5*time.Minute, time.Minute, 80), t0); r.Verdict != Above {
		t.Errorf("samples a minute apart: %s (%s), want Above", r.Verdict, r.Message)
	}
	if r := Judge(w, constant(t0, 5*time.Minute, 100*time.Second, 80), t0); r.Verdict != NoData {
		t.Errorf("samples 100s apart: %s, want NoData", r.Verdict)
	}
}

func TestJudgeDoesNotModifyTheSamples(t *testing.T) {
	s := constant(t0, 5*time.Minute, 30*time.Second, 80)
	s[0], s[1] = s[1], s[0]
	before := append([]Sample(nil), s...)
	Judge(Window{Threshold: 70, ScaleInThreshold: 70, Duration: 5 * time.Minute, Step: 30 * time.Second}, s, t0)
	for i := range s {
		if s[i] != before[i] {
			t.Fatalf("sample %d changed from %v to %v", i, before[i], s[i])
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 15 * time.Second: "15s",
		1500 * time.Millisecond: "1.5s", 2*time.Minute + 30*time.Second: "2m30s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
