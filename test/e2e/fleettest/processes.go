package fleettest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// Kill SIGKILLs one process of the fleet, as in a crash, e.g.
// "cluster-frankfurt/kube-apiserver", and returns the time it was gone.
// The test fails at once when the fleet has no such running process.
//
// When the test ends, whatever it did meanwhile, the fleet is made whole
// for the next test: a process still down is started again (a member's
// kube-apiserver with localfleet.RestartCluster, so its controllers start
// afresh too), then back (may be nil) waits until the rest of the system
// sees it back, e.g. its AttachedCluster Ready again.
func Kill(t *testing.T, fleet *localfleet.State, name string, back func(t *testing.T)) time.Time {
	t.Helper()
	if err := fleet.Kill(name); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	t.Cleanup(func() {
		if err := Restore(fleet, name); err != nil {
			t.Errorf("bring %s back after the test: %v", name, err)
			return
		}
		if back != nil {
			back(t)
		}
	})
	return at
}

// Restore starts the named process again if it is down: a member's
// kube-apiserver together with the member's controllers, anything else
// alone. A running process is left as it is.
func Restore(fleet *localfleet.State, name string) error {
	if fleet.Alive(name) {
		return nil
	}
	ctx := context.Background()
	if cluster, ok := strings.CutSuffix(name, "/kube-apiserver"); ok {
		return fleet.RestartCluster(ctx, cluster, true)
	}
	return fleet.Restart(ctx, name, true)
}
