// Package resilience tests that one bad object never stops the hub: with a
// Fleet that claims a cluster another Fleet holds and a Fleet whose
// preferred term does not parse, the real kurator-manager reports both on
// the Fleets, and workloads elsewhere still schedule and still fail over.
package resilience

import (
	"context"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-resilience", NodesPerMember: 1}, true, &fleet,
		func(_ context.Context, st *localfleet.State) (func(), error) {
			var err error
			hub, err = fleettest.HubClient(st)
			return func() {}, err
		}))
}
