package plan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestPlanSeedExamples(t *testing.T) {
	out := mustPlan(t, loadExamples(t), Options{})
	tests := []struct {
		name     string
		workload string
		policy   string
		want     string
	}{
		{"nginx 10 replicas at 60:40 gives 6 and 4", "nginx", "nginx-propagation", "cluster-hangzhou:6 cluster-shanghai:4"},
		{"ai-inference 10 replicas at 70:30 gives 7 and 3", "ai-inference", "inference-workload", "cluster-hangzhou:7 cluster-shanghai:3"},
		{"cost-sensitive-app 10 replicas at 80:20 gives spot 8 and on-demand 2", "cost-sensitive-app", "cost-optimization", "ondemand-cluster:2 spot-cluster:8"},
		{"global-app 6 replicas by free capacity 48:32:16 gives 3, 2 and 1", "global-app", "global-app-propagation", "cluster-frankfurt:1 cluster-hangzhou:3 cluster-shanghai:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := findWorkload(t, out, tt.workload)
			if w.Error != "" {
				t.Fatalf("error: %s", w.Error)
			}
			if w.Policy == nil || w.Policy.Name != tt.policy || w.Policy.Kind != "PropagationPolicy" || w.Policy.Namespace != "default" {
				t.Errorf("policy = %+v, want PropagationPolicy default/%s", w.Policy, tt.policy)
			}
			if got := targets(w); got != tt.want {
				t.Errorf("targets = %s, want %s", got, tt.want)
			}
		})
	}
	nginx := findWorkload(t, out, "nginx")
	if !reflect.DeepEqual(nginx.Excluded[0], Exclusion{Cluster: "cluster-frankfurt", Reason: "not in clusterNames"}) {
		t.Errorf("nginx excluded[0] = %+v, want cluster-frankfurt: not in clusterNames", nginx.Excluded[0])
	}
}

func TestPlanWorkloadOrderIsStable(t *testing.T) {
	out := mustPlan(t, loadExamples(t), Options{})
	var names []string
	for _, w := range out.Workloads {
		names = append(names, w.Resource.Name)
	}
	want := []string{"ai-inference", "cost-sensitive-app", "global-app", "nginx"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("order = %v, want %v", names, want)
	}
}

func TestPlanCases(t *testing.T) {
	configMap := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: network-config, namespace: kurator-system}\ndata: {a: b}\n"
	tests := []struct {
		name      string
		docs      []string
		workload  string
		policy    string // "" means null
		replicas  int32
		want      string
		wantError string // substring; "" means none
		excluded  map[string]string
	}{
		{
			name:     "Fleet alone describes the clusters: nginx still splits 6/4",
			docs:     []string{seedFleet, nginx, nginxPropagation},
			workload: "nginx", policy: "nginx-propagation", replicas: 10,
			want:     "cluster-hangzhou:6 cluster-shanghai:4",
			excluded: map[string]string{"cluster-frankfurt": "not in clusterNames"},
		},
		{
			name:     "no policy selects the resource: policy null, no targets",
			docs:     []string{seedFleet, configMap, nginxPropagation},
			workload: "network-config",
		},
		{
			name: "resource without replicas goes whole to every target with 0",
			docs: []string{seedFleet, configMap, `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: config, namespace: kurator-system}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
  placement:
    clusterAffinity:
      labelSelector: {matchLabels: {region: asia-east}}
`},
			workload: "network-config", policy: "config",
			want:     "cluster-hangzhou:0 cluster-shanghai:0",
			excluded: map[string]string{"cluster-frankfurt": "labels do not match clusterAffinity.labelSelector"},
		},
		{
			name: "ClusterPropagationPolicy claims when no PropagationPolicy does; fieldSelector on region",
			docs: []string{seedFleet, nginx, `
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: europe}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions: [{key: region, operator: In, values: [eu-central]}]
`},
			workload: "nginx", policy: "europe", replicas: 10,
			want: "cluster-frankfurt:10",
		},
		{
			name: "unschedulable: taint not tolerated, error set and every cluster explained",
			docs: []string{nginx, nginxPropagation, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: cluster-shanghai}
spec:
  kubeconfig: {name: shanghai}
  taints: [{key: dedicated, value: special, effect: NoSchedule}]
`, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: cluster-frankfurt}
spec: {kubeconfig: {name: frankfurt}}
`},
			workload: "nginx", policy: "nginx-propagation", replicas: 10,
			wantError: "cluster-shanghai: taint dedicated=special:NoSchedule not tolerated",
			excluded: map[string]string{
				"cluster-frankfurt": "not in clusterNames",
				"cluster-shanghai":  "taint dedicated=special:NoSchedule not tolerated",
			},
		},
		{
			name: "a cluster whose Ready condition is False gets the not-ready taint",
			docs: []string{nginx, `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: anywhere}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  placement:
    replicaScheduling: {replicaSchedulingType: Divided}
`, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: up}
spec: {kubeconfig: {name: up}}
`, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: down}
spec: {kubeconfig: {name: down}}
status:
  conditions: [{type: Ready, status: "False", reason: ClusterNotReady, message: probe failed, lastTransitionTime: "2025-01-01T00:00:00Z"}]
`},
			workload: "nginx", policy: "anywhere", replicas: 10,
			want:     "up:10",
			excluded: map[string]string{"down": "taint cluster.kurator.dev/not-ready:NoSchedule not tolerated"},
		},
		{
			name: "capacity: dynamic weights follow the resource summary, a cluster without one is unlimited",
			docs: []string{`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 12
  template:
    spec:
      containers:
      - name: a
        resources: {requests: {cpu: "1"}}
      - name: b
        resources: {limits: {cpu: "1"}}
`, `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
    clusterAffinity: {clusterNames: [small, big]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Aggregated
`, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: small}
spec: {kubeconfig: {name: small}}
status:
  resourceSummary:
    allocatable: {cpu: "10", pods: "100"}
`, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: big}
spec: {kubeconfig: {name: big}}
`},
			// Each replica needs 2 CPUs (a request plus a limit-only
			// container): small has room for 5, big for any number, so
			// Aggregated puts all 12 on big.
			workload: "web", policy: "web", replicas: 12,
			want:     "big:12",
			excluded: map[string]string{"small": "assigned 0 replicas"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustPlan(t, mustParse(t, tt.docs...), Options{Render: true})
			w := findWorkload(t, out, tt.workload)
			if tt.policy == "" {
				if w.Policy != nil {
					t.Errorf("policy = %+v, want null", w.Policy)
				}
			} else if w.Policy == nil || w.Policy.Name != tt.policy {
				t.Errorf("policy = %+v, want %s", w.Policy, tt.policy)
			}
			if w.Replicas != tt.replicas {
				t.Errorf("replicas = %d, want %d", w.Replicas, tt.replicas)
			}
			if got := targets(w); got != tt.want {
				t.Errorf("targets = %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantError == "" && w.Error != "":
				t.Errorf("error = %q, want none", w.Error)
			case tt.wantError != "" && !strings.Contains(w.Error, tt.wantError):
				t.Errorf("error = %q, want it to contain %q", w.Error, tt.wantError)
			}
			if tt.excluded != nil {
				got := map[string]string{}
				for _, e := range w.Excluded {
					got[e.Cluster] = e.Reason
				}
				if !reflect.DeepEqual(got, tt.excluded) {
					t.Errorf("excluded = %v, want %v", got, tt.excluded)
				}
			}
			if w.Error != "" && w.Manifests != nil {
				t.Errorf("manifests rendered for a workload with an error")
			}
			if len(w.Manifests) != len(w.Targets) {
				t.Errorf("%d manifests for %d targets", len(w.Manifests), len(w.Targets))
			}
		})
	}
}

func TestPlanSteadyModeFromResourceBinding(t *testing.T) {
	binding := func(clusters string) string {
		return `
apiVersion: work.kurator.dev/v1alpha1
kind: ResourceBinding
metadata: {name: global-app-deployment, namespace: default}
spec:
  resource: {apiVersion: apps/v1, kind: Deployment, name: global-app}
  clusters: ` + clusters + "\n"
	}
	tests := []struct {
		name    string
		binding string
		want    string
	}{
		{
			name: "no previous result: divided afresh by free capacity 3:2:1",
			want: "cluster-frankfurt:1 cluster-hangzhou:3 cluster-shanghai:2",
		},
		{
			name:    "same replicas as before: the previous result stands",
			binding: binding("[{name: cluster-hangzhou, replicas: 2}, {name: cluster-shanghai, replicas: 2}, {name: cluster-frankfurt, replicas: 2}]"),
			want:    "cluster-frankfurt:2 cluster-hangzhou:2 cluster-shanghai:2",
		},
		{
			// Karmada v1.19 hands the 3 new replicas out by Webster over free
			// capacity 3:2:1: hangzhou, shanghai, then the tie 3/3 = 1/1 goes
			// to frankfurt, the cluster with fewer seats so far.
			name:    "scale up from 3 on shanghai: those stay, the 3 new ones go by free capacity (Webster)",
			binding: binding("[{name: cluster-shanghai, replicas: 3}]"),
			want:    "cluster-frankfurt:1 cluster-hangzhou:1 cluster-shanghai:4",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := loadExamples(t, "seed-001.yaml")
			if tt.binding != "" {
				if err := in.Merge(mustParse(t, tt.binding)); err != nil {
					t.Fatal(err)
				}
			}
			w := findWorkload(t, mustPlan(t, in, Options{}), "global-app")
			if w.Error != "" {
				t.Fatalf("error: %s", w.Error)
			}
			if got := targets(w); got != tt.want {
				t.Errorf("targets = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPlanInputErrors(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		want string
	}{
		{
			name: "a cluster in two fleets",
			docs: []string{seedFleet, strings.Replace(seedFleet, "name: global-production", "name: other", 1)},
			want: "cluster-hangzhou is already a member of Fleet kurator-system/global-production",
		},
		{
			name: "a Fleet member whose AttachedCluster is in another namespace",
			docs: []string{seedFleet, "apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\nmetadata: {name: cluster-shanghai}\nspec: {kubeconfig: {name: k}}\n"},
			want: `Fleet kurator-system/global-production lists cluster cluster-shanghai, but AttachedCluster cluster-shanghai is in namespace "default"`,
		},
		{
			name: "two clusters of one name in different namespaces",
			docs: []string{
				"apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\nmetadata: {name: a, namespace: east}\nspec: {kubeconfig: {name: k}}\n",
				"apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\nmetadata: {name: a, namespace: west}\nspec: {kubeconfig: {name: k}}\n",
			},
			want: `cluster "a" is listed twice`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(mustParse(t, tt.docs...), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPlanJSONShape(t *testing.T) {
	out := mustPlan(t, mustParse(t, seedFleet, nginx, nginxPropagation,
		"apiVersion: v1\nkind: Service\nmetadata: {name: lonely}\n"), Options{})
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"workloads":[` +
		`{"resource":{"apiVersion":"apps/v1","kind":"Deployment","namespace":"default","name":"nginx"},` +
		`"policy":{"kind":"PropagationPolicy","namespace":"default","name":"nginx-propagation"},` +
		`"replicas":10,` +
		`"targets":[{"cluster":"cluster-hangzhou","replicas":6},{"cluster":"cluster-shanghai","replicas":4}],` +
		`"excluded":[{"cluster":"cluster-frankfurt","reason":"not in clusterNames"}],` +
		`"error":""},` +
		`{"resource":{"apiVersion":"v1","kind":"Service","namespace":"default","name":"lonely"},` +
		`"policy":null,"replicas":0,"targets":[],"excluded":[],"error":""}]}`
	if string(b) != want {
		t.Errorf("JSON\n  %s\nwant\n  %s", b, want)
	}
}
