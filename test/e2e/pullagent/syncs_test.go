package pullagent

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kurator-go/kurator/test/e2e/fleettest"
	"github.com/kurator-go/kurator/test/netem"
)

// probe is a ConfigMap propagated to the pull member only: each sync
// writes a new value on the hub and waits for it in the member.
const probe = `apiVersion: v1
kind: ConfigMap
metadata: {name: sync-probe}
data: {seq: "0"}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: sync-probe}
spec:
  resourceSelectors:
  - {apiVersion: v1, kind: ConfigMap, name: sync-probe}
  placement:
    clusterAffinity: {clusterNames: [cluster-shanghai]}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute}
`

// syncTimeout is how long one sync may take before it counts as failed:
// the seed's field report counted syncs that timed out.
const syncTimeout = 30 * time.Second

// Syncs over the hub link at 0, 80 and 200 ms (and 1% and 5% loss): every
// sync must arrive (at 80 ms / 1%, 200 out of 200: the seed's 99.9%,
// measured), and the latency from the hub's write to the member's copy is
// the figure.
func TestSyncsOverSlowLinks(t *testing.T) {
	ensurePull(t)
	apply(t, probe)
	waitSeq(t, 0, 90*time.Second)
	t.Cleanup(func() {
		if err := hubLink.Shape(netem.Impairment{}); err != nil {
			t.Error(err)
		}
	})
	seq := 0
	for _, tc := range []struct {
		name  string
		link  netem.Impairment
		syncs int
	}{
		{"0ms: 20 syncs, all arrive", netem.Impairment{}, 20},
		{"80ms and 1% loss: 200 syncs, all 200 arrive", netem.Impairment{Delay: 80 * time.Millisecond, Loss: 0.01}, 200},
		{"200ms: 20 syncs, all arrive", netem.Impairment{Delay: 200 * time.Millisecond}, 20},
		{"200ms and 5% loss: 50 syncs, all arrive", netem.Impairment{Delay: 200 * time.Millisecond, Loss: 0.05}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := hubLink.Shape(tc.link); err != nil {
				t.Fatal(err)
			}
			out0, in0 := hubLink.Stats()
			carried := hubRelay.Counters()
			var lat []time.Duration
			failed := 0
			begin := time.Now()
			for range tc.syncs {
				seq++
				d, ok := syncOnce(t, seq)
				if !ok {
					failed++
					continue
				}
				lat = append(lat, d)
			}
			out, in := hubLink.Stats()
			packets := out.Packets - out0.Packets + in.Packets - in0.Packets
			dropped := out.Dropped - out0.Dropped + in.Dropped - in0.Dropped
			c := hubRelay.Counters().Sub(carried)
			t.Logf("figure: hub link at %s (%s): %d of %d syncs arrived within %s; latency p50 %s p95 %s max %s; %d of %d packets dropped; %d bytes down, %d up, %d new connections; %s in all",
				tc.link, hubLink.Method(), len(lat), tc.syncs, syncTimeout,
				percentile(lat, 50).Round(time.Millisecond), percentile(lat, 95).Round(time.Millisecond), percentile(lat, 100).Round(time.Millisecond),
				dropped, packets, c.Down, c.Up, c.Conns, time.Since(begin).Round(time.Second))
			if failed > 0 {
				t.Errorf("%d of %d syncs did not arrive within %s", failed, tc.syncs, syncTimeout)
			}
		})
	}
}

// syncOnce writes seq on the hub and waits until the member has it; it
// returns the time that took and whether it arrived in time.
func syncOnce(t *testing.T, seq int) (time.Duration, bool) {
	t.Helper()
	ctx := context.Background()
	hubCS := fleettest.Client(t, fleet, "kurator-hub")
	patch := fmt.Sprintf(`{"data":{"seq":%q}}`, strconv.Itoa(seq))
	begin := time.Now()
	if _, err := hubCS.CoreV1().ConfigMaps("default").Patch(ctx, "sync-probe", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("sync %d: patch the hub's ConfigMap: %v", seq, err)
	}
	member := fleettest.Client(t, fleet, shanghai)
	for time.Since(begin) < syncTimeout {
		cm, err := member.CoreV1().ConfigMaps("default").Get(ctx, "sync-probe", metav1.GetOptions{})
		if err == nil && cm.Data["seq"] == strconv.Itoa(seq) {
			return time.Since(begin), true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return syncTimeout, false
}

func waitSeq(t *testing.T, seq int, timeout time.Duration) {
	t.Helper()
	member := fleettest.Client(t, fleet, shanghai)
	fleettest.Eventually(t, timeout, fmt.Sprintf("sync-probe seq %d in %s", seq, shanghai), func() error {
		cm, err := member.CoreV1().ConfigMaps("default").Get(context.Background(), "sync-probe", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got := cm.Data["seq"]; got != strconv.Itoa(seq) {
			return fmt.Errorf("seq %s", got)
		}
		return nil
	})
}
