package apply

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/memberwatch"
)

func raw(s string) runtime.RawExtension { return runtime.RawExtension{Raw: []byte(s)} }

func TestDecodeManifests(t *testing.T) {
	owner := types.NamespacedName{Namespace: "kurator-member-a", Name: "nginx-1"}
	ms, err := decodeManifests(owner, []runtime.RawExtension{
		raw(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx","namespace":"web","resourceVersion":"7","uid":"u","generation":3,"ownerReferences":[{"name":"x"}]},"spec":{"replicas":6},"status":{"readyReplicas":1}}`),
		raw(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}}`),
		raw(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"web"},"spec":{"clusterIP":"10.0.0.9","clusterIPs":["10.0.0.9"]}}`),
		raw(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"headless","namespace":"web"},"spec":{"clusterIP":"None"}}`),
		raw(`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"web"},"spec":{"selector":{"matchLabels":{"controller-uid":"u"}},"template":{"metadata":{"labels":{"controller-uid":"u","app":"j"}}}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].obj.GetKind() != "Namespace" || ms[0].ordinal != 1 || ms[1].obj.GetKind() != "Deployment" || ms[1].ordinal != 0 {
		t.Fatalf("namespace first, ordinals kept: got %s(%d), %s(%d)", ms[0].obj.GetKind(), ms[0].ordinal, ms[1].obj.GetKind(), ms[1].ordinal)
	}
	d := ms[1].obj
	if d.GetResourceVersion() != "" || d.GetUID() != "" || d.GetGeneration() != 0 || len(d.GetOwnerReferences()) != 0 {
		t.Errorf("server-set metadata kept: %v", d.Object["metadata"])
	}
	if _, found := d.Object["status"]; found {
		t.Error("status kept")
	}
	if d.GetLabels()[memberwatch.ManagedByLabel] != memberwatch.ManagedByValue || d.GetAnnotations()[memberwatch.WorkAnnotation] != owner.String() || d.GetAnnotations()[memberwatch.ManifestHashAnnotation] != ms[1].hash {
		t.Errorf("marks: labels %v annotations %v", d.GetLabels(), d.GetAnnotations())
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(ms[2].obj.Object, "spec", "clusterIP"); found {
		t.Error("allocated clusterIP kept")
	}
	if ip, _, _ := unstructured.NestedString(ms[3].obj.Object, "spec", "clusterIP"); ip != "None" {
		t.Error("headless clusterIP dropped")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(ms[4].obj.Object, "spec", "selector"); found {
		t.Error("generated Job selector kept")
	}
	if l, _, _ := unstructured.NestedStringMap(ms[4].obj.Object, "spec", "template", "metadata", "labels"); len(l) != 1 || l["app"] != "j" {
		t.Errorf("job template labels %v", l)
	}
	if id := identifier(ms[1]); id != (workv1alpha1.ResourceIdentifier{Ordinal: 0, Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "nginx"}) {
		t.Errorf("identifier %+v", id)
	}
}

func TestHashIgnoresServerFields(t *testing.T) {
	owner := types.NamespacedName{Namespace: "n", Name: "w"}
	a, _ := decodeManifests(owner, []runtime.RawExtension{raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","resourceVersion":"1"},"data":{"k":"v"}}`)})
	b, _ := decodeManifests(owner, []runtime.RawExtension{raw(`{"kind":"ConfigMap","apiVersion":"v1","data":{"k":"v"},"metadata":{"resourceVersion":"2","name":"c"}}`)})
	c, _ := decodeManifests(owner, []runtime.RawExtension{raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"w"}}`)})
	if a[0].hash != b[0].hash {
		t.Error("same content, different hash")
	}
	if a[0].hash == c[0].hash {
		t.Error("different data, same hash")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{`{`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}`, `{"metadata":{"name":"x"}}`} {
		if _, err := decodeManifests(types.NamespacedName{}, []runtime.RawExtension{raw(in)}); err == nil {
			t.Errorf("%s: want error", in)
		}
	}
}

func TestMergeIdentifiers(t *testing.T) {
	id := func(o int, name string) workv1alpha1.ResourceIdentifier {
		return workv1alpha1.ResourceIdentifier{Ordinal: o, Version: "v1", Kind: "ConfigMap", Name: name}
	}
	old := []workv1alpha1.ManifestStatus{{ResourceIdentifier: id(0, "a"), Health: workv1alpha1.ResourceHealthy}, {ResourceIdentifier: id(1, "gone")}}
	got := mergeIdentifiers(old, []workv1alpha1.ResourceIdentifier{id(1, "b"), id(0, "a")})
	if len(got) != 2 || got[0].ResourceIdentifier.Name != "a" || got[0].Health != workv1alpha1.ResourceHealthy || got[1].ResourceIdentifier.Name != "b" || got[1].Health != "" {
		t.Errorf("got %+v", got)
	}
}
