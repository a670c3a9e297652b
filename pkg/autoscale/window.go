package autoscale

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sample is one value of a utilisation series, in percent.
type Sample struct {
	T time.Time
	V float64
}

// Verdict is how a window of samples compares with the thresholds.
type Verdict string

const (
	// Above: the window is covered and every sample is above the threshold.
	Above Verdict = "Above"
	// Below: the window is covered and every sample is below the scale-in
	// threshold.
	Below Verdict = "Below"
	// Mixed: the window is covered but neither holds (the metric crossed a
	// threshold, or stayed between the two): no action.
	Mixed Verdict = "Mixed"
	// NoData: the samples do not cover the window: no action.
	NoData Verdict = "NoData"
)

// Window is what a resource trigger judges: the thresholds, how long the
// metric must hold, and the spacing of the samples (the range query's step).
type Window struct {
	Threshold, ScaleInThreshold float64
	Duration, Step              time.Duration
}

// WindowResult is the verdict on one cluster's samples with the figures
// behind it. Last, Min and Max are over the samples inside the window (0
// without any).
type WindowResult struct {
	Verdict        Verdict
	Last, Min, Max float64
	Samples        int
	Message        string
}

// Judge decides whether samples held above (or below) the thresholds over
// the whole window [now-Duration, now], not just at one sample.
//
// The window is covered when its samples (those with a time inside it and a
// value that is not NaN) start within 2*Step of the window's start, end
// within 2*Step of now, and have no gap longer than 2*Step: one missed scrape
// or step is tolerated, a longer hole is not, because the metric could have
// dipped in it. An uncovered window is NoData whatever the values. A zero
// Step means Duration/10.
//
// Covered, the verdict is Above when every sample is above Threshold, Below
// when every sample is below ScaleInThreshold, else Mixed (a flapping
// metric): only Above and Below lead to action.
func Judge(w Window, samples []Sample, now time.Time) WindowResult {
	if w.Duration <= 0 {
		return WindowResult{Verdict: NoData, Message: "the window has no duration; give trigger.duration"}
	}
	step := w.Step
	if step <= 0 {
		step = w.Duration / 10
	}
	tolerance := 2 * step
	start := now.Add(-w.Duration)

	in := windowSamples(samples, start, now)
	r := WindowResult{Samples: len(in)}
	if len(in) == 0 {
		r.Verdict = NoData
		r.Message = fmt.Sprintf("no samples in the last %s; %s", formatDuration(w.Duration), scrapeHint)
		return r
	}
	r.Last = in[len(in)-1].V
	r.Min, r.Max = in[0].V, in[0].V
	var gap time.Duration
	var gapAt time.Time
	for i, s := range in {
		r.Min = math.Min(r.Min, s.V)
		r.Max = math.Max(r.Max, s.V)
		if i > 0 {
			if d := s.T.Sub(in[i-1].T); d > gap {
				gap, gapAt = d, in[i-1].T
			}
		}
	}
	first, last := in[0].T, in[len(in)-1].T
	switch {
	case first.Sub(start) > tolerance:
		r.Verdict = NoData
		r.Message = fmt.Sprintf("%d samples over %s, need %s of data; %s",
			len(in), formatDuration(last.Sub(first)), formatDuration(w.Duration), scrapeHint)
		return r
	case gap > tolerance:
		r.Verdict = NoData
		r.Message = fmt.Sprintf("no samples for %s after %s (at most %s between samples); %s",
			formatDuration(gap), gapAt.UTC().Format(time.RFC3339), formatDuration(tolerance), scrapeHint)
		return r
	case now.Sub(last) > tolerance:
		r.Verdict = NoData
		r.Message = fmt.Sprintf("the latest sample is %s old (at most %s); %s",
			formatDuration(now.Sub(last)), formatDuration(tolerance), scrapeHint)
		return r
	}

	span := formatDuration(w.Duration)
	switch {
	case r.Min > w.Threshold:
		r.Verdict = Above
		r.Message = fmt.Sprintf("above %s%% for the whole %s (min %s, last %s, %d samples)",
			formatNumber(w.Threshold), span, percent(r.Min), percent(r.Last), r.Samples)
	case r.Max < w.ScaleInThreshold:
		r.Verdict = Below
		r.Message = fmt.Sprintf("below %s%% for the whole %s (max %s, last %s, %d samples)",
			formatNumber(w.ScaleInThreshold), span, percent(r.Max), percent(r.Last), r.Samples)
	default:
		r.Verdict = Mixed
		r.Message = fmt.Sprintf("between %s and %s over %s: not above %s%% for all of it, not below %s%% either, so no action (last %s)",
			percent(r.Min), percent(r.Max), span, formatNumber(w.Threshold), formatNumber(w.ScaleInThreshold), percent(r.Last))
	}
	return r
}

const scrapeHint = "is Prometheus scraping this cluster's usage metrics (kwok's or the kubelets' /metrics/resource), and do the pods exist?"

// windowSamples returns the samples with a time in [start, end] and a value
// that is a number, in time order. Prometheus returns them sorted; other
// sources are sorted on a copy.
func windowSamples(samples []Sample, start, end time.Time) []Sample {
	byTime := func(a, b Sample) int { return a.T.Compare(b.T) }
	if !slices.IsSortedFunc(samples, byTime) {
		samples = slices.Clone(samples)
		slices.SortStableFunc(samples, byTime)
	}
	lo := sort.Search(len(samples), func(i int) bool { return !samples[i].T.Before(start) })
	hi := sort.Search(len(samples), func(i int) bool { return samples[i].T.After(end) })
	if lo >= hi {
		return nil
	}
	in := samples[lo:hi]
	for _, s := range in {
		if math.IsNaN(s.V) || math.IsInf(s.V, 0) {
			return numbersOnly(in)
		}
	}
	return in
}

func numbersOnly(in []Sample) []Sample {
	out := make([]Sample, 0, len(in))
	for _, s := range in {
		if !math.IsNaN(s.V) && !math.IsInf(s.V, 0) {
			out = append(out, s)
		}
	}
	return out
}

// percent formats a utilisation for messages: "81.2%".
func percent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// formatNumber formats a threshold without trailing zeros: 70, 62.5.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// formatDuration writes a duration as people write it in YAML: 5m, 1h30m,
// 15s, 1.5s (not 5m0s).
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
