package autoscale

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

func changesString(cs []v1alpha1.ScaleChange) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		where := c.Namespace + "/" + c.Name
		if c.Kind == NodePoolKind {
			where = c.Cluster + "/" + c.Name
		}
		parts[i] = fmt.Sprintf("%s %s %d->%d", c.Kind, where, c.From, c.To)
	}
	return strings.Join(parts, ", ")
}

func TestScaleOutChanges(t *testing.T) {
	seed := seedSettings(t) // order-service to 30; worker-pool 2..5 in north and south
	percent := seed
	percent.Workloads = []Workload{{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "order-service", Replicas: intstrOf("+30%")}}
	percent.Pool = nil
	noMax := seed
	noMax.Pool = &v1alpha1.NodePoolAction{Name: "worker-pool"}
	allPools := seed
	allPools.Clusters = nil

	pools := map[string]PoolSize{"north-cluster": {Replicas: 3, Min: 1, Max: 10}, "south-cluster": {Replicas: 3, Min: 1, Max: 10}}
	cases := []struct {
		name   string
		s      Settings
		cur    Current
		before []v1alpha1.ScaleChange
		want   string
		err    string
	}{
		{"the seed: order-service 20 to 30, each pool 3 to 5", seed,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 20}, Pools: pools}, nil,
			"Deployment shop/order-service 20->30, NodePool north-cluster/worker-pool 3->5, NodePool south-cluster/worker-pool 3->5", ""},
		{"+30% of 20 is 26", percent, Current{Workloads: map[string]int32{"Deployment shop/order-service": 20}}, nil,
			"Deployment shop/order-service 20->26", ""},
		{"a second manual trigger does not compound +30%", percent, Current{Workloads: map[string]int32{"Deployment shop/order-service": 26}},
			[]v1alpha1.ScaleChange{{Kind: "Deployment", Namespace: "shop", Name: "order-service", From: 20, To: 26}}, "", ""},
		{"a second trigger restores +30% of the first size after someone shrank it", percent, Current{Workloads: map[string]int32{"Deployment shop/order-service": 22}},
			[]v1alpha1.ScaleChange{{Kind: "Deployment", Namespace: "shop", Name: "order-service", From: 20, To: 26}}, "Deployment shop/order-service 22->26", ""},
		{"a pool is bounded by its NodePool's max", seed,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 30}, Pools: map[string]PoolSize{"north-cluster": {Replicas: 3, Max: 4}, "south-cluster": {Replicas: 3, Max: 10}}}, nil,
			"NodePool north-cluster/worker-pool 3->4, NodePool south-cluster/worker-pool 3->5", ""},
		{"a pool never shrinks on a scale-out", seed,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 30}, Pools: map[string]PoolSize{"north-cluster": {Replicas: 7, Max: 10}, "south-cluster": {Replicas: 5, Max: 10}}}, nil,
			"", ""},
		{"without maxNodes a pool grows to its NodePool's max", noMax,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 30}, Pools: pools}, nil,
			"NodePool north-cluster/worker-pool 3->10, NodePool south-cluster/worker-pool 3->10", ""},
		{"without target clusters every observed pool grows, in name order", allPools,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 30}, Pools: map[string]PoolSize{"west": {Replicas: 1, Max: 9}, "east": {Replicas: 2, Max: 9}}}, nil,
			"NodePool east/worker-pool 2->5, NodePool west/worker-pool 1->5", ""},
		{"a workload that does not exist is an error naming it", seed, Current{Pools: pools}, nil, "",
			"Deployment shop/order-service: its current replicas are unknown; create it on the hub"},
		{"a pool that does not exist is an error naming it and the fix", seed,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 20}, Pools: map[string]PoolSize{"north-cluster": {Replicas: 3, Max: 5}}}, nil, "",
			"node pool worker-pool in cluster south-cluster: not found; create a NodePool with spec.cluster south-cluster and spec.poolName worker-pool"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ScaleOutChanges(c.s, c.cur, c.before)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := changesString(got); s != c.want {
				t.Errorf("changes\n  %s\nwant\n  %s", s, c.want)
			}
		})
	}
}

func TestScaleInChanges(t *testing.T) {
	seed := seedSettings(t) // minNodes 2, order-service without minReplicas
	withMin := seed
	withMin.Workloads = []Workload{{Kind: "Deployment", Namespace: "shop", Name: "order-service", Replicas: intstrOf("30"), MinReplicas: ptr.To[int32](10)}}
	withMin.Pool = &v1alpha1.NodePoolAction{Name: "worker-pool", MaxNodes: ptr.To[int32](5)}

	before := []v1alpha1.ScaleChange{
		{Kind: "Deployment", Namespace: "shop", Name: "order-service", From: 20, To: 30},
		{Kind: NodePoolKind, Name: "worker-pool", Cluster: "north-cluster", From: 3, To: 5},
		{Kind: NodePoolKind, Name: "worker-pool", Cluster: "south-cluster", From: 3, To: 5},
	}
	scaled := Current{Workloads: map[string]int32{"Deployment shop/order-service": 30},
		Pools: map[string]PoolSize{"north-cluster": {Replicas: 5, Min: 1, Max: 10}, "south-cluster": {Replicas: 5, Min: 3, Max: 10}}}
	cases := []struct {
		name   string
		s      Settings
		cur    Current
		before []v1alpha1.ScaleChange
		want   string
	}{
		{"the seed scales in to minNodes (bounded by the NodePool's min) and back to 20 replicas", seed, scaled, before,
			"Deployment shop/order-service 30->20, NodePool north-cluster/worker-pool 5->2, NodePool south-cluster/worker-pool 5->3"},
		{"minReplicas wins over the size before; without minNodes pools go back to their size before", withMin, scaled, before,
			"Deployment shop/order-service 30->10, NodePool north-cluster/worker-pool 5->3, NodePool south-cluster/worker-pool 5->3"},
		{"nothing that is already at its size", seed,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 20}, Pools: map[string]PoolSize{"north-cluster": {Replicas: 2, Max: 5}, "south-cluster": {Replicas: 2, Max: 5}}}, before, ""},
		{"a scale-in never grows a target someone shrank meanwhile", seed,
			Current{Workloads: map[string]int32{"Deployment shop/order-service": 15}, Pools: map[string]PoolSize{"north-cluster": {Replicas: 1, Max: 5}, "south-cluster": {Replicas: 5, Max: 5}}}, before,
			"NodePool south-cluster/worker-pool 5->2"},
		{"without before[] and without minimums nothing changes", withMin, Current{Pools: scaled.Pools}, nil, ""},
		{"targets missing from the current sizes are left out", seed, Current{Pools: map[string]PoolSize{"south-cluster": {Replicas: 5, Max: 5}}}, before,
			"NodePool south-cluster/worker-pool 5->2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if s := changesString(ScaleInChanges(c.s, c.cur, c.before)); s != c.want {
				t.Errorf("changes\n  %s\nwant\n  %s", s, c.want)
			}
		})
	}
}

func TestRecordBeforeKeepsTheFirstSizes(t *testing.T) {
	first := []v1alpha1.ScaleChange{{Kind: "Deployment", Namespace: "shop", Name: "web", From: 20, To: 26}}
	second := []v1alpha1.ScaleChange{
		{Kind: "Deployment", Namespace: "shop", Name: "web", From: 22, To: 26, Ready: 22},
		{Kind: NodePoolKind, Name: "worker-pool", Cluster: "north", From: 3, To: 5, Ready: 3},
	}
	got := RecordBefore(first, second)
	if s := changesString(got); s != "Deployment shop/web 20->26, NodePool north/worker-pool 3->5" {
		t.Errorf("before %s", s)
	}
	if got[1].Ready != 0 {
		t.Errorf("ready %d copied into before[]", got[1].Ready)
	}
	if len(first) != 1 {
		t.Error("the input was modified")
	}
}

func intstrOf(s string) intstr.IntOrString { return intstr.Parse(s) }
