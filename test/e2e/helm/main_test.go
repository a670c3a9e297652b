// Package helm installs, upgrades and uninstalls a chart in the hub with
// the real Helm 4 (built from source by hack/helm/build.sh) and its --wait,
// which judges readiness with kstatus as Flux does: the hub's aggregated
// status must read as rolled out exactly when every member cluster is.
package helm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// helmVersion is the Helm hack/helm pins.
const helmVersion = "v4.3.1"

var (
	fleet *localfleet.State
	// helmBin is the Helm 4 binary; helmHome holds its config, cache and
	// data for this run only.
	helmBin, helmHome string
	members           = localfleet.DefaultMembers()[:2]
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// Without the fleet's binaries fleettest.Main skips (or fails in CI);
	// building Helm first would be wasted then.
	if localfleet.CheckBinaries(localfleet.DefaultBinDir(), "kubectl") == nil {
		var err error
		if helmBin, err = ensureHelm(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if helmHome, err = os.MkdirTemp("", "kurator-e2e-helm-home-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(helmHome)
	}
	return fleettest.Main(m, localfleet.Config{Name: "e2e-helm", Members: members, NodesPerMember: 1}, true, &fleet, nil)
}

// ensureHelm returns the cached Helm binary, building it once with
// hack/helm/build.sh (about two minutes cold). KURATOR_HELM_BIN names
// another directory.
func ensureHelm() (string, error) {
	dir := os.Getenv("KURATOR_HELM_BIN")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".cache", "kurator", "helm-"+helmVersion, "bin")
	}
	bin := filepath.Join(dir, "helm")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("bash", "../../../hack/helm/build.sh", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build Helm %s with hack/helm/build.sh: %w (run `make helm` to see why)", helmVersion, err)
	}
	return bin, nil
}
