package clusterstatus

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

func rl(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func node(ready bool, alloc corev1.ResourceList) corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return corev1.Node{Status: corev1.NodeStatus{Allocatable: alloc, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}}}
}

func pod(nodeName string, phase corev1.PodPhase, reqs ...corev1.ResourceList) corev1.Pod {
	p := corev1.Pod{Spec: corev1.PodSpec{NodeName: nodeName}, Status: corev1.PodStatus{Phase: phase}}
	for _, r := range reqs {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Resources: corev1.ResourceRequirements{Requests: r}})
	}
	return p
}

func equalList(t *testing.T, what string, got, want corev1.ResourceList) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g.Cmp(w) != 0 {
			t.Errorf("%s[%s] = %s, want %s", what, k, g.String(), w.String())
		}
	}
}

func TestSummarizeNodes(t *testing.T) {
	s := summarizeNodes([]corev1.Node{node(true, nil), node(false, nil), node(true, nil), {}})
	if s.TotalNum != 4 || s.ReadyNum != 2 {
		t.Errorf("summary = %+v, want 4 total 2 ready", s)
	}
}

func TestSummarizeResources(t *testing.T) {
	tests := []struct {
		name                                 string
		nodes                                []corev1.Node
		pods                                 []corev1.Pod
		wantAllocatable, wantAlloc, wantPend corev1.ResourceList
	}{
		{
			name:            "no pods still counts zero pods",
			nodes:           []corev1.Node{node(true, rl("cpu", "8", "pods", "110")), node(false, rl("cpu", "8", "pods", "110"))},
			wantAllocatable: rl("cpu", "16", "pods", "220"),
			wantAlloc:       rl("pods", "0"),
			wantPend:        rl("pods", "0"),
		},
		{
			name:  "bound running pods are allocated, terminal ones are not",
			nodes: []corev1.Node{node(true, rl("cpu", "8"))},
			pods: []corev1.Pod{
				pod("n1", corev1.PodRunning, rl("cpu", "500m", "memory", "1Gi"), rl("cpu", "250m")),
				pod("n1", corev1.PodSucceeded, rl("cpu", "4")),
				pod("n1", corev1.PodFailed, rl("cpu", "4")),
				pod("n1", corev1.PodPending, rl("cpu", "1")),
			},
			wantAllocatable: rl("cpu", "8"),
			wantAlloc:       rl("cpu", "1750m", "memory", "1Gi", "pods", "2"),
			wantPend:        rl("pods", "0"),
		},
		{
			name:            "unbound pending pods are allocating",
			pods:            []corev1.Pod{pod("", corev1.PodPending, rl("cpu", "2")), pod("", "", rl("cpu", "1"))},
			wantAllocatable: rl(),
			wantAlloc:       rl("pods", "0"),
			wantPend:        rl("cpu", "3", "pods", "2"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarizeResources(tt.nodes, tt.pods)
			equalList(t, "allocatable", s.Allocatable, tt.wantAllocatable)
			equalList(t, "allocated", s.Allocated, tt.wantAlloc)
			equalList(t, "allocating", s.Allocating, tt.wantPend)
		})
	}
}

func TestPodRequests(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	init := func(r corev1.ResourceList, sidecar bool) corev1.Container {
		c := corev1.Container{Resources: corev1.ResourceRequirements{Requests: r}}
		if sidecar {
			c.RestartPolicy = &always
		}
		return c
	}
	tests := []struct {
		name string
		pod  corev1.Pod
		want corev1.ResourceList
	}{
		{name: "containers add up", pod: pod("", "", rl("cpu", "1"), rl("cpu", "2", "memory", "1Gi")), want: rl("cpu", "3", "memory", "1Gi")},
		{name: "big init container wins", pod: func() corev1.Pod {
			p := pod("", "", rl("cpu", "1"))
			p.Spec.InitContainers = []corev1.Container{init(rl("cpu", "4"), false)}
			return p
		}(), want: rl("cpu", "4")},
		{name: "sidecar adds to app and to later init containers", pod: func() corev1.Pod {
			p := pod("", "", rl("cpu", "1"))
			p.Spec.InitContainers = []corev1.Container{init(rl("cpu", "500m"), true), init(rl("cpu", "2"), false)}
			return p
		}(), want: rl("cpu", "2500m")},
		{name: "overhead is added", pod: func() corev1.Pod {
			p := pod("", "", rl("cpu", "1"))
			p.Spec.Overhead = rl("cpu", "100m")
			return p
		}(), want: rl("cpu", "1100m")},
		{name: "pod-level requests replace the container sum", pod: func() corev1.Pod {
			p := pod("", "", rl("cpu", "1", "memory", "1Gi"))
			p.Spec.Resources = &corev1.ResourceRequirements{Requests: rl("cpu", "3")}
			return p
		}(), want: rl("cpu", "3", "memory", "1Gi")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equalList(t, "requests", podRequests(&tt.pod), tt.want)
		})
	}
}

func TestAPIEnablements(t *testing.T) {
	got := apiEnablements([]*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod"}, {Name: "pods/status", Kind: "Pod"}, {Name: "configmaps", Kind: "ConfigMap"}}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{{Name: "deployments", Kind: "Deployment"}}},
		nil,
	})
	if len(got) != 2 || got[0].GroupVersion != "apps/v1" || got[1].GroupVersion != "v1" {
		t.Fatalf("order = %+v", got)
	}
	if r := got[1].Resources; len(r) != 2 || r[0].Name != "configmaps" || r[1].Name != "pods" {
		t.Errorf("v1 resources = %+v, want configmaps, pods without subresources", r)
	}
}

func TestSummarizePodsCountsStatesAndNamesFailures(t *testing.T) {
	waiting := func(reason string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "back-off"}}}}}
	}
	pod := func(name string, st corev1.PodStatus) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Status: st}
	}
	pods := []corev1.Pod{
		pod("running", corev1.PodStatus{Phase: corev1.PodRunning}),
		pod("done", corev1.PodStatus{Phase: corev1.PodSucceeded}),
		pod("evicted", corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "low memory"}),
		pod("crashing", waiting("CrashLoopBackOff")),
		pod("creating", waiting("ContainerCreating")),
	}
	s := summarizePods(pods)
	if s.Total != 4 || s.Running != 1 || s.Pending != 2 || s.Failed != 2 {
		t.Fatalf("total/running/pending/failed = %d/%d/%d/%d, want 4/1/2/2", s.Total, s.Running, s.Pending, s.Failed)
	}
	if len(s.Issues) != 2 || s.Issues[0].Name != "crashing" || s.Issues[0].Reason != "CrashLoopBackOff" ||
		s.Issues[1].Name != "evicted" || s.Issues[1].Reason != "Evicted" {
		t.Fatalf("issues = %+v, want crashing (CrashLoopBackOff) then evicted (Evicted)", s.Issues)
	}
}

func TestListNodesPutsNotReadyFirstAndCaps(t *testing.T) {
	node := func(name string, ready corev1.ConditionStatus) corev1.Node {
		return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletStopped", Message: "no heartbeat"}},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceEphemeralStorage: resource.MustParse("1Ti")},
		}}
	}
	got := listNodes([]corev1.Node{node("b", corev1.ConditionTrue), node("c", corev1.ConditionFalse), node("a", corev1.ConditionTrue)})
	names := []string{got[0].Name, got[1].Name, got[2].Name}
	if names[0] != "c" || names[1] != "a" || names[2] != "b" {
		t.Fatalf("order = %v, want [c a b]", names)
	}
	if got[0].Ready || got[0].Reason != "KubeletStopped: no heartbeat" || !got[1].Ready || got[1].Reason != "" {
		t.Fatalf("readiness = %+v", got[:2])
	}
	if _, ok := got[1].Allocatable[corev1.ResourceEphemeralStorage]; ok || got[1].Allocatable.Cpu().Value() != 8 {
		t.Fatalf("allocatable = %v, want only cpu (8)", got[1].Allocatable)
	}
	many := make([]corev1.Node, clusterv1alpha1.MaxListedNodes+5)
	for i := range many {
		many[i] = node(fmt.Sprintf("n%03d", i), corev1.ConditionTrue)
	}
	if n := len(listNodes(many)); n != clusterv1alpha1.MaxListedNodes {
		t.Fatalf("listed %d nodes, want the cap %d", n, clusterv1alpha1.MaxListedNodes)
	}
}
