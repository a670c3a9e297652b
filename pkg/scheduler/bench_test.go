package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// benchFleet builds n clusters spread over 10 regions, 3 providers and 30
// zones with varied free capacity; every 10th cluster carries an
// untolerated taint so the filters have something to reject.
func benchFleet(n int) ([]Cluster, []FleetPreference) {
	providers := []string{"aws", "alibaba", "huawei"}
	clusters := make([]Cluster, n)
	for i := range clusters {
		region := "region-" + strconv.Itoa(i%10)
		c := Cluster{
			Name: fmt.Sprintf("member-%05d", i),
			Labels: map[string]string{
				"env":          "production",
				"region":       region,
				"tier":         []string{"gold", "silver", "bronze"}[i%3],
				FleetNameLabel: "global",
			},
			Provider: providers[i%3],
			Region:   region,
			Zones:    []string{region + "-" + strconv.Itoa(i%3)},
			APIEnablements: []APIEnablement{
				{GroupVersion: "v1", Kinds: []string{"ConfigMap", "Secret", "Service"}},
				{GroupVersion: "apps/v1", Kinds: []string{"Deployment", "StatefulSet", "DaemonSet"}},
			},
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewQuantity(int64(16+i%48), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(64+i%128)<<30, resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(110*int64(3+i%5), resource.DecimalSI),
			},
			Allocated: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(i%16)*1000+500, resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(i%32)<<30, resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(int64(i%100), resource.DecimalSI),
			},
		}
		if i%10 == 9 {
			c.Taints = []corev1.Taint{{Key: "maintenance", Effect: corev1.TaintEffectNoSchedule}}
		}
		clusters[i] = c
	}
	fleets := []FleetPreference{{
		Name: "global",
		Preferred: []corev1.PreferredSchedulingTerm{
			{Weight: 60, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "region", Operator: corev1.NodeSelectorOpIn, Values: []string{"region-1", "region-2"}}}}},
			{Weight: 20, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "tier", Operator: corev1.NodeSelectorOpIn, Values: []string{"gold"}}}}},
		},
	}}
	return clusters, fleets
}

func benchPlacement(mode divisionMode) *policyv1alpha1.Placement {
	p := &policyv1alpha1.Placement{
		ClusterAffinity: &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "production"}}},
	}
	switch mode {
	case modeDuplicated:
		p.SpreadConstraints = []policyv1alpha1.SpreadConstraint{
			{SpreadByField: policyv1alpha1.SpreadByFieldRegion, MinGroups: 2, MaxGroups: 3},
			{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 2, MaxGroups: 20},
		}
	case modeStaticWeighted:
		rs := staticWeights()
		for r := 0; r < 10; r++ {
			rs.WeightPreference.StaticWeightList = append(rs.WeightPreference.StaticWeightList, policyv1alpha1.StaticClusterWeight{
				TargetCluster: policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"region": "region-" + strconv.Itoa(r)}}},
				Weight:        int64(r + 1),
			})
		}
		p.ReplicaScheduling = rs
	case modeDynamicWeighted:
		p.ReplicaScheduling = dynamicWeights()
		p.SpreadConstraints = []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 1, MaxGroups: 100}}
	case modeAggregated:
		p.ReplicaScheduling = aggregated()
	}
	return p
}

// BenchmarkSchedule schedules one binding of 1,000 replicas (500m cpu, 1Gi
// each) against fleets of growing size, per division mode.
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 5000} {
		clusters, fleets := benchFleet(n)
		snap, err := NewSnapshot(clusters, fleets)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []divisionMode{modeDuplicated, modeStaticWeighted, modeDynamicWeighted, modeAggregated} {
			req := Request{
				Resource:   ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "web", UID: types.UID("7d1c2b9e")},
				Replicas:   1000,
				PerReplica: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
				Placement:  benchPlacement(mode),
			}
			b.Run(fmt.Sprintf("clusters=%d/%s", n, mode), func(b *testing.B) {
				if _, err := Schedule(snap, req); err != nil {
					var ue *UnschedulableError
					if !errors.As(err, &ue) || n > 10 {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					_, _ = Schedule(snap, req)
				}
			})
		}
	}
}

// BenchmarkNewSnapshot is the once-per-cycle cost.
func BenchmarkNewSnapshot(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		clusters, fleets := benchFleet(n)
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewSnapshot(clusters, fleets); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
