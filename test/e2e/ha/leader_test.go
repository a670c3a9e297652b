package ha

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// leaseName is the Lease the manager replicas compete for.
const leaseName = "kurator-manager"

// replicas are the process names of the manager replicas.
func replicas() []string {
	var out []string
	for _, p := range fleet.Processes {
		if p.Name == localfleet.ManagerProcess(1) || strings.HasPrefix(p.Name, localfleet.ManagerProcess(1)+"-") {
			out = append(out, p.Name)
		}
	}
	return out
}

// identity is the holderIdentity a replica writes into the Lease: the
// manager's default, <hostname>_<pid>.
func identity(t *testing.T, name string) string {
	t.Helper()
	p, ok := fleet.Process(name)
	if !ok {
		t.Fatalf("the fleet has no process %s", name)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return host + "_" + strconv.Itoa(p.PID)
}

// holder reads the Lease's holderIdentity ("" when released or not there).
func holder(t *testing.T) (string, error) {
	t.Helper()
	l, err := fleettest.Client(t, fleet, localfleet.HubName).CoordinationV1().Leases(workv1alpha1.SystemNamespace).Get(context.Background(), leaseName, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if l.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *l.Spec.HolderIdentity, nil
}

// roles waits until the Lease is held by a running replica and returns it and
// the other replica (the fleet runs two).
func roles(t *testing.T) (leader, standby string) {
	t.Helper()
	names := replicas()
	if len(names) != 2 {
		t.Fatalf("manager replicas %v, want 2", names)
	}
	fleettest.Eventually(t, 3*leaseDuration, "a running replica holds the Lease", func() error {
		h, err := holder(t)
		if err != nil {
			return err
		}
		for i, n := range names {
			if fleet.Alive(n) && h == identity(t, n) {
				leader, standby = n, names[1-i]
				return nil
			}
		}
		return fmt.Errorf("holder %q is none of the running replicas %v", h, names)
	})
	return leader, standby
}

// reconciles sums controller_runtime_reconcile_total on a replica's
// /metrics: 0 on a replica that never led, rising once it runs controllers.
func reconciles(name string) (float64, error) {
	p, ok := fleet.Process(name)
	if !ok {
		return 0, fmt.Errorf("no process %s", name)
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(p.Port) + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s /metrics: %s", name, resp.Status)
	}
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "controller_runtime_reconcile_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("%s /metrics line %q: %w", name, line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

// takeover is what one change of leader took, from the signal on.
type takeover struct {
	old, new string
	// released: the Lease no longer named the old leader; acquired: it
	// named the new one; reconciled: the new leader's first reconcile
	// showed on its /metrics.
	released, acquired, reconciled time.Duration
}

func (k takeover) String() string {
	return fmt.Sprintf("%s -> %s: Lease released %s, acquired %s, first reconcile %s after the signal",
		k.old, k.new, k.released.Round(time.Millisecond), k.acquired.Round(time.Millisecond), k.reconciled.Round(time.Millisecond))
}

// signalLeader sends sig (SIGKILL: a crash; SIGTERM: a clean stop) to the
// leading replica and watches the other take over: the Lease changes hands
// and the new leader reconciles. The old leader is started again when the
// test ends, or earlier with restore. within bounds the whole takeover.
func signalLeader(t *testing.T, sig syscall.Signal, within time.Duration) takeover {
	t.Helper()
	leader, standby := roles(t)
	if !fleet.Alive(standby) {
		p, _ := fleet.Process(standby)
		t.Fatalf("standby %s is not running (a replica that loses the Lease exits); see %s", standby, p.Log)
	}
	oldID, newID := identity(t, leader), identity(t, standby)
	// A replica just started answers /healthz a moment before /metrics.
	var base float64
	fleettest.Eventually(t, 10*time.Second, standby+" serves /metrics", func() error {
		var err error
		base, err = reconciles(standby)
		return err
	})
	if base != 0 {
		t.Errorf("standby %s reconciled %v times while %s led; a replica that does not lead must do nothing", standby, base, leader)
	}
	t.Cleanup(func() {
		if err := fleettest.Restore(fleet, leader); err != nil {
			t.Errorf("bring %s back after the test: %v", leader, err)
		}
	})
	k := takeover{old: leader, new: standby}
	begin := time.Now()
	stopped := make(chan error, 1)
	if sig == syscall.SIGKILL {
		stopped <- fleet.Kill(leader)
	} else {
		// Stop sends SIGTERM and waits for the exit; the Lease is watched
		// meanwhile.
		go func() { stopped <- fleet.Stop(leader) }()
	}
	fleettest.Eventually(t, within, fmt.Sprintf("%s takes over from %s", standby, leader), func() error {
		now := time.Since(begin)
		if k.released == 0 || k.acquired == 0 {
			h, err := holder(t)
			if err != nil {
				return err
			}
			if k.released == 0 && h != oldID {
				k.released = now
			}
			if k.acquired == 0 && h == newID {
				k.acquired = now
			}
		}
		if k.reconciled == 0 {
			n, err := reconciles(standby)
			if err != nil {
				return err
			}
			if n > base {
				k.reconciled = now
			}
		}
		if k.acquired == 0 || k.reconciled == 0 {
			return fmt.Errorf("so far: %s", k)
		}
		return nil
	})
	if err := <-stopped; err != nil {
		t.Fatalf("signal %s: %v", leader, err)
	}
	if k.reconciled < k.acquired {
		t.Errorf("%s reconciled %s after the signal, before it held the Lease (%s)", standby, k.reconciled, k.acquired)
	}
	p, _ := fleet.Process(standby)
	if log, err := os.ReadFile(p.Log); err != nil {
		t.Error(err)
	} else if !strings.Contains(string(log), "became leader") || !strings.Contains(string(log), newID) {
		t.Errorf("%s's log %s does not say it became leader as %s", standby, p.Log, newID)
	}
	t.Logf("%s (%s)", k, sig)
	return k
}

// restore starts a replica that was signalled again and waits until it is
// healthy (it then waits for the Lease as the standby).
func restore(t *testing.T, name string) {
	t.Helper()
	if err := fleettest.Restore(fleet, name); err != nil {
		t.Fatal(err)
	}
}

// crashBound is the longest a crashed leader may go unreplaced with client-go's
// elector: the standby saw the last renewal at most one retry gap late,
// waits the lease duration from then, and tries again at most one retry gap
// after expiry; margin covers API latency on a loaded machine.
func crashBound(lease, retry, margin time.Duration) time.Duration {
	return lease + 2*retryGap(retry) + margin
}

// retryGap is the longest wait between two tries of a standby: client-go's
// elector jitters the retry period by up to its JitterFactor (1.2), so a try
// comes between 1x and 2.2x the period after the previous one.
func retryGap(retry time.Duration) time.Duration {
	return retry + time.Duration(1.2*float64(retry))
}
