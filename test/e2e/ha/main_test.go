// Package ha tests the hub's high availability end to end: two kurator-manager
// replicas elect a leader through the Lease kurator-system/kurator-manager on
// a real local fleet; the leader is killed (SIGKILL) in the middle of a
// propagation and of a failover, and stopped (SIGTERM), and the other replica
// must take over within the lease's timings and finish the work, with no Work
// flipping back to an earlier content and nothing lost.
package ha

import (
	"context"
	"os"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// The election timings of the test: shorter than the defaults (15s/10s/2s,
// which one test measures too), so a crash costs seconds, but with a renew
// deadline that survives a loaded 2-core machine: at 4s/3s/1s a leader
// whose renewals took over 1.5 s for 3 s (the hub busy with a new leader's
// start-up lists) lost the Lease and exited, and then the other did too.
const (
	leaseDuration = 10 * time.Second
	renewDeadline = 8 * time.Second
	retryPeriod   = 1 * time.Second
)

const (
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai"
	frankfurt = "cluster-frankfurt"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

func TestMain(m *testing.M) {
	cfg := localfleet.Config{
		Name:            "e2e-ha",
		NodesPerMember:  2,
		ManagerReplicas: 2,
		ManagerArgs:     timingArgs(leaseDuration, renewDeadline, retryPeriod),
	}
	os.Exit(fleettest.Main(m, cfg, true, &fleet, func(_ context.Context, st *localfleet.State) (func(), error) {
		var err error
		hub, err = fleettest.HubClient(st)
		return func() {}, err
	}))
}

// timingArgs are the manager flags for the given election timings.
func timingArgs(lease, renew, retry time.Duration) []string {
	return []string{
		"--leader-elect-lease-duration=" + lease.String(),
		"--leader-elect-renew-deadline=" + renew.String(),
		"--leader-elect-retry-period=" + retry.String(),
	}
}
