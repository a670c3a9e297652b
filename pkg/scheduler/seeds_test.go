package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// seedClusters are the three clusters of seed 001's Fleet global-production.
func seedClusters(extra ...clusterOpt) []Cluster {
	return []Cluster{
		mkCluster("cluster-frankfurt", labelsOpt("region", "eu-central", "provider", "aws", "env", "production"), regionOpt("eu-central"), providerOpt("aws")),
		mkCluster("cluster-hangzhou", labelsOpt("region", "asia-east", "provider", "alibaba", "env", "production"), regionOpt("asia-east"), providerOpt("alibaba")),
		mkCluster("cluster-shanghai", labelsOpt("region", "asia-east", "provider", "huawei", "env", "production"), regionOpt("asia-east"), providerOpt("huawei")),
	}
}

func TestScheduleSeedExamples(t *testing.T) {
	nginx := &policyv1alpha1.Placement{
		ClusterAffinity: names("cluster-hangzhou", "cluster-shanghai"),
		// The seed writes only replicaDivisionPreference: Weighted; the type
		// defaults to Divided.
		ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
			ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
			WeightPreference:          staticWeights("cluster-hangzhou", 60, "cluster-shanghai", 40).WeightPreference,
		},
	}
	inference := &policyv1alpha1.Placement{
		ClusterAffinity:   names("cluster-hangzhou", "cluster-shanghai"),
		ReplicaScheduling: staticWeights("cluster-hangzhou", 70, "cluster-shanghai", 30),
	}
	spotClusters := []Cluster{mkCluster("ondemand-cluster"), mkCluster("spot-cluster")}
	spot := &policyv1alpha1.Placement{
		ClusterAffinity:   names("spot-cluster", "ondemand-cluster"),
		ReplicaScheduling: staticWeights("spot-cluster", 80, "ondemand-cluster", 20),
	}
	canary := &policyv1alpha1.Placement{
		ClusterAffinity:   names("cluster-shanghai"),
		SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MaxGroups: 1, MinGroups: 1}},
	}

	runScheduleCases(t, []scheduleCase{
		{
			name:     "nginx 10 replicas at 60:40 gives hangzhou 6 and shanghai 4, frankfurt not in clusterNames",
			clusters: seedClusters(),
			req:      Request{Replicas: 10, Placement: nginx},
			want:     "cluster-hangzhou:6 cluster-shanghai:4",
			excluded: map[string]string{"cluster-frankfurt": "not in clusterNames"},
		},
		{
			name:     "ai-inference 10 replicas at 70:30 gives 7 and 3",
			clusters: seedClusters(),
			req:      Request{Replicas: 10, Placement: inference},
			want:     "cluster-hangzhou:7 cluster-shanghai:3",
		},
		{
			name:     "ai-inference 3 replicas at 70:30 gives 2 and 1",
			clusters: seedClusters(),
			req:      Request{Replicas: 3, Placement: inference},
			want:     "cluster-hangzhou:2 cluster-shanghai:1",
		},
		{
			name:     "spot 10 replicas at 80:20 gives spot 8 and on-demand 2",
			clusters: spotClusters,
			req:      Request{Replicas: 10, Placement: spot},
			want:     "ondemand-cluster:2 spot-cluster:8",
		},
		{
			name:     "spot 20 replicas at 80:20 gives spot 16 and on-demand 4",
			clusters: spotClusters,
			req:      Request{Replicas: 20, Placement: spot},
			want:     "ondemand-cluster:4 spot-cluster:16",
		},
		{
			name:     "reviews-canary maxGroups 1 runs only in shanghai",
			clusters: seedClusters(),
			req:      Request{Replicas: 2, Placement: canary},
			want:     "cluster-shanghai:2",
			excluded: map[string]string{"cluster-hangzhou": "not in clusterNames"},
		},
	})
}

// hierarchical-scheduling from seed 001 §5.1: region maxSkew 2, zone maxSkew
// 1, tolerating dedicated=special:NoSchedule.
func hierarchicalPlacement(rs *policyv1alpha1.ReplicaSchedulingStrategy, tolerate bool) *policyv1alpha1.Placement {
	p := &policyv1alpha1.Placement{
		ClusterAffinity: names("cluster-zone-a", "cluster-zone-b"),
		SpreadConstraints: []policyv1alpha1.SpreadConstraint{
			{SpreadByField: policyv1alpha1.SpreadByFieldRegion, MaxSkew: int32p(2)},
			{SpreadByField: policyv1alpha1.SpreadByFieldZone, MaxSkew: int32p(1)},
		},
		ReplicaScheduling: rs,
	}
	if tolerate {
		p.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "special", Effect: corev1.TaintEffectNoSchedule}}
	}
	return p
}

func TestScheduleSeedHierarchical(t *testing.T) {
	zoneClusters := func(roomA, roomB int) []Cluster {
		return []Cluster{
			mkCluster("cluster-other", regionOpt("r2"), zonesOpt("c")),
			mkCluster("cluster-zone-a", regionOpt("r1"), zonesOpt("a"), roomOpt(roomA), taintOpt("dedicated", "special", corev1.TaintEffectNoSchedule)),
			mkCluster("cluster-zone-b", regionOpt("r1"), zonesOpt("b"), roomOpt(roomB)),
		}
	}
	runScheduleCases(t, []scheduleCase{
		{
			name:     "seed policy verbatim duplicates 6 replicas to both zones, taint tolerated",
			clusters: zoneClusters(10, 10),
			req:      Request{Replicas: 6, Placement: hierarchicalPlacement(nil, true)},
			want:     "cluster-zone-a:6 cluster-zone-b:6",
		},
		{
			name:     "without the toleration zone-a is excluded by its taint",
			clusters: zoneClusters(10, 10),
			req:      Request{Replicas: 6, Placement: hierarchicalPlacement(nil, false)},
			want:     "cluster-zone-b:6",
			excluded: map[string]string{"cluster-zone-a": "taint dedicated=special:NoSchedule not tolerated", "cluster-other": "not in clusterNames"},
		},
		{
			name:     "dynamic weights 9:1 are evened to 5/5 by zone maxSkew 1",
			clusters: zoneClusters(90, 10),
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: hierarchicalPlacement(dynamicWeights(), true)},
			want:     "cluster-zone-a:5 cluster-zone-b:5",
		},
		{
			name:     "zone maxSkew 1 yields to capacity: zone-b holds only 3, so 7/3",
			clusters: zoneClusters(90, 3),
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: hierarchicalPlacement(dynamicWeights(), true)},
			want:     "cluster-zone-a:7 cluster-zone-b:3",
		},
		{
			name:     "odd total with maxSkew 1 splits 6/5",
			clusters: zoneClusters(90, 90),
			req:      Request{Replicas: 11, Placement: hierarchicalPlacement(aggregated(), true)},
			want:     "cluster-zone-a:6 cluster-zone-b:5",
		},
	})
}

func TestScheduleSeedFleet(t *testing.T) {
	fleet := FleetPreference{
		Name:              "global-production",
		SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MaxGroups: 2, MinGroups: 1}},
		Preferred: []corev1.PreferredSchedulingTerm{{
			Weight: 60,
			Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
				Key: "region", Operator: corev1.NodeSelectorOpIn, Values: []string{"asia-east"},
			}}},
		}},
	}
	inFleet := func() []Cluster {
		cs := seedClusters()
		for i := range cs {
			cs[i].Labels[FleetNameLabel] = "global-production"
		}
		return cs
	}
	mixed := inFleet()
	mixed = append(mixed, mkCluster("cluster-lonely", regionOpt("us-west")))

	runScheduleCases(t, []scheduleCase{
		{
			name:     "fleet spread maxGroups 2 keeps the two asia-east clusters preferred with weight 60",
			clusters: inFleet(),
			fleets:   []FleetPreference{fleet},
			req:      Request{Replicas: 3},
			want:     "cluster-hangzhou:3 cluster-shanghai:3",
			excluded: map[string]string{"cluster-frankfurt": "not selected by spread constraints"},
		},
		{
			name:     "fleet membership via Cluster.Fleet works like the label",
			clusters: []Cluster{mkCluster("a", fleetOpt("f"), labelsOpt("tier", "gold")), mkCluster("b", fleetOpt("f")), mkCluster("c", fleetOpt("f"))},
			fleets: []FleetPreference{{
				Name:              "f",
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MaxGroups: 1}},
				Preferred:         []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "tier", Operator: corev1.NodeSelectorOpExists}}}}},
			}},
			req:  Request{Replicas: 1},
			want: "a:1",
		},
		{
			name:     "the policy's own spreadConstraints win over the fleet's",
			clusters: inFleet(),
			fleets:   []FleetPreference{fleet},
			req:      Request{Replicas: 3, Placement: &policyv1alpha1.Placement{SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MaxGroups: 1}}}},
			want:     "cluster-hangzhou:3",
		},
		{
			name:     "candidates from two fleets ignore fleet spread, all clusters run it",
			clusters: mixed,
			fleets:   []FleetPreference{fleet},
			req:      Request{Replicas: 1},
			want:     "cluster-frankfurt:1 cluster-hangzhou:1 cluster-lonely:1 cluster-shanghai:1",
		},
	})
}
