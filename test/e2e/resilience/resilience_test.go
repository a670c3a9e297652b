package resilience

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/pkg/fleetview"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai"
	frankfurt = "cluster-frankfurt"
)

// A Fleet listing a cluster of global-production (which holds all three).
const shadowFleet = `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: shadow, namespace: kurator-system}
spec:
  clusters:
  - name: cluster-hangzhou
  placement:
    spreadConstraints:
    - {spreadByField: cluster, maxGroups: 1}
`

// Preferred terms the scheduler cannot parse; admission may refuse some of
// them (then the hub never holds such a Fleet, which is better still), so
// the test uses the first one the hub accepts.
var badTerms = []string{
	`{key: tier, operator: Gt, values: [gold]}`,
	`{key: tier, operator: Near, values: [gold]}`,
}

func badTermFleet(term string) string {
	return fmt.Sprintf(`apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: bad-term, namespace: kurator-system}
spec:
  placement:
    clusterAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        preference:
          matchExpressions:
          - %s
`, term)
}

const workload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: steady, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: steady}}
  template:
    metadata: {labels: {app: steady}}
    spec:
      containers:
      - {name: app, image: nginx:1.25, resources: {requests: {cpu: 10m, memory: 16Mi}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: steady, namespace: default}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: steady}
  placement:
    clusterAffinity:
      clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]
    spreadConstraints:
    - {spreadByField: cluster, maxGroups: 3}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
`

func TestOneBadFleetStopsNothingElse(t *testing.T) {
	kubectl(t, shadowFleet, "apply", "-f", "-")
	t.Cleanup(func() { kubectl(t, shadowFleet, "delete", "--ignore-not-found", "-f", "-") })
	badTerm := ""
	for _, term := range badTerms {
		y := badTermFleet(term)
		if out, err := tryKubectl(y, "apply", "-f", "-"); err != nil {
			t.Logf("admission refuses the preferred term %s: %s", term, strings.TrimSpace(out))
			continue
		}
		badTerm = y
		t.Cleanup(func() { kubectl(t, y, "delete", "--ignore-not-found", "-f", "-") })
		break
	}

	fleettest.Eventually(t, 30*time.Second, "Fleet shadow says it lost cluster-hangzhou to global-production", fleetInvalid("shadow", fleetview.ReasonClusterInTwoFleets, "global-production"))
	if badTerm != "" {
		fleettest.Eventually(t, 30*time.Second, "Fleet bad-term says its preferences are ignored", fleetInvalid("bad-term", fleetview.ReasonInvalidPreference, "preferredDuringSchedulingIgnoredDuringExecution[0]"))
	} else {
		t.Log("admission refused every bad preferred term; only the shared-member Fleet is on the hub")
	}
	fleettest.Eventually(t, 30*time.Second, "global-production stays valid", fleetValid("global-production"))

	// A workload placed over all three members still schedules: Divided,
	// weights 1:1:1. Before, the shared member made every binding fail.
	kubectl(t, workload, "apply", "-f", "-")
	t.Cleanup(func() { kubectl(t, workload, "delete", "--ignore-not-found", "-f", "-") })
	fleettest.Eventually(t, 60*time.Second, "steady is placed 1:1:1 and ready in every member", func() error {
		return placedAndReady(t, map[string]int32{hangzhou: 1, shanghai: 1, frankfurt: 1})
	})
	fleettest.Eventually(t, 30*time.Second, "PropagationPolicy steady reports one claimed resource", func() error {
		var pp policyv1alpha1.PropagationPolicy
		if err := hub.Get(context.Background(), types.NamespacedName{Namespace: "default", Name: "steady"}, &pp); err != nil {
			return err
		}
		c := meta.FindStatusCondition(pp.Status.Conditions, policyv1alpha1.PolicyConditionReady)
		if c == nil || c.Status != metav1.ConditionTrue || pp.Status.ClaimedResources != 1 {
			return fmt.Errorf("status %+v", pp.Status)
		}
		return nil
	})

	// A failover elsewhere still happens: Frankfurt goes down, its replica
	// moves to the two others (the dry run used to fail on the bad Fleet).
	if err := fleet.Kill(frankfurt + "/kube-apiserver"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := fleet.RestartCluster(ctx, frankfurt, true); err != nil {
			t.Errorf("bring %s back: %v", frankfurt, err)
		}
	})
	fleettest.Eventually(t, 60*time.Second, "steady's 3 replicas leave Frankfurt and are ready in Hangzhou and Shanghai", func() error {
		rb, err := binding()
		if err != nil {
			return err
		}
		var total int32
		for _, c := range rb.Spec.Clusters {
			if c.Name == frankfurt {
				return fmt.Errorf("still placed on %s: %v", frankfurt, rb.Spec.Clusters)
			}
			total += c.Replicas
		}
		if total != 3 {
			return fmt.Errorf("placed %d of 3: %v", total, rb.Spec.Clusters)
		}
		var ready int32
		for _, c := range []string{hangzhou, shanghai} {
			d, err := fleettest.Client(t, fleet, c).AppsV1().Deployments("default").Get(context.Background(), "steady", metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			ready += d.Status.ReadyReplicas
		}
		if ready != 3 {
			return fmt.Errorf("%d of 3 ready in Hangzhou and Shanghai", ready)
		}
		return nil
	})
}

func binding() (*workv1alpha1.ResourceBinding, error) {
	var rb workv1alpha1.ResourceBinding
	err := hub.Get(context.Background(), types.NamespacedName{Namespace: "default", Name: workv1alpha1.BindingName("steady", "Deployment")}, &rb)
	return &rb, err
}

// placedAndReady checks the binding's placement and every member's ready
// replicas against want.
func placedAndReady(t *testing.T, want map[string]int32) error {
	rb, err := binding()
	if err != nil {
		return err
	}
	got := map[string]int32{}
	for _, c := range rb.Spec.Clusters {
		got[c.Name] = c.Replicas
	}
	for c, n := range want {
		if got[c] != n {
			return fmt.Errorf("placed %v, want %v (Scheduled: %v)", got, want, meta.FindStatusCondition(rb.Status.Conditions, workv1alpha1.ConditionScheduled))
		}
	}
	for c, n := range want {
		d, err := fleettest.Client(t, fleet, c).AppsV1().Deployments("default").Get(context.Background(), "steady", metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		if d.Status.ReadyReplicas != n {
			return fmt.Errorf("%s: %d of %d ready", c, d.Status.ReadyReplicas, n)
		}
	}
	return nil
}

func fleetCondition(name string) (*metav1.Condition, error) {
	var f fleetv1alpha1.Fleet
	if err := hub.Get(context.Background(), types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: name}, &f); err != nil {
		return nil, err
	}
	c := meta.FindStatusCondition(f.Status.Conditions, fleetv1alpha1.ConditionValid)
	if c == nil {
		return nil, fmt.Errorf("Fleet %s has no Valid condition yet: %v", name, f.Status.Conditions)
	}
	return c, nil
}

func fleetInvalid(name, reason, fragment string) func() error {
	return func() error {
		c, err := fleetCondition(name)
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionFalse || c.Reason != reason || !strings.Contains(c.Message, fragment) {
			return fmt.Errorf("Valid %s %s %q, want False %s containing %q", c.Status, c.Reason, c.Message, reason, fragment)
		}
		return nil
	}
}

func fleetValid(name string) func() error {
	return func() error {
		c, err := fleetCondition(name)
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionTrue {
			return fmt.Errorf("Valid %s %s %q", c.Status, c.Reason, c.Message)
		}
		return nil
	}
}

func kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	return fleettest.Kubectl(t, fleet, stdin, append([]string{"--context", localfleet.HubName}, args...)...)
}

// tryKubectl is kubectl on the hub that returns its failure instead of
// failing the test (to learn whether admission refuses an object).
func tryKubectl(stdin string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(localfleet.DefaultBinDir(), "kubectl"), append([]string{"--kubeconfig", fleet.Kubeconfig, "--context", localfleet.HubName}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
