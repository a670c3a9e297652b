package binding

import (
	"context"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/storageadapt"
)

// Render runs the StorageAdaptations after the override policies: an
// OverridePolicy that pins every claim to one class is overruled where a
// cluster's storage trait is listed, and kept where it is not.
func TestRenderAppliesStorageAdaptationsAfterOverridePolicies(t *testing.T) {
	objs := []client.Object{
		plant("hangzhou", "ceph"), plant("shanghai", "nfs"), plant("frankfurt", "ebs"), plant("lab", ""),
		mustDecode[policyv1alpha1.OverridePolicy](t, `
metadata: {name: pin-class, namespace: mes}
spec:
  resourceSelectors: [{apiVersion: v1, kind: PersistentVolumeClaim}]
  overrideRules:
  - overriders: {plaintext: [{path: /spec/storageClassName, operator: add, value: pinned}]}
`),
		mustDecode[appsv1alpha1.StorageAdaptation](t, `
metadata: {name: plants}
spec:
  classes:
  - {trait: ceph, storageClassName: rook-ceph-block}
  - {trait: nfs, storageClassName: nfs-client}
  - {trait: ebs, storageClassName: gp3}
`),
	}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).Build()
	_, view, err := snapshot.Load(context.Background(), c, workv1alpha1.SystemNamespace)
	if err != nil {
		t.Fatal(err)
	}
	rendered, applied, err := Render(context.Background(), c, view.Info, pvcBinding(), pvcTemplate())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"hangzhou": "rook-ceph-block", "shanghai": "nfs-client", "frankfurt": "gp3", "lab": "pinned"}
	for cluster, class := range want {
		got, _, _ := unstructured.NestedString(rendered[cluster].Object, "spec", "storageClassName")
		if got != class {
			t.Errorf("%s: storageClassName %q, want %q", cluster, got, class)
		}
	}
	wantApplied := []workv1alpha1.OverrideReference{
		{Kind: overrides.KindOverridePolicy, Namespace: "mes", Name: "pin-class"},
		{Kind: storageadapt.Kind, Name: "plants"},
	}
	if !reflect.DeepEqual(applied, wantApplied) {
		t.Errorf("applied = %+v, want %+v", applied, wantApplied)
	}
}

// A hub whose API has no StorageAdaptation kind renders claims with the
// override policies alone.
func TestRenderWithoutTheStorageAdaptationKind(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(plant("hangzhou", "ceph")).
		WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*appsv1alpha1.StorageAdaptationList); ok {
				return &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: appsv1alpha1.GroupVersion.Group, Kind: "StorageAdaptation"}, SearchedVersions: []string{"v1alpha1"}}
			}
			return c.List(ctx, list, opts...)
		}}).Build()
	spec := pvcBinding()
	spec.Clusters = spec.Clusters[:1]
	rendered, applied, err := Render(context.Background(), c, nil, spec, pvcTemplate())
	if err != nil {
		t.Fatalf("Render: %v, want the claim rendered as it is", err)
	}
	if got, found, _ := unstructured.NestedString(rendered["hangzhou"].Object, "spec", "storageClassName"); found {
		t.Errorf("storageClassName %q, want none", got)
	}
	if len(applied) != 0 {
		t.Errorf("applied = %+v, want none", applied)
	}
}

func plant(name, trait string) *clusterv1alpha1.AttachedCluster {
	ac := &clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: workv1alpha1.SystemNamespace}}
	if trait != "" {
		ac.Labels = map[string]string{appsv1alpha1.DefaultStorageTraitLabel: trait}
	}
	return ac
}

func pvcTemplate() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolumeClaim",
		"metadata": map[string]any{"name": "mes-data", "namespace": "mes"},
		"spec": map[string]any{
			"accessModes": []any{"ReadWriteOnce"},
			"resources":   map[string]any{"requests": map[string]any{"storage": "10Gi"}},
		},
	}}
}

func pvcBinding() *workv1alpha1.ResourceBindingSpec {
	return &workv1alpha1.ResourceBindingSpec{
		Resource: workv1alpha1.ObjectReference{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "mes", Name: "mes-data"},
		Clusters: []workv1alpha1.TargetCluster{{Name: "hangzhou"}, {Name: "shanghai"}, {Name: "frankfurt"}, {Name: "lab"}},
	}
}

func mustDecode[T any, P interface {
	*T
	client.Object
}](t *testing.T, doc string) P {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	return P(&v)
}
