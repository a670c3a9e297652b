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

// The election timings of the test: short, so a crash costs seconds. One
// test measures the defaults (15s/10s/2s) too.
const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
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
