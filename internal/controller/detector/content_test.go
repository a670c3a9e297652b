package detector

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func deploymentTemplate(mutate func(map[string]any)) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "nginx", "namespace": "default", "resourceVersion": "1", "labels": map[string]any{"app": "nginx"}},
		"spec":     map[string]any{"replicas": int64(10)},
		"status":   map[string]any{"readyReplicas": int64(0)},
	}}
	if mutate != nil {
		mutate(u.Object)
	}
	return u
}

func TestTemplateContentChanged(t *testing.T) {
	meta := func(o map[string]any) map[string]any { return o["metadata"].(map[string]any) }
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   bool
	}{
		{"nothing but the resource version: no", func(o map[string]any) { meta(o)["resourceVersion"] = "2" }, false},
		{"status readyReplicas 0 to 10: no", func(o map[string]any) { o["status"] = map[string]any{"readyReplicas": int64(10)} }, false},
		{"claim label added by the detector: no", func(o map[string]any) {
			meta(o)["labels"] = map[string]any{"app": "nginx", "propagationpolicy.karmada.io/name": "nginx-propagation"}
		}, false},
		{"replicas 10 to 20: yes", func(o map[string]any) { o["spec"] = map[string]any{"replicas": int64(20)} }, true},
		{"a user label: yes", func(o map[string]any) { meta(o)["labels"] = map[string]any{"app": "nginx", "tier": "web"} }, true},
		{"an annotation: yes", func(o map[string]any) { meta(o)["annotations"] = map[string]any{"note": "x"} }, true},
		{"ConfigMap-style data at the top level: yes", func(o map[string]any) { o["data"] = map[string]any{"k": "v"} }, true},
		{"deletion started: yes", func(o map[string]any) { meta(o)["deletionTimestamp"] = "2026-11-25T00:00:00Z" }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := templateContentChanged(deploymentTemplate(nil), deploymentTemplate(c.mutate)); got != c.want {
				t.Fatalf("templateContentChanged = %v, want %v", got, c.want)
			}
			// The digest a binding keeps tells the same story, except for a
			// deletion, which the detector handles before any binding write.
			if c.mutate != nil && c.name != "deletion started: yes" {
				if differ := contentDigest(deploymentTemplate(nil)) != contentDigest(deploymentTemplate(c.mutate)); differ != c.want {
					t.Errorf("digests differ = %v, want %v", differ, c.want)
				}
			}
		})
	}
}
