package dashboard

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// BenchmarkOverview builds the overview of 3 clusters and 500 workloads,
// each on all 3 (what GET /api/v1/overview computes per request).
func BenchmarkOverview(b *testing.B) {
	names := []string{"cluster-frankfurt", "cluster-hangzhou", "cluster-shanghai"}
	var clusters []clusterv1alpha1.AttachedCluster
	for _, n := range names {
		clusters = append(clusters, cluster(n, "asia-east", metav1.ConditionTrue))
	}
	var bindings []Binding
	for i := range 500 {
		var targets []workv1alpha1.TargetCluster
		var items []workv1alpha1.AggregatedStatusItem
		for _, n := range names {
			targets = append(targets, workv1alpha1.TargetCluster{Name: n, Replicas: 2})
			items = append(items, item(n, true, workv1alpha1.ResourceHealthy, `{"replicas":2,"readyReplicas":2,"availableReplicas":2,"observedGeneration":1}`))
		}
		bd := binding(6, targets, items...)
		bd.Name = fmt.Sprintf("app-%03d-deployment", i)
		bindings = append(bindings, bd)
	}
	fleetOf := func(string) string { return "global-production" }
	b.ReportAllocs()
	for b.Loop() {
		wl := Workloads(bindings, fleetOf, Filter{})
		_ = BuildOverview(clusters, nil, wl.Items)
	}
}
