package traffic

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// With 3 ready replicas in Hangzhou and 1 in Shanghai, ReadyReplicas
// weighting routes 75/25 in both members; switched to explicit weights
// 40/60 the routes follow at once (no ramp: nobody recovered).
func TestWeightsFollowReadyReplicasThenExplicit(t *testing.T) {
	deploy(t, "web", 4, 3, 1)
	apply(t, "web", trafficPolicy("web", "  weighting: {type: ReadyReplicas}\n"))
	begin := time.Now()
	waitWeights(t, 30*time.Second, "web", "cluster-hangzhou=75 cluster-shanghai=25", hangzhou, shanghai)
	t.Logf("ReadyReplicas 3:1 routed 75/25 in both members %s after apply", time.Since(begin).Round(time.Millisecond))

	// The routes can reach the members before the policy's status is
	// written (Works first, then status): wait for the status too.
	fleettest.Eventually(t, 15*time.Second, "kurator get trafficpolicies shows the weights", func() error {
		out := fleettest.Kurator(t, fleet, "get", "trafficpolicies")
		if !regexp.MustCompile(`web\s+web\s+ReadyReplicas\s+cluster-hangzhou 75 cluster-shanghai 25\s+True`).MatchString(out) {
			return fmt.Errorf("kurator get trafficpolicies:\n%s", out)
		}
		return nil
	})

	fleettest.Kubectl(t, fleet, "", "--context", localfleet.HubName, "patch", "trafficpolicy", "web", "-n", "default", "--type=merge",
		"-p", `{"spec":{"weighting":{"type":"Explicit","weights":[{"cluster":"cluster-hangzhou","weight":40},{"cluster":"cluster-shanghai","weight":60}]}}}`)
	begin = time.Now()
	waitWeights(t, 60*time.Second, "web", "cluster-hangzhou=40 cluster-shanghai=60", hangzhou, shanghai)
	t.Logf("explicit 40/60 in both members %s after the patch", time.Since(begin).Round(time.Millisecond))

	fleettest.Eventually(t, 15*time.Second, "kurator describe trafficpolicy web shows the explicit weights", func() error {
		desc := fleettest.Kurator(t, fleet, "describe", "trafficpolicy", "web")
		for _, want := range []string{"Weighting:   Explicit", "cluster-shanghai 60", "WeightsApplied"} {
			if !strings.Contains(desc, want) {
				return fmt.Errorf("kurator describe trafficpolicy web lacks %q:\n%s", want, desc)
			}
		}
		return nil
	})
}

// Shanghai's kube-apiserver is killed: within the cluster failure threshold
// (3 s in the local fleet) plus one reconcile Hangzhou's VirtualService
// gives Shanghai 0 and Hangzhou 100. After Shanghai is back it ramps in
// steps of 20 every 10 s (20, 40, 50), never at once, and both members
// route 50/50 again.
func TestKilledMemberLosesItsShareAndRampsBack(t *testing.T) {
	deploy(t, "pay", 2, 1, 1)
	apply(t, "pay", trafficPolicy("pay", `  weighting:
    type: Explicit
    weights: [{cluster: cluster-hangzhou, weight: 50}, {cluster: cluster-shanghai, weight: 50}]
  recovery: {stepWeight: 20, intervalSeconds: 10}
`))
	waitWeights(t, 30*time.Second, "pay", "cluster-hangzhou=50 cluster-shanghai=50", hangzhou, shanghai)

	down := fleettest.Kill(t, fleet, shanghai+"/kube-apiserver", func(t *testing.T) { waitReady(t, shanghai, true) })
	waitWeights(t, 30*time.Second, "pay", "cluster-hangzhou=100 cluster-shanghai=0", hangzhou)
	t.Logf("Hangzhou routes 100/0 %s after Shanghai's apiserver was killed (failure threshold 3s)", time.Since(down).Round(time.Millisecond))
	// The status is written right after the Works.
	fleettest.Eventually(t, 10*time.Second, "status and kurator get tp pay show Shanghai not Ready", func() error {
		if tp := policy(t, "pay"); len(tp.Status.Clusters) != 2 || tp.Status.Clusters[1].Reason != networkingv1alpha1.ClusterNotReady {
			return fmt.Errorf("status.clusters %+v, want Shanghai with reason ClusterNotReady", tp.Status.Clusters)
		}
		if out := fleettest.Kurator(t, fleet, "get", "tp", "pay"); !strings.Contains(out, "cluster-hangzhou 100 cluster-shanghai 0*") {
			return fmt.Errorf("kurator get tp pay does not mark Shanghai:\n%s", out)
		}
		return nil
	})

	if err := fleet.RestartCluster(t.Context(), shanghai, true); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	// Every distinct weight Hangzhou's route gives Shanghai, in order.
	var seen []string
	fleettest.Eventually(t, 120*time.Second, "Shanghai ramps back to 50 in Hangzhou's route", func() error {
		got, err := memberWeights(t, hangzhou, "pay")
		if err != nil {
			return err
		}
		if len(seen) == 0 || seen[len(seen)-1] != got {
			seen = append(seen, got)
			t.Logf("%s after the restart: %s", time.Since(back).Round(100*time.Millisecond), got)
		}
		if got != "cluster-hangzhou=50 cluster-shanghai=50" {
			return fmt.Errorf("now %s", got)
		}
		return nil
	})
	want := []string{"cluster-hangzhou=100 cluster-shanghai=0", "cluster-hangzhou=80 cluster-shanghai=20", "cluster-hangzhou=60 cluster-shanghai=40", "cluster-hangzhou=50 cluster-shanghai=50"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("Hangzhou's route went %v, want %v (steps of 20, never at once)", seen, want)
	}
	// The status history shows the same steps (written right after the
	// Works, so it may trail the routes by a moment).
	fleettest.Eventually(t, 15*time.Second, "status.history shows the ramp", func() error {
		var hist []string
		for _, h := range policy(t, "pay").Status.History {
			var parts []string
			for _, w := range h.Weights {
				parts = append(parts, fmt.Sprintf("%s=%d", w.Cluster, w.Weight))
			}
			hist = append(hist, strings.Join(parts, " ")+" "+h.Reason)
		}
		joined := strings.Join(hist, "|")
		for _, w := range []string{"cluster-hangzhou=100 cluster-shanghai=0 ClusterNotReady", "cluster-hangzhou=80 cluster-shanghai=20 Recovering", "cluster-hangzhou=60 cluster-shanghai=40 Recovering", "cluster-hangzhou=50 cluster-shanghai=50 Recovering"} {
			if !strings.Contains(joined, w) {
				return fmt.Errorf("status.history lacks %q: %v", w, hist)
			}
		}
		return nil
	})
	waitWeights(t, 30*time.Second, "pay", "cluster-hangzhou=50 cluster-shanghai=50", shanghai)
}

// Bad TrafficPolicies are refused by the hub's kube-apiserver, naming the
// field and the fix.
func TestBadInputRefusedAtAdmission(t *testing.T) {
	cases := []struct {
		name, spec string
		want       []string
	}{
		{"explicit weights summing to 90 are refused", "  weighting: {type: Explicit, weights: [{cluster: a, weight: 50}, {cluster: b, weight: 40}]}\n",
			[]string{"spec.weighting.weights", "weights must sum to 100"}},
		{"a recovery interval of 5s is refused", "  recovery: {intervalSeconds: 5}\n", []string{"spec.recovery.intervalSeconds", "greater than or equal to 10"}},
		{"an unknown weighting type is refused", "  weighting: {type: Random}\n", []string{"spec.weighting.type", "Unsupported value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			yaml := "apiVersion: networking.kurator.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: bad, namespace: default}\nspec:\n  service: web\n" + c.spec
			cmd := exec.Command(filepath.Join(localfleet.DefaultBinDir(), "kubectl"), "--kubeconfig", fleet.Kubeconfig, "--context", localfleet.HubName, "apply", "-f", "-")
			cmd.Stdin = strings.NewReader(yaml)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("kubectl apply accepted it:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("refusal lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
