package plan

import (
	"strings"
	"testing"
)

func TestParseErrorsNameFileDocumentAndField(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string // the whole message
	}{
		{
			name: "misspelt field in a PropagationPolicy",
			input: nginx + "\n---\n" + `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx-propagation
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    replicaScheduling:
      weightPreference:
        staticWeightLis: []
`,
			want: `test.yaml: document 2 (PropagationPolicy nginx-propagation): spec.placement.replicaScheduling.weightPreference: unknown field "staticWeightLis"`,
		},
		{
			name: "unknown field inside a list item",
			input: `
apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f}
spec:
  clusters:
  - name: a
    lables: {x: y}
`,
			want: `test.yaml: document 1 (Fleet f): spec.clusters[0]: unknown field "lables"`,
		},
		{
			name: "unknown top-level field",
			input: `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: c}
spec: {kubeconfig: {name: s}}
stauts: {}
`,
			want: `test.yaml: document 1 (AttachedCluster c): unknown field "stauts"`,
		},
		{
			name: "wrong type",
			input: `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: p}
spec:
  priority: high
  resourceSelectors: []
`,
			want: `test.yaml: document 1 (PropagationPolicy p): spec.priority: got a string, want int32`,
		},
		{
			name: "duplicate key",
			input: `
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: o}
metadata: {name: p}
`,
			want: `test.yaml: document 1: yaml: unmarshal errors: line 5: key "metadata" already set in map`,
		},
		{
			name:  "kind not in our group",
			input: "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolcy\nmetadata: {name: p}\n",
			want:  `test.yaml: document 1 (PropagationPolcy p): kind PropagationPolcy is not part of policy.karmada.io/v1alpha1; check apiVersion and kind`,
		},
		{
			name:  "missing kind",
			input: "apiVersion: apps/v1\nmetadata: {name: p}\n",
			want:  `test.yaml: document 1: apiVersion and kind are required`,
		},
		{
			name:  "missing name",
			input: "apiVersion: v1\nkind: ConfigMap\n",
			want:  `test.yaml: document 1 (ConfigMap): metadata.name is required`,
		},
		{
			name:  "not an object",
			input: "- a\n- b\n",
			want:  `test.yaml: document 1: not an object; every document must be a Kubernetes object with apiVersion and kind`,
		},
		{
			name:  "replicas not a number, third document counting a comment-only one",
			input: "# just a comment\n---\n" + nginx + "\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\nspec: {replicas: \"3\"}\n",
			want:  `test.yaml: document 3 (Deployment p): spec.replicas: got "3", want an integer`,
		},
		{
			name:  "bad quantity",
			input: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        resources: {requests: {cpu: lots}}\n",
			want:  `test.yaml: document 1 (Deployment p): spec.template.spec.containers[0].resources.requests.cpu: "lots" is not a quantity`,
		},
		{
			name:  "item of a List",
			input: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: work.kurator.dev/v1alpha1\n  kind: ResourceBinding\n  metadata: {name: rb}\n  spec: {resource: {apiVersion: apps/v1, kind: Deployment, name: nginx}, clustrs: []}\n",
			want:  `test.yaml: document 1 (List) item 1 (ResourceBinding rb): spec: unknown field "clustrs"`,
		},
		{
			name:  "same object twice",
			input: nginx + "\n---\n" + nginx,
			want:  `test.yaml: document 2 (Deployment nginx): Deployment.apps default/nginx is already defined in test.yaml: document 1 (Deployment nginx); keep one definition`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.input))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n  %s\nwant\n  %s", err, tt.want)
			}
		})
	}
}

func TestParseDefaultsAndRouting(t *testing.T) {
	in := mustParse(t,
		seedFleet, nginx, nginxPropagation,
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, namespace: bogus}\n",
		"apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterOverridePolicy\nmetadata: {name: all}\nspec: {}\n",
		"apiVersion: work.kurator.dev/v1alpha1\nkind: ResourceBinding\nmetadata: {name: nginx-deployment, namespace: default}\nspec: {resource: {apiVersion: apps/v1, kind: Deployment, name: nginx}}\n",
		"# only a comment\n",
	)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"fleets", len(in.Fleets), 1},
		{"propagation policies", len(in.PropagationPolicies), 1},
		{"cluster override policies", len(in.ClusterOverridePolicies), 1},
		{"resource bindings", len(in.ResourceBindings), 1},
		{"resources: nginx and the Namespace", len(in.Resources), 2},
		{"PropagationPolicy without namespace goes to default", in.PropagationPolicies[0].Namespace, "default"},
		{"Deployment without namespace goes to default", in.Resources[0].GetNamespace(), "default"},
		{"cluster-scoped Namespace loses a stray namespace", in.Resources[1].GetNamespace(), ""},
		{"binding's resource namespace defaults to the binding's", in.ResourceBindings[0].Spec.Resource.Namespace, "default"},
		{"Fleet keeps its namespace", in.Fleets[0].Namespace, "kurator-system"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseUnpacksLists(t *testing.T) {
	list := "apiVersion: v1\nkind: List\nitems:\n" + indent(nginx) + indent(nginxPropagation)
	in := mustParse(t, list)
	if len(in.Resources) != 1 || len(in.PropagationPolicies) != 1 {
		t.Fatalf("got %d resources and %d policies, want 1 and 1", len(in.Resources), len(in.PropagationPolicies))
	}
}

// indent turns a document into an item of a YAML list.
func indent(doc string) string {
	lines := strings.Split(strings.Trim(doc, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestLoadMergesFilesAndRejectsDuplicatesAcrossThem(t *testing.T) {
	in := loadExamples(t)
	if got := len(in.Resources); got != 4 {
		t.Errorf("examples directory: %d resources, want 4 (ai-inference, cost-sensitive-app, global-app, nginx)", got)
	}
	_, err := Load(examplesDir+"/seed-001.yaml", examplesDir+"/seed-001.yaml")
	if err == nil || !strings.Contains(err.Error(), "is already defined in") {
		t.Errorf("loading a file twice: err = %v, want a duplicate-definition error", err)
	}
}
