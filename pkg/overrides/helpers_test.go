package overrides

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// mustObject decodes a YAML manifest into an unstructured object the way the
// hub and kurator plan do (integers become int64).
func mustObject(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return u
}

// mustOverridePolicy decodes an OverridePolicy and, as kubectl apply would,
// puts it in the default namespace when it names none.
func mustOverridePolicy(t testing.TB, doc string) policyv1alpha1.OverridePolicy {
	t.Helper()
	var p policyv1alpha1.OverridePolicy
	if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	return p
}

func mustClusterOverridePolicy(t testing.TB, doc string) policyv1alpha1.ClusterOverridePolicy {
	t.Helper()
	var p policyv1alpha1.ClusterOverridePolicy
	if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// get reads a nested field, failing the test when it is missing.
func get(t testing.TB, obj *unstructured.Unstructured, path ...string) any {
	t.Helper()
	v, found, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
	if err != nil || !found {
		t.Fatalf("field %v: found=%v err=%v", path, found, err)
	}
	return v
}

// container returns the i-th pod template container of a Deployment.
func container(t testing.TB, obj *unstructured.Unstructured, i int) map[string]any {
	t.Helper()
	list, _ := get(t, obj, "spec", "template", "spec", "containers").([]any)
	if i >= len(list) {
		t.Fatalf("no container %d in %v", i, list)
	}
	return list[i].(map[string]any)
}
