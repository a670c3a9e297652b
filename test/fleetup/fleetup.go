// Package fleetup starts a local fleet with the kurator-manager built from
// this tree, for the e2e tests and the benchmark commands.
package fleetup

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// BuildManager builds cmd/kurator-manager into dir and returns its path.
func BuildManager(dir string) (string, error) {
	bin := filepath.Join(dir, "kurator-manager")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kurator-go/kurator/cmd/kurator-manager").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kurator-manager: %v\n%s", err, out)
	}
	return bin, nil
}

// BuildKurator builds the kurator CLI (with the dashboard's embedded web
// assets as they are in web/dist) into dir and returns its path.
func BuildKurator(dir string) (string, error) {
	bin := filepath.Join(dir, "kurator")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kurator-go/kurator/cmd/kurator").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kurator: %v\n%s", err, out)
	}
	return bin, nil
}

// Start builds the manager and starts a fleet from cfg (its StateDir and
// ManagerBinary are set here) in a temporary directory, tied to this
// process. stop stops the fleet and removes the directory.
func Start(ctx context.Context, cfg localfleet.Config, progress io.Writer) (st *localfleet.State, stop func(), err error) {
	dir, err := os.MkdirTemp("", "kurator-"+cfg.Name+"-")
	if err != nil {
		return nil, nil, err
	}
	if cfg.ManagerBinary, err = BuildManager(dir); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	cfg.StateDir, cfg.StopWithParent = filepath.Join(dir, "fleet"), true
	if st, err = localfleet.Up(ctx, cfg, progress); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return st, func() {
		localfleet.Down(st.StateDir, false, progress)
		os.RemoveAll(dir)
	}, nil
}
