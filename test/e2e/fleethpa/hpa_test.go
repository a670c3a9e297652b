package fleethpa

import (
	"context"
	"fmt"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/fleethpa"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	seedNamespace = "default"
	seedApp       = "cost-sensitive-app"
	seedHPA       = "cost-aware-hpa"
)

// setSeedUsage sets the cpu of every cost-sensitive-app pod in both members.
func setSeedUsage(t *testing.T, cpu string) {
	t.Helper()
	for _, c := range []string{spot, ondemand} {
		fleettest.SetPodUsage(t, fleet, c, seedNamespace, seedApp+"-", cpu, "")
	}
}

// Seed 001 §5.2: the HPA cost-aware-hpa (3-20 replicas, cpu 50%, scale-down
// by the smaller of 50% and 5 pods per minute) on cost-sensitive-app, which
// the seed's PropagationPolicy divides 80/20 between spot-cluster and
// ondemand-cluster. With the pods at 90% of their request the hub grows
// the template to 20 and every step stays 80/20 in both members; with them
// at 5% it shrinks to 3 only after the stabilization window and never by
// more than the seed's policy allows per period.
func TestSeedHPAScalesTheFleetAndKeeps8020(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() {
		for _, c := range []string{spot, ondemand} {
			fleettest.ClearPodUsage(t, fleet, c, seedNamespace, seedApp+"-")
		}
	})
	// At 50% the HPA holds 5: within the tolerance from the start.
	setSeedUsage(t, "50m")
	apply(t, deploymentYAML(seedNamespace, seedApp, 5))
	apply(t, readFile(t, "../../../api/testdata/seeds/001-pp-cost-optimization.yaml"))
	fleettest.Eventually(t, 2*time.Minute, "cost-sensitive-app runs 4/1 in spot/on-demand", func() error {
		s, err := readSplit(ctx, seedNamespace, seedApp)
		if err != nil {
			return err
		}
		return weighted8020(s, 5)
	})
	waitPodUsage(t, seedNamespace, seedApp+"-", []string{spot, ondemand}, 0.05, 5)
	apply(t, readFile(t, "testdata/001-hpa-cost-aware-hpa.yaml"))
	fleettest.Eventually(t, 30*time.Second, "cost-aware-hpa evaluated at 50% with 5 replicas", func() error {
		h, err := getHPA(ctx, seedNamespace, seedHPA)
		if err != nil {
			return err
		}
		active := condition(h.Status, autoscalingv2.ScalingActive)
		if active.Status != corev1.ConditionTrue || h.Status.CurrentReplicas != 5 || h.Status.DesiredReplicas != 5 {
			return fmt.Errorf("status: %s", describeStatus(h.Status))
		}
		if u := cpuUtilization(h.Status); u < 45 || u > 55 {
			return fmt.Errorf("cpu utilisation %d%%, want 50%% ± 5: %s", u, describeStatus(h.Status))
		}
		return nil
	})

	// Scale up.
	record := recordReplicas(t, seedNamespace, seedApp)
	high := time.Now()
	setSeedUsage(t, "90m")
	fleettest.Eventually(t, 3*time.Minute, "cost-sensitive-app grows to the HPA's max of 20, 16/4", func() error {
		s, err := readSplit(ctx, seedNamespace, seedApp)
		if err != nil {
			return err
		}
		return weighted8020(s, 20)
	})
	ups := record()
	t.Logf("scale-up: %s", describeChanges(ups))
	if len(ups) < 2 || ups[1].replicas <= 5 {
		t.Fatalf("template replicas %s, want growth from 5", describeChanges(ups))
	}
	t.Logf("usage 50%% -> 90%%: the template changed %s later (Prometheus' rate window %s, sync %s); it reached 20 after %s",
		ups[1].at.Sub(high).Round(100*time.Millisecond), fleetmetricsRateWindow, time.Duration(float64(fleethpa.DefaultSyncPeriod)/divisor), ups[len(ups)-1].at.Sub(high).Round(100*time.Millisecond))
	for i := 1; i < len(ups); i++ {
		if ups[i].replicas < ups[i-1].replicas {
			t.Errorf("the template shrank during the scale-up: %s", describeChanges(ups))
		}
	}
	fleettest.Eventually(t, 10*time.Second, "cost-aware-hpa status at 20, limited by max", func() error {
		h, err := getHPA(ctx, seedNamespace, seedHPA)
		if err != nil {
			return err
		}
		if lim := condition(h.Status, autoscalingv2.ScalingLimited); lim.Status != corev1.ConditionTrue || lim.Reason != "TooManyReplicas" {
			return fmt.Errorf("ScalingLimited %s/%s, want True/TooManyReplicas (%s)", lim.Status, lim.Reason, describeStatus(h.Status))
		}
		if h.Status.LastScaleTime == nil || h.Status.CurrentReplicas != 20 || h.Status.DesiredReplicas != 20 {
			return fmt.Errorf("lastScaleTime %v, %s", h.Status.LastScaleTime, describeStatus(h.Status))
		}
		return nil
	})

	// Scale down: every proposal is 3 (min), and the seed's policy lets the
	// template fall by the smaller of 50% and 5 pods per period.
	record = recordReplicas(t, seedNamespace, seedApp)
	low := time.Now()
	setSeedUsage(t, "5m")
	fleettest.Eventually(t, 3*time.Minute, "cost-sensitive-app shrinks to the HPA's min of 3, 2/1", func() error {
		s, err := readSplit(ctx, seedNamespace, seedApp)
		if err != nil {
			return err
		}
		return weighted8020(s, 3)
	})
	downs := record()
	t.Logf("scale-down: %s", describeChanges(downs))
	want := []int32{20, 15, 10, 5, 3}
	if len(downs) != len(want) {
		t.Fatalf("template replicas %s, want 20 -> 15 -> 10 -> 5 -> 3", describeChanges(downs))
	}
	window := time.Duration(float64(5*time.Minute) / divisor)
	period := time.Duration(float64(time.Minute) / divisor)
	for i, c := range downs {
		if c.replicas != want[i] {
			t.Errorf("step %d: %d replicas, want %d (%s)", i, c.replicas, want[i], describeChanges(downs))
		}
	}
	if first := downs[1].at.Sub(low); first < window-time.Second {
		t.Errorf("the first scale-down came %s after the load dropped, before the %s stabilization window", first, window)
	}
	for i := 2; i < len(downs); i++ {
		// Writes are observed within 100 ms; allow that much jitter.
		if gap := downs[i].at.Sub(downs[i-1].at); gap < period-500*time.Millisecond {
			t.Errorf("scale-downs %d and %d are %s apart, within one %s policy period", i-1, i, gap, period)
		}
	}
	t.Logf("usage 90%% -> 5%%: first scale-down %s later (window %s), at 3 after %s",
		downs[1].at.Sub(low).Round(100*time.Millisecond), window, downs[len(downs)-1].at.Sub(low).Round(100*time.Millisecond))
	reportSyncCost(t)
}

// fleetmetricsRateWindow is the rate() window the controller reads cpu with.
const fleetmetricsRateWindow = 20 * time.Second

// An HPA whose target no policy propagates says so; a PropagationPolicy
// that selects HPAs propagates such an HPA like any template, but never one
// whose target is propagated (seed 001's cost-aware-hpa): members would run
// HPAs fighting the hub's.
func TestHPAsOfUnpropagatedAndPropagatedTargets(t *testing.T) {
	ctx := context.Background()
	const ns = "solo"
	apply(t, deploymentYAML(ns, "solo", 1))
	apply(t, `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: solo-hpa
  namespace: solo
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: solo}
  minReplicas: 1
  maxReplicas: 3
`)
	fleettest.Eventually(t, 30*time.Second, "solo-hpa reports its target is not propagated", func() error {
		h, err := getHPA(ctx, ns, "solo-hpa")
		if err != nil {
			return err
		}
		c := condition(h.Status, autoscalingv2.ScalingActive)
		if c.Status != corev1.ConditionFalse || c.Reason != fleethpa.ReasonNotPropagated {
			return fmt.Errorf("ScalingActive %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		t.Logf("solo-hpa: ScalingActive=False %s: %s", c.Reason, c.Message)
		return nil
	})

	// The seed's objects (the scale test may not have run).
	apply(t, deploymentYAML(seedNamespace, seedApp, 5))
	apply(t, readFile(t, "../../../api/testdata/seeds/001-pp-cost-optimization.yaml"))
	apply(t, readFile(t, "testdata/001-hpa-cost-aware-hpa.yaml"))
	fleettest.Eventually(t, time.Minute, "cost-sensitive-app is bound", func() error {
		_, err := readSplit(ctx, seedNamespace, seedApp)
		return err
	})
	for _, pp := range []struct{ ns, hpa string }{{ns, "solo-hpa"}, {seedNamespace, seedHPA}} {
		apply(t, fmt.Sprintf(`apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: hpas-too
  namespace: %s
spec:
  resourceSelectors:
  - {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: %s}
  placement:
    clusterAffinity:
      clusterNames: [%s]
`, pp.ns, pp.hpa, spot))
	}
	fleettest.Eventually(t, time.Minute, "solo-hpa (its target unpropagated) is propagated to spot-cluster", func() error {
		_, err := kube[spot].AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "solo-hpa", metav1.GetOptions{})
		return err
	})
	fleettest.Consistently(t, 5*time.Second, "cost-aware-hpa (its target propagated) is not propagated", func() error {
		var rb workv1alpha1.ResourceBinding
		if err := fleettest.Absent("the binding of cost-aware-hpa", hub.Get(ctx, types.NamespacedName{Namespace: seedNamespace, Name: workv1alpha1.BindingName(seedHPA, "HorizontalPodAutoscaler")}, &rb)); err != nil {
			return err
		}
		_, err := kube[spot].AutoscalingV2().HorizontalPodAutoscalers(seedNamespace).Get(ctx, seedHPA, metav1.GetOptions{})
		return fleettest.Absent("cost-aware-hpa in spot-cluster", err)
	})
	fleettest.Kubectl(t, fleet, "", "delete", "propagationpolicy", "hpas-too", "-n", ns)
	fleettest.Kubectl(t, fleet, "", "delete", "propagationpolicy", "hpas-too", "-n", seedNamespace)
}
