package autoscale

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var forecastStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// forecastDaily is the test series: cpu utilisation in percent with a daily
// sinusoid (50% ± 20, peak at noon), a trend of +0.2 points per hour and
// Gaussian noise of sd noise (seeded: the series is the same every run),
// sampled every step for days days from midnight.
func forecastDaily(days int, step time.Duration, noise float64) []Sample {
	rng := rand.New(rand.NewPCG(13, 2026))
	n := int(time.Duration(days) * 24 * time.Hour / step)
	out := make([]Sample, n)
	for i := range out {
		t := forecastStart.Add(time.Duration(i) * step)
		out[i] = Sample{T: t, V: forecastTruth(t) + noise*rng.NormFloat64()}
	}
	return out
}

// forecastTruth is the series without noise.
func forecastTruth(t time.Time) float64 {
	h := t.Sub(forecastStart).Hours()
	return 50 + 20*math.Sin(2*math.Pi*(h-6)/24) + 0.2*h
}

// forecastTruthCrossing is when the noiseless series first reaches v after t.
func forecastTruthCrossing(after time.Time, v float64) time.Time {
	for t := after; ; t = t.Add(time.Second) {
		if forecastTruth(t) >= v {
			return t
		}
	}
}

func TestForecastCrossingDailySeries(t *testing.T) {
	samples := forecastDaily(3, 5*time.Minute, 1.5)
	last := samples[len(samples)-1].T
	res, err := ForecastCrossing(samples, 5*time.Minute, 24*time.Hour, 75, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("model %s, held-out error %.2f%%, peak %.1f at %s, crossing %s", res.Model, res.Error, res.Peak, res.PeakTime, res.Crossing)
	// The measured error on this series is 2.56% MAPE (docs/autoscaling-hpa.md);
	// noise alone (sd 1.5 around ~60) accounts for about 2%.
	if res.Error > 3 {
		t.Errorf("held-out error %.2f%%, want at most 3%%", res.Error)
	}
	if !strings.HasPrefix(res.Model, "holt-winters a=") {
		t.Errorf("model %q does not name Holt-Winters and its weights", res.Model)
	}
	if len(res.Forecast) != 288 || !res.Forecast[0].T.Equal(last.Add(5*time.Minute)) {
		t.Fatalf("forecast has %d points from %s, want 288 from %s", len(res.Forecast), res.Forecast[0].T, last.Add(5*time.Minute))
	}
	// The top of the curve is flat (1.7 points lower 1¾ h after noon), so
	// the noise left in the seasonal terms moves the peak's time more than
	// its value.
	noon := forecastStart.Add(3*24*time.Hour + 12*time.Hour)
	if d := res.PeakTime.Sub(noon); d < -2*time.Hour || d > 2*time.Hour {
		t.Errorf("peak at %s, want within 2 hours of %s", res.PeakTime, noon)
	}
	if want := forecastTruth(noon); math.Abs(res.Peak-want) > 3 {
		t.Errorf("peak %.1f, want %.1f ± 3", res.Peak, want)
	}
	if res.Crossing == nil {
		t.Fatal("no crossing of 75% forecast; the day-4 peak is about 84%")
	}
	want := forecastTruthCrossing(last, 75)
	if d := res.Crossing.Sub(want); d < -30*time.Minute || d > 30*time.Minute {
		t.Errorf("crossing at %s, want within 30 minutes of %s", res.Crossing, want)
	}
}

func TestForecastCrossingCases(t *testing.T) {
	daily := forecastDaily(2, 10*time.Minute, 0)
	tests := []struct {
		name         string
		samples      []Sample
		threshold    float64
		horizon      time.Duration
		wantCrossing string // "none", "last", or a clock time on the day after
	}{
		{name: "a threshold above the peak is never crossed", samples: daily, threshold: 95, horizon: 24 * time.Hour, wantCrossing: "none"},
		{name: "a horizon ending before the morning rise sees no crossing", samples: daily, threshold: 75, horizon: 6 * time.Hour, wantCrossing: "none"},
		{name: "a value already above the threshold crosses at the last sample", samples: daily, threshold: 20, horizon: time.Hour, wantCrossing: "last"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ForecastCrossing(tt.samples, 10*time.Minute, 24*time.Hour, tt.threshold, tt.horizon)
			if err != nil {
				t.Fatal(err)
			}
			switch tt.wantCrossing {
			case "none":
				if res.Crossing != nil {
					t.Errorf("crossing at %s, want none", res.Crossing)
				}
			case "last":
				if res.Crossing == nil || !res.Crossing.Equal(tt.samples[len(tt.samples)-1].T) {
					t.Errorf("crossing %v, want the last sample's time %s", res.Crossing, tt.samples[len(tt.samples)-1].T)
				}
			}
		})
	}
}

// TestForecastCrossingInterpolates checks the crossing falls between the two
// forecast steps around it, where a straight line between them meets the
// threshold.
func TestForecastCrossingInterpolates(t *testing.T) {
	res, err := ForecastCrossing(forecastDaily(2, 10*time.Minute, 0), 10*time.Minute, 24*time.Hour, 60, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Crossing == nil {
		t.Fatal("no crossing")
	}
	for i := 1; i < len(res.Forecast); i++ {
		a, b := res.Forecast[i-1], res.Forecast[i]
		if a.V < 60 && b.V >= 60 {
			want := a.T.Add(time.Duration((60 - a.V) / (b.V - a.V) * float64(10*time.Minute)))
			if d := res.Crossing.Sub(want); d < -time.Second || d > time.Second {
				t.Errorf("crossing %s, want %s (between %s at %.2f and %s at %.2f)", res.Crossing, want, a.T, a.V, b.T, b.V)
			}
			if res.Crossing.Equal(a.T) || res.Crossing.Equal(b.T) {
				t.Errorf("crossing %s is on a step, not interpolated", res.Crossing)
			}
			return
		}
	}
	t.Fatal("the forecast never crosses 60 from below")
}

func TestForecastCrossingFillsGaps(t *testing.T) {
	full := forecastDaily(3, 5*time.Minute, 1.5)
	var holey []Sample
	for i, s := range full {
		// Drop 1 sample in 10, and hand them over out of order.
		if i%10 != 3 {
			holey = append([]Sample{s}, holey...)
		}
	}
	a, err := ForecastCrossing(full, 5*time.Minute, 24*time.Hour, 75, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ForecastCrossing(holey, 5*time.Minute, 24*time.Hour, 75, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a.Peak-b.Peak) > 1 || b.Crossing == nil || a.Crossing.Sub(*b.Crossing).Abs() > 15*time.Minute {
		t.Errorf("with 10%% of the samples missing: peak %.1f crossing %v, want close to %.1f %v", b.Peak, b.Crossing, a.Peak, a.Crossing)
	}
}

func TestForecastCrossingErrors(t *testing.T) {
	day := forecastDaily(3, 5*time.Minute, 1)
	sparse := []Sample{day[0], day[len(day)/2], day[len(day)-1]}
	tests := []struct {
		name    string
		samples []Sample
		step    time.Duration
		season  time.Duration
		horizon time.Duration
		wantErr string
	}{
		{name: "a day and a half of a daily season names what is missing", samples: day[:432], step: 5 * time.Minute, season: 24 * time.Hour, horizon: time.Hour,
			wantErr: "forecast needs at least 2 seasons of history (48h0m0s at 5m0s steps, 576 samples); it has 36h0m0s (432 samples): wait 12h0m0s more"},
		{name: "no samples", step: 5 * time.Minute, season: 24 * time.Hour, horizon: time.Hour, wantErr: "forecast has no samples"},
		{name: "mostly gaps", samples: sparse, step: 5 * time.Minute, season: 24 * time.Hour, horizon: time.Hour, wantErr: "too many gaps"},
		{name: "a season that is not a whole number of steps", samples: day, step: 7 * time.Minute, season: 24 * time.Hour, horizon: time.Hour, wantErr: "whole number"},
		{name: "a zero step", samples: day, season: 24 * time.Hour, horizon: time.Hour, wantErr: "positive step"},
		{name: "a zero horizon", samples: day, step: 5 * time.Minute, season: 24 * time.Hour, wantErr: "positive horizon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ForecastCrossing(tt.samples, tt.step, tt.season, 70, tt.horizon)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestForecastFitFindsAPureSeason(t *testing.T) {
	// A noiseless repeating series with no trend is fitted with no trend
	// weight and forecast exactly.
	var s []Sample
	for i := 0; i < 3*24; i++ {
		s = append(s, Sample{T: forecastStart.Add(time.Duration(i) * time.Hour), V: float64(10 + i%24)})
	}
	res, err := ForecastCrossing(s, time.Hour, 24*time.Hour, 33, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error > 1e-9 {
		t.Errorf("held-out error %g%%, want 0 on a noiseless repeating series", res.Error)
	}
	if res.Peak != 33 || !res.PeakTime.Equal(forecastStart.Add(3*24*time.Hour+23*time.Hour)) {
		t.Errorf("peak %g at %s, want 33 at 23:00 on day 4", res.Peak, res.PeakTime)
	}
}

func BenchmarkForecastCrossing3Days5m(b *testing.B) {
	samples := forecastDaily(3, 5*time.Minute, 1.5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ForecastCrossing(samples, 5*time.Minute, 24*time.Hour, 75, 24*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
