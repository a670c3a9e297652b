// Package clusterprofile checks, on a real two-member local fleet with the
// kurator-manager binary, that the hub publishes every member as a
// SIG-Multicluster ClusterProfile the way a consumer (Kueue's MultiKueue,
// Argo CD, multicluster-runtime) reads it: selected by the
// x-k8s.io/cluster-manager=kurator label, ControlPlaneHealthy following the
// member's API server, its Kubernetes version, and the member's
// about.k8s.io ClusterProperties among the properties.
package clusterprofile

import (
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet   *localfleet.State
	members = localfleet.DefaultMembers()[:2]
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-clusterprofile", Members: members, NodesPerMember: 1}, true, &fleet, nil))
}

func hubClient(t *testing.T) client.Client {
	t.Helper()
	c, err := fleettest.HubClient(fleet)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
