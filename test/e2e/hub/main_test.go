// Package hub tests the whole hub end to end, as a user meets it: a local
// fleet started like `kurator up` (members joined, the seed's Fleet, the real
// kurator-manager binary running on the hub), driven with kubectl.
package hub

import (
	"os"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var fleet *localfleet.State

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-hub", NodesPerMember: 2}, true, &fleet, nil))
}
