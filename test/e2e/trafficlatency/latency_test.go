package trafficlatency

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	targetMs   = 100 // the policy's latency target
	faultMs    = 400 // the injected latency (the generator's default is 20 ms)
	stepWeight = 10  // the policy's recovery step
)

// expectedShare is the weight pkg/traffic gives one of two clusters with
// one ready replica each when its p99 is p99 ms and the other's is under
// the target: base 1 × min(1, target/p99) against 1, scaled to 100.
func expectedShare(p99 int64) float64 {
	f := 1.0
	if p99 > targetMs {
		f = float64(targetMs) / float64(p99)
	}
	return 100 * f / (f + 1)
}

// With the generator's 20 ms everywhere both clusters are under the 100 ms
// target and share 50/50. A 400 ms fault on Shanghai's workload raises its
// p99 (Prometheus, histogram_quantile over 10 s): Shanghai's weight drops in
// both members to base × target/p99 (17 once the whole window is slow:
// Istio's bucket 250–500 puts the p99 at 497.5 ms). Once the fault is
// cleared Shanghai ramps back to 50 in steps of at most stepWeight, never
// at once.
func TestSlowClusterLosesShareAndRampsBack(t *testing.T) {
	const name = "quote"
	deploy(t, name)
	apply(t, name, fmt.Sprintf(`apiVersion: networking.kurator.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: %s, namespace: default}
spec:
  service: %[1]s
  weighting:
    type: Latency
    latency: {targetMilliseconds: %d, intervalSeconds: 10}
  recovery: {stepWeight: %d, intervalSeconds: 10}
`, name, targetMs, stepWeight))
	t.Cleanup(func() { setFaults(t, "[]") })

	// Both clusters have data under the target: 50/50 in both members.
	begin := time.Now()
	fleettest.Eventually(t, 60*time.Second, "50/50 in both members with a p99 under the target for both clusters", func() error {
		w, err := weightsInBoth(t, name)
		if err != nil {
			return err
		}
		if format(w) != "cluster-hangzhou=50 cluster-shanghai=50" {
			return fmt.Errorf("routes %s", format(w))
		}
		tp := policy(t, name)
		for _, c := range []string{hangzhou, shanghai} {
			s := clusterStatus(tp, c)
			if s == nil || s.P99Milliseconds == nil {
				return fmt.Errorf("%s has no p99 in status yet", c)
			}
			if *s.P99Milliseconds > targetMs {
				return fmt.Errorf("%s p99 %d ms above the %d ms target without a fault", c, *s.P99Milliseconds, targetMs)
			}
		}
		return nil
	})
	tp := policy(t, name)
	t.Logf("50/50 with p99 %d ms (Hangzhou) and %d ms (Shanghai) %s after apply",
		*clusterStatus(tp, hangzhou).P99Milliseconds, *clusterStatus(tp, shanghai).P99Milliseconds, time.Since(begin).Round(time.Millisecond))

	setFaults(t, fmt.Sprintf(`[{"cluster":%q,"namespace":"default","workload":%q,"latencyMs":%d}]`, shanghai, name, faultMs))
	faultAt := time.Now()

	// The first drop: below 50 in both members, and no more than the
	// share of a p99 at the bottom of Istio's 250–500 bucket (29).
	var first map[string]int64
	fleettest.Eventually(t, 40*time.Second, "Shanghai's weight drops below 50 in both members", func() error {
		w, err := weightsInBoth(t, name)
		if err != nil {
			return err
		}
		if w[shanghai] >= 50 {
			return fmt.Errorf("routes %s", format(w))
		}
		first = w
		return nil
	})
	dropAfter := time.Since(faultAt)
	if limit := int64(math.Ceil(expectedShare(250))); first[shanghai] > limit || first[hangzhou] != 100-first[shanghai] {
		t.Errorf("first drop routes %s; want Shanghai at most %d (p99 at least 250 ms) and the rest to Hangzhou", format(first), limit)
	}
	t.Logf("latency fault %d ms on Shanghai: its weight dropped to %s in both members %s after PUT /faults (deadline 40s; latency window and interval 10s)",
		faultMs, format(first), dropAfter.Round(time.Millisecond))

	// The whole window slow: the weight settles at base × target/p99 of the
	// p99 the controller saw (status), within the rounding of one point.
	var settled map[string]int64
	var settledP99 int64
	fleettest.Eventually(t, 45*time.Second, "Shanghai's weight settles at base × target/p99 with a p99 near 497 ms", func() error {
		w, err := weightsInBoth(t, name)
		if err != nil {
			return err
		}
		s := clusterStatus(policy(t, name), shanghai)
		if s == nil || s.P99Milliseconds == nil {
			return fmt.Errorf("Shanghai has no p99 in status")
		}
		p99 := *s.P99Milliseconds
		if p99 < 490 {
			return fmt.Errorf("Shanghai p99 %d ms, window not all slow yet (routes %s)", p99, format(w))
		}
		if want := expectedShare(p99); math.Abs(float64(w[shanghai])-want) > 1 || w[hangzhou] != 100-w[shanghai] {
			return fmt.Errorf("routes %s with Shanghai p99 %d ms; want Shanghai %.2f ±1", format(w), p99, want)
		}
		settled, settledP99 = w, p99
		return nil
	})
	t.Logf("settled at %s (Shanghai p99 %d ms, base × %d/%d) %s after PUT /faults",
		format(settled), settledP99, targetMs, settledP99, time.Since(faultAt).Round(time.Millisecond))

	setFaults(t, "[]")
	clearedAt := time.Now()
	// Every distinct Shanghai weight in Hangzhou's route, in order, until
	// both members route 50/50 again.
	seen := []int64{settled[shanghai]}
	var times []time.Duration
	fleettest.Eventually(t, 90*time.Second, "Shanghai ramps back to 50/50 in both members", func() error {
		hz, err := memberWeights(t, hangzhou, name)
		if err != nil {
			return err
		}
		if w := hz[shanghai]; w != seen[len(seen)-1] {
			seen = append(seen, w)
			times = append(times, time.Since(clearedAt))
			t.Logf("%s after the fault was cleared: %s", time.Since(clearedAt).Round(100*time.Millisecond), format(hz))
		}
		both, err := weightsInBoth(t, name)
		if err != nil {
			return err
		}
		if format(both) != "cluster-hangzhou=50 cluster-shanghai=50" {
			return fmt.Errorf("routes %s", format(both))
		}
		return nil
	})
	for i := 1; i < len(seen); i++ {
		if d := seen[i] - seen[i-1]; d <= 0 || d > stepWeight {
			t.Errorf("Shanghai's weight went %v: step %d -> %d is not a rise of 1 to %d points", seen, seen[i-1], seen[i], stepWeight)
		}
	}
	if len(seen) < 3 {
		t.Errorf("Shanghai's weight went %v: back at once, want at least two steps", seen)
	}
	steps := make([]string, len(times))
	for i, d := range times {
		steps[i] = fmt.Sprintf("%d at %s", seen[i+1], d.Round(100*time.Millisecond))
	}
	t.Logf("fault cleared: Shanghai ramped back %s (stepWeight %d, interval 10s)", strings.Join(steps, ", "), stepWeight)

	var causes []string
	for _, h := range policy(t, name).Status.History {
		causes = append(causes, h.Reason)
	}
	if !strings.Contains(strings.Join(causes, " "), networkingv1alpha1.ClusterRecovering) {
		t.Errorf("status.history causes %v lack Recovering", causes)
	}
}
