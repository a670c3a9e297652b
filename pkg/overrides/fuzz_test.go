package overrides

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// FuzzParseImage checks that parsing never panics, that String is the exact
// inverse of ParseImage, and that no valid override fails.
func FuzzParseImage(f *testing.F) {
	for _, s := range []string{"nginx", "nginx:1.25", "docker.io/library/nginx", "localhost:5000/a/b:tag",
		"a/b@" + sha, "host.io/a/b:tag@" + sha, "", ":", "::", "@", "a:@", "/", "a:/b", "x.io/", "a/b:@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		_ = CheckReference(ref) // must not panic
		img := ParseImage(ref)
		if s := img.String(); s != ref {
			t.Errorf("ParseImage(%q) = %+v prints %q", ref, img, s)
		}
		for _, c := range []policyv1alpha1.ImageComponent{policyv1alpha1.ImageRegistry, policyv1alpha1.ImageRepository, policyv1alpha1.ImageTag} {
			for _, op := range []policyv1alpha1.OverriderOperator{policyv1alpha1.OverriderOpAdd, policyv1alpha1.OverriderOpReplace, policyv1alpha1.OverriderOpRemove} {
				cp := img
				if err := cp.Override(c, op, ref); err != nil {
					t.Errorf("valid %s %s failed: %v", c, op, err)
				}
			}
		}
	})
}

// FuzzOverrides feeds random plaintext paths and values, image values and
// command values through Apply. It must never panic, never change its input,
// and every result must still be a valid unstructured object (DeepCopy
// panics on value types an object cannot hold) that marshals to JSON.
func FuzzOverrides(f *testing.F) {
	f.Add("/spec/replicas", "replace", []byte("5"), "mirror.io", "--x")
	f.Add("/spec/template/spec/containers/0/args/-", "add", []byte(`"--y"`), "v1.2", "")
	f.Add("/metadata/labels/a~1b", "add", []byte(`{"k":[1,2.5,null,true]}`), sha, "x")
	f.Add("/spec/template/spec/containers/01", "remove", []byte(""), "", "")
	f.Add("", "add", []byte("1e999"), "@", "")
	f.Add("/spec/template/spec/containers/1", "replace", []byte(`"not a map"`), ":", "")
	f.Fuzz(func(t *testing.T, path, operator string, value []byte, imageValue, arg string) {
		obj := mustObject(t, deployment)
		before := obj.DeepCopy()
		rule := policyv1alpha1.RuleWithCluster{Overriders: policyv1alpha1.Overriders{
			ImageOverrider: []policyv1alpha1.ImageOverrider{
				{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpReplace, Value: imageValue},
				{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: imageValue},
				{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpAdd, Value: arg},
			},
			CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{arg}}},
			ArgsOverrider:    []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpRemove, Value: []string{arg}}},
			LabelsOverrider:  []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{arg: imageValue}}},
			Plaintext: []policyv1alpha1.PlaintextOverrider{
				{Path: path, Operator: policyv1alpha1.OverriderOperator(operator), Value: apiextensionsv1.JSON{Raw: value}},
			},
		}}
		// A second rule runs after the random plaintext, which may have
		// turned containers or metadata into anything.
		after := policyv1alpha1.RuleWithCluster{Overriders: policyv1alpha1.Overriders{
			ImageOverrider:       []policyv1alpha1.ImageOverrider{{Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpAdd, Value: arg}},
			CommandOverrider:     []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpRemove, Value: []string{arg}}},
			AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"k": arg}}},
			FieldOverrider: []policyv1alpha1.FieldOverrider{{FieldPath: path, YAML: []policyv1alpha1.YAMLPatchOperation{
				{SubPath: path, Operator: policyv1alpha1.OverriderOperator(operator), Value: apiextensionsv1.JSON{Raw: value}}}}},
		}}
		policy := policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "fuzz"},
			Spec: policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{rule, after}}}
		out, _, err := Apply(obj, ClusterInfo{Name: "c1"}, nil, []policyv1alpha1.OverridePolicy{policy})
		if err != nil {
			if out != nil {
				t.Error("failed Apply returned an object")
			}
		} else {
			out.DeepCopy()
			if _, err := json.Marshal(out.Object); err != nil {
				t.Errorf("result does not marshal: %v", err)
			}
		}
		if !jsonEqual(t, obj.Object, before.Object) {
			t.Error("Apply modified its input")
		}
	})
}

// FuzzFieldJSON checks the order-keeping JSON patch of fieldOverrider
// against the plain one on decoded values: same success, same value after
// decoding, and the output is valid compact JSON.
func FuzzFieldJSON(f *testing.F) {
	f.Add([]byte(`{"b":1,"a":{"y":[1,2],"x":"<&>"}}`), "add", "/a/y/-1", []byte(`{"k":1.50}`))
	f.Add([]byte(`[1,2,3]`), "remove", "/01", []byte(``))
	f.Add([]byte(` {"a~1b":null} `), "replace", "/a~1b", []byte(`"\u00e9"`))
	f.Add([]byte(`{}`), "replace", "", []byte(`[true]`))
	f.Add([]byte(`{"a":{}}`), "add", "/a/~2", []byte(`1e999`))
	f.Fuzz(func(t *testing.T, doc []byte, op, path string, value []byte) {
		if !utf8.ValidString(path) {
			// A key made from the path is printed with U+FFFD for bad
			// bytes (as json-patch does), so it cannot equal the plain one.
			return
		}
		ops := []fieldOp{{policyv1alpha1.OverriderOperator(op), path, value}}
		out, ferr := patchJSONText(doc, ops)

		plain, err := decodeJSON(doc)
		ok := err == nil && json.Valid(doc)
		if ok {
			switch plain.(type) {
			case map[string]any, []any:
			default:
				ok = false
			}
		}
		var v any
		if ok && op != string(policyv1alpha1.OverriderOpRemove) {
			v, err = decodeJSON(value)
			ok = err == nil && json.Valid(orNull(value))
			if ok && path == "" {
				switch v.(type) {
				case map[string]any, []any:
				default:
					ok = false
				}
			}
		}
		if ok {
			plain, err = patchPointer(plain, policyv1alpha1.OverriderOperator(op), path, v)
			ok = err == nil
		}
		if ok != (ferr == nil) {
			t.Fatalf("ordered patch error %v, plain patch ok=%v (err %v)", ferr, ok, err)
		}
		if !ok {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output %q is not JSON", out)
		}
		got, err := decodeJSON(out)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, plain) {
			t.Errorf("ordered result %s decodes to %#v, plain result %#v", out, got, plain)
		}
	})
}

func orNull(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("null")
	}
	return b
}

func jsonEqual(t *testing.T, a, b map[string]any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("marshal: %v %v", err1, err2)
	}
	return string(ja) == string(jb)
}
