package cluster

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := Thresholds{Failure: 30 * time.Second, Success: 20 * time.Second}
	const (
		T = metav1.ConditionTrue
		F = metav1.ConditionFalse
		U = metav1.ConditionUnknown
	)
	tests := []struct {
		name        string
		recorded    metav1.ConditionStatus
		p           pending
		obs         metav1.ConditionStatus
		at          time.Duration
		wantRecord  bool
		wantPending pending
	}{
		{name: "first observation False is recorded at once", recorded: "", obs: F, wantRecord: true},
		{name: "first observation True is recorded at once", recorded: "", obs: T, wantRecord: true},
		{name: "same status is recorded and clears pending", recorded: T, p: pending{F, t0}, obs: T, at: 5 * time.Second, wantRecord: true},
		{name: "first failure starts the clock", recorded: T, obs: F, at: 3 * time.Second, wantPending: pending{F, t0.Add(3 * time.Second)}},
		{name: "failure for 29s is held back", recorded: T, p: pending{F, t0}, obs: F, at: 29 * time.Second, wantPending: pending{F, t0}},
		{name: "failure for 30s is recorded", recorded: T, p: pending{F, t0}, obs: F, at: 30 * time.Second, wantRecord: true},
		{name: "success uses the success threshold: 19s held", recorded: F, p: pending{T, t0}, obs: T, at: 19 * time.Second, wantPending: pending{T, t0}},
		{name: "success uses the success threshold: 20s recorded", recorded: F, p: pending{T, t0}, obs: T, at: 20 * time.Second, wantRecord: true},
		{name: "False to Unknown restarts the clock", recorded: T, p: pending{F, t0}, obs: U, at: 40 * time.Second, wantPending: pending{U, t0.Add(40 * time.Second)}},
		{name: "Unknown recorded, False observed waits the failure threshold", recorded: U, p: pending{F, t0}, obs: F, at: 30 * time.Second, wantRecord: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, p := decide(tt.recorded, tt.p, Observation{Status: tt.obs}, t0.Add(tt.at), th)
			if rec != tt.wantRecord || p != tt.wantPending {
				t.Errorf("decide = %v, %+v; want %v, %+v", rec, p, tt.wantRecord, tt.wantPending)
			}
		})
	}
}

func TestDecideZeroThresholdFlipsAtOnce(t *testing.T) {
	rec, _ := decide(metav1.ConditionTrue, pending{}, Observation{Status: metav1.ConditionFalse}, time.Now(), Thresholds{})
	if !rec {
		t.Error("zero threshold held the change back")
	}
}
