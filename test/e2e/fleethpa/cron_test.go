package fleethpa

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// Two CronFederatedHPAs on "*/1 * * * *": one sets a workload template's
// replicas to 4, one a FederatedHPA's bounds to 3-5 (its workload then
// follows the new minimum). Each fires at the minute, records it with the
// schedule time and the next one; set back by hand, the workload stays as
// set for the rest of the minute (a rule fires once per schedule time) and
// is set again at the next minute, with two executions 60 s apart in the
// history.
func TestCronFederatedHPAFiresOncePerSchedule(t *testing.T) {
	ctx := context.Background()
	const ns = "cron"
	apply(t, deploymentYAML(ns, "cron-app", 1))
	apply(t, deploymentYAML(ns, "cron-bounds-app", 2))
	apply(t, `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: cron-apps
  namespace: cron
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: cron-app}
  - {apiVersion: apps/v1, kind: Deployment, name: cron-bounds-app}
  placement:
    clusterAffinity:
      clusterNames: [ondemand-cluster]
---
apiVersion: autoscaling.karmada.io/v1alpha1
kind: FederatedHPA
metadata:
  name: cron-bounds
  namespace: cron
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cron-bounds-app}
  minReplicas: 1
  maxReplicas: 2
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 3600
`)
	// Created in the middle of a minute so the first firing is at a clear
	// distance.
	if s := time.Now().Second(); s > 45 {
		fleettest.Eventually(t, 20*time.Second, "the next minute begins", func() error {
			if time.Now().Second() > 45 {
				return fmt.Errorf("second %d", time.Now().Second())
			}
			return nil
		})
	}
	apply(t, `apiVersion: autoscaling.karmada.io/v1alpha1
kind: CronFederatedHPA
metadata:
  name: cron-app-every-minute
  namespace: cron
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: cron-app
  rules:
  - name: to-four
    schedule: "*/1 * * * *"
    targetReplicas: 4
---
apiVersion: autoscaling.karmada.io/v1alpha1
kind: CronFederatedHPA
metadata:
  name: cron-bounds-every-minute
  namespace: cron
spec:
  scaleTargetRef:
    apiVersion: autoscaling.karmada.io/v1alpha1
    kind: FederatedHPA
    name: cron-bounds
  rules:
  - name: widen
    schedule: "*/1 * * * *"
    targetMinReplicas: 3
    targetMaxReplicas: 5
`)
	history := func(name string) (karmadaautoscalingv1alpha1.ExecutionHistory, error) {
		var c karmadaautoscalingv1alpha1.CronFederatedHPA
		if err := hub.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &c); err != nil {
			return karmadaautoscalingv1alpha1.ExecutionHistory{}, err
		}
		if len(c.Status.ExecutionHistories) != 1 {
			return karmadaautoscalingv1alpha1.ExecutionHistory{}, fmt.Errorf("%d histories, want one for the one rule", len(c.Status.ExecutionHistories))
		}
		return c.Status.ExecutionHistories[0], nil
	}
	var first time.Time
	fleettest.Eventually(t, 80*time.Second, "cron-app set to 4 at the minute, recorded", func() error {
		h, err := history("cron-app-every-minute")
		if err != nil {
			return err
		}
		if len(h.SuccessfulExecutions) != 1 || len(h.FailedExecutions) != 0 {
			return fmt.Errorf("history %+v", h)
		}
		e := h.SuccessfulExecutions[0]
		if ptr.Deref(e.AppliedReplicas, -1) != 4 {
			return fmt.Errorf("applied %v, want 4", e.AppliedReplicas)
		}
		first = e.ScheduleTime.Time
		if first.Second() != 0 || e.ExecutionTime.Sub(first) < 0 || e.ExecutionTime.Sub(first) > 5*time.Second {
			return fmt.Errorf("scheduled %s, executed %s: want a minute boundary and soon after", first, e.ExecutionTime)
		}
		if h.NextExecutionTime == nil || !h.NextExecutionTime.Time.Equal(first.Add(time.Minute)) {
			return fmt.Errorf("next execution %v, want %s", h.NextExecutionTime, first.Add(time.Minute))
		}
		n, err := templateReplicas(ctx, ns, "cron-app")
		if err != nil || n != 4 {
			return fmt.Errorf("cron-app template %d replicas (%v), want 4", n, err)
		}
		return nil
	})
	t.Logf("cron-app: fired for %s", first.Format(time.TimeOnly))
	fleettest.Eventually(t, 30*time.Second, "cron-bounds widened to 3-5 and cron-bounds-app at the new min of 3", func() error {
		h, err := history("cron-bounds-every-minute")
		if err != nil {
			return err
		}
		if len(h.SuccessfulExecutions) == 0 {
			return fmt.Errorf("history %+v", h)
		}
		e := h.SuccessfulExecutions[0]
		if ptr.Deref(e.AppliedMinReplicas, -1) != 3 || ptr.Deref(e.AppliedMaxReplicas, -1) != 5 {
			return fmt.Errorf("applied min %v max %v, want 3 and 5", e.AppliedMinReplicas, e.AppliedMaxReplicas)
		}
		var f karmadaautoscalingv1alpha1.FederatedHPA
		if err := hub.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cron-bounds"}, &f); err != nil {
			return err
		}
		if ptr.Deref(f.Spec.MinReplicas, -1) != 3 || f.Spec.MaxReplicas != 5 {
			return fmt.Errorf("FederatedHPA bounds %v-%d, want 3-5", f.Spec.MinReplicas, f.Spec.MaxReplicas)
		}
		n, err := templateReplicas(ctx, ns, "cron-bounds-app")
		if err != nil || n != 3 {
			return fmt.Errorf("cron-bounds-app template %d replicas (%v), want 3", n, err)
		}
		return nil
	})

	// Set back by hand: nothing fires again before the next minute.
	fleettest.Kubectl(t, fleet, "", "scale", "deployment", "cron-app", "-n", ns, "--replicas=1")
	next := first.Add(time.Minute)
	fleettest.Consistently(t, time.Until(next.Add(-time.Second)), "cron-app stays at 1 until the next schedule time", func() error {
		n, err := templateReplicas(ctx, ns, "cron-app")
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("cron-app at %d replicas at %s, before the schedule time %s", n, time.Now().Format(time.TimeOnly), next.Format(time.TimeOnly))
		}
		h, err := history("cron-app-every-minute")
		if err != nil {
			return err
		}
		if len(h.SuccessfulExecutions) != 1 {
			return fmt.Errorf("%d executions before the next schedule time", len(h.SuccessfulExecutions))
		}
		return nil
	})
	fleettest.Eventually(t, 15*time.Second, "cron-app set to 4 again at the next minute", func() error {
		h, err := history("cron-app-every-minute")
		if err != nil {
			return err
		}
		if len(h.SuccessfulExecutions) != 2 {
			return fmt.Errorf("%d executions, want 2", len(h.SuccessfulExecutions))
		}
		if got := h.SuccessfulExecutions[1].ScheduleTime.Sub(h.SuccessfulExecutions[0].ScheduleTime.Time); got != time.Minute {
			return fmt.Errorf("executions %s apart, want 1m", got)
		}
		n, err := templateReplicas(ctx, ns, "cron-app")
		if err != nil || n != 4 {
			return fmt.Errorf("cron-app template %d replicas (%v), want 4", n, err)
		}
		return nil
	})
}
