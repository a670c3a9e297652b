package scheduler_test

import (
	"fmt"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// Seed 001's nginx: 10 replicas over Hangzhou and Shanghai at 60:40.
func ExampleSchedule() {
	snap, err := scheduler.NewSnapshot([]scheduler.Cluster{
		{Name: "cluster-hangzhou", Region: "asia-east"},
		{Name: "cluster-shanghai", Region: "asia-east"},
		{Name: "cluster-frankfurt", Region: "eu-central"},
	}, nil)
	if err != nil {
		panic(err)
	}
	weight := func(cluster string, w int64) policyv1alpha1.StaticClusterWeight {
		return policyv1alpha1.StaticClusterWeight{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{cluster}}, Weight: w}
	}
	res, err := scheduler.Schedule(snap, scheduler.Request{
		Resource: scheduler.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx"},
		Replicas: 10,
		Placement: &policyv1alpha1.Placement{
			ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-hangzhou", "cluster-shanghai"}},
			ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
				ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
				WeightPreference: &policyv1alpha1.ClusterPreferences{StaticWeightList: []policyv1alpha1.StaticClusterWeight{
					weight("cluster-hangzhou", 60), weight("cluster-shanghai", 40),
				}},
			},
		},
	})
	if err != nil {
		panic(err)
	}
	for _, t := range res.Targets {
		fmt.Println(t.Name, t.Replicas)
	}
	for _, e := range res.Excluded {
		fmt.Println(e.Cluster, "-", e.Reason)
	}
	// Output:
	// cluster-hangzhou 6
	// cluster-shanghai 4
	// cluster-frankfurt - not in clusterNames
}
