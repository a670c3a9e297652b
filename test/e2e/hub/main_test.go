// Package hub tests the whole hub end to end, as a user meets it: a local
// fleet started like `kurator up` (members joined, the seed's Fleet, the real
// kurator-manager binary running on the hub), driven with kubectl.
package hub

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kurator-go/kurator/internal/localfleet"
)

var fleet *localfleet.State

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kurator-e2e-hub-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	manager := filepath.Join(dir, "kurator-manager")
	build := exec.Command("go", "build", "-o", manager, "github.com/kurator-go/kurator/cmd/kurator-manager")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build kurator-manager: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fleet, err = localfleet.Up(ctx, localfleet.Config{
		Name:           "e2e-hub",
		NodesPerMember: 2,
		StateDir:       filepath.Join(dir, "fleet"),
		ManagerBinary:  manager,
		StopWithParent: true,
	}, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start local fleet: %v\n", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		if p, ok := fleet.Process(localfleet.HubName + "/kurator-manager"); ok {
			fmt.Fprintf(os.Stderr, "--- kurator-manager log (%s), last lines ---\n", p.Log)
			tailFile(p.Log, 60)
		}
	}
	if err := localfleet.Down(fleet.StateDir, false, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "stop local fleet: %v\n", err)
		return 1
	}
	return code
}

func tailFile(path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for _, l := range lines {
		fmt.Fprintln(os.Stderr, l)
	}
}
