// Package istio tests Istio objects on a real local fleet: the Istio CRDs on
// the hub and the members, seed 001's canary VirtualService propagated
// verbatim, and the loop weights -> simulated traffic -> Prometheus that
// rollout analysis stands on (kurator-trafficgen and a real Prometheus).
package istio

import (
	"os"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// fleet is the running fleet every test of the package uses.
var fleet *localfleet.State

const (
	hangzhou = "cluster-hangzhou"
	shanghai = "cluster-shanghai"
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e-istio",
		Members:        localfleet.DefaultMembers()[:2],
		NodesPerMember: 1,
		Prometheus:     true,
		TrafficGen:     true,
	}, true, &fleet, nil))
}
