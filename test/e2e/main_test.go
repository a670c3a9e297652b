// Package e2e runs end-to-end tests against a real local fleet: real
// kube-apiservers, controller-managers, schedulers and kwok nodes started by
// internal/localfleet. One fleet serves the whole package.
package e2e

import (
	"os"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// fleet is the running fleet every test of the package uses.
var fleet *localfleet.State

// members of the test fleet: two, as the issue asks, with the seed's names.
var members = []string{"cluster-hangzhou", "cluster-shanghai"}

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e",
		Members:        localfleet.DefaultMembers()[:2],
		NodesPerMember: 2,
	}, false, &fleet, nil))
}
