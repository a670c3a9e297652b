package main

import (
	"testing"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

func TestDecisions(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ch := func(s float64, w int, p appsv1alpha1.ClusterPhase) change {
		return change{at: at(s), state: state{weight: w, phase: p}}
	}
	const (
		prog  = appsv1alpha1.ClusterProgressing
		promo = appsv1alpha1.ClusterPromoting
		done  = appsv1alpha1.ClusterSucceeded
	)
	for _, tc := range []struct {
		name                string
		changes             []change
		wantSteps           []float64
		wantPromo, wantDone float64 // -1: none
	}{
		{"25, 50, promote, succeed: three steps, promotion 1 s",
			[]change{ch(0, 0, prog), ch(1, 25, prog), ch(11, 50, prog), ch(21, 50, promo), ch(22, 0, done)},
			[]float64{1, 11, 21}, 21, 22},
		{"a message-only change at the same weight is no step",
			[]change{ch(1, 25, prog), ch(2, 25, prog), ch(11, 50, prog)},
			[]float64{1, 11}, -1, -1},
		{"a failed cluster going to weight 0 is no step",
			[]change{ch(1, 25, prog), ch(11, 0, appsv1alpha1.ClusterFailed)},
			[]float64{1}, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps, promoting, succeeded := decisions(tc.changes)
			if len(steps) != len(tc.wantSteps) {
				t.Fatalf("steps %v, want at %v s", steps, tc.wantSteps)
			}
			for i, s := range tc.wantSteps {
				if !steps[i].at.Equal(at(s)) {
					t.Errorf("step %d at %s, want %s", i, steps[i].at, at(s))
				}
			}
			check := func(what string, got time.Time, want float64) {
				if want < 0 && !got.IsZero() || want >= 0 && !got.Equal(at(want)) {
					t.Errorf("%s at %s, want %v s", what, got, want)
				}
			}
			check("promoting", promoting, tc.wantPromo)
			check("succeeded", succeeded, tc.wantDone)
		})
	}
}

func TestPct(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3}
	for _, tc := range []struct {
		name string
		p    int
		want time.Duration
	}{
		{"p50 of 1..5 is 3", 50, 3},
		{"p99 of 1..5 is the max", 99, 5},
		{"p100 is the max", 100, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pct(d, tc.p); got != tc.want {
				t.Errorf("pct(%d) = %d, want %d", tc.p, got, tc.want)
			}
		})
	}
	if got := pct(nil, 50); got != 0 {
		t.Errorf("pct of none = %d, want 0", got)
	}
}
