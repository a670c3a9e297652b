// Package install installs the hub into a real cluster with `kurator install
// center-manager`: a member of the local fleet plays the management cluster
// (its pods run on kwok nodes). It then runs the kurator-manager binary with
// the installed ServiceAccount's token against it, joins the two other members
// and runs seed 001's nginx through it; the management cluster's audit log
// proves the chart's RBAC sufficient (nothing denied) and minimal (each rule
// alone allows some request the manager made). It installs again with the
// dashboard and runs the kurator dashboard binary as the dashboard's
// ServiceAccount, logged into by a viewer; the audit log judges its RBAC the
// same way. Upgrade, uninstall and bad input follow.
package install

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
	"github.com/kurator-go/kurator/test/fleetup"
)

const (
	// mgmt is the member that plays the management cluster; the others are
	// joined into it.
	mgmt = "cluster-frankfurt"
	// systemNS and saName are the chart's defaults.
	systemNS = "kurator-system"
	saName   = "kurator-manager"
	saUser   = "system:serviceaccount:" + systemNS + ":" + saName
)

var (
	fleet *localfleet.State
	// work holds the audit policy and log, kubeconfigs and the manager.
	work string
	// auditLog is where every member's kube-apiserver writes the requests
	// of the manager's ServiceAccount (only the management cluster has it).
	auditLog string
	// managerBin is kurator-manager built from this tree.
	managerBin string
	// kuratorBin is the kurator CLI built from this tree (its dashboard).
	kuratorBin string
)

// auditPolicy records, at Metadata level, the requests of the manager's and
// the dashboard's ServiceAccounts only.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  users: ["` + saUser + `", "` + dashUser + `"]
- level: None
`

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if work, err = os.MkdirTemp("", "kurator-e2e-install-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := 1
	defer func() {
		// A failed run keeps the audit log and the manager's log.
		if code == 0 {
			os.RemoveAll(work)
		} else {
			fmt.Fprintf(os.Stderr, "kept the audit log and the manager log in %s\n", work)
		}
	}()
	policy := filepath.Join(work, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	auditLog = filepath.Join(work, "audit.log")
	if localfleet.CheckBinaries(localfleet.DefaultBinDir(), "kubectl") == nil {
		if managerBin, err = fleetup.BuildManager(work); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if kuratorBin, err = fleetup.BuildKurator(work); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	cfg := localfleet.Config{
		Name:           "e2e-install",
		Members:        localfleet.DefaultMembers(),
		NodesPerMember: 2,
		MemberAPIServerArgs: []string{
			"--audit-policy-file=" + policy,
			"--audit-log-path=" + auditLog,
			"--audit-log-format=json",
			"--audit-log-maxbackup=1",
			// Pull registration (pull_test.go) logs in with a bootstrap token.
			"--enable-bootstrap-token-auth",
		},
	}
	code = fleettest.Main(m, cfg, false, &fleet, nil)
	return code
}
