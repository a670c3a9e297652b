// Package fleethpa tests the fleet-wide HPA end to end on a real local
// fleet with Prometheus: seed 001's autoscaling/v2 HPA cost-aware-hpa on
// the Deployment cost-sensitive-app, divided 80/20 by the seed's
// PropagationPolicy cost-optimization between spot-cluster and
// ondemand-cluster, is evaluated on the hub over both members' pods (their
// cpu emulated by kwok and scraped by Prometheus): high usage grows the
// template and the split stays 80/20; low usage shrinks it no faster than
// the seed's scale-down policy. A Karmada FederatedHPA on a Duplicated
// workload is calibrated to the template; CronFederatedHPAs fire once per
// schedule time and keep their history.
//
// Time runs 10 times faster for the HPA algorithm (the manager's
// --scale-time-divisor=10): the 15 s sync takes 1.5 s, the 5-minute
// scale-down window 30 s, the seed's 60 s policy periods 6 s. Cron
// schedules are not divided.
//
// The fleet HPA controllers run in the kurator-manager when it registers
// them, otherwise in this test process against the hub.
package fleethpa

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kurator-go/kurator/internal/controller/fleethpa"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
	// kube are clients of the hub and the members, by name.
	kube = map[string]kubernetes.Interface{}
	// inProcess is true when this process runs the fleet HPA controllers
	// (the manager does not).
	inProcess bool
)

// divisor is the time divisor of the HPA algorithm.
const divisor = 10

// The seed's clusters.
const (
	spot     = "spot-cluster"
	ondemand = "ondemand-cluster"
)

func TestMain(m *testing.M) {
	cfg := localfleet.Config{
		Name: "e2e-fleethpa",
		Members: []localfleet.Member{
			{Name: spot, Region: "cn-north", Zone: "cn-north-1a", Provider: "aws"},
			{Name: ondemand, Region: "cn-north", Zone: "cn-north-1b", Provider: "aws"},
		},
		NodesPerMember: 2,
		Prometheus:     true,
		ManagerArgs:    []string{fmt.Sprintf("--scale-time-divisor=%d", divisor)},
	}
	// controller-runtime takes its logger once, early; the file it writes
	// to is known only when the fleet is up.
	ctrl.SetLogger(zap.New(zap.WriteTo(&controllerLog)))
	os.Exit(fleettest.Main(m, cfg, true, &fleet, setup))
}

// controllerLog is where the in-process controllers log: the fleet's log
// directory once setup opened a file there, nowhere before.
var controllerLog lateWriter

type lateWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lateWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}

func (l *lateWriter) set(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
}

// setup starts the fleet HPA controllers here unless the manager runs them.
func setup(_ context.Context, st *localfleet.State) (func(), error) {
	if st.PrometheusURL == "" {
		return nil, fmt.Errorf("the fleet runs no Prometheus; see the progress lines above")
	}
	var err error
	if hub, err = fleettest.HubClient(st); err != nil {
		return nil, err
	}
	for _, name := range []string{localfleet.HubName, spot, ondemand} {
		rc, err := st.RESTConfig(name)
		if err != nil {
			return nil, err
		}
		if kube[name], err = kubernetes.NewForConfig(rc); err != nil {
			return nil, err
		}
	}
	inManager, err := managerRunsFleetHPA(st)
	if err != nil {
		return nil, err
	}
	if inManager {
		fmt.Fprintln(os.Stderr, "fleethpa: the kurator-manager runs the fleet HPA controllers")
		return func() {}, nil
	}
	fmt.Fprintln(os.Stderr, "fleethpa: the kurator-manager does not run the fleet HPA controllers; running them in the test process")
	inProcess = true
	// The controllers' log goes next to the fleet's, kept when a test fails.
	logFile, err := os.Create(filepath.Join(st.StateDir, "logs", "fleethpa-in-test.log"))
	if err != nil {
		return nil, err
	}
	controllerLog.set(logFile)
	rc, err := st.RESTConfig(localfleet.HubName)
	if err != nil {
		return nil, err
	}
	return fleettest.RunManager(rc, ctrl.Options{}, func(mgr ctrl.Manager) error {
		return fleethpa.SetupWithManager(mgr, fleethpa.Options{PrometheusAddress: st.PrometheusURL, TimeDivisor: divisor})
	})
}

// managerRunsFleetHPA reads the manager's log until its controllers have
// started and says whether the fleet HPA controller is among them.
func managerRunsFleetHPA(st *localfleet.State) (bool, error) {
	p, ok := st.Process(localfleet.HubName + "/kurator-manager")
	if !ok {
		return false, fmt.Errorf("the fleet has no kurator-manager process")
	}
	started := func(log, controller string) bool {
		return strings.Contains(log, `"msg":"Starting workers","controller":"`+controller+`"`)
	}
	deadline := time.Now().Add(time.Minute)
	var settled time.Time
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(p.Log)
		if err != nil {
			return false, err
		}
		log := string(data)
		if started(log, "fleethpa") {
			return true, nil
		}
		if settled.IsZero() && started(log, "detector") && started(log, "binding") && started(log, "execution") {
			settled = time.Now()
		}
		// Controllers start together once the caches sync; give the rest
		// a few seconds after the core ones.
		if !settled.IsZero() && time.Since(settled) > 5*time.Second {
			return false, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false, fmt.Errorf("the kurator-manager did not start its controllers within a minute; see %s", p.Log)
}

func apply(t *testing.T, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "apply", "-f", "-")
}
