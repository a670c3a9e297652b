package binding

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func TestWorkName(t *testing.T) {
	long := strings.Repeat("x", 60)
	tests := []struct {
		name    string
		binding types.NamespacedName
		want    string
	}{
		{name: "namespaced: namespace-name", binding: types.NamespacedName{Namespace: "default", Name: "nginx-deployment"}, want: "default-nginx-deployment"},
		{name: "cluster-scoped: the name", binding: types.NamespacedName{Name: "admin-clusterrole"}, want: "admin-clusterrole"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workv1alpha1.WorkName(tt.binding); got != tt.want {
				t.Errorf("WorkName = %q, want %q", got, tt.want)
			}
		})
	}
	a := workv1alpha1.WorkName(types.NamespacedName{Namespace: "default", Name: long + "-a"})
	b := workv1alpha1.WorkName(types.NamespacedName{Namespace: "default", Name: long + "-b"})
	if len(a) > 63 || len(b) > 63 || a == b {
		t.Errorf("long names: %q and %q, want distinct names of at most 63 characters", a, b)
	}
}

func TestWorkLabels(t *testing.T) {
	rb := workv1alpha1.WorkLabels(types.NamespacedName{Namespace: "default", Name: "nginx-deployment"}, "c1")
	if rb[workv1alpha1.BindingNamespaceLabel] != "default" || rb[workv1alpha1.BindingNameLabel] != "nginx-deployment" || rb[workv1alpha1.ClusterLabel] != "c1" {
		t.Errorf("ResourceBinding labels %v", rb)
	}
	crb := workv1alpha1.WorkLabels(types.NamespacedName{Name: "admin-clusterrole"}, "c1")
	if crb[workv1alpha1.ClusterResourceBindingLabel] != "admin-clusterrole" || crb[workv1alpha1.ClusterLabel] != "c1" || len(crb) != 2 {
		t.Errorf("ClusterResourceBinding labels %v", crb)
	}
	for _, l := range []map[string]string{rb, crb} {
		got := bindingOfWork(context.TODO(), &workv1alpha1.Work{})
		if got != nil {
			t.Errorf("a Work without labels maps to %v", got)
		}
		w := &workv1alpha1.Work{}
		w.Labels = l
		if reqs := bindingOfWork(context.TODO(), w); len(reqs) != 1 {
			t.Errorf("labels %v map to %v, want the binding", l, reqs)
		}
	}
}

func TestManifestsFor(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c", "namespace": "shop"}}}
	got := manifestsFor(cm, cm)
	if len(got) != 2 || got[0]["kind"] != "Namespace" || got[0]["metadata"].(map[string]any)["name"] != "shop" || got[1]["kind"] != "ConfigMap" {
		t.Errorf("namespaced object: manifests %v, want the Namespace first", got)
	}
	cr := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "r"}}}
	if got := manifestsFor(cr, cr); len(got) != 1 {
		t.Errorf("cluster-scoped object: manifests %v, want only the object", got)
	}
}
