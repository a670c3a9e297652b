package failover

import (
	"testing"
	"time"
)

func TestAdmissionLetsOneClusterGoPerInterval(t *testing.T) {
	a := newAdmission(0.5) // one cluster every 2 s
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if w := a.wait("fra", now); w != 0 {
		t.Fatalf("first cluster waits %s, want 0", w)
	}
	if w := a.wait("fra", now.Add(time.Second)); w != 0 {
		t.Errorf("an admitted cluster waits %s, want 0", w)
	}
	if w := a.wait("hz", now); w != 2*time.Second {
		t.Errorf("second cluster waits %s, want 2s", w)
	}
	if w := a.wait("hz", now.Add(1500*time.Millisecond)); w != 500*time.Millisecond {
		t.Errorf("second cluster, 1.5 s later, waits %s, want 0.5s (its reservation holds)", w)
	}
	if w := a.wait("hz", now.Add(2*time.Second)); w != 0 {
		t.Errorf("second cluster at its time waits %s, want 0", w)
	}
	a.reset("fra")
	if w := a.wait("fra", now.Add(3*time.Second)); w == 0 {
		t.Error("a recovered cluster's next outage was admitted without a token")
	}
}
