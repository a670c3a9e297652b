package rollout

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// The canary of the reviews example: 10 -> 50 by 10, shanghai first, then
// hangzhou, promoted while the success rate is at least 99%. Then a second
// revision fails in hangzhou (80% success): everything rolls back, and
// shanghai, already promoted, returns to the previous revision.
func TestCanaryOverStagesPromotesThenRollsBackEverywhere(t *testing.T) {
	const ns, name = "prod", "reviews"
	// The example users run, as it is in the repository.
	example, err := os.ReadFile("../../../examples/rollout/reviews-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	apply(t, string(example))
	waitPhase(t, ns, name, appsv1alpha1.PhaseInitialized, 2*time.Minute)
	for _, c := range []string{shanghai, hangzhou} {
		fleettest.Eventually(t, time.Minute, c+" canary at 0 replicas, primary serving", func() error {
			d, err := fleettest.Client(t, fleet, c).AppsV1().Deployments(ns).Get(context.Background(), name, metav1Get)
			if err != nil {
				return err
			}
			if *d.Spec.Replicas != 0 {
				return fmt.Errorf("canary replicas %d", *d.Spec.Replicas)
			}
			if img := memberImage(t, c, ns, name+"-primary"); img != "nginx:1.25" {
				return fmt.Errorf("primary image %s", img)
			}
			return nil
		})
	}
	v1 := getRollout(t, ns, name).Status.StableRevision

	start := time.Now()
	setImage(t, ns, name, "nginx:1.26")
	var weights []int
	var changed []time.Time // when shanghai's weight changed, seen every 20 ms
	fleettest.Eventually(t, 5*time.Minute, "revision 2 promoted everywhere", func() error {
		ro := getRollout(t, ns, name)
		if c := findCluster(ro, shanghai); c != nil && (len(weights) == 0 || weights[len(weights)-1] != c.CanaryWeight) && ro.Status.Phase == appsv1alpha1.PhaseProgressing {
			weights = append(weights, c.CanaryWeight)
			changed = append(changed, time.Now())
		}
		if hz := findCluster(ro, hangzhou); hz != nil && hz.Phase == appsv1alpha1.ClusterProgressing {
			if sh := findCluster(ro, shanghai); sh.Phase != appsv1alpha1.ClusterSucceeded {
				t.Fatalf("hangzhou progresses while shanghai is %s", sh.Phase)
			}
		}
		switch ro.Status.Phase {
		case appsv1alpha1.PhaseSucceeded:
			return nil
		case appsv1alpha1.PhaseFailed:
			t.Fatalf("revision 2 failed: %s; gates %s", clusters(ro), mustJSON(ro.Status.Gates))
		}
		return fmt.Errorf("phase %s %s", ro.Status.Phase, clusters(ro))
	})
	ro := getRollout(t, ns, name)
	t.Logf("revision 2: promoted over 2 stages in %s; shanghai weights seen %v", time.Since(start).Round(time.Second), weights)
	// Steps between 10 and 50 each take one interval: what is beyond it
	// is the decision latency (query, status write, re-render).
	var beyond []time.Duration
	for i := 2; i < len(changed); i++ {
		if weights[i] > weights[i-1] {
			beyond = append(beyond, (changed[i].Sub(changed[i-1]) - 10*time.Second).Round(time.Millisecond))
		}
	}
	t.Logf("time per step beyond the 10 s interval (shanghai): %v", beyond)
	for _, w := range weights {
		if w%10 != 0 || w > 50 {
			t.Errorf("shanghai weight %d: want steps of 10 up to 50 (%v)", w, weights)
		}
	}
	v2 := ro.Status.StableRevision
	if v2 == v1 {
		t.Fatalf("stable revision still %s after the promotion", v1)
	}
	for _, c := range []string{shanghai, hangzhou} {
		fleettest.Eventually(t, time.Minute, c+" primary on revision 2", func() error {
			if img := memberImage(t, c, ns, name+"-primary"); img != "nginx:1.26" {
				return fmt.Errorf("primary image %s", img)
			}
			return routeWeights(t, c, ns, name, 100, 0)
		})
	}

	// Revision 3 is bad in hangzhou only.
	setFaults(t, `[{"cluster":"cluster-hangzhou","namespace":"prod","workload":"reviews","errorRate":0.2}]`)
	setImage(t, ns, name, "nginx:1.27")
	var firstFail time.Time
	var sawShanghaiPromoted bool
	fleettest.Eventually(t, 5*time.Minute, "revision 3 rolled back", func() error {
		ro := getRollout(t, ns, name)
		if sh := findCluster(ro, shanghai); sh != nil && sh.Phase == appsv1alpha1.ClusterSucceeded && ro.Status.Phase == appsv1alpha1.PhaseProgressing {
			sawShanghaiPromoted = true
		}
		for _, g := range ro.Status.Gates {
			if g.Cluster == hangzhou && g.Kind == "metric" && !g.Passed && g.Reason == "BelowMin" && firstFail.IsZero() {
				firstFail = g.Time.Time
			}
		}
		if ro.Status.Phase == appsv1alpha1.PhaseFailed {
			return nil
		}
		return fmt.Errorf("phase %s %s", ro.Status.Phase, clusters(ro))
	})
	ro = getRollout(t, ns, name)
	if !sawShanghaiPromoted {
		t.Errorf("shanghai was never seen promoted before the rollback")
	}
	if ro.Status.StableRevision != v2 || ro.Status.FailedRevision == "" {
		t.Errorf("stable %s failed %s, want stable %s and the failed revision kept", ro.Status.StableRevision, ro.Status.FailedRevision, v2)
	}
	var failed *appsv1alpha1.GateResult
	for i := range ro.Status.Gates {
		if g := &ro.Status.Gates[i]; g.Cluster == hangzhou && g.Reason == "BelowMin" {
			failed = g
		}
	}
	if failed == nil {
		t.Fatalf("no BelowMin verdict for hangzhou in status: %s", mustJSON(ro.Status.Gates))
	}
	t.Logf("hangzhou verdict: %s (value %s)", failed.Message, failed.Value)
	end := ro.Status.History[len(ro.Status.History)-1].EndTime.Time
	t.Logf("first failed check to rollback started: %s (checkFailedTimes 2, interval 10 s)", end.Sub(firstFail).Round(time.Second))
	if end.Sub(firstFail) > 2*10*time.Second+5*time.Second || end.Before(firstFail) {
		t.Errorf("rollback began %s after the first failed check; want within checkFailedTimes intervals", end.Sub(firstFail))
	}
	for _, c := range []string{shanghai, hangzhou} {
		fleettest.Eventually(t, 2*time.Minute, c+" back on revision 2 with all traffic", func() error {
			if img := memberImage(t, c, ns, name+"-primary"); img != "nginx:1.26" {
				return fmt.Errorf("primary image %s", img)
			}
			d, err := fleettest.Client(t, fleet, c).AppsV1().Deployments(ns).Get(context.Background(), name, metav1Get)
			if err != nil {
				return err
			}
			if *d.Spec.Replicas != 0 {
				return fmt.Errorf("canary replicas %d", *d.Spec.Replicas)
			}
			return routeWeights(t, c, ns, name, 100, 0)
		})
	}
}

// A/B with a header match and blue/green each run to promotion.
func TestABAndBlueGreenPromote(t *testing.T) {
	for _, tc := range []struct {
		name, routing string
		check         func(t *testing.T, vs *unstructured.Unstructured)
	}{
		{"ratings", `{analysisTimes: 3, match: [{headers: {x-user: {exact: insider}}}]}`, func(t *testing.T, vs *unstructured.Unstructured) {
			http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
			if len(http) != 2 || !strings.Contains(mustJSON(http[0]), `"x-user":{"exact":"insider"}`) {
				t.Errorf("A/B VirtualService http %s: want a first route matching x-user: insider", mustJSON(http))
			}
		}},
		{"details", `{analysisTimes: 3}`, func(t *testing.T, vs *unstructured.Unstructured) {
			if !strings.Contains(mustJSON(vs.Object), `"mirror"`) {
				t.Errorf("blue/green VirtualService %s: want the canary mirrored while it is tested", mustJSON(vs.Object["spec"]))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := "ab-" + tc.name
			apply(t, app(ns, tc.name, "nginx:1.25"))
			apply(t, fmt.Sprintf(`apiVersion: apps.kurator.dev/v1alpha1
kind: Rollout
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  workload: {name: %[1]s}
  serviceName: %[1]s
  port: 9080
  rolloutPolicy:
    trafficRouting: %[3]s
    trafficAnalysis:
      checkIntervalSeconds: 10
      metrics: [{name: request-success-rate, intervalSeconds: 15, thresholdRange: {min: 99}}]
`, tc.name, ns, tc.routing))
			waitPhase(t, ns, tc.name, appsv1alpha1.PhaseInitialized, 2*time.Minute)
			setImage(t, ns, tc.name, "nginx:1.26")
			var seen bool
			fleettest.Eventually(t, 4*time.Minute, "promoted", func() error {
				ro := getRollout(t, ns, tc.name)
				if c := findCluster(ro, shanghai); c != nil && c.Phase == appsv1alpha1.ClusterProgressing && c.Iterations > 0 && !seen {
					if vs, err := memberVS(t, shanghai, ns, tc.name); err == nil {
						tc.check(t, vs)
						seen = true
					}
				}
				switch ro.Status.Phase {
				case appsv1alpha1.PhaseSucceeded:
					return nil
				case appsv1alpha1.PhaseFailed:
					t.Fatalf("failed: %s; gates %s", clusters(ro), mustJSON(ro.Status.Gates))
				}
				return fmt.Errorf("phase %s %s", ro.Status.Phase, clusters(ro))
			})
			if !seen {
				t.Errorf("the VirtualService was never seen during the iterations")
			}
			for _, c := range []string{shanghai, hangzhou} {
				if img := memberImage(t, c, ns, tc.name+"-primary"); img != "nginx:1.26" {
					t.Errorf("%s primary image %s, want nginx:1.26", c, img)
				}
			}
		})
	}
}

// The manager killed between two steps: the rollout resumes at the same
// weight and promotes once.
func TestManagerRestartResumesAtTheSameStep(t *testing.T) {
	const ns, name = "resume", "productpage"
	apply(t, app(ns, name, "nginx:1.25"))
	apply(t, `apiVersion: apps.kurator.dev/v1alpha1
kind: Rollout
metadata: {name: productpage, namespace: resume}
spec:
  workload: {name: productpage}
  serviceName: productpage
  port: 9080
  rolloutPolicy:
    trafficRouting: {canaryStrategy: {stepWeights: [20, 40, 60]}}
    trafficAnalysis:
      checkIntervalSeconds: 10
      metrics: [{name: request-success-rate, intervalSeconds: 15, thresholdRange: {min: 99}}]
`)
	waitPhase(t, ns, name, appsv1alpha1.PhaseInitialized, 2*time.Minute)
	setImage(t, ns, name, "nginx:1.26")
	fleettest.Eventually(t, 3*time.Minute, "weight 40 reached", func() error {
		ro := getRollout(t, ns, name)
		for _, c := range ro.Status.Clusters {
			if c.CanaryWeight == 40 {
				return nil
			}
		}
		return fmt.Errorf("%s", clusters(ro))
	})
	manager := localfleet.HubName + "/kurator-manager"
	t.Cleanup(func() {
		if err := fleettest.Restore(fleet, manager); err != nil {
			t.Errorf("bring the manager back: %v", err)
		}
	})
	if err := fleet.Kill(manager); err != nil {
		t.Fatal(err)
	}
	killed := getRollout(t, ns, name)
	if err := fleet.Restart(context.Background(), manager, true); err != nil {
		t.Fatal(err)
	}
	after := map[string][]int{}
	fleettest.Eventually(t, 3*time.Minute, "promoted after the restart", func() error {
		ro := getRollout(t, ns, name)
		for _, c := range ro.Status.Clusters {
			if ro.Status.Phase == appsv1alpha1.PhaseProgressing && !slices.Contains(after[c.Name], c.CanaryWeight) {
				after[c.Name] = append(after[c.Name], c.CanaryWeight)
			}
		}
		if ro.Status.Phase == appsv1alpha1.PhaseSucceeded {
			return nil
		}
		return fmt.Errorf("phase %s %s", ro.Status.Phase, clusters(ro))
	})
	for _, c := range killed.Status.Clusters {
		for _, w := range after[c.Name] {
			if w != 0 && w < c.CanaryWeight {
				t.Errorf("%s weights after the restart %v: went back below %d, its weight when the manager was killed", c.Name, after[c.Name], c.CanaryWeight)
			}
		}
	}
	t.Logf("killed at %s; weights after the restart: %v", clusters(killed), after)
	ro := getRollout(t, ns, name)
	runs := 0
	for _, h := range ro.Status.History {
		if h.Phase == appsv1alpha1.PhaseSucceeded {
			runs++
		}
	}
	if runs != 1 {
		t.Errorf("history %s: want exactly one Succeeded run (no double promotion)", mustJSON(ro.Status.History))
	}
}

func findCluster(ro *appsv1alpha1.Rollout, name string) *appsv1alpha1.ClusterRollout {
	for i := range ro.Status.Clusters {
		if ro.Status.Clusters[i].Name == name {
			return &ro.Status.Clusters[i]
		}
	}
	return nil
}

// routeWeights checks the member VirtualService's main route.
func routeWeights(t *testing.T, cluster, ns, name string, primary, canary int64) error {
	vs, err := memberVS(t, cluster, ns, name)
	if err != nil {
		return err
	}
	http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	if len(http) == 0 {
		return fmt.Errorf("VirtualService without http routes")
	}
	route, _, _ := unstructured.NestedSlice(http[len(http)-1].(map[string]any), "route")
	var got []int64
	for _, r := range route {
		w, _, _ := unstructured.NestedInt64(r.(map[string]any), "weight")
		got = append(got, w)
	}
	if len(got) != 2 || got[0] != primary || got[1] != canary {
		return fmt.Errorf("weights %v, want [%d %d]", got, primary, canary)
	}
	return nil
}
