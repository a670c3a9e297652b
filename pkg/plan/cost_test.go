package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kurator-go/kurator/pkg/scheduler"
)

const costExamples = "../../examples/cost"

func loadCostExamples(t *testing.T) *Input {
	t.Helper()
	in, err := Load(costExamples)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return in
}

func TestPlanCostOfTheSeedCostOptimization(t *testing.T) {
	out := mustPlan(t, loadCostExamples(t), Options{})
	w := findWorkload(t, out, "cost-sensitive-app")
	if got := targets(w); got != "ondemand-cluster:2 spot-cluster:8" {
		t.Fatalf("targets = %s, want the seed's 80:20, ondemand-cluster:2 spot-cluster:8", got)
	}
	// 8 × (0.25 × 0.0100 + 0.5 × 0.0013) = 0.0252 and
	// 2 × (0.25 × 0.0332 + 0.5 × 0.0045) = 0.0211.
	want := &Cost{
		CostWeight:    scheduler.MaxCostWeight,
		CPUPerReplica: 0.25, MemoryGiBPerReplica: 0.5,
		Clusters: []ClusterCost{
			{Cluster: "ondemand-cluster", Replicas: 2, CPUHour: 0.0332, MemoryGiBHour: 0.0045, Currency: "USD", Hourly: 0.0211},
			{Cluster: "spot-cluster", Replicas: 8, CPUHour: 0.01, MemoryGiBHour: 0.0013, Currency: "USD", Hourly: 0.0252},
		},
		Total:    []Amount{{Currency: "USD", Hourly: 0.0463}},
		Unpriced: []string{},
	}
	if !reflect.DeepEqual(w.Cost, want) {
		t.Errorf("cost =\n %+v\nwant\n %+v", w.Cost, want)
	}
}

func TestPlanCostWeightChoosesTheCheaperCluster(t *testing.T) {
	tests := []struct {
		name       string
		annotation string // "" removes it
		want       string
		wantHourly float64
		wantWeight int32
	}{
		{name: "with cost-weight true the cheaper spot-cluster is chosen", annotation: "true", want: "spot-cluster:6", wantHourly: 0.0756, wantWeight: 100},
		{name: "without the annotation the tie goes by name to ondemand-cluster", annotation: "", want: "ondemand-cluster:6", wantHourly: 0.2532, wantWeight: 0},
		{name: "with cost-weight false nothing changes", annotation: "false", want: "ondemand-cluster:6", wantHourly: 0.2532, wantWeight: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := loadCostExamples(t)
			for i := range in.PropagationPolicies {
				p := &in.PropagationPolicies[i]
				if p.Name != "batch-report" {
					continue
				}
				if tt.annotation == "" {
					delete(p.Annotations, scheduler.CostWeightAnnotation)
				} else {
					p.Annotations[scheduler.CostWeightAnnotation] = tt.annotation
				}
			}
			w := findWorkload(t, mustPlan(t, in, Options{}), "batch-report")
			if w.Error != "" {
				t.Fatalf("error: %s", w.Error)
			}
			if got := targets(w); got != tt.want {
				t.Errorf("targets = %s, want %s", got, tt.want)
			}
			if w.Cost == nil || len(w.Cost.Total) != 1 || w.Cost.Total[0].Hourly != tt.wantHourly || w.Cost.CostWeight != tt.wantWeight {
				t.Errorf("cost = %+v, want total %v USD at weight %d", w.Cost, tt.wantHourly, tt.wantWeight)
			}
		})
	}
}

func TestPlanCostCases(t *testing.T) {
	cluster := func(name, price string) string {
		return `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: ` + name + `, namespace: kurator-system}
spec:
  kubeconfig: {name: ` + name + `}
` + price
	}
	app := func(replicas, requests string) string {
		return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: ` + replicas + `
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: app
        image: app:1
` + requests
	}
	policy := func(annotation string) string {
		return `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: everywhere` + annotation + `
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  placement:
    replicaScheduling: {replicaSchedulingType: Divided}
`
	}
	oneCPU := "        resources: {requests: {cpu: \"1\"}}\n"
	tests := []struct {
		name      string
		docs      []string
		want      *Cost // nil: no cost block
		wantError string
	}{
		{
			name: "no target priced: no cost block",
			docs: []string{cluster("a", ""), cluster("b", ""), app("4", oneCPU), policy("")},
		},
		{
			name: "an unpriced target is listed and left out of the total",
			docs: []string{cluster("a", "  price: {cpuHour: \"0.5\"}\n"), cluster("b", ""), app("4", oneCPU), policy("")},
			want: &Cost{
				CPUPerReplica: 1,
				Clusters:      []ClusterCost{{Cluster: "a", Replicas: 2, CPUHour: 0.5, Currency: "USD", Hourly: 1}},
				Total:         []Amount{{Currency: "USD", Hourly: 1}},
				Unpriced:      []string{"b"},
			},
		},
		{
			name: "targets in two currencies get one total each, by currency",
			docs: []string{cluster("a", "  price: {cpuHour: \"0.5\"}\n"), cluster("b", "  price: {cpuHour: \"3\", currency: CNY}\n"), app("4", oneCPU), policy("")},
			want: &Cost{
				CPUPerReplica: 1,
				Clusters: []ClusterCost{
					{Cluster: "a", Replicas: 2, CPUHour: 0.5, Currency: "USD", Hourly: 1},
					{Cluster: "b", Replicas: 2, CPUHour: 3, Currency: "CNY", Hourly: 6},
				},
				Total:    []Amount{{Currency: "CNY", Hourly: 6}, {Currency: "USD", Hourly: 1}},
				Unpriced: []string{},
			},
		},
		{
			name: "a replica that requests nothing costs nothing by the formula",
			docs: []string{cluster("a", "  price: {cpuHour: \"0.5\", memoryGiBHour: \"0.1\"}\n"), app("3", ""), policy("")},
			want: &Cost{
				Clusters: []ClusterCost{{Cluster: "a", Replicas: 3, CPUHour: 0.5, MemoryGiBHour: 0.1, Currency: "USD", Hourly: 0}},
				Total:    []Amount{{Currency: "USD", Hourly: 0}},
				Unpriced: []string{},
			},
		},
		{
			name: "memory in decimal units is priced per GiB: 3 × 1G × 0.2",
			docs: []string{cluster("a", "  price: {memoryGiBHour: \"0.2\"}\n"), app("3", "        resources: {requests: {memory: 1G}}\n"), policy("")},
			want: &Cost{
				MemoryGiBPerReplica: 0.931323,
				Clusters:            []ClusterCost{{Cluster: "a", Replicas: 3, MemoryGiBHour: 0.2, Currency: "USD", Hourly: 0.558794}},
				Total:               []Amount{{Currency: "USD", Hourly: 0.558794}},
				Unpriced:            []string{},
			},
		},
		{
			name:      "a bad cost-weight annotation is the workload's error naming the policy",
			docs:      []string{cluster("a", "  price: {cpuHour: \"0.5\"}\n"), app("3", oneCPU), policy("\n  annotations: {scheduling.karmada.io/cost-weight: cheap}")},
			wantError: `PropagationPolicy default/everywhere: annotation scheduling.karmada.io/cost-weight: "cheap" is not "true", "false" or a weight from 0 to 100`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := findWorkload(t, mustPlan(t, mustParse(t, tt.docs...), Options{}), "app")
			if tt.wantError != "" {
				if !strings.Contains(w.Error, tt.wantError) {
					t.Fatalf("error %q, want it to contain %q", w.Error, tt.wantError)
				}
				return
			}
			if w.Error != "" {
				t.Fatalf("error: %s", w.Error)
			}
			if !reflect.DeepEqual(w.Cost, tt.want) {
				t.Errorf("cost =\n %+v\nwant\n %+v", w.Cost, tt.want)
			}
		})
	}
}

func TestPlanRefusesAnUnparsablePriceLabel(t *testing.T) {
	in := mustParse(t, `
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata:
  name: spot
  namespace: kurator-system
  labels: {cost.kurator.dev/cpu-hour: cheap}
spec: {kubeconfig: {name: spot}}
`, nginx, nginxPropagation)
	_, err := Plan(in, Options{})
	if err == nil || !strings.Contains(err.Error(), "AttachedCluster kurator-system/spot: label cost.kurator.dev/cpu-hour \"cheap\" is not a price") {
		t.Fatalf("Plan error = %v, want the price problem naming the cluster and label", err)
	}
}
