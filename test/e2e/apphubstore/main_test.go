// Package apphubstore tests AppHub's store (internal/apphub) against a
// real hub: versions pushed into immutable, content-addressed ConfigMaps
// and AppVersions, read back with their digest checked, listed oldest
// first, refused when a version changes; and it measures what a version
// costs in the hub's etcd.
//
// Only the hub's kube-apiserver takes part: the fleet is the smallest the
// local fleet starts (one member with one node, unused) and no controller
// runs.
package apphubstore

import (
	"os"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var fleet *localfleet.State

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e-apphubstore",
		Members:        localfleet.DefaultMembers()[:1],
		NodesPerMember: 1,
	}, false, &fleet, nil))
}
