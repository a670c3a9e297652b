package analysis

import (
	"fmt"
	"math"
)

// Result is what one query answered.
type Result struct {
	// Value is the answer; NaN counts as no data (0/0 of a rate without
	// requests, histogram_quantile without samples).
	Value float64
	// Found is false when the answer was empty (no series matched).
	Found bool
	// Err is set when the query could not run (Prometheus unreachable, bad
	// PromQL, timeout). Value and Found are then meaningless.
	Err error
	// Warnings are Prometheus's warnings for the query; they do not change
	// the verdict.
	Warnings []string
}

// Reasons of a Verdict, machine-readable (for status conditions).
const (
	ReasonPassed      = "Passed"
	ReasonBelowMin    = "BelowMin"
	ReasonAboveMax    = "AboveMax"
	ReasonNoData      = "NoData"
	ReasonQueryFailed = "QueryFailed"
	ReasonWarmingUp   = "WarmingUp"
)

// Verdict is the judgement of one metric in one cluster at one check.
type Verdict struct {
	// Passed is true only for ReasonPassed.
	Passed bool
	// Reason is one of the Reason* constants.
	Reason string
	// Message says it for a person: "request-success-rate 80.00 < min 99
	// in cluster-hangzhou".
	Message string
	// Value is the value judged; nil without data or when the query failed.
	Value *float64
}

// Failed reports whether the verdict counts as a failed check. A WarmingUp
// verdict is neither a pass nor a failure: the caller neither counts it
// against checkFailedTimes nor lets it advance the rollout (it holds the
// step and checks again next interval).
func (v Verdict) Failed() bool {
	return !v.Passed && v.Reason != ReasonWarmingUp
}

// Judge decides one check of metric m in cluster (may be empty) from the
// query's result r.
//
//   - A query that failed is a failed check (QueryFailed), during warm-up
//     too: waiting does not fix a bad query, and an unreachable Prometheus
//     must not let a rollout advance.
//   - No data (empty answer or NaN) is WarmingUp until warmupDone, then a
//     failed check (NoData). It is never a pass.
//   - Otherwise the value fails when below Min or above Max (both
//     inclusive bounds). A metric without Min and Max passes on any value:
//     it only asserts that data exists.
func Judge(m Metric, cluster string, r Result, warmupDone bool) Verdict {
	where := ""
	if cluster != "" {
		where = " in " + cluster
	}
	if r.Err != nil {
		return Verdict{Reason: ReasonQueryFailed,
			Message: fmt.Sprintf("%s%s: query failed: %v", m.Name, where, r.Err)}
	}
	if !r.Found || math.IsNaN(r.Value) {
		if !warmupDone {
			return Verdict{Reason: ReasonWarmingUp,
				Message: fmt.Sprintf("%s%s: no data yet (warming up; not counted)", m.Name, where)}
		}
		return Verdict{Reason: ReasonNoData,
			Message: fmt.Sprintf("%s%s: no data (does the target receive traffic, and does the query match its series?)", m.Name, where)}
	}
	value := r.Value
	if m.Min != nil && value < *m.Min {
		return Verdict{Reason: ReasonBelowMin, Value: &value,
			Message: fmt.Sprintf("%s %.2f < min %s%s", m.Name, value, formatFloat(*m.Min), where)}
	}
	if m.Max != nil && value > *m.Max {
		return Verdict{Reason: ReasonAboveMax, Value: &value,
			Message: fmt.Sprintf("%s %.2f > max %s%s", m.Name, value, formatFloat(*m.Max), where)}
	}
	return Verdict{Passed: true, Reason: ReasonPassed, Value: &value,
		Message: fmt.Sprintf("%s %.2f%s%s", m.Name, value, rangeText(m), where)}
}

// rangeText is " within [99, 100]", " >= 99", " <= 500" or "".
func rangeText(m Metric) string {
	switch {
	case m.Min != nil && m.Max != nil:
		return fmt.Sprintf(" within [%s, %s]", formatFloat(*m.Min), formatFloat(*m.Max))
	case m.Min != nil:
		return " >= min " + formatFloat(*m.Min)
	case m.Max != nil:
		return " <= max " + formatFloat(*m.Max)
	}
	return ""
}
