// Package fleettest runs e2e test packages against a real local fleet: it
// starts the fleet before the package's tests and stops it after, and holds
// the helpers every such package needs (polling, kubectl, clients).
package fleettest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/cmd/kurator/app"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/fleetup"
)

// Main starts a fleet from cfg (in a temporary state dir), calls setup, runs
// the tests, and stops everything. It returns the exit code for os.Exit. With
// withManager, the kurator-manager binary is built and started on the hub as
// `kurator up` does. setup may be nil; its stop func runs after the tests.
func Main(m *testing.M, cfg localfleet.Config, withManager bool, fleet **localfleet.State, setup func(context.Context, *localfleet.State) (stop func(), err error)) int {
	dir, err := os.MkdirTemp("", "kurator-"+cfg.Name+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := 1
	// A failed package keeps its fleet's state (logs of every process) for a
	// post-mortem; the processes are stopped either way.
	defer func() {
		if code == 0 {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintf(os.Stderr, "kept the fleet's state and logs in %s\n", dir)
		}
	}()
	if withManager {
		if cfg.ManagerBinary, err = fleetup.BuildManager(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	cfg.StateDir = filepath.Join(dir, "fleet")
	cfg.StopWithParent = true
	upCtx, cancelUp := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelUp()
	st, err := localfleet.Up(upCtx, cfg, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start local fleet: %v\n", err)
		return 1
	}
	*fleet = st
	defer func() {
		if err := localfleet.Down((*fleet).StateDir, code != 0, os.Stderr); err != nil {
			fmt.Fprintf(os.Stderr, "stop local fleet: %v\n", err)
		}
	}()
	// What setup starts (controllers under test) lives until the tests end.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := func() {}
	if setup != nil {
		if stop, err = setup(ctx, st); err != nil {
			fmt.Fprintf(os.Stderr, "set up the hub: %v\n", err)
			return 1
		}
	}
	code = m.Run()
	stop()
	if p, ok := (*fleet).Process(localfleet.HubName + "/kurator-manager"); ok && code != 0 {
		fmt.Fprintf(os.Stderr, "--- last lines of the kurator-manager log %s ---\n%s\n", p.Log, lastLines(p.Log, 60))
	}
	return code
}

func lastLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Eventually polls cond until it returns nil, and fails the test with cond's
// last error when timeout passes first.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		// Short: some tests report latencies measured with this loop.
		time.Sleep(20 * time.Millisecond)
	}
}

// Kubectl runs the fleet's pinned kubectl against its kubeconfig, with stdin
// when not empty, and fails the test when kubectl fails.
func Kubectl(t testing.TB, fleet *localfleet.State, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(localfleet.DefaultBinDir(), "kubectl"), append([]string{"--kubeconfig", fleet.Kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Client returns a client for one cluster of the fleet (HubName for the hub).
func Client(t testing.TB, fleet *localfleet.State, cluster string) kubernetes.Interface {
	t.Helper()
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(rc)
}

// Kurator runs the kurator CLI in-process against the fleet's kubeconfig and
// returns what it printed; the test fails when the command fails.
func Kurator(t *testing.T, fleet *localfleet.State, args ...string) string {
	t.Helper()
	t.Setenv("KUBECONFIG", fleet.Kubeconfig)
	var out bytes.Buffer
	root := app.NewRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	if err := root.Execute(); err != nil {
		t.Fatalf("kurator %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// RunManager starts a controller-runtime manager against the hub at cfg
// with the API scheme and no metrics or health endpoints (opts may add
// more, e.g. client cache options), registers the controllers under test
// with register, and runs it until the returned stop is called.
func RunManager(cfg *rest.Config, opts ctrl.Options, register func(ctrl.Manager) error) (stop func(), err error) {
	opts.Scheme = scheme.Scheme
	opts.Metrics = metricsserver.Options{BindAddress: "0"}
	opts.HealthProbeBindAddress = "0"
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := register(mgr); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "manager: %v\n", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}
