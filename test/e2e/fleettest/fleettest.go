// Package fleettest runs e2e test packages against a real local fleet: it
// starts the fleet before the package's tests and stops it after, and holds
// the helpers every such package needs (polling, kubectl, clients).
package fleettest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/cmd/kurator/app"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/prometheus"
	"github.com/kurator-go/kurator/test/fleetup"
)

// BuiltKurator, as Config.DashboardBinary, has Main build the kurator CLI
// from this tree and start the dashboard with it, as `kurator up` does.
const BuiltKurator = "<built by fleettest>"

// Main starts a fleet from cfg (in a temporary state dir), calls setup, runs
// the tests, and stops everything. It returns the exit code for os.Exit. With
// withManager, the kurator-manager binary is built and started on the hub as
// `kurator up` does. setup may be nil; its stop func runs after the tests.
//
// With cfg.TrafficGen and no TrafficGenBinary, the traffic generator is
// built from this tree too; with cfg.Prometheus the fleet's Prometheus runs
// (st.PrometheusURL), and a missing prometheus binary is handled like a
// missing Kubernetes binary.
//
// Without the pinned Kubernetes binaries the package's tests are skipped
// with a message saying how to build them, unless CI=true or
// KURATOR_K8S_BIN is set: then a missing binary fails the package. Fleets
// take turns for a machine-wide slot (see KURATOR_E2E_FLEETS) before they
// start.
func Main(m *testing.M, cfg localfleet.Config, withManager bool, fleet **localfleet.State, setup func(context.Context, *localfleet.State) (stop func(), err error)) int {
	flag.Parse() // m.Run would; the timeout and the skip need the flags first
	// The fleet's clients log nothing a test reads; without a logger
	// controller-runtime prints a stack trace 30 s into the run.
	ctrl.SetLogger(logr.Discard())
	if err := localfleet.CheckBinaries(localfleet.DefaultBinDir(), "kubectl"); err != nil {
		return withoutBinaries(m, err)
	}
	release, err := acquireSlot(cfg.Name, slotWait(), os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer release()
	dir, err := os.MkdirTemp("", "kurator-"+cfg.Name+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := 1
	// A failed package keeps its fleet's state (logs of every process) for a
	// post-mortem, and so does any with KURATOR_E2E_KEEP=1; the processes are
	// stopped either way.
	keep, _ := strconv.ParseBool(os.Getenv("KURATOR_E2E_KEEP"))
	defer func() {
		if code == 0 && !keep {
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
	if cfg.TrafficGen && cfg.TrafficGenBinary == "" {
		if cfg.TrafficGenBinary, err = buildTrafficGen(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if cfg.Prometheus {
		if _, err := prometheus.FindBinary(cfg.PrometheusBinary); err != nil {
			return withoutBinaries(m, err)
		}
	}
	if cfg.DashboardBinary == BuiltKurator {
		if cfg.DashboardBinary, err = fleetup.BuildKurator(dir); err != nil {
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
		if err := localfleet.Down((*fleet).StateDir, code != 0 || keep, os.Stderr); err != nil {
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
	for _, name := range []string{"kurator-manager", "dashboard", "trafficgen", "prometheus"} {
		if p, ok := (*fleet).Process(localfleet.HubName + "/" + name); ok && code != 0 {
			fmt.Fprintf(os.Stderr, "--- last lines of the %s log %s ---\n%s\n", name, p.Log, lastLines(p.Log, 60))
		}
	}
	return code
}

// buildTrafficGen builds cmd/kurator-trafficgen into dir, for a fleet with
// Config.TrafficGen and no binary given.
func buildTrafficGen(dir string) (string, error) {
	bin := filepath.Join(dir, "kurator-trafficgen")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kurator-go/kurator/cmd/kurator-trafficgen").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kurator-trafficgen: %v\n%s", err, out)
	}
	return bin, nil
}

// withoutBinaries handles a machine without the pinned Kubernetes
// binaries: in CI (CI=true) or when KURATOR_K8S_BIN names a directory on
// purpose, the package fails; otherwise every test and benchmark is
// skipped (go test prints "[no tests to run]", -v shows why).
func withoutBinaries(m *testing.M, missing error) int {
	strict, _ := strconv.ParseBool(os.Getenv("CI"))
	if os.Getenv("KURATOR_K8S_BIN") != "" {
		strict = true
	}
	if strict {
		fmt.Fprintf(os.Stderr, "FAIL: %v\nThis package's tests start a local fleet; CI=true or KURATOR_K8S_BIN makes a missing binary a failure.\n", missing)
		return 1
	}
	fmt.Fprintf(os.Stderr, "SKIP: this package's tests start a local fleet: %v\n", missing)
	for _, name := range []string{"test.run", "test.bench"} {
		// An empty -test.bench already runs no benchmark, and leaving it
		// empty keeps go test's "[no tests to run]" note.
		if f := flag.Lookup(name); f == nil || (name == "test.bench" && f.Value.String() == "") {
			continue
		}
		if err := flag.Set(name, "^$"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
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
	return func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "manager: still stopping 30s after it was told to; going on without it")
		}
	}, nil
}

// HubClient is an uncached client of the fleet's hub with Kurator's scheme.
func HubClient(fleet *localfleet.State) (client.Client, error) {
	rc, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		return nil, err
	}
	return client.New(rc, client.Options{Scheme: scheme.Scheme})
}
