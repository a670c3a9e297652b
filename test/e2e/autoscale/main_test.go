// Package autoscale tests ScalePolicies end to end on a real local fleet:
// the promotion policy (the console's JSON) grows order-service and the
// worker pools of the north and south clusters when their pods' CPU,
// emulated by kwok and scraped by Prometheus, stays above 70% for the
// duration, and shrinks them back after the cooldown; a flapping metric
// does nothing; cron fires once per schedule time; a forecast scales ahead
// of the peak; bad input is refused or reported.
//
// The manager runs with --scale-time-divisor=20: the policy's 5m duration
// and cooldown take 15 s, its 30 s evaluation interval 1.5 s.
package autoscale

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

// divisor is the manager's --scale-time-divisor.
const divisor = 20

const (
	north = "north-cluster"
	south = "south-cluster"
	east  = "east-cluster"
)

func TestMain(m *testing.M) {
	cfg := localfleet.Config{
		Name: "e2e-autoscale",
		Members: []localfleet.Member{
			{Name: north, Region: "cn-north", Zone: "cn-north-1a", Provider: "huawei"},
			{Name: south, Region: "cn-south", Zone: "cn-south-1a", Provider: "huawei"},
			{Name: east, Region: "cn-east", Zone: "cn-east-1a", Provider: "alibaba"},
		},
		NodesPerMember: 3,
		Prometheus:     true,
		ManagerArgs:    []string{fmt.Sprintf("--scale-time-divisor=%d", divisor)},
	}
	os.Exit(fleettest.Main(m, cfg, true, &fleet, func(_ context.Context, st *localfleet.State) (func(), error) {
		var err error
		hub, err = fleettest.HubClient(st)
		return func() {}, err
	}))
}

func apply(t *testing.T, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "apply", "-f", "-")
}

func getPolicy(t *testing.T, ns, name string) *autoscalingv1alpha1.ScalePolicy {
	t.Helper()
	var p autoscalingv1alpha1.ScalePolicy
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// templateReplicas reads a Deployment's spec.replicas on the hub.
func templateReplicas(t *testing.T, ns, name string) int64 {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	n, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	return n
}

// readyPoolNodes counts the member's Ready nodes of a pool.
func readyPoolNodes(t *testing.T, cluster, pool string) int {
	t.Helper()
	nodes, err := fleettest.Client(t, fleet, cluster).CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: autoscalingv1alpha1.NodePoolLabel + "=" + pool})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, node := range nodes.Items {
		for _, c := range node.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" && !node.Spec.Unschedulable {
				n++
			}
		}
	}
	return n
}

// describePolicy is the state a failed wait prints.
func describePolicy(p *autoscalingv1alpha1.ScalePolicy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "phase %s value %s;", p.Status.Phase, p.Status.Value)
	for _, c := range p.Status.Clusters {
		fmt.Fprintf(&b, " %s %s (%s, min %s max %s, %d samples) %s;", c.Name, c.Verdict, c.Value, c.Min, c.Max, c.Samples, c.Message)
	}
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(&b, " %s=%s %s: %s;", c.Type, c.Status, c.Reason, c.Message)
	}
	for _, e := range p.Status.Executions {
		fmt.Fprintf(&b, " exec %d %s %s %s (%s);", e.ID, e.Direction, e.Result, e.Reason, e.Message)
	}
	return b.String()
}

// deployment is a propagated Deployment with a 100m CPU request, divided
// equally among clusters.
func deployment(ns, name string, replicas int, clusters ...string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  replicas: %[3]d
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: app
        image: registry.local/%[2]s:v1
        resources:
          requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    name: %[2]s
  placement:
    clusterAffinity:
      clusterNames: [%[4]s]
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
`, ns, name, replicas, strings.Join(clusters, ", "))
}

// waitReadyEverywhere waits until the Deployment's template reports every
// replica ready.
func waitReadyEverywhere(t *testing.T, ns, name string, want int64, timeout time.Duration) {
	t.Helper()
	fleettest.Eventually(t, timeout, fmt.Sprintf("Deployment %s/%s %d/%d ready", ns, name, want, want), func() error {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
			return err
		}
		ready, _, _ := unstructured.NestedInt64(obj.Object, "status", "readyReplicas")
		if ready != want {
			return fmt.Errorf("%d ready", ready)
		}
		return nil
	})
}
