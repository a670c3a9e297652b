package autoscale

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// policy is a ScalePolicy under spec acting on one Deployment in east.
func policy(ns, name, workload, trigger string) string {
	return fmt.Sprintf(`apiVersion: autoscaling.kurator.dev/v1alpha1
kind: ScalePolicy
metadata:
  name: %s
  namespace: %s
spec:
  targetClusters: [east-cluster]
  trigger: %s
  action:
    deployment: {name: %s, replicas: "+50%%"}
`, name, ns, trigger, workload)
}

// TestFlappingMetricDoesNothing: usage that alternates above and below the
// threshold within every window scales nothing, and status says the
// window was mixed.
func TestFlappingMetricDoesNothing(t *testing.T) {
	t.Parallel()
	const ns = "flapping"
	apply(t, deployment(ns, "cart-service", 4, east))
	waitReadyEverywhere(t, ns, "cart-service", 4, 2*time.Minute)
	apply(t, policy(ns, "cart-flaps", "cart-service", "{type: resource, metric: cpu, threshold: 70, duration: 5m}"))

	// 8 s at 90%, 8 s at 40%: every 15 s window holds both.
	sawMixed := false
	deadline := time.Now().Add(75 * time.Second)
	for i := 0; time.Now().Before(deadline) && i < 20; i++ {
		cpu := "90m"
		if i%2 == 1 {
			cpu = "40m"
		}
		fleettest.SetPodUsage(t, fleet, east, ns, "cart-service-", cpu, "32Mi")
		fleettest.Consistently(t, 8*time.Second, "no scaling while the metric flaps", func() error {
			p := getPolicy(t, ns, "cart-flaps")
			if len(p.Status.Executions) > 0 {
				return fmt.Errorf("a flapping metric scaled: %s", describePolicy(p))
			}
			for _, c := range p.Status.Clusters {
				sawMixed = sawMixed || c.Verdict == "Mixed"
			}
			return nil
		})
	}
	if n := templateReplicas(t, ns, "cart-service"); n != 4 {
		t.Errorf("cart-service has %d replicas, want the 4 it had", n)
	}
	if !sawMixed {
		t.Errorf("status never showed a Mixed window: %s", describePolicy(getPolicy(t, ns, "cart-flaps")))
	}
}

// TestTwoPoliciesOnOneWorkloadConflict: the second policy on the same
// Deployment reports a conflict naming the first and acts on nothing.
func TestTwoPoliciesOnOneWorkloadConflict(t *testing.T) {
	t.Parallel()
	const ns = "conflicts"
	apply(t, deployment(ns, "catalog", 2, east))
	apply(t, policy(ns, "catalog-first", "catalog", "{type: resource, metric: cpu, threshold: 90}"))
	fleettest.Eventually(t, 30*time.Second, "catalog-first evaluated", func() error {
		if p := getPolicy(t, ns, "catalog-first"); p.Status.Phase == "" {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	apply(t, policy(ns, "catalog-second", "catalog", "{type: resource, metric: cpu, threshold: 50}"))
	fleettest.Eventually(t, 30*time.Second, "catalog-second reports the conflict", func() error {
		p := getPolicy(t, ns, "catalog-second")
		c := meta.FindStatusCondition(p.Status.Conditions, autoscalingv1alpha1.ConditionConflict)
		if c == nil || c.Status != "True" || !strings.Contains(c.Message, "ScalePolicy conflicts/catalog-first") {
			return fmt.Errorf("%s", describePolicy(p))
		}
		if p.Status.Phase != autoscalingv1alpha1.PhaseBlocked {
			return fmt.Errorf("phase %s, want Blocked", p.Status.Phase)
		}
		return nil
	})
	if p := getPolicy(t, ns, "catalog-first"); p.Status.Phase == autoscalingv1alpha1.PhaseBlocked {
		t.Errorf("the first policy is blocked too: %s", describePolicy(p))
	}
	// A hub HPA on the same Deployment, newer than catalog-first, yields too.
	apply(t, `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: catalog, namespace: conflicts}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: catalog}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`)
	// The older of the two acts; created in the same second (timestamps
	// have seconds only), the name decides: "HorizontalPodAutoscaler ..."
	// sorts before "ScalePolicy ...".
	var hpa autoscalingv2.HorizontalPodAutoscaler
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "catalog"}, &hpa); err != nil {
		t.Fatal(err)
	}
	first := getPolicy(t, ns, "catalog-first")
	if hpa.CreationTimestamp.After(first.CreationTimestamp.Time) {
		fleettest.Eventually(t, 30*time.Second, "the HPA reports that catalog-first scales catalog", func() error {
			if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "catalog"}, &hpa); err != nil {
				return err
			}
			for _, c := range hpa.Status.Conditions {
				if c.Type == autoscalingv2.ScalingActive && c.Status == "False" && strings.Contains(c.Message, "ScalePolicy conflicts/catalog-first") {
					return nil
				}
			}
			return fmt.Errorf("conditions %+v", hpa.Status.Conditions)
		})
	} else {
		t.Logf("the HPA and catalog-first were created in the same second: the HPA's name sorts first, so it acts")
		fleettest.Eventually(t, 30*time.Second, "catalog-first reports that the HPA scales catalog", func() error {
			p := getPolicy(t, ns, "catalog-first")
			c := meta.FindStatusCondition(p.Status.Conditions, autoscalingv1alpha1.ConditionConflict)
			if c == nil || c.Status != "True" || !strings.Contains(c.Message, "HorizontalPodAutoscaler conflicts/catalog") {
				return fmt.Errorf("%s", describePolicy(p))
			}
			return nil
		})
	}
	// A manual trigger of the yielding policy changes nothing either (what
	// kurator scale trigger writes; the CLI itself needs t.Setenv, which a
	// parallel test cannot use).
	fleettest.Kubectl(t, fleet, "", "annotate", "-n", ns, "scalepolicy", "catalog-second", autoscalingv1alpha1.TriggerAnnotation+"="+time.Now().Format(time.RFC3339Nano))
	fleettest.Consistently(t, 5*time.Second, "catalog keeps 2 replicas", func() error {
		if n := templateReplicas(t, ns, "catalog"); n != 2 {
			return fmt.Errorf("catalog has %d replicas", n)
		}
		return nil
	})
}

// TestMissingTargetsAreReportedAndRetried: a policy naming a Deployment that
// does not exist says so, and acts once it is created; an unparsable cron
// expression is reported with the field and an example.
func TestMissingTargetsAreReportedAndRetried(t *testing.T) {
	t.Parallel()
	const ns = "missing"
	fleettest.Kubectl(t, fleet, "", "create", "namespace", ns)
	apply(t, policy(ns, "later", "search-service", "{type: cron, schedule: \"0 0 1 1 *\"}"))
	fleettest.Eventually(t, 30*time.Second, "TargetsFound=False naming the Deployment", func() error {
		p := getPolicy(t, ns, "later")
		c := meta.FindStatusCondition(p.Status.Conditions, autoscalingv1alpha1.ConditionTargetsFound)
		if c == nil || c.Status != "False" || !strings.Contains(c.Message, "Deployment missing/search-service not found") {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})
	apply(t, deployment(ns, "search-service", 2, east))
	fleettest.Eventually(t, 30*time.Second, "TargetsFound=True once the Deployment exists", func() error {
		p := getPolicy(t, ns, "later")
		c := meta.FindStatusCondition(p.Status.Conditions, autoscalingv1alpha1.ConditionTargetsFound)
		if c == nil || c.Status != "True" || p.Status.Phase != autoscalingv1alpha1.PhaseWatching {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})

	apply(t, policy(ns, "bad-cron", "search-service", "{type: cron, schedule: \"every morning\"}"))
	fleettest.Eventually(t, 30*time.Second, "Ready=False naming the cron expression", func() error {
		p := getPolicy(t, ns, "bad-cron")
		c := meta.FindStatusCondition(p.Status.Conditions, autoscalingv1alpha1.ConditionReady)
		if c == nil || c.Status != "False" || c.Reason != "InvalidSpec" || !strings.Contains(c.Message, "every morning") {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})
}

// TestManualTriggerRunsOnce: the trigger annotation (what kurator scale
// trigger writes) scales out once, recorded as manual, whatever the
// trigger says; the same value again does nothing more.
func TestManualTriggerRunsOnce(t *testing.T) {
	t.Parallel()
	const ns = "manual"
	apply(t, deployment(ns, "billing", 2, east))
	waitReadyEverywhere(t, ns, "billing", 2, 2*time.Minute)
	apply(t, policy(ns, "by-hand", "billing", `{type: cron, schedule: "0 0 1 1 *"}`))
	stamp := time.Now().Format(time.RFC3339Nano)
	fleettest.Kubectl(t, fleet, "", "annotate", "-n", ns, "scalepolicy", "by-hand", autoscalingv1alpha1.TriggerAnnotation+"="+stamp)
	var p *autoscalingv1alpha1.ScalePolicy
	fleettest.Eventually(t, time.Minute, "a manual scale-out, Succeeded", func() error {
		p = getPolicy(t, ns, "by-hand")
		if len(p.Status.Executions) == 0 || p.Status.Executions[0].Result != autoscalingv1alpha1.ResultSucceeded {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})
	e := p.Status.Executions[0]
	if e.Trigger != string(autoscalingv1alpha1.TriggerManual) || e.Direction != "Out" || p.Status.HandledTrigger != stamp {
		t.Errorf("execution %+v, handledTrigger %q: want a manual scale-out and the annotation's value handled", e, p.Status.HandledTrigger)
	}
	if n := templateReplicas(t, ns, "billing"); n != 3 {
		t.Errorf("billing has %d replicas, want 3 (+50%% of 2)", n)
	}
	fleettest.Consistently(t, 5*time.Second, "the same annotation does not run again", func() error {
		if p := getPolicy(t, ns, "by-hand"); len(p.Status.Executions) != 1 {
			return fmt.Errorf("%s", describePolicy(p))
		}
		return nil
	})
}
