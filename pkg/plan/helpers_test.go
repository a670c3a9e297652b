package plan

import (
	"strconv"
	"strings"
	"testing"
)

const examplesDir = "../../examples/seed-001"

// seedFleet is seed 001's three clusters as a Fleet alone: members
// without AttachedClusters, known by the Fleet's labels, unlimited capacity.
const seedFleet = `
apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata:
  name: global-production
  namespace: kurator-system
spec:
  clusters:
  - name: cluster-hangzhou
    labels: {region: asia-east, provider: alibaba, env: production}
  - name: cluster-shanghai
    labels: {region: asia-east, provider: huawei, env: production}
  - name: cluster-frankfurt
    labels: {region: eu-central, provider: aws, env: production}
`

const nginx = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  replicas: 10
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
`

const nginxPropagation = `
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
    clusterAffinity:
      clusterNames: [cluster-hangzhou, cluster-shanghai]
    replicaScheduling:
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
          - targetCluster: {clusterNames: [cluster-hangzhou]}
            weight: 60
          - targetCluster: {clusterNames: [cluster-shanghai]}
            weight: 40
`

// stream joins documents into one YAML stream.
func stream(docs ...string) []byte {
	return []byte(strings.Join(docs, "\n---\n"))
}

func mustParse(t *testing.T, docs ...string) *Input {
	t.Helper()
	in, err := Parse("test.yaml", stream(docs...))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return in
}

func mustPlan(t *testing.T, in *Input, opts Options) *Output {
	t.Helper()
	out, err := Plan(in, opts)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return out
}

func loadExamples(t *testing.T, files ...string) *Input {
	t.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = examplesDir + "/" + f
	}
	if len(files) == 0 {
		paths = []string{examplesDir}
	}
	in, err := Load(paths...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return in
}

// workload finds a workload by name.
func findWorkload(t *testing.T, out *Output, name string) Workload {
	t.Helper()
	for _, w := range out.Workloads {
		if w.Resource.Name == name {
			return w
		}
	}
	t.Fatalf("no workload %q in the output", name)
	return Workload{}
}

// targets renders targets as "a:6 b:4".
func targets(w Workload) string {
	parts := make([]string, len(w.Targets))
	for i, tc := range w.Targets {
		parts[i] = tc.Cluster + ":" + strconv.Itoa(int(tc.Replicas))
	}
	return strings.Join(parts, " ")
}
