package validation

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/config/crd"
	"github.com/kurator-go/kurator/config/crd/validation/admissioncases"
)

const seedDir = "../../../api/testdata/seeds"

var ourGroups = map[string]bool{
	"policy.karmada.io":   true,
	"cluster.kurator.dev": true,
	"fleet.kurator.dev":   true,
	"work.kurator.dev":    true,
}

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parse turns one YAML document into an object the way the apiserver
// decodes a request body (integers as int64).
func parse(t *testing.T, doc []byte) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("yaml to json: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return u
}

func splitDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			t.Fatal(err)
		}
		if len(probe) > 0 {
			out = append(out, doc)
		}
	}
}

func TestEveryCRDIsAcceptedByAnAPIServer(t *testing.T) {
	crds, err := crd.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 19 {
		t.Errorf("embedded CRDs: got %d, want 19 (4 policy, 1 cluster, 1 fleet, 3 work, 4 apps, 1 networking, 2 autoscaling, 2 Karmada autoscaling, 1 multicluster)", len(crds))
	}
	for i := range crds {
		t.Run(crds[i].Name, func(t *testing.T) {
			errs, err := CheckCRD(&crds[i])
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) > 0 {
				t.Errorf("refused: %v", errs.ToAggregate())
			}
		})
	}
}

func TestNewForRefusesACRDTheHubWouldRefuse(t *testing.T) {
	crds, err := crd.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var fleet *apiextensionsv1.CustomResourceDefinition
	for i := range crds {
		if crds[i].Name == "fleets.fleet.kurator.dev" {
			fleet = crds[i].DeepCopy()
		}
	}
	if fleet == nil {
		t.Fatal("no Fleet CRD embedded")
	}
	spec := fleet.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	spec.XValidations = append(spec.XValidations, apiextensionsv1.ValidationRule{Rule: "self.clusters.size() >", Message: "broken"})
	fleet.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"] = spec
	_, err = NewFor([]apiextensionsv1.CustomResourceDefinition{*fleet})
	if err == nil || !strings.Contains(err.Error(), "CRD fleets.fleet.kurator.dev would be refused by the hub") || !strings.Contains(err.Error(), "compilation failed") {
		t.Errorf("NewFor with a rule that does not compile: got %v, want the CRD named and the compilation error", err)
	}
}

func TestSeedDocumentsValidate(t *testing.T) {
	v := newValidator(t)
	files, err := filepath.Glob(filepath.Join(seedDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed files in %s: %v", seedDir, err)
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range splitDocs(t, data) {
			u := parse(t, doc)
			if !ourGroups[u.GroupVersionKind().Group] {
				continue
			}
			checked++
			t.Run(filepath.Base(f)+"/"+u.GetKind()+"/"+u.GetName(), func(t *testing.T) {
				if errs := v.Validate(context.Background(), u); len(errs) > 0 {
					t.Errorf("rejected: %v", errs.ToAggregate())
				}
			})
		}
	}
	if checked != 8 {
		t.Errorf("checked %d seed documents of our groups, want 8", checked)
	}
}

func TestValidateRules(t *testing.T) {
	const pp = `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: p, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  placement:
`
	const fleet = `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: kurator-system}
spec:
`
	const cluster = `apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: c, namespace: kurator-system}
spec:
`
	const rb = `apiVersion: work.kurator.dev/v1alpha1
kind: ResourceBinding
metadata: {name: nginx-deployment, namespace: default}
spec:
  resource: {apiVersion: apps/v1, kind: Deployment, namespace: default, name: nginx}
`
	cases := []struct {
		name string
		doc  string
		want []string // substrings of the error; none means valid
	}{
		{"clusterAffinity and clusterAffinities together are rejected",
			pp + "    clusterAffinity: {clusterNames: [a]}\n    clusterAffinities: [{affinityName: t1, clusterNames: [b]}]\n",
			[]string{"spec.placement", "clusterAffinity and placement.clusterAffinities are mutually exclusive"}},
		{"clusterAffinities alone is fine",
			pp + "    clusterAffinities: [{affinityName: t1, clusterNames: [b]}, {affinityName: t2, clusterNames: [c]}]\n", nil},
		{"spreadByField and spreadByLabel together are rejected",
			pp + "    spreadConstraints: [{spreadByField: region, spreadByLabel: env}]\n",
			[]string{"spreadByField and spreadByLabel are mutually exclusive"}},
		{"maxGroups below minGroups is rejected",
			pp + "    spreadConstraints: [{maxGroups: 1, minGroups: 2}]\n",
			[]string{"maxGroups must be greater than or equal to minGroups"}},
		{"maxGroups 0 means no limit",
			pp + "    spreadConstraints: [{maxGroups: 0, minGroups: 2}]\n", nil},
		{"spreadByField region without a cluster constraint is allowed (seed 001)",
			pp + "    spreadConstraints: [{spreadByField: region, maxSkew: 2}]\n", nil},
		{"negative maxSkew is rejected",
			pp + "    spreadConstraints: [{spreadByField: zone, maxSkew: -1}]\n",
			[]string{"maxSkew", "greater than or equal to 0"}},
		{"unknown spreadByField value is rejected",
			pp + "    spreadConstraints: [{spreadByField: country}]\n",
			[]string{"spreadByField", "Unsupported value"}},
		{"static weight 0 is rejected",
			pp + "    replicaScheduling:\n      weightPreference:\n        staticWeightList: [{targetCluster: {clusterNames: [a]}, weight: 0}]\n",
			[]string{"weight", "greater than or equal to 1"}},
		{"unknown field is rejected",
			pp + "    clusterAfinity: {clusterNames: [a]}\n",
			[]string{"spec.placement.clusterAfinity", "unknown field"}},
		{"duplicate fleet cluster names are rejected",
			fleet + "  clusters: [{name: a}, {name: b}, {name: a}]\n",
			[]string{"spec.clusters[2]", "Duplicate value"}},
		// A CEL uniqueness rule ran out of the per-request cost budget
		// before 1,000 names; the list-map key has no such limit.
		{"fleet of 3,000 clusters is accepted", fleet + "  clusters: [" + fleetClusters(3000) + "]\n", nil},
		{"fleet preferred weight above 100 is rejected",
			fleet + "  placement:\n    clusterAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - {weight: 101, preference: {matchExpressions: [{key: region, operator: In, values: [x]}]}}\n",
			[]string{"weight must be between 1 and 100"}},
		{"fleet cluster of an unsupported kind is rejected",
			fleet + "  clusters: [{name: a, kind: CustomCluster}]\n",
			[]string{"spec.clusters[0].kind", "Unsupported value"}},
		{"attached cluster with Kurator's kubeconfig form",
			cluster + "  kubeconfig: {name: member1, key: member1.config}\n", nil},
		{"attached cluster with both kubeconfig forms is rejected",
			cluster + "  kubeconfig: {name: member1, secretRef: {name: member1}}\n",
			[]string{"spec.kubeconfig: set exactly one of secretRef.name"}},
		{"attached cluster without a kubeconfig secret is rejected",
			cluster + "  kubeconfig: {}\n",
			[]string{"spec.kubeconfig: set exactly one of secretRef.name"}},
		{"attached cluster with a key beside secretRef is rejected",
			cluster + "  kubeconfig: {key: config, secretRef: {name: member1}}\n",
			[]string{"with secretRef put the key in secretRef.key"}},
		{"attached cluster with full status",
			cluster + `  kubeconfig: {secretRef: {name: member1, key: config}}
  provider: aws
  region: eu-central
  zones: [eu-central-1a, eu-central-1b]
  taints: [{key: dedicated, value: special, effect: NoSchedule}]
status:
  conditions: [{type: Ready, status: "True", reason: ClusterReady, message: ok, lastTransitionTime: "2026-01-01T00:00:00Z"}]
  kubernetesVersion: v1.37.2
  apiEnablements: [{groupVersion: apps/v1, resources: [{name: deployments, kind: Deployment}]}]
  nodeSummary: {totalNum: 3, readyNum: 3}
  resourceSummary:
    allocatable: {cpu: "12", memory: 48Gi, pods: "330"}
    allocated: {cpu: 2500m, memory: 4Gi, pods: "20"}
`, nil},
		{"binding with per-cluster status keeps raw status",
			rb + `  replicas: 10
  replicaRequirements: {resourceRequest: {cpu: 100m}}
  clusters: [{name: a, replicas: 6}, {name: b, replicas: 4}]
  gracefulEvictionTasks: [{fromCluster: c, replicas: 2, reason: TaintUntolerated, producer: TaintManager, purgeMode: Gracefully, gracePeriodSeconds: 600, creationTimestamp: "2026-01-01T00:00:00Z"}]
  policy: {kind: PropagationPolicy, namespace: default, name: nginx-propagation}
status:
  aggregatedStatus: [{clusterName: a, applied: true, health: Healthy, status: {replicas: 6, readyReplicas: 6, anything: {nested: true}}}]
`, nil},
		{"binding with a cluster listed twice is rejected",
			rb + "  clusters: [{name: a, replicas: 6}, {name: a, replicas: 4}]\n",
			[]string{"spec.clusters[1]", "Duplicate value"}},
		{"binding with an unknown health is rejected",
			rb + "status:\n  aggregatedStatus: [{clusterName: a, health: Great}]\n",
			[]string{"health", "Unsupported value"}},
		{"work keeps arbitrary manifests",
			`apiVersion: work.kurator.dev/v1alpha1
kind: Work
metadata: {name: nginx, namespace: kurator-member-a}
spec:
  suspendDispatching: false
  workload:
    manifests:
    - {apiVersion: apps/v1, kind: Deployment, metadata: {name: nginx}, spec: {replicas: 6, anything: [1, 2]}}
`, nil},
	}
	v := newValidator(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := parse(t, []byte(tc.doc))
			errs := v.Validate(context.Background(), u)
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Fatalf("want valid, got %v", errs.ToAggregate())
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("want an error containing %q, got none", tc.want)
			}
			msg := errs.ToAggregate().Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestAdmissionCases runs the shared admission table offline; the e2e test
// test/e2e/admission sends the same objects to a real hub.
func TestAdmissionCases(t *testing.T) {
	cases, err := admissioncases.Load()
	if err != nil {
		t.Fatal(err)
	}
	if refused := admissioncases.CountRefused(cases); refused < 50 {
		t.Errorf("%d refused cases in admissioncases/cases.yaml, want at least 50", refused)
	}
	v := newValidator(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			u := parse(t, []byte(tc.Object))
			errs := v.Validate(context.Background(), u)
			if !tc.Refused() {
				if len(errs) > 0 {
					t.Fatalf("want accepted, got %v", errs.ToAggregate())
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("want refused with %q, got accepted", tc.Want)
			}
			msg := errs.ToAggregate().Error()
			for _, w := range tc.Missing(msg) {
				t.Errorf("error %q lacks %q", msg, w)
			}
		})
	}
}

func TestValidateAppliesSchemaDefaults(t *testing.T) {
	v := newValidator(t)
	u := parse(t, []byte(`apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: kurator-system}
spec:
  clusters: [{name: a}]
`))
	if errs := v.Validate(context.Background(), u); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	clusters, _, _ := unstructured.NestedSlice(u.Object, "spec", "clusters")
	if got := clusters[0].(map[string]any)["kind"]; got != "AttachedCluster" {
		t.Errorf("spec.clusters[0].kind defaulted to %v, want AttachedCluster", got)
	}
}

func TestValidateUnknownKind(t *testing.T) {
	v := newValidator(t)
	u := parse(t, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"))
	if errs := v.Validate(context.Background(), u); len(errs) == 0 {
		t.Error("a Deployment has no CRD here; want an error")
	}
}

// fleetClusters lists n Fleet members as YAML flow items.
func fleetClusters(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("{name: cluster-%04d}", i)
	}
	return strings.Join(names, ", ")
}
