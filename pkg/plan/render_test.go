package plan

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestRenderSeedCrossCloudConfig(t *testing.T) {
	out := mustPlan(t, loadExamples(t, "seed-001.yaml"), Options{Render: true})
	w := findWorkload(t, out, "global-app")
	if w.Error != "" {
		t.Fatalf("error: %s", w.Error)
	}
	tests := []struct {
		cluster  string
		replicas int64
		image    string
		command  []any
	}{
		{"cluster-hangzhou", 3, "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2", []any{"/app/server", "--port=8080", "--region=asia-east"}},
		{"cluster-shanghai", 2, "global-app:1.4.2", []any{"/app/server", "--port=8080"}},
		{"cluster-frankfurt", 1, "registry.eu-central.example.com/company/global-app:1.4.2", []any{"/app/server", "--port=8080", "--region=eu-central", "--compliance=gdpr"}},
	}
	for _, tt := range tests {
		t.Run(tt.cluster, func(t *testing.T) {
			objs := w.Manifests[tt.cluster]
			if len(objs) != 1 {
				t.Fatalf("%d manifests, want 1", len(objs))
			}
			obj := &unstructured.Unstructured{Object: objs[0]}
			if got, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas"); got != tt.replicas {
				t.Errorf("spec.replicas = %d, want %d", got, tt.replicas)
			}
			containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
			app := containers[0].(map[string]any)
			if app["image"] != tt.image {
				t.Errorf("image = %v, want %v", app["image"], tt.image)
			}
			if !reflect.DeepEqual(app["command"], tt.command) {
				t.Errorf("command = %v, want %v", app["command"], tt.command)
			}
		})
	}
}

func TestRenderStripsServerFieldsAndKeepsTheTemplate(t *testing.T) {
	template := `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  uid: 0b9c6f0e-0000-4000-8000-000000000001
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2025-01-01T00:00:00Z"
  managedFields: [{manager: kubectl}]
  labels: {app: nginx}
spec:
  replicas: 10
  template:
    spec:
      containers: [{name: nginx, image: nginx:1.25}]
status:
  replicas: 10
`
	in := mustParse(t, seedFleet, template, nginxPropagation)
	before := in.Resources[0].DeepCopy()
	out := mustPlan(t, in, Options{Render: true})
	if !reflect.DeepEqual(in.Resources[0], before) {
		t.Error("Plan modified the input template")
	}
	obj := findWorkload(t, out, "nginx").Manifests["cluster-shanghai"][0]
	meta := obj["metadata"].(map[string]any)
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"} {
		if _, ok := meta[f]; ok {
			t.Errorf("metadata.%s kept", f)
		}
	}
	if _, ok := obj["status"]; ok {
		t.Error("status kept")
	}
	want := map[string]any{"name": "nginx", "namespace": "default", "labels": map[string]any{"app": "nginx"}}
	if !reflect.DeepEqual(meta, want) {
		t.Errorf("metadata = %v, want %v", meta, want)
	}
	if got, _, _ := unstructured.NestedInt64(obj, "spec", "replicas"); got != 4 {
		t.Errorf("spec.replicas = %d, want 4", got)
	}
}

func TestRenderJobCompletionsFollowTheSplit(t *testing.T) {
	job := `
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  parallelism: 10
  completions: 25
  template:
    spec:
      containers: [{name: a, image: busybox}]
`
	policy := func(scheduling string) string {
		return `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: batch}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou, cluster-shanghai]}
    replicaScheduling: ` + scheduling + "\n"
	}
	tests := []struct {
		name        string
		scheduling  string
		parallelism map[string]int64
		completions map[string]int64
	}{
		{
			name:        "divided 60:40: parallelism 6/4, completions 15/10",
			scheduling:  "{replicaSchedulingType: Divided, weightPreference: {staticWeightList: [{targetCluster: {clusterNames: [cluster-hangzhou]}, weight: 60}, {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 40}]}}",
			parallelism: map[string]int64{"cluster-hangzhou": 6, "cluster-shanghai": 4},
			completions: map[string]int64{"cluster-hangzhou": 15, "cluster-shanghai": 10},
		},
		{
			name:        "divided 1:1 with an odd total: the remainder goes to the first cluster",
			scheduling:  "{replicaSchedulingType: Divided}",
			parallelism: map[string]int64{"cluster-hangzhou": 5, "cluster-shanghai": 5},
			completions: map[string]int64{"cluster-hangzhou": 13, "cluster-shanghai": 12},
		},
		{
			name:        "duplicated: every cluster runs the whole Job",
			scheduling:  "{replicaSchedulingType: Duplicated}",
			parallelism: map[string]int64{"cluster-hangzhou": 10, "cluster-shanghai": 10},
			completions: map[string]int64{"cluster-hangzhou": 25, "cluster-shanghai": 25},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := findWorkload(t, mustPlan(t, mustParse(t, seedFleet, job, policy(tt.scheduling)), Options{Render: true}), "batch")
			if w.Error != "" {
				t.Fatalf("error: %s", w.Error)
			}
			for cluster, want := range tt.parallelism {
				obj := w.Manifests[cluster][0]
				if got, _, _ := unstructured.NestedInt64(obj, "spec", "parallelism"); got != want {
					t.Errorf("%s parallelism = %d, want %d", cluster, got, want)
				}
				if got, _, _ := unstructured.NestedInt64(obj, "spec", "completions"); got != tt.completions[cluster] {
					t.Errorf("%s completions = %d, want %d", cluster, got, tt.completions[cluster])
				}
			}
		})
	}
}

func TestRenderOverrideErrorIsTheWorkloadsError(t *testing.T) {
	broken := `
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: broken}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  overrideRules:
  - overriders:
      plaintext: [{path: /spec/nothing/here, operator: replace, value: 1}]
`
	out := mustPlan(t, mustParse(t, seedFleet, nginx, nginxPropagation, broken), Options{Render: true})
	w := findWorkload(t, out, "nginx")
	if !strings.Contains(w.Error, "render for cluster-hangzhou") || !strings.Contains(w.Error, "broken") {
		t.Errorf("error = %q, want it to name the cluster and the policy", w.Error)
	}
	if w.Manifests != nil {
		t.Errorf("manifests = %v, want none when rendering failed", w.Manifests)
	}
	if targets(w) != "cluster-hangzhou:6 cluster-shanghai:4" {
		t.Errorf("targets = %s, want the placement kept", targets(w))
	}
}
