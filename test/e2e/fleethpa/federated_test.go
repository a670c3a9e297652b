package fleethpa

import (
	"context"
	"fmt"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// A Karmada FederatedHPA (its YAML as Karmada documents it) on a workload
// the policy Duplicates to both clusters: each member runs the template's
// full count, so the 4 pods of a 2-replica template are calibrated back to
// the template (2 members / 1 template): at 90% of a 50% target the first
// step is to 4 (1.8 x 4 pods / 2), not 8 (limited to 6); it then grows to
// its max of 6, and each member runs 6.
func TestFederatedHPAOnADuplicatedWorkloadIsCalibrated(t *testing.T) {
	ctx := context.Background()
	const ns, name = "fhpa", "fhpa-app"
	for _, c := range []string{spot, ondemand} {
		fleettest.SetPodUsage(t, fleet, c, ns, name+"-", "90m", "")
	}
	t.Cleanup(func() {
		for _, c := range []string{spot, ondemand} {
			fleettest.ClearPodUsage(t, fleet, c, ns, name+"-")
		}
	})
	apply(t, deploymentYAML(ns, name, 2))
	apply(t, `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: fhpa-app
  namespace: fhpa
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: fhpa-app}
  placement:
    clusterAffinity:
      clusterNames: [spot-cluster, ondemand-cluster]
    replicaScheduling:
      replicaSchedulingType: Duplicated
`)
	waitPodUsage(t, ns, name+"-", []string{spot, ondemand}, 0.09, 4)
	record := recordReplicas(t, ns, name)
	created := time.Now()
	apply(t, `apiVersion: autoscaling.karmada.io/v1alpha1
kind: FederatedHPA
metadata:
  name: fhpa-app
  namespace: fhpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: fhpa-app
  minReplicas: 2
  maxReplicas: 6
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 50
`)
	fleettest.Eventually(t, 2*time.Minute, "fhpa-app at 6 in the template and in each member", func() error {
		s, err := readSplit(ctx, ns, name)
		if err != nil {
			return err
		}
		if s.spec[spot] != 6 || s.spec[ondemand] != 6 || s.ready[spot] != 6 || s.ready[ondemand] != 6 {
			return fmt.Errorf("members: %s", s)
		}
		return nil
	})
	changes := record()
	t.Logf("fhpa-app template: %s (first change %s after the FederatedHPA was created)", describeChanges(changes), changes[min(1, len(changes)-1)].at.Sub(created).Round(100*time.Millisecond))
	if len(changes) < 2 || changes[0].replicas != 2 {
		t.Fatalf("template replicas %s, want growth from 2", describeChanges(changes))
	}
	// Calibrated: ceil(1.8 x 4 / 2) = 4 (3 when a pod's sample was not yet
	// trusted); uncalibrated it would be ceil(1.8 x 4) = 8, limited to 6.
	if first := changes[1].replicas; first != 3 && first != 4 {
		t.Errorf("first step 2 -> %d, want 4 (the member pods calibrated by 2 members per template replica)", first)
	}
	if last := changes[len(changes)-1].replicas; last != 6 {
		t.Errorf("template ends at %d, want the max of 6", last)
	}
	var f karmadaautoscalingv1alpha1.FederatedHPA
	fleettest.Eventually(t, 10*time.Second, "FederatedHPA status at 6, limited by max", func() error {
		if err := hub.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &f); err != nil {
			return err
		}
		if f.Status.CurrentReplicas != 6 || f.Status.LastScaleTime == nil || condition(f.Status, autoscalingv2.ScalingLimited).Reason != "TooManyReplicas" ||
			condition(f.Status, autoscalingv2.ScalingActive).Status != corev1.ConditionTrue {
			return fmt.Errorf("FederatedHPA status: %s", describeStatus(f.Status))
		}
		return nil
	})
	if u := cpuUtilization(f.Status); u < 80 || u > 100 {
		t.Errorf("FederatedHPA cpu utilisation %d%%, want about 90%%", u)
	}
}
