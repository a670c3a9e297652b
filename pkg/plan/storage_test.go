package plan

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestRenderStorageAdaptation: the apphub example's template gives each MES
// plant its storage plugin's class, on the PVC and on the StatefulSet's
// claim template, and the nfs plant its shared access mode.
func TestRenderStorageAdaptation(t *testing.T) {
	in, err := Load("../../examples/apphub/storage-adaptation.yaml", "../../examples/apphub/storage-plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(in.StorageAdaptations) != 1 {
		t.Fatalf("%d StorageAdaptations read, want 1", len(in.StorageAdaptations))
	}
	out := mustPlan(t, in, Options{Render: true})
	want := []struct {
		cluster, class, mode string
	}{
		{"cluster-hangzhou", "rook-ceph-block", "ReadWriteOnce"},
		{"cluster-shanghai", "nfs-client", "ReadWriteMany"},
		{"cluster-frankfurt", "gp3", "ReadWriteOnce"},
	}
	pvc, sts := findWorkload(t, out, "mes-uploads"), findWorkload(t, out, "mes-db")
	for _, w := range []Workload{pvc, sts} {
		if w.Error != "" {
			t.Fatalf("%s: %s", w.Resource.Name, w.Error)
		}
	}
	classes := map[string]bool{}
	for _, tc := range want {
		t.Run(tc.cluster+" gets "+tc.class, func(t *testing.T) {
			claim := pvc.Manifests[tc.cluster][0]
			if got, _, _ := unstructured.NestedString(claim, "spec", "storageClassName"); got != tc.class {
				t.Errorf("PVC storageClassName = %q, want %q", got, tc.class)
			}
			if got, _, _ := unstructured.NestedStringSlice(claim, "spec", "accessModes"); len(got) != 1 || got[0] != tc.mode {
				t.Errorf("PVC accessModes = %v, want [%s]", got, tc.mode)
			}
			templates, _, _ := unstructured.NestedSlice(sts.Manifests[tc.cluster][0], "spec", "volumeClaimTemplates")
			if len(templates) != 1 {
				t.Fatalf("%d claim templates, want 1", len(templates))
			}
			got, _, _ := unstructured.NestedString(templates[0].(map[string]any), "spec", "storageClassName")
			if got != tc.class {
				t.Errorf("StatefulSet claim template storageClassName = %q, want %q (was standard)", got, tc.class)
			}
			classes[got] = true
		})
	}
	if len(classes) != 3 {
		t.Errorf("classes over the three plants = %v, want three different ones", classes)
	}
	// The input template keeps its own class.
	if got, _, _ := unstructured.NestedSlice(findResource(t, in, "mes-db").Object, "spec", "volumeClaimTemplates"); got[0].(map[string]any)["spec"].(map[string]any)["storageClassName"] != "standard" {
		t.Errorf("the input StatefulSet was modified: %v", got)
	}
}

func findResource(t *testing.T, in *Input, name string) *unstructured.Unstructured {
	t.Helper()
	for _, r := range in.Resources {
		if r.GetName() == name {
			return r
		}
	}
	t.Fatalf("no resource %q in the input", name)
	return nil
}
