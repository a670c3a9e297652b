// Package e2e runs end-to-end tests against a real local fleet: real
// kube-apiservers, controller-managers, schedulers and kwok nodes started by
// internal/localfleet. One fleet serves the whole package.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// fleet is the running fleet every test of the package uses.
var fleet *localfleet.State

// members of the test fleet: two, as the issue asks, with the seed's names.
var members = []string{"cluster-hangzhou", "cluster-shanghai"}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kurator-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cfg := localfleet.Config{
		Name:           "e2e",
		Members:        localfleet.DefaultMembers()[:2],
		NodesPerMember: 2,
		StateDir:       dir,
		StopWithParent: true,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fleet, err = localfleet.Up(ctx, cfg, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start local fleet: %v\n", err)
		return 1
	}
	code := m.Run()
	if err := localfleet.Down(fleet.StateDir, false, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "stop local fleet: %v\n", err)
		return 1
	}
	return code
}
