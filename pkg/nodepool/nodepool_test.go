package nodepool

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func obs(name string, ageMinutes int, ready bool) Observed {
	return Observed{Name: name, Created: t0.Add(-time.Duration(ageMinutes) * time.Minute), Ready: ready}
}

func TestDecide(t *testing.T) {
	three := []Observed{obs("c-node-0", 60, true), obs("c-node-1", 60, true), obs("c-node-2", 60, true)}
	cases := []struct {
		name  string
		want  int
		nodes []Observed
		plan  Plan
	}{
		{
			name: "at size: nothing to do", want: 3, nodes: three, plan: Plan{},
		},
		{
			name: "3 adopted nodes to 5: two new nodes with the lowest pool names",
			want: 5, nodes: three,
			plan: Plan{Create: []string{"c-worker-pool-0", "c-worker-pool-1"}},
		},
		{
			name: "a gap in the pool names is filled first",
			want: 3, nodes: []Observed{obs("c-worker-pool-1", 5, true)},
			plan: Plan{Create: []string{"c-worker-pool-0", "c-worker-pool-2"}},
		},
		{
			name: "empty pool to 2",
			want: 2, nodes: nil,
			plan: Plan{Create: []string{"c-worker-pool-0", "c-worker-pool-1"}},
		},
		{
			name: "5 to 2: the newest go first, same age by the highest number",
			want: 2,
			nodes: append(slices.Clone(three),
				obs("c-worker-pool-0", 1, true), obs("c-worker-pool-1", 1, true)),
			plan: Plan{Remove: []string{"c-worker-pool-1", "c-worker-pool-0", "c-node-2"}},
		},
		{
			name: "node-10 is newer than node-9 by number when their ages tie",
			want: 1, nodes: []Observed{obs("c-node-9", 5, true), obs("c-node-10", 5, true)},
			plan: Plan{Remove: []string{"c-node-10"}},
		},
		{
			name:  "a not-Ready node goes before a newer Ready one",
			want:  2,
			nodes: []Observed{obs("c-node-0", 60, true), obs("c-node-1", 60, false), obs("c-worker-pool-0", 1, true)},
			plan:  Plan{Remove: []string{"c-node-1"}},
		},
		{
			name: "a node already being removed is picked again first, even if old and Ready",
			want: 2,
			nodes: []Observed{{Name: "c-node-0", Created: t0.Add(-time.Hour), Ready: true, Removing: true},
				obs("c-node-1", 60, false), obs("c-worker-pool-0", 1, true)},
			plan: Plan{Remove: []string{"c-node-0"}},
		},
		{
			name: "growing back during a drain restores the cordoned node instead of creating one",
			want: 3,
			nodes: []Observed{{Name: "c-node-0", Created: t0, Ready: true, Removing: true},
				obs("c-node-1", 60, true), obs("c-node-2", 60, true)},
			plan: Plan{Restore: []string{"c-node-0"}},
		},
		{
			name: "a smaller scale-in than begun restores the nodes no longer picked",
			want: 2,
			nodes: []Observed{{Name: "c-worker-pool-0", Created: t0, Ready: true, Removing: true},
				{Name: "c-worker-pool-1", Created: t0, Ready: true, Removing: true}, obs("c-node-0", 60, true)},
			plan: Plan{Remove: []string{"c-worker-pool-1"}, Restore: []string{"c-worker-pool-0"}},
		},
		{
			name: "to zero removes everything",
			want: 0, nodes: three,
			plan: Plan{Remove: []string{"c-node-2", "c-node-1", "c-node-0"}},
		},
		{
			name: "a negative size is zero",
			want: -1, nodes: three[:1],
			plan: Plan{Remove: []string{"c-node-0"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide("c", "worker-pool", tc.want, tc.nodes)
			if !slices.Equal(got.Create, tc.plan.Create) || !slices.Equal(got.Remove, tc.plan.Remove) || !slices.Equal(got.Restore, tc.plan.Restore) {
				t.Fatalf("Decide = %+v, want %+v", got, tc.plan)
			}
			if got.Empty() != tc.plan.Empty() {
				t.Fatalf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestDecideDoesNotReorderItsInput(t *testing.T) {
	nodes := []Observed{obs("a-1", 1, true), obs("a-2", 2, true), obs("a-3", 3, false)}
	before := slices.Clone(nodes)
	Decide("c", "p", 1, nodes)
	if !slices.Equal(nodes, before) {
		t.Fatalf("input changed: %v", nodes)
	}
}

func TestBound(t *testing.T) {
	cases := []struct {
		name             string
		replicas, lo, hi int32
		want             int32
		clamped          bool
	}{
		{"inside stays", 3, 1, 5, 3, false},
		{"on the bounds stays", 5, 1, 5, 5, false},
		{"below min rises to min", 0, 2, 5, 2, true},
		{"above max falls to max", 9, 2, 5, 5, true},
		{"max below min: min wins", 4, 3, 1, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, clamped := Bound(tc.replicas, tc.lo, tc.hi)
			if got != tc.want || clamped != tc.clamped {
				t.Fatalf("Bound(%d, %d, %d) = %d, %v; want %d, %v", tc.replicas, tc.lo, tc.hi, got, clamped, tc.want, tc.clamped)
			}
		})
	}
}

func TestFakeNode(t *testing.T) {
	n := FakeNode{
		Name: "c-worker-pool-0", Cluster: "c", Region: "asia-east", Zone: "asia-east-1a", Provider: "alibaba",
		Pool:     "worker-pool",
		Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16")},
		Labels:   map[string]string{"tier": "spot", autoscalingv1alpha1.NodePoolLabel: "other"},
		Taints:   []corev1.Taint{{Key: "spot", Value: "true", Effect: corev1.TaintEffectNoSchedule}},
	}.Node()
	checks := []struct {
		what, got, want string
	}{
		{"kwok annotation", n.Annotations[KwokAnnotation], KwokValue},
		{"pool label (the template cannot override it)", n.Labels[autoscalingv1alpha1.NodePoolLabel], "worker-pool"},
		{"template label", n.Labels["tier"], "spot"},
		{"region label", n.Labels[corev1.LabelTopologyRegion], "asia-east"},
		{"zone label", n.Labels[corev1.LabelTopologyZone], "asia-east-1a"},
		{"provider label", n.Labels[ProviderLabel], "alibaba"},
		{"hostname label", n.Labels[corev1.LabelHostname], "c-worker-pool-0"},
		{"provider ID", n.Spec.ProviderID, "alibaba://c/c-worker-pool-0"},
		{"cpu from the template", n.Status.Capacity.Cpu().String(), "16"},
		{"memory by default", n.Status.Capacity.Memory().String(), "32Gi"},
		{"pods by default", n.Status.Allocatable.Pods().String(), "110"},
		{"taint", n.Spec.Taints[0].Key, "spot"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestFakeNodeWithoutRegionHasNoEmptyLabels(t *testing.T) {
	n := FakeNode{Name: "x", Cluster: "c"}.Node()
	for _, k := range []string{corev1.LabelTopologyRegion, corev1.LabelTopologyZone, ProviderLabel, autoscalingv1alpha1.NodePoolLabel} {
		if _, ok := n.Labels[k]; ok {
			t.Errorf("label %s set to %q, want it absent", k, n.Labels[k])
		}
	}
	if n.Spec.ProviderID != "kwok://c/x" {
		t.Errorf("provider ID %q, want kwok://c/x", n.Spec.ProviderID)
	}
}

func TestReadiness(t *testing.T) {
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue}
	cases := []struct {
		name    string
		node    corev1.Node
		ready   bool
		message string
	}{
		{"no condition: not ready, says who reports", corev1.Node{}, false,
			"no Ready condition yet: the node's agent (kubelet, or kwok for fake nodes) has not reported"},
		{"Ready True without taints: ready", corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{ready}}}, true, ""},
		{"Ready False: reason and message shown",
			corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletNotReady", Message: "PLEG is not healthy"}}}},
			false, "Ready is False (KubeletNotReady): PLEG is not healthy"},
		{"Ready True but not-ready taint: not yet",
			corev1.Node{Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}}},
				Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{ready}}},
			false, "Ready, but taint node.kubernetes.io/not-ready is still set: the member's kube-controller-manager (node lifecycle) lifts it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, msg := Readiness(&tc.node)
			if ok != tc.ready || msg != tc.message {
				t.Fatalf("Readiness = %v, %q; want %v, %q", ok, msg, tc.ready, tc.message)
			}
		})
	}
}

func TestDrainStep(t *testing.T) {
	pod := func(name string, mut func(*corev1.Pod)) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		if mut != nil {
			mut(&p)
		}
		return p
	}
	now := metav1.Now()
	pods := []corev1.Pod{
		pod("web-1", nil),
		pod("web-2", func(p *corev1.Pod) { p.DeletionTimestamp = &now }),
		pod("agent", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "DaemonSet", Name: "agent", Controller: ptr.To(true)}}
		}),
		pod("static", func(p *corev1.Pod) { p.Annotations = map[string]string{mirrorPodAnnotation: "x"} }),
		pod("job-done", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		pod("pending", func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }),
	}
	evict, blocking := DrainStep(pods)
	want := []types.NamespacedName{{Namespace: "shop", Name: "web-1"}, {Namespace: "shop", Name: "pending"}}
	if !slices.Equal(evict, want) {
		t.Errorf("evict = %v, want %v (running and pending pods; not the terminating, DaemonSet, mirror or finished ones)", evict, want)
	}
	if blocking != 3 {
		t.Errorf("blocking = %d, want 3 (web-1, pending, and web-2 still terminating)", blocking)
	}
	if evict, blocking := DrainStep(pods[2:5]); len(evict) != 0 || blocking != 0 {
		t.Errorf("a node with only DaemonSet, mirror and finished pods: evict %v, blocking %d; want none, 0", evict, blocking)
	}
}
