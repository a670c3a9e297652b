package status

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

var (
	deployment = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	job        = schema.GroupKind{Group: "batch", Kind: "Job"}
	pod        = schema.GroupKind{Kind: "Pod"}
)

func item(cluster string, status map[string]any) workv1alpha1.AggregatedStatusItem {
	it := workv1alpha1.AggregatedStatusItem{ClusterName: cluster, Applied: true}
	if status != nil {
		raw, _ := json.Marshal(status)
		it.Status = &runtime.RawExtension{Raw: raw}
	}
	return it
}

func TestAggregate(t *testing.T) {
	hangzhou := map[string]any{"replicas": 6, "readyReplicas": 6, "availableReplicas": 6, "updatedReplicas": 6, "observedGeneration": 2, "generation": 2}
	shanghai := map[string]any{"replicas": 4, "readyReplicas": 3, "availableReplicas": 3, "updatedReplicas": 4, "unavailableReplicas": 1, "observedGeneration": 1, "generation": 1}
	lagging := map[string]any{"replicas": 4, "readyReplicas": 4, "observedGeneration": 1, "generation": 2}
	cases := []struct {
		name string
		t    Template
		in   []workv1alpha1.AggregatedStatusItem
		want map[string]any
		ok   bool
	}{
		{
			name: "deployment 6+4 summed, all observed, binding current: observedGeneration is the template's",
			t:    Template{Kind: deployment, Generation: 3, BindingGeneration: 3},
			in:   []workv1alpha1.AggregatedStatusItem{item("hangzhou", hangzhou), item("shanghai", shanghai)},
			want: map[string]any{"replicas": int64(10), "readyReplicas": int64(9), "availableReplicas": int64(9), "updatedReplicas": int64(10), "unavailableReplicas": int64(1), "observedGeneration": int64(3)},
			ok:   true,
		},
		{
			name: "a member behind its generation: template keeps its old observedGeneration",
			t:    Template{Kind: deployment, Generation: 3, BindingGeneration: 3, Status: map[string]any{"observedGeneration": int64(2)}},
			in:   []workv1alpha1.AggregatedStatusItem{item("hangzhou", hangzhou), item("shanghai", lagging)},
			want: map[string]any{"replicas": int64(10), "readyReplicas": int64(10), "availableReplicas": int64(6), "updatedReplicas": int64(6), "unavailableReplicas": int64(0), "observedGeneration": int64(2)},
			ok:   true,
		},
		{
			name: "binding built from an older template generation: no observedGeneration",
			t:    Template{Kind: deployment, Generation: 4, BindingGeneration: 3},
			in:   []workv1alpha1.AggregatedStatusItem{item("hangzhou", hangzhou)},
			want: map[string]any{"replicas": int64(6), "readyReplicas": int64(6), "availableReplicas": int64(6), "updatedReplicas": int64(6), "unavailableReplicas": int64(0)},
			ok:   true,
		},
		{
			name: "a member without status yet: counted as zero, not observed",
			t:    Template{Kind: deployment, Generation: 1, BindingGeneration: 1},
			in:   []workv1alpha1.AggregatedStatusItem{item("hangzhou", hangzhou), item("shanghai", nil)},
			want: map[string]any{"replicas": int64(6), "readyReplicas": int64(6), "availableReplicas": int64(6), "updatedReplicas": int64(6), "unavailableReplicas": int64(0)},
			ok:   true,
		},
		{
			name: "job: counters summed, earliest start, completion only when all completed",
			t:    Template{Kind: job, Generation: 1, BindingGeneration: 1},
			in: []workv1alpha1.AggregatedStatusItem{
				item("a", map[string]any{"succeeded": 2, "startTime": "2026-01-01T00:00:05Z", "completionTime": "2026-01-01T00:01:00Z"}),
				item("b", map[string]any{"active": 1, "failed": 1, "startTime": "2026-01-01T00:00:01Z"}),
			},
			want: map[string]any{"active": int64(1), "succeeded": int64(2), "failed": int64(1), "ready": int64(0), "startTime": "2026-01-01T00:00:01Z"},
			ok:   true,
		},
		{
			name: "pod in one cluster: its status as is",
			t:    Template{Kind: pod},
			in:   []workv1alpha1.AggregatedStatusItem{item("a", map[string]any{"phase": "Running", "podIP": "10.0.0.1"})},
			want: map[string]any{"phase": "Running", "podIP": "10.0.0.1"},
			ok:   true,
		},
		{
			name: "pods in two clusters, one failed: Failed",
			t:    Template{Kind: pod},
			in:   []workv1alpha1.AggregatedStatusItem{item("a", map[string]any{"phase": "Running"}), item("b", map[string]any{"phase": "Failed"})},
			want: map[string]any{"phase": "Failed"},
			ok:   true,
		},
		{
			name: "configmap: not aggregated",
			t:    Template{Kind: schema.GroupKind{Kind: "ConfigMap"}},
			ok:   false,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Aggregate(tc.t, tc.in)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v %v\nwant %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestAggregateService(t *testing.T) {
	got, ok := Aggregate(Template{Kind: schema.GroupKind{Kind: "Service"}}, []workv1alpha1.AggregatedStatusItem{
		item("a", map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "1.1.1.1"}}}}),
		item("b", map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "2.2.2.2"}}}}),
	})
	ing, _, _ := unstructured.NestedSlice(got, "loadBalancer", "ingress")
	if !ok || len(ing) != 2 {
		t.Errorf("want both ingress points, got %v", got)
	}
}

func obj(apiVersion, kind string, generation int64, spec, status map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": "x", "generation": generation}}}
	if spec != nil {
		o.Object["spec"] = spec
	}
	if status != nil {
		o.Object["status"] = status
	}
	return o
}

func TestHealth(t *testing.T) {
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want workv1alpha1.ResourceHealth
	}{
		{"absent is unknown", nil, workv1alpha1.ResourceUnknownHealth},
		{"deployment 6/6 observed", obj("apps/v1", "Deployment", 2, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(6), "availableReplicas": int64(6)}), workv1alpha1.ResourceHealthy},
		{"deployment not observed", obj("apps/v1", "Deployment", 3, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(6), "availableReplicas": int64(6)}), workv1alpha1.ResourceUnhealthy},
		{"deployment 4 of 6 updated", obj("apps/v1", "Deployment", 2, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(4), "availableReplicas": int64(4)}), workv1alpha1.ResourceUnhealthy},
		{"deployment updated but not available", obj("apps/v1", "Deployment", 2, map[string]any{"replicas": int64(6)}, map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(6), "availableReplicas": int64(5)}), workv1alpha1.ResourceUnhealthy},
		{"deployment replicas defaulted to 1", obj("apps/v1", "Deployment", 1, map[string]any{}, map[string]any{"observedGeneration": int64(1), "updatedReplicas": int64(1), "availableReplicas": int64(1)}), workv1alpha1.ResourceHealthy},
		{"statefulset 3/3", obj("apps/v1", "StatefulSet", 1, map[string]any{"replicas": int64(3)}, map[string]any{"observedGeneration": int64(1), "updatedReplicas": int64(3), "availableReplicas": int64(3)}), workv1alpha1.ResourceHealthy},
		{"replicaset short", obj("apps/v1", "ReplicaSet", 1, map[string]any{"replicas": int64(3)}, map[string]any{"observedGeneration": int64(1), "availableReplicas": int64(2)}), workv1alpha1.ResourceUnhealthy},
		{"daemonset all nodes", obj("apps/v1", "DaemonSet", 1, nil, map[string]any{"observedGeneration": int64(1), "desiredNumberScheduled": int64(2), "updatedNumberScheduled": int64(2), "numberAvailable": int64(2)}), workv1alpha1.ResourceHealthy},
		{"job failed", obj("batch/v1", "Job", 1, nil, map[string]any{"conditions": []any{map[string]any{"type": "Failed", "status": "True"}}}), workv1alpha1.ResourceUnhealthy},
		{"job running", obj("batch/v1", "Job", 1, nil, map[string]any{"active": int64(1)}), workv1alpha1.ResourceHealthy},
		{"pod pending", obj("v1", "Pod", 0, nil, map[string]any{"phase": "Pending"}), workv1alpha1.ResourceUnhealthy},
		{"configmap present", obj("v1", "ConfigMap", 0, nil, nil), workv1alpha1.ResourceHealthy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Health(tc.obj); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
