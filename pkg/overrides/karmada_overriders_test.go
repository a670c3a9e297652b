package overrides

// Vectors from Karmada v1.19's overridemanager and selector tests, in our
// inputs. Each case names the Karmada file, test function and case it
// mirrors (karmada: ...).
//
//   pkg/util/overridemanager/commandargsoverride_test.go      TestParseJSONPatchesByCommandOverrider, TestParseJSONPatchesByArgsOverrider
//   pkg/util/overridemanager/labelannotationoverrider_test.go Test_applyLabelsOverriders, Test_applyAnnotationsOverriders
//   pkg/util/overridemanager/overridemanager_test.go          Test_overrideManagerImpl_ApplyLabelAnnotationOverriderPolicies,
//                                                             TestGetMatchingOverridePolicies,
//                                                             Test_overrideManagerImpl_ApplyFieldOverriderPolicies_YAML,
//                                                             Test_overrideManagerImpl_ApplyJSONOverridePolicies_JSON
//   pkg/util/selector_test.go                                 TestClusterMatches, TestClusterNamesMatches, Test_matchZones

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// karmadaCommandWorkload is a workload of kind with one container "nginx"
// whose field (command or args) is nginx -v -t.
func karmadaCommandWorkload(kind, field string) string {
	if kind == "Pod" {
		return `
apiVersion: v1
kind: Pod
metadata: {name: nginx, namespace: default}
spec:
  containers:
  - name: nginx
    image: fictional.registry.example/imagename:v1.0.0
    ` + field + `: [nginx, -v, -t]
`
	}
	return `
apiVersion: apps/v1
kind: ` + kind + `
metadata: {name: nginx, namespace: default}
spec:
  template:
    spec:
      containers:
      - name: nginx
        image: nginx
        ` + field + `: [nginx, -v, -t]
`
}

// karmadaCommandTwoContainers has containers nginx and nginx1, both with
// command nginx -v -t (and, as in Karmada's fixture, no image).
const karmadaCommandTwoContainers = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec:
  template:
    spec:
      containers:
      - {name: nginx, command: [nginx, -v, -t]}
      - {name: nginx1, command: [nginx, -v, -t]}
`

func TestKarmadaCommandArgsOverrider(t *testing.T) {
	const tpl = "/spec/template/spec/containers/"
	add := func(values ...string) policyv1alpha1.CommandArgsOverrider {
		return policyv1alpha1.CommandArgsOverrider{ContainerName: "nginx", Operator: policyv1alpha1.OverriderOpAdd, Value: values}
	}
	remove := func(values ...string) policyv1alpha1.CommandArgsOverrider {
		return policyv1alpha1.CommandArgsOverrider{ContainerName: "nginx", Operator: policyv1alpha1.OverriderOpRemove, Value: values}
	}
	tests := []struct {
		name    string
		karmada string
		doc     string
		field   string // command or args
		o       policyv1alpha1.CommandArgsOverrider
		want    map[string][]any // list per JSON pointer
	}{
		{"command add appends", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource kind: Deployment, operator: add",
			karmadaCommandWorkload("Deployment", "command"), "command", add("&& echo 'hello karmada'"),
			map[string][]any{tpl + "0/command": {"nginx", "-v", "-t", "&& echo 'hello karmada'"}}},
		{"command remove drops the value", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource kind: Deployment, operator: remove",
			karmadaCommandWorkload("Deployment", "command"), "command", remove("-t"),
			map[string][]any{tpl + "0/command": {"nginx", "-v"}}},
		{"command remove of nothing keeps the list", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, remove value is empty, resource kind: Deployment, operator: remove",
			karmadaCommandWorkload("Deployment", "command"), "command", remove(),
			map[string][]any{tpl + "0/command": {"nginx", "-v", "-t"}}},
		{"command add touches only the named container", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource has more than one container (add)",
			karmadaCommandTwoContainers, "command", add("echo 'hello karmada'"),
			map[string][]any{tpl + "0/command": {"nginx", "-v", "-t", "echo 'hello karmada'"}, tpl + "1/command": {"nginx", "-v", "-t"}}},
		{"command remove touches only the named container", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource has more than one container (remove)",
			karmadaCommandTwoContainers, "command", remove("-t"),
			map[string][]any{tpl + "0/command": {"nginx", "-v"}, tpl + "1/command": {"nginx", "-v", "-t"}}},
		{"Pod command add", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider resource kind: Pod, operator: add",
			karmadaCommandWorkload("Pod", "command"), "command", add("echo 'hello karmada'"),
			map[string][]any{"/spec/containers/0/command": {"nginx", "-v", "-t", "echo 'hello karmada'"}}},
		{"StatefulSet command add", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource kind: StatefulSet, operator: add",
			karmadaCommandWorkload("StatefulSet", "command"), "command", add("echo 'hello karmada'"),
			map[string][]any{tpl + "0/command": {"nginx", "-v", "-t", "echo 'hello karmada'"}}},
		{"ReplicaSet command remove", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource kind: ReplicaSet, operator: remove",
			karmadaCommandWorkload("ReplicaSet", "command"), "command", remove("-t"),
			map[string][]any{tpl + "0/command": {"nginx", "-v"}}},
		// Karmada's "DaemonSet" fixture is of kind ReplicaSet; both kinds
		// are covered here.
		{"DaemonSet command remove", "commandargsoverride_test.go TestParseJSONPatchesByCommandOverrider/CommandArgsOverrider, resource kind: DaemonSet, operator: remove",
			karmadaCommandWorkload("DaemonSet", "command"), "command", remove("-t"),
			map[string][]any{tpl + "0/command": {"nginx", "-v"}}},
		{"args add appends", "commandargsoverride_test.go TestParseJSONPatchesByArgsOverrider/CommandArgsOverrider, resource kind: Deployment, operator: replace (add)",
			karmadaCommandWorkload("Deployment", "args"), "args", add("&& echo 'hello karmada'"),
			map[string][]any{tpl + "0/args": {"nginx", "-v", "-t", "&& echo 'hello karmada'"}}},
		{"args remove drops the value", "commandargsoverride_test.go TestParseJSONPatchesByArgsOverrider/CommandArgsOverrider, resource kind: Deployment, operator: replace (remove)",
			karmadaCommandWorkload("Deployment", "args"), "args", remove("-t"),
			map[string][]any{tpl + "0/args": {"nginx", "-v"}}},
		{"args add on a container without args creates them", "commandargsoverride_test.go TestParseJSONPatchesByArgsOverrider/CommandArgsOverrider, resource kind: Deployment, operator: add",
			karmadaCommandWorkload("Deployment", "command"), "args", add("-t"),
			map[string][]any{tpl + "0/args": {"-t"}, tpl + "0/command": {"nginx", "-v", "-t"}}},
		// Not in Karmada's tables; what commandargsoverride.go gives.
		{"Job command add", "commandargsoverride.go buildCommandArgsPatches lists Job",
			karmadaCommandWorkload("Job", "command"), "command", add("-q"),
			map[string][]any{tpl + "0/command": {"nginx", "-v", "-t", "-q"}}},
		{"args remove on a container without args leaves an empty list", "commandargsoverride.go buildCommandArgsPatchesWithPath: a nil field gets an add of the result",
			karmadaCommandWorkload("Deployment", "command"), "args", remove("-t"),
			map[string][]any{tpl + "0/args": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := policyv1alpha1.Overriders{CommandOverrider: []policyv1alpha1.CommandArgsOverrider{tt.o}}
			if tt.field == "args" {
				o = policyv1alpha1.Overriders{ArgsOverrider: []policyv1alpha1.CommandArgsOverrider{tt.o}}
			}
			out, err := applyOne(t, tt.doc, o)
			if err != nil {
				t.Fatalf("%v (karmada: %s)", err, tt.karmada)
			}
			for path, want := range tt.want {
				got, err := getPointer(out.Object, path)
				if err != nil {
					t.Fatalf("%s: %v (karmada: %s)", path, err, tt.karmada)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v (karmada: %s)", path, got, want, tt.karmada)
				}
			}
		})
	}
}

func TestKarmadaLabelsAnnotationsOverrider(t *testing.T) {
	// Karmada's deployment, deployment2 (no labels or annotations) and
	// deployment3 (an annotation whose key has a "/").
	withMeta := func(field, entries string) string {
		doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: test\n  namespace: default\n"
		if entries != "" {
			doc += "  " + field + ": " + entries + "\n"
		}
		return doc
	}
	o := func(op policyv1alpha1.OverriderOperator, kv ...string) policyv1alpha1.LabelAnnotationOverrider {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return policyv1alpha1.LabelAnnotationOverrider{Operator: op, Value: m}
	}
	add, replace, remove := policyv1alpha1.OverriderOpAdd, policyv1alpha1.OverriderOpReplace, policyv1alpha1.OverriderOpRemove
	tests := []struct {
		name    string
		karmada string
		field   string // labels or annotations
		entries string // the field's YAML, "" for none
		o       policyv1alpha1.LabelAnnotationOverrider
		want    map[string]string
	}{
		{"label add creates the map", "labelannotationoverrider_test.go Test_applyLabelsOverriders/test empty labels",
			"labels", "", o(add, "test2", "test2"), map[string]string{"test2": "test2"}},
		{"label replace changes only existing keys", "labelannotationoverrider_test.go Test_applyLabelsOverriders/test labels replace",
			"labels", "{foo: foo, bar: bar}", o(replace, "foo", "exist", "non-exist", "non-exist"), map[string]string{"foo": "exist", "bar": "bar"}},
		{"label add adds a key", "labelannotationoverrider_test.go Test_applyLabelsOverriders/test labels add",
			"labels", "{foo: foo, bar: bar}", o(add, "test", "test"), map[string]string{"test": "test", "foo": "foo", "bar": "bar"}},
		{"label remove drops existing keys and ignores missing ones", "labelannotationoverrider_test.go Test_applyLabelsOverriders/test labels remove",
			"labels", "{foo: foo, bar: bar}", o(remove, "foo", "foo", "non-exist", "non-exist"), map[string]string{"bar": "bar"}},
		{"annotation add creates the map", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test empty annotations",
			"annotations", "", o(add, "test2", "test2"), map[string]string{"test2": "test2"}},
		{"annotation replace changes only existing keys", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test annotations replace",
			"annotations", "{foo: foo, bar: bar}", o(replace, "foo", "exist", "non-exist", "non-exist"), map[string]string{"foo": "exist", "bar": "bar"}},
		{"annotation add adds a key", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test annotations add",
			"annotations", "{foo: foo, bar: bar}", o(add, "test", "test"), map[string]string{"test": "test", "foo": "foo", "bar": "bar"}},
		{"annotation remove drops existing keys and ignores missing ones", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test annotations remove",
			"annotations", "{foo: foo, bar: bar}", o(remove, "foo", "foo", "non-exist", "non-exist"), map[string]string{"bar": "bar"}},
		{"annotation remove of nothing changes nothing", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test annotations remain the same (remove {})",
			"annotations", "{foo: foo, bar: bar}", o(remove), map[string]string{"bar": "bar", "foo": "foo"}},
		{"annotation replace of a missing key changes nothing", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test annotations remain the same (replace)",
			"annotations", "{foo: foo, bar: bar}", o(replace, "test", "test"), map[string]string{"bar": "bar", "foo": "foo"}},
		{"annotation remove of a missing key changes nothing", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test annotations remain the same (remove)",
			"annotations", "{foo: foo, bar: bar}", o(remove, "test", "test"), map[string]string{"bar": "bar", "foo": "foo"}},
		{"annotation add of a key with a slash", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test add composed annotation",
			"annotations", "{foo: foo, bar: bar}", o(add, "testannotation/projectId", "c-m-lfx9lk92:p-v86cf"),
			map[string]string{"foo": "foo", "bar": "bar", "testannotation/projectId": "c-m-lfx9lk92:p-v86cf"}},
		{"annotation remove of a key with a slash", "labelannotationoverrider_test.go Test_applyAnnotationsOverriders/test remove composed annotation",
			"annotations", `{"testannotation/projectId": "c-m-lfx9lk92:p-v86cf", foo: foo}`, o(remove, "testannotation/projectId", "c-m-lfx9lk92:p-v86cf"),
			map[string]string{"foo": "foo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ov := policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{tt.o}}
			if tt.field == "annotations" {
				ov = policyv1alpha1.Overriders{AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{tt.o}}
			}
			out, err := applyOne(t, withMeta(tt.field, tt.entries), ov)
			if err != nil {
				t.Fatalf("%v (karmada: %s)", err, tt.karmada)
			}
			got := out.GetLabels()
			if tt.field == "annotations" {
				got = out.GetAnnotations()
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %v, want %v (karmada: %s)", tt.field, got, tt.want, tt.karmada)
			}
		})
	}
}

// TestKarmadaApplyLabelAnnotationOverriderPolicies: an OverridePolicy on a
// Deployment and a ClusterOverridePolicy on a ClusterRole, each adding a label
// and an annotation for one cluster.
func TestKarmadaApplyLabelAnnotationOverriderPolicies(t *testing.T) {
	overriders := policyv1alpha1.Overriders{
		LabelsOverrider:      []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"testAddLabel": "testAddLabel"}}},
		AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"testAddAnnotation": "testAddAnnotation"}}},
	}
	spec := func(rs policyv1alpha1.ResourceSelector, cluster string) policyv1alpha1.OverrideSpec {
		return policyv1alpha1.OverrideSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{rs},
			OverrideRules:     []policyv1alpha1.RuleWithCluster{{TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{cluster}}, Overriders: overriders}},
		}
	}
	const meta = "  labels: {testLabel: testLabel}\n  annotations: {testAnnotation: testAnnotation}\n"
	tests := []struct {
		name    string
		karmada string
		doc     string
		cluster string
		cops    []policyv1alpha1.ClusterOverridePolicy
		ops     []policyv1alpha1.OverridePolicy
		want    []AppliedOverride
	}{
		{"an OverridePolicy adds its label and annotation to the Deployment",
			"overridemanager_test.go Test_overrideManagerImpl_ApplyLabelAnnotationOverriderPolicies/test overridePolicies",
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: test1\n  namespace: default\n" + meta, "test1", nil,
			[]policyv1alpha1.OverridePolicy{{ObjectMeta: metav1.ObjectMeta{Name: "test1", Namespace: "default"},
				Spec: spec(policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "test1"}, "test1")}},
			[]AppliedOverride{{Kind: KindOverridePolicy, Namespace: "default", Name: "test1", Rules: []int{0}}}},
		{"a ClusterOverridePolicy adds its label and annotation to the ClusterRole",
			"overridemanager_test.go Test_overrideManagerImpl_ApplyLabelAnnotationOverriderPolicies/test clusterOverridePolicy",
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: test2\n" + meta, "test2",
			[]policyv1alpha1.ClusterOverridePolicy{{ObjectMeta: metav1.ObjectMeta{Name: "test2"},
				Spec: spec(policyv1alpha1.ResourceSelector{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "test2"}, "test2")}},
			nil,
			[]AppliedOverride{{Kind: KindClusterOverridePolicy, Name: "test2", Rules: []int{0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, applied, err := Apply(mustObject(t, tt.doc), ClusterInfo{Name: tt.cluster}, tt.cops, tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(applied, tt.want) {
				t.Errorf("applied = %+v, want %+v (karmada: %s)", applied, tt.want, tt.karmada)
			}
			if got, want := out.GetLabels(), map[string]string{"testLabel": "testLabel", "testAddLabel": "testAddLabel"}; !reflect.DeepEqual(got, want) {
				t.Errorf("labels = %v, want %v", got, want)
			}
			if got, want := out.GetAnnotations(), map[string]string{"testAnnotation": "testAnnotation", "testAddAnnotation": "testAddAnnotation"}; !reflect.DeepEqual(got, want) {
				t.Errorf("annotations = %v, want %v", got, want)
			}
		})
	}
}

// TestKarmadaGetMatchingOverridePolicies: the order policies and rules apply
// in. Each overrider sets /metadata/annotations to a different string, so the
// final value shows which applied last.
func TestKarmadaGetMatchingOverridePolicies(t *testing.T) {
	annotations := func(v string) policyv1alpha1.Overriders {
		return policyv1alpha1.Overriders{Plaintext: []policyv1alpha1.PlaintextOverrider{
			{Path: "/metadata/annotations", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`"` + v + `"`)}}}
	}
	overriders1, overriders2, overriders3 := annotations("foo: bar"), annotations("aaa: bbb"), annotations("hello: world")
	names := func(n ...string) *policyv1alpha1.ClusterAffinity {
		return &policyv1alpha1.ClusterAffinity{ClusterNames: n}
	}
	// High implicit priority: selects the Deployment by name.
	overridePolicy1 := policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "overridePolicy1"},
		Spec: policyv1alpha1.OverrideSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "test"}},
			OverrideRules: []policyv1alpha1.RuleWithCluster{
				{TargetCluster: names("cluster1", "cluster2"), Overriders: overriders1},
				{TargetCluster: names("cluster2"), Overriders: overriders2},
			}}}
	// Low implicit priority: no selectors match everything.
	overridePolicy2 := policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "overridePolicy2"},
		Spec: policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{TargetCluster: names("cluster1", "cluster2"), Overriders: overriders3}}}}
	overridePolicy3 := policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "overridePolicy3"},
		Spec: policyv1alpha1.OverrideSpec{ResourceSelectors: []policyv1alpha1.ResourceSelector{},
			OverrideRules: []policyv1alpha1.RuleWithCluster{{TargetCluster: names("cluster1", "cluster2"), Overriders: overriders3}}}}
	oldOverridePolicy := policyv1alpha1.ClusterOverridePolicy{ObjectMeta: metav1.ObjectMeta{Name: "oldOverridePolicy"},
		Spec: policyv1alpha1.OverrideSpec{TargetCluster: names("cluster1"), Overriders: overriders3}}
	op := func(name string, rules ...int) AppliedOverride {
		return AppliedOverride{Kind: KindOverridePolicy, Namespace: "default", Name: name, Rules: rules}
	}
	tests := []struct {
		name            string
		karmada         string
		cops            []policyv1alpha1.ClusterOverridePolicy
		ops             []policyv1alpha1.OverridePolicy
		cluster         string
		want            []AppliedOverride
		wantAnnotations string
	}{
		{"match-all policy first, then the name match; one rule each for cluster1",
			"overridemanager_test.go TestGetMatchingOverridePolicies/OverrideRules test 1",
			nil, []policyv1alpha1.OverridePolicy{overridePolicy1, overridePolicy2}, "cluster1",
			[]AppliedOverride{op("overridePolicy2", 0), op("overridePolicy1", 0)}, "foo: bar"},
		{"both rules of the name match apply for cluster2, in order",
			"overridemanager_test.go TestGetMatchingOverridePolicies/OverrideRules test 2",
			nil, []policyv1alpha1.OverridePolicy{overridePolicy1, overridePolicy2}, "cluster2",
			[]AppliedOverride{op("overridePolicy2", 0), op("overridePolicy1", 0, 1)}, "aaa: bbb"},
		{"an empty selector list matches everything",
			"overridemanager_test.go TestGetMatchingOverridePolicies/OverrideRules test 3",
			nil, []policyv1alpha1.OverridePolicy{overridePolicy3}, "cluster2",
			[]AppliedOverride{op("overridePolicy3", 0)}, "hello: world"},
		{"the deprecated targetCluster and overriders form is one rule",
			"overridemanager_test.go TestGetMatchingOverridePolicies/TargetCluster and Overriders test",
			[]policyv1alpha1.ClusterOverridePolicy{oldOverridePolicy}, nil, "cluster1",
			[]AppliedOverride{{Kind: KindClusterOverridePolicy, Name: "oldOverridePolicy", Rules: []int{0}}}, "hello: world"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: test, namespace: default}\n"
			out, applied, err := Apply(mustObject(t, doc), ClusterInfo{Name: tt.cluster}, tt.cops, tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(applied, tt.want) {
				t.Errorf("applied = %+v, want %+v (karmada: %s)", applied, tt.want, tt.karmada)
			}
			if got := get(t, out, "metadata", "annotations"); got != tt.wantAnnotations {
				t.Errorf("annotations = %v, want %q: the last overrider to run", got, tt.wantAnnotations)
			}
		})
	}
}

func TestKarmadaFieldOverriderPolicies(t *testing.T) {
	tests := []struct {
		name    string
		karmada string
		data    string
		o       policyv1alpha1.FieldOverrider
		want    string
	}{
		{"a YAML value is replaced and the document printed as YAML",
			"overridemanager_test.go Test_overrideManagerImpl_ApplyFieldOverriderPolicies_YAML/test yaml overridePolicies",
			"\nkey: \n  key1: value\n",
			policyv1alpha1.FieldOverrider{FieldPath: "/data/test.yaml", YAML: []policyv1alpha1.YAMLPatchOperation{
				{SubPath: "/key/key1", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"updated_value"`)}}},
			"key:\n  key1: updated_value\n"},
		{"a JSON value is replaced and the document printed as compact JSON",
			"overridemanager_test.go Test_overrideManagerImpl_ApplyJSONOverridePolicies_JSON/test yaml overridePolicies",
			`{"key":{"key1":"value"}}`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/test.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "/key/key1", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`"updated_value"`)}}},
			`{"key":{"key1":"updated_value"}}`},
		// Not in Karmada's tables; what its json-patch gives.
		{"JSON keeps the order of keys; an added key goes last",
			"overridemanager.go applyRawJSONPatch (json-patch v5 keeps key order)",
			`{ "b": 1, "a": {"y": 2, "x": 3} }`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/test.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "/a/x", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`4`)},
				{SubPath: "/0", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`true`)}}},
			`{"b":1,"a":{"y":2,"x":4},"0":true}`},
		{"an empty JSON field is left empty",
			"overridemanager.go applyRawJSONPatch (json-patch returns an empty document as is)",
			``,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/test.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "/a", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`1`)}}},
			``},
		{"a JSON array document takes array operations",
			"overridemanager.go applyRawJSONPatch on an array",
			`[1, 2, 3]`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/test.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "/-1", Operator: policyv1alpha1.OverriderOpRemove},
				{SubPath: "/0", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`0`)}}},
			`[0,1,2]`},
		{"the whole JSON document can be replaced by an object",
			"overridemanager.go applyRawJSONPatch, replace at the root",
			`{"a":1}`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/test.json", JSON: []policyv1alpha1.JSONPatchOperation{
				{SubPath: "", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`{"z":0,"b":1}`)}}},
			`{"z":0,"b":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := strings.TrimPrefix(tt.o.FieldPath, "/data/")
			doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: test1, namespace: default}\n"
			cm := mustObject(t, doc)
			cm.Object["data"] = map[string]any{key: tt.data}
			policy := policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Name: "test1", Namespace: "default"},
				Spec: policyv1alpha1.OverrideSpec{
					ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "test1"}},
					OverrideRules: []policyv1alpha1.RuleWithCluster{{TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"test1"}},
						Overriders: policyv1alpha1.Overriders{FieldOverrider: []policyv1alpha1.FieldOverrider{tt.o}}}},
				}}
			out, applied, err := Apply(cm, ClusterInfo{Name: "test1"}, nil, []policyv1alpha1.OverridePolicy{policy})
			if err != nil {
				t.Fatalf("%v (karmada: %s)", err, tt.karmada)
			}
			if len(applied) != 1 || applied[0].Name != "test1" {
				t.Errorf("applied = %+v, want OverridePolicy test1", applied)
			}
			if got := get(t, out, "data", key); got != tt.want {
				t.Errorf("data[%s] = %q, want %q (karmada: %s)", key, got, tt.want, tt.karmada)
			}
		})
	}
}

func TestKarmadaFieldOverriderErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		o       policyv1alpha1.FieldOverrider
		wantErr string
	}{
		{"a JSON scalar is no document to patch", `"text"`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/f", JSON: []policyv1alpha1.JSONPatchOperation{{SubPath: "/a", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`1`)}}},
			"the field does not hold a JSON object or array: it holds a string"},
		{"the root can only become an object or an array", `{}`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/f", JSON: []policyv1alpha1.JSONPatchOperation{{SubPath: "", Operator: policyv1alpha1.OverriderOpReplace, Value: raw(`1`)}}},
			"path /data/f json[0] subPath : the whole document can only become an object or an array, not a number"},
		{"a YAML scalar is no document to patch", "just text\n",
			policyv1alpha1.FieldOverrider{FieldPath: "/data/f", YAML: []policyv1alpha1.YAMLPatchOperation{{SubPath: "/a", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`1`)}}},
			"the field does not hold a YAML object or array: it holds a string"},
		{"descending into a JSON string", `{"a":"x"}`,
			policyv1alpha1.FieldOverrider{FieldPath: "/data/f", JSON: []policyv1alpha1.JSONPatchOperation{{SubPath: "/a/b", Operator: policyv1alpha1.OverriderOpAdd, Value: raw(`1`)}}},
			`path /data/f json[0] subPath /a/b: cannot add "b" in a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cm := mustObject(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n")
			cm.Object["data"] = map[string]any{"f": tt.data}
			policy := policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"},
				Spec: policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{
					Overriders: policyv1alpha1.Overriders{FieldOverrider: []policyv1alpha1.FieldOverrider{tt.o}}}}}}
			_, _, err := Apply(cm, ClusterInfo{Name: "c1"}, nil, []policyv1alpha1.OverridePolicy{policy})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestKarmadaClusterMatches(t *testing.T) {
	cluster := ClusterInfo{Name: "cluster1", Labels: map[string]string{"foo": "bar"},
		Zones: []string{"zone1", "zone2", "zone3"}, Region: "region1", Provider: "provider1"}
	zones := cluster.Zones
	req := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	fields := func(reqs ...corev1.NodeSelectorRequirement) *policyv1alpha1.FieldSelector {
		return &policyv1alpha1.FieldSelector{MatchExpressions: reqs}
	}
	fooBar := &metav1.LabelSelector{MatchLabels: map[string]string{"foo": "bar"}}
	fooUnmatched := &metav1.LabelSelector{MatchLabels: map[string]string{"foo": "unmatched"}}
	in, notIn := corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn
	const zone, region, provider = policyv1alpha1.ZoneField, policyv1alpha1.RegionField, policyv1alpha1.ProviderField
	tests := []struct {
		karmada  string
		affinity policyv1alpha1.ClusterAffinity
		want     bool
	}{
		{"test cluster excluded and names", policyv1alpha1.ClusterAffinity{Exclude: []string{"cluster1"}, ClusterNames: []string{"cluster1"}}, false},
		{"test cluster excluded and label selector", policyv1alpha1.ClusterAffinity{Exclude: []string{"cluster1"}, LabelSelector: fooBar}, false},
		{"test cluster excluded and field selector", policyv1alpha1.ClusterAffinity{Exclude: []string{"cluster1"}, FieldSelector: fields(req(zone, in, zones...))}, false},
		{"test cluster names", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}}, true},
		{"test cluster names not matched", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster2"}}, false},
		{"test cluster names and label selector", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, ClusterNames: []string{"cluster1"}}, true},
		{"test cluster names and label selector not matched", policyv1alpha1.ClusterAffinity{LabelSelector: fooUnmatched, ClusterNames: []string{"cluster1"}}, false},
		{"test cluster names and field selector(zone & region)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(zone, in, zones...), req(region, in, "region1"))}, true},
		{"test cluster names and field selector(provider)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(provider, in, "provider1"))}, true},
		{"test cluster names and field selector(region)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(region, in, "region1"))}, true},
		{"test cluster names and field selector(zone not in)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(zone, notIn, zones...))}, false},
		{"test cluster names and field selector(provider not in)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(provider, notIn, "provider1"))}, false},
		{"test cluster names and field selector(region not in)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(region, notIn, "region1"))}, false},
		{"test label selector and field selector(zone)", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, FieldSelector: fields(req(zone, in, zones...))}, true},
		{"test label selector and field selector(provider)", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, FieldSelector: fields(req(provider, in, "provider1"))}, true},
		{"test label selector and field selector(region)", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, FieldSelector: fields(req(region, in, "region1"))}, true},
		{"test label selector and field selector(zone not in)", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, FieldSelector: fields(req(zone, notIn, zones...))}, false},
		{"test label selector and field selector(provider) NotIn", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, FieldSelector: fields(req(provider, notIn, "provider1"))}, false},
		{"test label selector and field selector(region) NotIn", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar, FieldSelector: fields(req(region, notIn, "region1"))}, false},
		{"test label selector", policyv1alpha1.ClusterAffinity{LabelSelector: fooBar}, true},
		{"test label selector not matched", policyv1alpha1.ClusterAffinity{LabelSelector: fooUnmatched}, false},
		{"test empty cluster affinity matched", policyv1alpha1.ClusterAffinity{}, true},
		{"test label selector error", policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"": "bar"}}}, false},
		{"test field selector error", policyv1alpha1.ClusterAffinity{FieldSelector: fields(corev1.NodeSelectorRequirement{Key: ""})}, false},
		{"test field selector zone matched", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(zone, in, zones...))}, true},
		{"test field selector zone partially matched", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(zone, notIn, zones...))}, false},
		{"test field selector zone not matched (In one of the cluster's zones matches)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(zone, in, "zone2"))}, true},
		{"test field selector region matched", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(region, in, "region1"))}, true},
		{"test field selector region not matched (NotIn)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(region, notIn, "region1"))}, false},
		{"test field selector region not matched (In region2)", policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1"}, FieldSelector: fields(req(region, in, "region2"))}, false},
		{"test field selector provider matched", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(provider, in, "provider1"))}, true},
		{"test field selector provider not matched (NotIn)", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(provider, notIn, "provider1"))}, false},
		{"test field selector provider not matched (In provider2)", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(provider, in, "provider2"))}, false},
		{"test field selector other key not matched", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req("metadata.name", in, "cluster1"))}, false},
		{"test field selector cluster names and label selector", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(zone, in, zones...)), LabelSelector: fooBar, ClusterNames: []string{"cluster1"}}, true},
		{"test field selector cluster names and label selector not matched (names)", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(zone, in, zones...)), LabelSelector: fooBar, ClusterNames: []string{"cluster2"}}, false},
		{"test field selector cluster names and label selector not matched (zone NotIn)", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(zone, notIn, zones...)), LabelSelector: fooBar, ClusterNames: []string{"cluster1"}}, false},
		{"test field selector cluster names and label selector not matched (labels)", policyv1alpha1.ClusterAffinity{FieldSelector: fields(req(zone, in, zones...)), LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"foo": "Unmatched"}}, ClusterNames: []string{"cluster1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.karmada, func(t *testing.T) {
			if got := cluster.SelectedBy(&tt.affinity); got != tt.want {
				t.Errorf("SelectedBy = %v, want %v (karmada: selector_test.go TestClusterMatches/%s)", got, tt.want, tt.karmada)
			}
		})
	}
}

func TestKarmadaClusterNamesAndZones(t *testing.T) {
	zoneReq := func(op corev1.NodeSelectorOperator, values ...string) *policyv1alpha1.ClusterAffinity {
		return &policyv1alpha1.ClusterAffinity{FieldSelector: &policyv1alpha1.FieldSelector{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: policyv1alpha1.ZoneField, Operator: op, Values: values}}}}
	}
	tests := []struct {
		karmada  string
		cluster  ClusterInfo
		affinity *policyv1alpha1.ClusterAffinity
		want     bool
	}{
		{"TestClusterNamesMatches/cluster name in the allow list", ClusterInfo{Name: "cluster1"}, &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1", "cluster2"}}, true},
		{"TestClusterNamesMatches/cluster name not in the allow list", ClusterInfo{Name: "cluster3"}, &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster1", "cluster2"}}, false},
		{"TestClusterNamesMatches/empty allow list matches all", ClusterInfo{Name: "cluster1"}, &policyv1alpha1.ClusterAffinity{ClusterNames: []string{}}, true},
		{"TestClusterNamesMatches/nil allow list matches all", ClusterInfo{Name: "cluster1"}, &policyv1alpha1.ClusterAffinity{}, true},
		{"Test_matchZones/empty zones for In operator", ClusterInfo{}, zoneReq(corev1.NodeSelectorOpIn, "foo"), false},
		{"Test_matchZones/overlapping zones for In operator", ClusterInfo{Zones: []string{"foo", "bar"}}, zoneReq(corev1.NodeSelectorOpIn, "foo"), true},
		{"Test_matchZones/all zones for In operator", ClusterInfo{Zones: []string{"foo", "bar"}}, zoneReq(corev1.NodeSelectorOpIn, "foo", "bar"), true},
		{"Test_matchZones/empty zones for NotIn operator", ClusterInfo{}, zoneReq(corev1.NodeSelectorOpNotIn, "foo"), true},
		{"Test_matchZones/partial zones for NotIn operator", ClusterInfo{Zones: []string{"foo", "bar"}}, zoneReq(corev1.NodeSelectorOpNotIn, "foo"), false},
		{"Test_matchZones/empty zones for Exists operator", ClusterInfo{}, zoneReq(corev1.NodeSelectorOpExists), false},
		{"Test_matchZones/empty zones for DoesNotExist operator", ClusterInfo{}, zoneReq(corev1.NodeSelectorOpDoesNotExist), true},
		{"Test_matchZones/unknown operator", ClusterInfo{Zones: []string{"foo"}}, zoneReq(corev1.NodeSelectorOpGt), false},
	}
	for _, tt := range tests {
		t.Run(tt.karmada, func(t *testing.T) {
			if got := tt.cluster.SelectedBy(tt.affinity); got != tt.want {
				t.Errorf("SelectedBy = %v, want %v (karmada: selector_test.go %s)", got, tt.want, tt.karmada)
			}
		})
	}
}

// TestClusterFieldsReadAsLabels: keys other than zone are a label selector
// over provider and region in Karmada's ClusterMatches (selector.go), which
// its tables do not spell out.
func TestClusterFieldsReadAsLabels(t *testing.T) {
	c := ClusterInfo{Name: "c", Provider: "aws", Region: "7"}
	field := func(key string, op corev1.NodeSelectorOperator, values ...string) *policyv1alpha1.ClusterAffinity {
		return &policyv1alpha1.ClusterAffinity{FieldSelector: &policyv1alpha1.FieldSelector{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: key, Operator: op, Values: values}}}}
	}
	tests := []struct {
		name     string
		affinity *policyv1alpha1.ClusterAffinity
		want     bool
	}{
		{"NotIn on a key the cluster lacks holds", field("rack", corev1.NodeSelectorOpNotIn, "r1"), true},
		{"DoesNotExist on a key the cluster lacks holds", field("rack", corev1.NodeSelectorOpDoesNotExist), true},
		{"Exists on a key the cluster lacks fails", field("rack", corev1.NodeSelectorOpExists), false},
		{"In without values is refused, so nothing matches", field("provider", corev1.NodeSelectorOpIn), false},
		{"NotIn without values is refused, so nothing matches", field("provider", corev1.NodeSelectorOpNotIn), false},
		{"Exists with values is refused, so nothing matches", field("provider", corev1.NodeSelectorOpExists, "aws"), false},
		{"a value that is no label value is refused", field("provider", corev1.NodeSelectorOpIn, "a b"), false},
		{"Gt compares integers", field("region", corev1.NodeSelectorOpGt, "5"), true},
		{"Lt compares integers", field("region", corev1.NodeSelectorOpLt, "5"), false},
		{"Gt on a non-numeric field fails", field("provider", corev1.NodeSelectorOpGt, "5"), false},
		{"an unknown operator fails", field("provider", "Near", "aws"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.SelectedBy(tt.affinity); got != tt.want {
				t.Errorf("SelectedBy = %v, want %v", got, tt.want)
			}
		})
	}
}
