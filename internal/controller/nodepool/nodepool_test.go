package nodepool

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/nodepool"
)

func TestServedVersion(t *testing.T) {
	md := metav1.APIResource{Name: "machinedeployments", Kind: "MachineDeployment"}
	machines := metav1.APIResource{Name: "machines", Kind: "Machine"}
	cases := []struct {
		name  string
		lists []*metav1.APIResourceList
		want  string
	}{
		{"both served: v1beta2 preferred", []*metav1.APIResourceList{
			{GroupVersion: "cluster.x-k8s.io/v1beta1", APIResources: []metav1.APIResource{md}},
			{GroupVersion: "cluster.x-k8s.io/v1beta2", APIResources: []metav1.APIResource{md}},
		}, "v1beta2"},
		{"only v1beta1 served: falls back to it", []*metav1.APIResourceList{
			{GroupVersion: "cluster.x-k8s.io/v1beta1", APIResources: []metav1.APIResource{md}},
		}, "v1beta1"},
		{"the group serves other kinds only: none", []*metav1.APIResourceList{
			{GroupVersion: "cluster.x-k8s.io/v1beta2", APIResources: []metav1.APIResource{machines}},
		}, ""},
		{"no Cluster API at all: none", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: tc.lists}}
			got, err := servedVersion(d, "machinedeployments")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("servedVersion = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMachineDeploymentStatus(t *testing.T) {
	cases := []struct {
		name string
		obj  map[string]any
		want mdStatus
	}{
		{"status mirrored, generation observed", map[string]any{
			"metadata": map[string]any{"generation": int64(3)},
			"status":   map[string]any{"replicas": int64(3), "readyReplicas": int64(2), "observedGeneration": int64(3)},
		}, mdStatus{replicas: 3, ready: 2, observedCurrent: true}},
		{"status older than the spec", map[string]any{
			"metadata": map[string]any{"generation": int64(4)},
			"status":   map[string]any{"replicas": int64(1), "observedGeneration": int64(3)},
		}, mdStatus{replicas: 1, observedCurrent: false}},
		{"no status yet: zero, nothing to compare", map[string]any{
			"metadata": map[string]any{"generation": int64(1)},
		}, mdStatus{observedCurrent: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := machineDeploymentStatus(&unstructured.Unstructured{Object: tc.obj})
			if got != tc.want {
				t.Fatalf("machineDeploymentStatus = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMachineNode(t *testing.T) {
	machine := func(status map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "md-abc12"}, "status": status}}
	}
	cases := []struct {
		name string
		m    *unstructured.Unstructured
		want autoscalingv1alpha1.PoolNode
	}{
		{"ready machine is named by its node", machine(map[string]any{
			"nodeRef":    map[string]any{"name": "ip-10-0-0-7"},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}},
		}), autoscalingv1alpha1.PoolNode{Name: "ip-10-0-0-7", Ready: true}},
		{"machine not ready says why", machine(map[string]any{
			"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "WaitingForBootstrap", "message": "bootstrap data not ready"}},
		}), autoscalingv1alpha1.PoolNode{Name: "md-abc12", Message: "Machine md-abc12: Ready is False WaitingForBootstrap bootstrap data not ready"}},
		{"machine without conditions gives its phase", machine(map[string]any{"phase": "Provisioning"}),
			autoscalingv1alpha1.PoolNode{Name: "md-abc12", Message: "Machine md-abc12: no Ready condition yet (phase Provisioning)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := machineNode(tc.m); got != tc.want {
				t.Fatalf("machineNode = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func readyNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
}

func TestKwokOutcome(t *testing.T) {
	cases := []struct {
		name         string
		round        kwokRound
		plan         nodepool.Plan
		had, want    int
		blocked      []string
		replicas     int32
		ready        int32
		scaling      string
		inMessage    string
		nodesInOrder []string
	}{
		{
			name: "new nodes count, are not Ready yet, and the pool says it grows",
			round: kwokRound{
				nodes:   map[string]*corev1.Node{"c-node-10": readyNode("c-node-10"), "c-node-2": readyNode("c-node-2"), "c-worker-pool-0": {ObjectMeta: metav1.ObjectMeta{Name: "c-worker-pool-0"}}},
				created: []string{"c-worker-pool-0"}, drain: map[string]string{},
			},
			plan: nodepool.Plan{Create: []string{"c-worker-pool-0"}}, had: 2, want: 3,
			replicas: 3, ready: 2, scaling: ReasonScalingUp, inMessage: "adding 1 nodes (2 to 3): c-worker-pool-0",
			nodesInOrder: []string{"c-node-2", "c-node-10", "c-worker-pool-0"},
		},
		{
			name: "a node still draining keeps the pool scaling down",
			round: kwokRound{
				nodes: map[string]*corev1.Node{"a": readyNode("a"), "b": readyNode("b")},
				drain: map[string]string{"b": "being removed: 2 pods to move off"},
			},
			plan: nodepool.Plan{Remove: []string{"b"}}, had: 2, want: 1,
			replicas: 2, ready: 2, scaling: ReasonScalingDown, inMessage: "removing 1 nodes (2 to 1)",
			nodesInOrder: []string{"a", "b"},
		},
		{
			name: "an eviction refused by a PodDisruptionBudget is named",
			round: kwokRound{
				nodes: map[string]*corev1.Node{"a": readyNode("a"), "b": readyNode("b")},
				drain: map[string]string{"b": "being removed: 1 pods to move off"},
			},
			plan: nodepool.Plan{Remove: []string{"b"}}, had: 2, want: 1, blocked: []string{"pod shop/web-1 on b: Cannot evict pod"},
			replicas: 2, ready: 2, scaling: ReasonDrainBlocked, inMessage: "pod shop/web-1 on b",
			nodesInOrder: []string{"a", "b"},
		},
		{
			name: "drained and deleted this round: at size",
			round: kwokRound{
				nodes: map[string]*corev1.Node{"a": readyNode("a")}, drain: map[string]string{}, deleted: []string{"b"},
			},
			plan: nodepool.Plan{Remove: []string{"b"}}, had: 2, want: 1,
			replicas: 1, ready: 1, nodesInOrder: []string{"a"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.round.outcome(tc.plan, tc.had, tc.want, tc.blocked)
			if out.replicas != tc.replicas || out.ready != tc.ready || out.scaling != tc.scaling {
				t.Fatalf("outcome replicas %d ready %d scaling %q; want %d %d %q", out.replicas, out.ready, out.scaling, tc.replicas, tc.ready, tc.scaling)
			}
			if !strings.Contains(out.scalingMessage, tc.inMessage) {
				t.Errorf("scaling message %q does not contain %q", out.scalingMessage, tc.inMessage)
			}
			var names []string
			for _, n := range out.nodes {
				names = append(names, n.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.nodesInOrder, ",") {
				t.Errorf("nodes %v, want %v", names, tc.nodesInOrder)
			}
		})
	}
}
