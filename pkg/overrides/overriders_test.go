package overrides

import (
	"reflect"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web, tier: front}
  annotations: {owner: team-a}
spec:
  replicas: 3
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
      containers:
      - name: app
        image: nginx:1.25
        args: ["--port=80", "--debug", "--debug"]
      - name: sidecar
        image: docker.io/envoyproxy/envoy:v1.30
        command: ["envoy"]
`

const pod = `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers:
  - name: app
    image: nginx:1.25
`

const configMap = `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: default}
data:
  app.json: '{"log":{"level":"info"},"features":["a","b"]}'
  app.yaml: |
    log:
      level: info
    replicas: 2
  plain: hello
`

// applyOne runs a single rule on doc and returns the result.
func applyOne(t *testing.T, doc string, o policyv1alpha1.Overriders) (*unstructured.Unstructured, error) {
	t.Helper()
	op := policyv1alpha1.OverridePolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p"},
		Spec:       policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{Overriders: o}}},
	}
	out, _, err := Apply(mustObject(t, doc), ClusterInfo{Name: "c1"}, nil, []policyv1alpha1.OverridePolicy{op})
	return out, err
}

func raw(s string) apiextensionsv1.JSON { return apiextensionsv1.JSON{Raw: []byte(s)} }

func TestImageOverrider(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		o     policyv1alpha1.ImageOverrider
		path  []string // containers list path
		want  []string // images in order
		other func(t *testing.T, out *unstructured.Unstructured)
	}{
		{
			name: "without predicate every Deployment container changes",
			doc:  deployment,
			o:    policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "v9"},
			path: []string{"spec", "template", "spec", "containers"},
			want: []string{"nginx:v9", "docker.io/envoyproxy/envoy:v9"},
		},
		{
			name: "initContainers are left alone",
			doc:  deployment,
			o:    policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "v9"},
			path: []string{"spec", "template", "spec", "initContainers"},
			want: []string{"busybox:1.36"},
		},
		{
			name: "Pod containers change",
			doc:  pod,
			o:    policyv1alpha1.ImageOverrider{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpReplace, Value: "mirror.io"},
			path: []string{"spec", "containers"},
			want: []string{"mirror.io/nginx:1.25"},
		},
		{
			name: "predicate changes only the named path",
			doc:  deployment,
			o: policyv1alpha1.ImageOverrider{Predicate: &policyv1alpha1.ImagePredicate{Path: "/spec/template/spec/containers/1/image"},
				Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpRemove},
			path: []string{"spec", "template", "spec", "containers"},
			want: []string{"nginx:1.25", "envoyproxy/envoy:v1.30"},
		},
		{
			name: "predicate may reach an initContainer",
			doc:  deployment,
			o: policyv1alpha1.ImageOverrider{Predicate: &policyv1alpha1.ImagePredicate{Path: "/spec/template/spec/initContainers/0/image"},
				Component: policyv1alpha1.ImageRepository, Operator: policyv1alpha1.OverriderOpReplace, Value: "alpine"},
			path: []string{"spec", "template", "spec", "initContainers"},
			want: []string{"alpine:1.36"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, tt.doc, policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{tt.o}})
			if err != nil {
				t.Fatal(err)
			}
			list := get(t, out, tt.path...).([]any)
			var got []string
			for _, c := range list {
				got = append(got, c.(map[string]any)["image"].(string))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("images = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestImageOverriderLeavesOtherKindsAlone(t *testing.T) {
	out, err := applyOne(t, configMap, policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{
		{Component: policyv1alpha1.ImageRegistry, Operator: policyv1alpha1.OverriderOpReplace, Value: "x.io"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, mustObject(t, configMap)) {
		t.Errorf("ConfigMap changed: %v", out.Object)
	}
}

func TestCommandArgsOverrider(t *testing.T) {
	tests := []struct {
		name      string
		o         policyv1alpha1.Overriders
		container int
		field     string
		want      []any
	}{
		{
			name:      "args add appends in order",
			o:         policyv1alpha1.Overriders{ArgsOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{"--a", "--b"}}}},
			container: 0, field: "args",
			want: []any{"--port=80", "--debug", "--debug", "--a", "--b"},
		},
		{
			name:      "args remove drops every equal element",
			o:         policyv1alpha1.Overriders{ArgsOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpRemove, Value: []string{"--debug", "--absent"}}}},
			container: 0, field: "args",
			want: []any{"--port=80"},
		},
		{
			name:      "command add on a container without command creates it",
			o:         policyv1alpha1.Overriders{CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{"/bin/app"}}}},
			container: 0, field: "command",
			want: []any{"/bin/app"},
		},
		{
			name:      "command add targets only the named container",
			o:         policyv1alpha1.Overriders{CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "sidecar", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{"-l", "debug"}}}},
			container: 1, field: "command",
			want: []any{"envoy", "-l", "debug"},
		},
		{
			name:      "command remove can empty the list",
			o:         policyv1alpha1.Overriders{CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "sidecar", Operator: policyv1alpha1.OverriderOpRemove, Value: []string{"envoy"}}}},
			container: 1, field: "command",
			want: []any{},
		},
		{
			name:      "args remove on a container without args leaves an empty list, as Karmada does",
			o:         policyv1alpha1.Overriders{ArgsOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "sidecar", Operator: policyv1alpha1.OverriderOpRemove, Value: []string{"x"}}}},
			container: 1, field: "args",
			want: []any{},
		},
		{
			name: "command runs before args inside one rule",
			o: policyv1alpha1.Overriders{
				ArgsOverrider:    []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{"--x"}}},
				CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{"run"}}},
			},
			container: 0, field: "command",
			want: []any{"run"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, deployment, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := container(t, out, tt.container)[tt.field]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.field, got, tt.want)
			}
		})
	}
}

func TestCommandArgsOverriderIgnoresMissingContainer(t *testing.T) {
	out, err := applyOne(t, deployment, policyv1alpha1.Overriders{
		CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "nope", Operator: policyv1alpha1.OverriderOpAdd, Value: []string{"x"}}},
		ArgsOverrider:    []policyv1alpha1.CommandArgsOverrider{{ContainerName: "nope", Operator: policyv1alpha1.OverriderOpRemove, Value: []string{"x"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, mustObject(t, deployment)) {
		t.Error("object changed")
	}
}

func TestLabelsAndAnnotationsOverrider(t *testing.T) {
	tests := []struct {
		name            string
		o               policyv1alpha1.Overriders
		wantLabels      map[string]any
		wantAnnotations map[string]any
	}{
		{
			name:            "add creates new keys and overwrites existing ones",
			o:               policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"tier": "back", "env": "prod"}}}},
			wantLabels:      map[string]any{"app": "web", "tier": "back", "env": "prod"},
			wantAnnotations: map[string]any{"owner": "team-a"},
		},
		{
			name:            "replace changes only existing keys",
			o:               policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpReplace, Value: map[string]string{"tier": "back", "env": "prod"}}}},
			wantLabels:      map[string]any{"app": "web", "tier": "back"},
			wantAnnotations: map[string]any{"owner": "team-a"},
		},
		{
			name:            "remove drops existing keys and ignores missing ones",
			o:               policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpRemove, Value: map[string]string{"tier": "", "env": ""}}}},
			wantLabels:      map[string]any{"app": "web"},
			wantAnnotations: map[string]any{"owner": "team-a"},
		},
		{
			name: "annotations follow the same rules",
			o: policyv1alpha1.Overriders{AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{
				{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"note": "x"}},
				{Operator: policyv1alpha1.OverriderOpReplace, Value: map[string]string{"owner": "team-b", "ghost": "y"}},
			}},
			wantLabels:      map[string]any{"app": "web", "tier": "front"},
			wantAnnotations: map[string]any{"owner": "team-b", "note": "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, deployment, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := get(t, out, "metadata", "labels"); !reflect.DeepEqual(got, tt.wantLabels) {
				t.Errorf("labels = %v, want %v", got, tt.wantLabels)
			}
			if got := get(t, out, "metadata", "annotations"); !reflect.DeepEqual(got, tt.wantAnnotations) {
				t.Errorf("annotations = %v, want %v", got, tt.wantAnnotations)
			}
		})
	}
}

func TestLabelsOverriderAddCreatesTheMap(t *testing.T) {
	out, err := applyOne(t, pod, policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"env": "prod"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.GetLabels(); !reflect.DeepEqual(got, map[string]string{"env": "prod"}) {
		t.Errorf("labels = %v", got)
	}
	out, err = applyOne(t, pod, policyv1alpha1.Overriders{AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpReplace, Value: map[string]string{"env": "prod"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, found := out.GetAnnotations()["env"]; found {
		t.Error("replace created an annotation")
	}
}

func TestPlaintextOverrider(t *testing.T) {
	tests := []struct {
		name string
		ops  []policyv1alpha1.PlaintextOverrider
		path []string
		want any
	}{
		{"replace a number keeps it an int64", []policyv1alpha1.PlaintextOverrider{{Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("5")}}, []string{"spec", "replicas"}, int64(5)},
		{"add creates a new key with an object value", []policyv1alpha1.PlaintextOverrider{{Path: "/spec/strategy", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`{"type":"Recreate"}`)}}, []string{"spec", "strategy"}, map[string]any{"type": "Recreate"}},
		{"add overwrites an existing key", []policyv1alpha1.PlaintextOverrider{{Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpAdd, Value: raw("1.5")}}, []string{"spec", "replicas"}, 1.5},
		{"add with index inserts into an array", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/finalizers", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`["a","c"]`)}, {Path: "/metadata/finalizers/1", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"b"`)}, {Path: "/metadata/finalizers/3", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"d"`)}}, []string{"metadata", "finalizers"}, []any{"a", "b", "c", "d"}},
		{"remove and replace by index", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/finalizers", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`["a","b","c"]`)}, {Path: "/metadata/finalizers/0", Operator: policyv1alpha1.OverriderOpRemove}, {Path: "/metadata/finalizers/1", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"z"`)}}, []string{"metadata", "finalizers"}, []any{"b", "z"}},
		{"add with - appends to an array", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/finalizers", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`[]`)}, {Path: "/metadata/finalizers/-", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"a"`)}, {Path: "/metadata/finalizers/-", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"b"`)}}, []string{"metadata", "finalizers"}, []any{"a", "b"}},
		{"remove deletes a key", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/labels/tier", Operator: policyv1alpha1.OverriderOpRemove}}, []string{"metadata", "labels"}, map[string]any{"app": "web"}},
		{"escaped tokens address keys with / and ~", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/annotations/example.com~1a~0b", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"v"`)}}, []string{"metadata", "annotations", "example.com/a~b"}, "v"},
		{"an index with a leading zero reads as a number, as json-patch's does", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/finalizers", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`["a","b","c"]`)}, {Path: "/metadata/finalizers/01", Operator: policyv1alpha1.OverriderOpRemove}}, []string{"metadata", "finalizers"}, []any{"a", "c"}},
		{"a negative index counts from the end", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/finalizers", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`["a","b","c"]`)}, {Path: "/metadata/finalizers/-1", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"z"`)}, {Path: "/metadata/finalizers/-3", Operator: policyv1alpha1.OverriderOpRemove}}, []string{"metadata", "finalizers"}, []any{"b", "z"}},
		{"add at -1 appends and at -2 inserts before the last", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/finalizers", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`["a","c"]`)}, {Path: "/metadata/finalizers/-1", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"d"`)}, {Path: "/metadata/finalizers/-2", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"b"`)}}, []string{"metadata", "finalizers"}, []any{"a", "c", "b", "d"}},
		{"a ~ not followed by 0 or 1 is an ordinary character", []policyv1alpha1.PlaintextOverrider{{Path: "/metadata/labels/a~2", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"v"`)}}, []string{"metadata", "labels", "a~2"}, "v"},
		{"operations run in order", []policyv1alpha1.PlaintextOverrider{{Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("7")}, {Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpRemove}, {Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpAdd, Value: raw("null")}}, []string{"spec", "replicas"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, deployment, policyv1alpha1.Overriders{Plaintext: tt.ops})
			if err != nil {
				t.Fatal(err)
			}
			got := get(t, out, tt.path...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			out.DeepCopy() // panics on value types unstructured cannot hold
		})
	}
}

func TestPlaintextOverriderErrors(t *testing.T) {
	tests := []struct {
		name    string
		op      policyv1alpha1.PlaintextOverrider
		wantErr string
	}{
		{"replace of a missing key", policyv1alpha1.PlaintextOverrider{Path: "/spec/foo", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("1")}, `path /spec/foo: key "foo" not found (use add to create it)`},
		{"remove of a missing key", policyv1alpha1.PlaintextOverrider{Path: "/spec/foo", Operator: policyv1alpha1.OverriderOpRemove}, `path /spec/foo: key "foo" not found`},
		{"add under a missing parent", policyv1alpha1.PlaintextOverrider{Path: "/spec/a/b", Operator: policyv1alpha1.OverriderOpAdd, Value: raw("1")}, `path /spec/a/b: key "a" not found`},
		{"index out of range", policyv1alpha1.PlaintextOverrider{Path: "/spec/template/spec/containers/5/image", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"x"`)}, "index 5 out of range (array length 2)"},
		{"negative index beyond the start", policyv1alpha1.PlaintextOverrider{Path: "/spec/template/spec/containers/-3", Operator: policyv1alpha1.OverriderOpRemove}, "index -3 out of range (array length 2)"},
		{"index that is not a number", policyv1alpha1.PlaintextOverrider{Path: "/spec/template/spec/containers/x", Operator: policyv1alpha1.OverriderOpRemove}, `"x" is not an array index`},
		{"descend into a scalar", policyv1alpha1.PlaintextOverrider{Path: "/spec/replicas/x", Operator: policyv1alpha1.OverriderOpAdd, Value: raw("1")}, "cannot add \"x\" in a number"},
		{"relative path", policyv1alpha1.PlaintextOverrider{Path: "spec/replicas", Operator: policyv1alpha1.OverriderOpAdd, Value: raw("1")}, `must start with "/"`},
		{"empty path", policyv1alpha1.PlaintextOverrider{Path: "", Operator: policyv1alpha1.OverriderOpAdd, Value: raw("1")}, "path is empty"},
		{"invalid JSON value", policyv1alpha1.PlaintextOverrider{Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("{")}, "invalid JSON value"},
		{"trailing data in value", policyv1alpha1.PlaintextOverrider{Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("1 2")}, "trailing data"},
		{"unknown operator", policyv1alpha1.PlaintextOverrider{Path: "/spec/replicas", Operator: "move", Value: raw("1")}, `unknown operator "move"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, deployment, policyv1alpha1.Overriders{Plaintext: []policyv1alpha1.PlaintextOverrider{tt.op}})
			if err == nil {
				t.Fatalf("no error; object %v", out.Object)
			}
			if out != nil {
				t.Error("a failed Apply returned an object")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "OverridePolicy default/p rule 0 plaintext[0]: ") {
				t.Errorf("error %q does not name policy, rule and overrider", err)
			}
		})
	}
}

func TestFieldOverrider(t *testing.T) {
	tests := []struct {
		name string
		o    policyv1alpha1.FieldOverrider
		key  string
		want string
	}{
		{
			name: "JSON document is patched and written back as JSON",
			o: policyv1alpha1.FieldOverrider{FieldPath: "/data/app.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "/log/level", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"debug"`)},
				{SubPath: "/features/-", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"c"`)},
			}},
			key:  "app.json",
			want: `{"log":{"level":"debug"},"features":["a","b","c"]}`,
		},
		{
			name: "JSON keeps key order, number spelling and string escapes; new keys go last",
			o: policyv1alpha1.FieldOverrider{FieldPath: "/data/app.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "/log", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`{"z": 1.50, "a": "<\u00e9>"}`)},
				{SubPath: "/added", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`1e3`)},
				{SubPath: "/features/0", Operator: policyv1alpha1.OverriderOpRemove},
			}},
			key:  "app.json",
			want: `{"log":{"z":1.50,"a":"\u003c\u00e9\u003e"},"features":["b"],"added":1e3}`,
		},
		{
			name: "YAML document stays YAML",
			o: policyv1alpha1.FieldOverrider{FieldPath: "/data/app.yaml", YAML: []policyv1alpha1.YAMLPatchOperation{
				{SubPath: "/log/level", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"debug"`)},
				{SubPath: "/replicas", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`3`)},
				{SubPath: "/region", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"eu-central"`)},
			}},
			key:  "app.yaml",
			want: "log:\n  level: debug\nregion: eu-central\nreplicas: 3\n",
		},
		{
			name: "YAML patches also apply to a JSON document",
			o: policyv1alpha1.FieldOverrider{FieldPath: "/data/app.json", YAML: []policyv1alpha1.YAMLPatchOperation{
				{SubPath: "/features", Operator: policyv1alpha1.OverriderOpRemove},
			}},
			key:  "app.json",
			want: "log:\n  level: info\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := applyOne(t, configMap, policyv1alpha1.Overriders{FieldOverrider: []policyv1alpha1.FieldOverrider{tt.o}})
			if err != nil {
				t.Fatal(err)
			}
			if got := get(t, out, "data", tt.key); got != tt.want {
				t.Errorf("data[%s] = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestFieldOverriderErrors(t *testing.T) {
	tests := []struct {
		name    string
		o       policyv1alpha1.FieldOverrider
		wantErr string
	}{
		{"missing field", policyv1alpha1.FieldOverrider{FieldPath: "/data/none", JSON: []policyv1alpha1.JSONPatchOperation{{SubPath: "/a", Operator: policyv1alpha1.OverriderOpRemove}}},
			`fieldOverrider[0]: path /data/none: key "none" not found`},
		{"field is not a string", policyv1alpha1.FieldOverrider{FieldPath: "/metadata", JSON: []policyv1alpha1.JSONPatchOperation{{SubPath: "/a", Operator: policyv1alpha1.OverriderOpRemove}}},
			"is an object, want a string holding JSON or YAML"},
		{"field is not JSON", policyv1alpha1.FieldOverrider{FieldPath: "/data/app.yaml", JSON: []policyv1alpha1.JSONPatchOperation{{SubPath: "/a", Operator: policyv1alpha1.OverriderOpRemove}}},
			"the field does not hold a JSON object or array: invalid character"},
		{"sub path missing", policyv1alpha1.FieldOverrider{FieldPath: "/data/app.yaml", YAML: []policyv1alpha1.YAMLPatchOperation{{SubPath: "/nope/x", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("1")}}},
			`path /data/app.yaml yaml[0] subPath /nope/x: key "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := applyOne(t, configMap, policyv1alpha1.Overriders{FieldOverrider: []policyv1alpha1.FieldOverrider{tt.o}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestOverriderOrderWithinARule(t *testing.T) {
	// plaintext runs last, so it wins over the imageOverrider on the same
	// field; labels run before plaintext, so plaintext sees the new label.
	out, err := applyOne(t, deployment, policyv1alpha1.Overriders{
		Plaintext: []policyv1alpha1.PlaintextOverrider{
			{Path: "/spec/template/spec/containers/0/image", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"custom:1"`)},
			{Path: "/metadata/labels/env", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"staging"`)},
		},
		ImageOverrider:  []policyv1alpha1.ImageOverrider{{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "2"}},
		LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"env": "prod"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := container(t, out, 0)["image"]; got != "custom:1" {
		t.Errorf("image = %v, want custom:1", got)
	}
	if got := container(t, out, 1)["image"]; got != "docker.io/envoyproxy/envoy:2" {
		t.Errorf("sidecar image = %v", got)
	}
	if got := out.GetLabels()["env"]; got != "staging" {
		t.Errorf("env label = %v, want staging", got)
	}
}

func TestImageOverriderErrors(t *testing.T) {
	tests := []struct {
		name    string
		o       policyv1alpha1.ImageOverrider
		wantErr string
	}{
		{"predicate path missing", policyv1alpha1.ImageOverrider{Predicate: &policyv1alpha1.ImagePredicate{Path: "/spec/template/spec/containers/9/image"}, Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "x"},
			"imageOverrider[0]: path /spec/template/spec/containers/9/image: index 9 out of range"},
		{"predicate path not a string", policyv1alpha1.ImageOverrider{Predicate: &policyv1alpha1.ImagePredicate{Path: "/spec/replicas"}, Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "x"},
			"path /spec/replicas: is a number, want an image string"},
		{"unknown component", policyv1alpha1.ImageOverrider{Component: "Host", Operator: policyv1alpha1.OverriderOpReplace, Value: "x"},
			`imageOverrider[0]: unknown component "Host"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := applyOne(t, deployment, policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{tt.o}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
