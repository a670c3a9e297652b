package apphub

import (
	"testing"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/workload"
)

// FuzzRenderManifests feeds arbitrary bytes as a package's YAML file:
// Render never panics, and what it accepts holds up (every object has
// apiVersion, kind and name; cluster-scoped ones no namespace; the
// objects bundle, unbundle and render again to the same objects).
func FuzzRenderManifests(f *testing.F) {
	f.Add(mesYAML(f))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"))
	f.Add([]byte("---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n, namespace: x}\n"))
	f.Add([]byte(`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":"x"}`))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: 3}}}\n"))
	f.Add([]byte("kind: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{"app.yaml": data}}
		opts := RenderOptions{DefaultNamespace: "default", Labels: map[string]string{"team": "mes"}}
		objs, _, err := p.Render(opts)
		if err != nil {
			return
		}
		for _, obj := range objs {
			if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
				t.Fatalf("accepted an object without apiVersion, kind or name: %v", obj.Object)
			}
			if workload.IsClusterScoped(obj.GetAPIVersion(), obj.GetKind()) != (obj.GetNamespace() == "") {
				t.Fatalf("%s: namespace %q for a cluster-scoped=%v kind", objectName(obj), obj.GetNamespace(), workload.IsClusterScoped(obj.GetAPIVersion(), obj.GetKind()))
			}
		}
		_ = Images(objs)
		if d := Diff(objs, objs); d != "" {
			t.Fatalf("an object differs from itself:\n%s", d)
		}
		bundle, _, err := p.Bundle()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unbundle(bundle)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := back.Render(opts)
		if err != nil {
			t.Fatalf("the unbundled package no longer renders: %v", err)
		}
		if d := Diff(objs, again); d != "" {
			t.Fatalf("render after bundle differs:\n%s", d)
		}
	})
}
