package analysis

import (
	"errors"
	"math"
	"testing"
)

func TestJudge(t *testing.T) {
	rate := Metric{Name: RequestSuccessRate, Min: ptr(99)}
	dur := Metric{Name: RequestDuration, Max: ptr(500)}
	both := Metric{Name: "ratio", Min: ptr(0.5), Max: ptr(1)}
	bare := Metric{Name: "custom", Query: "vector(0)"}
	cases := []struct {
		name        string
		m           Metric
		cluster     string
		r           Result
		warm        bool
		wantReason  string
		wantFailed  bool
		wantMessage string
		wantValue   *float64
	}{
		{name: "80% success is below min 99 and names the cluster", m: rate, cluster: "cluster-hangzhou",
			r: Result{Value: 80, Found: true}, warm: true, wantReason: ReasonBelowMin, wantFailed: true,
			wantMessage: "request-success-rate 80.00 < min 99 in cluster-hangzhou", wantValue: ptr(80)},
		{name: "99% success passes (min is inclusive)", m: rate, cluster: "cluster-shanghai",
			r: Result{Value: 99, Found: true}, warm: true, wantReason: ReasonPassed,
			wantMessage: "request-success-rate 99.00 >= min 99 in cluster-shanghai", wantValue: ptr(99)},
		{name: "p99 612ms is above max 500", m: dur, r: Result{Value: 612.4, Found: true}, warm: true,
			wantReason: ReasonAboveMax, wantFailed: true, wantMessage: "request-duration 612.40 > max 500", wantValue: ptr(612.4)},
		{name: "p99 500ms passes (max is inclusive)", m: dur, r: Result{Value: 500, Found: true}, warm: true,
			wantReason: ReasonPassed, wantMessage: "request-duration 500.00 <= max 500", wantValue: ptr(500)},
		{name: "a value within both bounds passes", m: both, r: Result{Value: 0.75, Found: true}, warm: true,
			wantReason: ReasonPassed, wantMessage: "ratio 0.75 within [0.5, 1]", wantValue: ptr(0.75)},
		{name: "warm-up does not excuse a breach", m: rate, r: Result{Value: 10, Found: true}, warm: false,
			wantReason: ReasonBelowMin, wantFailed: true, wantMessage: "request-success-rate 10.00 < min 99", wantValue: ptr(10)},
		{name: "no range passes on any value once data exists", m: bare, r: Result{Value: -3, Found: true}, warm: true,
			wantReason: ReasonPassed, wantMessage: "custom -3.00", wantValue: ptr(-3)},
		{name: "an empty answer after warm-up is a failed check, not a pass", m: bare, cluster: "c1",
			r: Result{Found: false}, warm: true, wantReason: ReasonNoData, wantFailed: true,
			wantMessage: "custom in c1: no data (does the target receive traffic, and does the query match its series?)"},
		{name: "NaN after warm-up is no data", m: rate, r: Result{Value: math.NaN(), Found: true}, warm: true,
			wantReason: ReasonNoData, wantFailed: true,
			wantMessage: "request-success-rate: no data (does the target receive traffic, and does the query match its series?)"},
		{name: "an empty answer during warm-up is WarmingUp, neither pass nor failure", m: rate, cluster: "c1",
			r: Result{}, warm: false, wantReason: ReasonWarmingUp,
			wantMessage: "request-success-rate in c1: no data yet (warming up; not counted)"},
		{name: "NaN during warm-up is WarmingUp", m: dur, r: Result{Value: math.NaN(), Found: true}, warm: false,
			wantReason: ReasonWarmingUp, wantMessage: "request-duration: no data yet (warming up; not counted)"},
		{name: "a query error is a failed check even during warm-up", m: rate, cluster: "c1",
			r: Result{Value: 100, Found: true, Err: errors.New("bad_data: parse error")}, warm: false,
			wantReason: ReasonQueryFailed, wantFailed: true,
			wantMessage: "request-success-rate in c1: query failed: bad_data: parse error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Judge(c.m, c.cluster, c.r, c.warm)
			if v.Reason != c.wantReason {
				t.Errorf("Reason = %s, want %s", v.Reason, c.wantReason)
			}
			if v.Passed != (c.wantReason == ReasonPassed) {
				t.Errorf("Passed = %v for reason %s", v.Passed, v.Reason)
			}
			if v.Failed() != c.wantFailed {
				t.Errorf("Failed() = %v, want %v", v.Failed(), c.wantFailed)
			}
			if v.Message != c.wantMessage {
				t.Errorf("Message = %q, want %q", v.Message, c.wantMessage)
			}
			switch {
			case c.wantValue == nil && v.Value != nil:
				t.Errorf("Value = %v, want nil", *v.Value)
			case c.wantValue != nil && (v.Value == nil || *v.Value != *c.wantValue):
				t.Errorf("Value = %v, want %v", v.Value, *c.wantValue)
			}
		})
	}
}
