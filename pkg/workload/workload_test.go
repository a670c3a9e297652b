package workload

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kurator-go/kurator/pkg/overrides"
)

func deployment(replicas int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": "nginx", "namespace": "default", "uid": "u1", "resourceVersion": "7"},
		"spec": map[string]any{
			"replicas": replicas,
			"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "c", "resources": map[string]any{"requests": map[string]any{"cpu": "250m"}}},
			}}},
		},
		"status": map[string]any{"replicas": int64(3)},
	}}
}

func TestDemandAndRender(t *testing.T) {
	obj := deployment(10)
	d, err := DemandOf(obj)
	if err != nil {
		t.Fatal(err)
	}
	if cpu := d.PerReplica.Cpu().MilliValue(); d.Replicas != 10 || cpu != 250 {
		t.Fatalf("demand %d x %dm, want 10 x 250m", d.Replicas, cpu)
	}
	targets := []Target{{Cluster: "a", Replicas: 6}, {Cluster: "b", Replicas: 4}}
	info := map[string]overrides.ClusterInfo{"a": {Name: "a"}, "b": {Name: "b"}}
	out, err := Render(obj, d, targets, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range targets {
		o := out[tt.Cluster]
		n, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
		if n != int64(tt.Replicas) {
			t.Errorf("%s: replicas %d, want %d", tt.Cluster, n, tt.Replicas)
		}
		if o.GetUID() != "" || o.GetResourceVersion() != "" || o.Object["status"] != nil {
			t.Errorf("%s: server fields kept: %v", tt.Cluster, o.Object)
		}
	}
	if n, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas"); n != 10 || obj.GetUID() != "u1" {
		t.Error("Render changed the template")
	}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}}
	if HasReplicas(cm) || !HasReplicas(obj) {
		t.Error("HasReplicas: ConfigMap has none, Deployment has")
	}
}

func TestRenderPrunesHubAssignedFields(t *testing.T) {
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"},
		"spec": map[string]any{"clusterIP": "10.0.0.7", "clusterIPs": []any{"10.0.0.7"}, "ports": []any{map[string]any{"port": int64(80)}}},
	}}
	headless := svc.DeepCopy()
	_ = unstructured.SetNestedField(headless.Object, "None", "spec", "clusterIP")
	tests := []struct {
		name   string
		obj    *unstructured.Unstructured
		wantIP string
	}{
		{name: "a Service's cluster IP is the member's to assign", obj: svc, wantIP: ""},
		{name: "a headless Service stays headless", obj: headless, wantIP: "None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Render(tt.obj, Demand{}, []Target{{Cluster: "a"}}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ip, _, _ := unstructured.NestedString(out["a"].Object, "spec", "clusterIP")
			if ip != tt.wantIP {
				t.Errorf("clusterIP %q, want %q", ip, tt.wantIP)
			}
			if ip == "" {
				if _, found, _ := unstructured.NestedFieldNoCopy(out["a"].Object, "spec", "clusterIPs"); found {
					t.Error("clusterIPs kept")
				}
			}
		})
	}
}

func TestStripHubFieldsLeavesNothingTheHubSet(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{
			"name": "p", "namespace": "default", "labels": map[string]any{"app": "p"},
			"uid": "u", "resourceVersion": "7", "creationTimestamp": "2026-12-01T00:00:00Z", "generation": int64(2),
			"managedFields": []any{}, "ownerReferences": []any{map[string]any{"uid": "hub"}},
		},
		"spec":   map[string]any{"nodeName": "hub-node", "containers": []any{}},
		"status": map[string]any{"phase": "Running"},
	}}
	StripHubFields(obj)
	meta := obj.Object["metadata"].(map[string]any)
	for _, f := range hubSetMetadata {
		if _, ok := meta[f]; ok {
			t.Errorf("metadata.%s kept", f)
		}
	}
	if _, ok := obj.Object["status"]; ok {
		t.Error("status kept")
	}
	if _, ok := obj.Object["spec"].(map[string]any)["nodeName"]; ok {
		t.Error("spec.nodeName kept")
	}
	if meta["name"] != "p" || meta["labels"] == nil {
		t.Errorf("user metadata lost: %v", meta)
	}
}
