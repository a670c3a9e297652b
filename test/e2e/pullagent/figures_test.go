package pullagent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// window measures the pull agent over d with nothing changing on the hub:
// requests it made (counted by the hub), bytes and connections on the hub
// link (counted by the relay), its CPU time and resident memory at the end.
type window struct {
	d               time.Duration
	requests        float64
	up, down, conns int64
	cpu             time.Duration
	rss, peakRSS    int64
	heartbeat       time.Duration
}

func measure(t *testing.T, d time.Duration, what string) window {
	t.Helper()
	pid := pull.pid()
	cpu0, rss, err := procStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	req0 := agentRequests(t, shanghai)
	c0 := hubRelay.Counters()
	w := window{d: d, heartbeat: pull.heartbeat, peakRSS: rss}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		time.Sleep(500 * time.Millisecond)
		if _, r, err := procStat(pid); err == nil {
			w.peakRSS = max(w.peakRSS, r)
		}
	}
	cpu1, rss1, err := procStat(pid)
	if err != nil {
		t.Fatalf("the agent (pid %d) is gone: %v\n%s", pid, err, lastLines(pull.output(), 20))
	}
	c := hubRelay.Counters().Sub(c0)
	w.requests = agentRequests(t, shanghai) - req0
	w.up, w.down, w.conns = c.Up, c.Down, c.Conns
	w.cpu, w.rss = cpu1-cpu0, rss1
	perMin := float64(time.Minute) / float64(d)
	t.Logf("figure: agent %s, heartbeat %s, over %s: %.1f requests/min, %.0f bytes/min up and %.0f down (%d new connections); CPU %.2f%% of a core; RSS %s (peak %s)",
		what, w.heartbeat, d, w.requests*perMin, float64(w.up)*perMin, float64(w.down)*perMin, w.conns,
		100*float64(w.cpu)/float64(d), mib(w.rss), mib(w.peakRSS))
	return w
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// bulk is n ConfigMaps and one PropagationPolicy that sends them all to the
// pull member: n Works.
func bulk(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bulk-%03d, labels: {app: bulk}}\ndata: {index: \"%d\", payload: %q}\n---\n", i, i, strings.Repeat("x", 512))
	}
	b.WriteString(`apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: bulk}
spec:
  resourceSelectors:
  - {apiVersion: v1, kind: ConfigMap, labelSelector: {matchLabels: {app: bulk}}}
  placement:
    clusterAffinity: {clusterNames: [cluster-shanghai]}
`)
	return b.String()
}

// The figures of the README: heartbeat cost (requests and bytes per minute
// per cluster) at the tests' 2 s and the default 30 s; the agent's CPU and
// memory idle and with 100 Works.
func TestHeartbeatCostAndFootprint(t *testing.T) {
	ensurePull(t)
	measure(t, 10*time.Second, "idle, no Works")

	restartPull(t, 30*time.Second)
	t.Cleanup(func() { restartPull(t, heartbeat) })
	// The start (informer lists, first status) is not the steady cost.
	time.Sleep(5 * time.Second)
	idle := measure(t, 60*time.Second, "idle, no Works")
	if idle.requests == 0 {
		t.Errorf("the hub counted no request of the agent in %s at a 30s heartbeat: FlowSchema %s matched nothing", idle.d, flowSchema(shanghai))
	}

	const n = 100
	begin := time.Now()
	apply(t, bulk(n))
	member := fleettest.Client(t, fleet, shanghai)
	fleettest.Eventually(t, 120*time.Second, fmt.Sprintf("%d ConfigMaps in %s", n, shanghai), func() error {
		cms, err := member.CoreV1().ConfigMaps("default").List(t.Context(), metav1.ListOptions{LabelSelector: "app=bulk"})
		if err != nil {
			return err
		}
		if len(cms.Items) != n {
			return fmt.Errorf("%d of %d", len(cms.Items), n)
		}
		return nil
	})
	applied := time.Since(begin)
	// Where the time went: the hub making the Works, the agent applying.
	var works workv1alpha1.WorkList
	if err := hub.List(t.Context(), &works, client.InNamespace(workv1alpha1.ExecutionNamespace(shanghai))); err != nil {
		t.Fatal(err)
	}
	var lastWork time.Time
	count := 0
	for _, w := range works.Items {
		if strings.HasPrefix(w.Name, "default-bulk-") {
			count++
			lastWork = later(lastWork, w.CreationTimestamp.Time)
		}
	}
	if count != n {
		t.Errorf("%d bulk Works in the pull cluster's execution namespace, want %d", count, n)
	}
	t.Logf("figure: %d Works applied by the agent %s after kubectl apply (the hub had made the last Work %s after it)",
		n, applied.Round(time.Millisecond), lastWork.Sub(begin).Round(time.Second))
	// Steady state: every Work's status reported (Applied), then a window
	// of one heartbeat.
	fleettest.Eventually(t, 120*time.Second, fmt.Sprintf("the agent reports all %d Works Applied", n), func() error {
		var works workv1alpha1.WorkList
		if err := hub.List(t.Context(), &works, client.InNamespace(workv1alpha1.ExecutionNamespace(shanghai))); err != nil {
			return err
		}
		done := 0
		for _, w := range works.Items {
			if strings.HasPrefix(w.Name, "default-bulk-") && meta.IsStatusConditionTrue(w.Status.Conditions, workv1alpha1.ConditionApplied) {
				done++
			}
		}
		if done != n {
			return fmt.Errorf("%d of %d Applied", done, n)
		}
		return nil
	})
	t.Logf("figure: %d Works applied and reported Applied on the hub %s after kubectl apply", n, time.Since(begin).Round(time.Millisecond))
	measure(t, 30*time.Second, fmt.Sprintf("with %d Works, steady", n))
}
