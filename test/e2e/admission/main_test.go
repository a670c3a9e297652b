// Package admission sends objects of our API groups to a real hub with
// `kubectl apply --dry-run=server` and checks the hub's verdict: every
// invalid object of the shared admission table
// (config/crd/validation/admissioncases) is refused with a message naming
// the field and the fix, every valid one, the seed documents and the
// examples are accepted, and the offline check `kurator plan` runs
// (config/crd/validation) agrees on each.
//
// Nothing but the hub's kube-apiserver and its CRDs takes part: the fleet
// is the smallest the local fleet starts (one member with one node; it has
// no role here) and no controller runs.
package admission

import (
	"os"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// fleet is the running fleet; only its hub is used. localfleet.Up installs
// the CRDs and creates kurator-system, the namespace of the seed documents'
// AttachedCluster and Fleet, so a dry run judges their content.
var fleet *localfleet.State

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e-admission",
		Members:        localfleet.DefaultMembers()[:1],
		NodesPerMember: 1,
	}, false, &fleet, nil))
}
