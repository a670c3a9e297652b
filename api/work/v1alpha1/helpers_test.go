package v1alpha1

import (
	"reflect"
	"testing"

	"k8s.io/utils/ptr"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func TestExecutionNamespace(t *testing.T) {
	cases := []struct {
		namespace string
		cluster   string
		ok        bool
	}{
		{"kurator-member-cluster-hangzhou", "cluster-hangzhou", true},
		{"kurator-member-", "", false},
		{"default", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.namespace, func(t *testing.T) {
			cluster, ok := ClusterOfExecutionNamespace(tc.namespace)
			if cluster != tc.cluster || ok != tc.ok {
				t.Errorf("got %q %v, want %q %v", cluster, ok, tc.cluster, tc.ok)
			}
			if ok && ExecutionNamespace(cluster) != tc.namespace {
				t.Errorf("round trip gives %q", ExecutionNamespace(cluster))
			}
		})
	}
}

func TestBindingSpecHelpers(t *testing.T) {
	s := ResourceBindingSpec{
		Clusters:              []TargetCluster{{Name: "a", Replicas: 6}, {Name: "b", Replicas: 4}},
		GracefulEvictionTasks: []GracefulEvictionTask{{FromCluster: "c", Replicas: ptr.To[int32](2), PurgeMode: policyv1alpha1.PurgeGracefully}},
	}
	if got := s.TargetClusterNames(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("names %v", got)
	}
	if s.AssignedReplicas() != 10 || s.ReplicasIn("a") != 6 || s.ReplicasIn("c") != 0 {
		t.Errorf("replicas %d a=%d c=%d", s.AssignedReplicas(), s.ReplicasIn("a"), s.ReplicasIn("c"))
	}
	if !s.TargetContains("b") || s.TargetContains("c") || !s.EvictingFrom("c") || s.EvictingFrom("a") {
		t.Error("membership helpers disagree with spec")
	}
	w := &Work{}
	if w.DispatchingSuspended() {
		t.Error("nil suspendDispatching means not suspended")
	}
	w.Spec.SuspendDispatching = ptr.To(true)
	if !w.DispatchingSuspended() {
		t.Error("want suspended")
	}
}
