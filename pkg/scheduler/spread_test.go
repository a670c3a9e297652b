package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func spreadPlacement(rs *policyv1alpha1.ReplicaSchedulingStrategy, cons ...policyv1alpha1.SpreadConstraint) *policyv1alpha1.Placement {
	return &policyv1alpha1.Placement{ReplicaScheduling: rs, SpreadConstraints: cons}
}

func byField(f policyv1alpha1.SpreadFieldValue, minG, maxG int) policyv1alpha1.SpreadConstraint {
	return policyv1alpha1.SpreadConstraint{SpreadByField: f, MinGroups: minG, MaxGroups: maxG}
}

func TestScheduleSpreadConstraints(t *testing.T) {
	room := func(a, b, c int) []Cluster {
		return []Cluster{mkCluster("a", roomOpt(a)), mkCluster("b", roomOpt(b)), mkCluster("c", roomOpt(c))}
	}
	// Six clusters over three regions, two providers and two racks.
	world := []Cluster{
		mkCluster("eu-1", regionOpt("eu"), providerOpt("aws"), zonesOpt("eu-a"), roomOpt(8), labelsOpt("rack", "r1")),
		mkCluster("eu-2", regionOpt("eu"), providerOpt("gcp"), zonesOpt("eu-b"), roomOpt(6), labelsOpt("rack", "r2")),
		mkCluster("us-1", regionOpt("us"), providerOpt("aws"), zonesOpt("us-a"), roomOpt(5), labelsOpt("rack", "r1")),
		mkCluster("us-2", regionOpt("us"), providerOpt("aws"), zonesOpt("us-a"), roomOpt(4), labelsOpt("rack", "r2")),
		mkCluster("ap-1", regionOpt("ap"), providerOpt("gcp"), zonesOpt("ap-a"), roomOpt(3), labelsOpt("rack", "r1")),
		mkCluster("ap-2", regionOpt("ap"), providerOpt("gcp"), zonesOpt("ap-b"), roomOpt(2), labelsOpt("rack", "r2")),
	}
	dyn := dynamicWeights()
	runScheduleCases(t, []scheduleCase{
		{
			name:     "by cluster maxGroups 2 keeps the two roomiest (Webster 50:30 for 4 gives 2/2)",
			clusters: room(10, 50, 30),
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: spreadPlacement(dyn, byField("cluster", 1, 2))},
			want:     "b:2 c:2",
			excluded: map[string]string{"a": reasonNotSelected},
		},
		{
			name:     "by cluster minGroups 3 with two clusters fitting is unschedulable",
			clusters: room(10, 50, 30),
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: &policyv1alpha1.Placement{ClusterAffinity: names("a", "b"), SpreadConstraints: []policyv1alpha1.SpreadConstraint{byField("cluster", 3, 3)}}},
			wantErr:  "2/3 clusters are available but spread by cluster needs at least 3 clusters and 2 fit: c: not in clusterNames",
		},
		{
			name: "by cluster swaps in a roomier cluster when the best-scored one is too small",
			clusters: []Cluster{
				mkCluster("small", roomOpt(2), fleetOpt("f"), labelsOpt("tier", "gold")),
				mkCluster("big", roomOpt(10), fleetOpt("f")),
			},
			fleets: []FleetPreference{{Name: "f", Preferred: []corev1.PreferredSchedulingTerm{{Weight: 50, Preference: corev1.NodeSelectorTerm{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "tier", Operator: corev1.NodeSelectorOpIn, Values: []string{"gold"}}},
			}}}}},
			req:  Request{Replicas: 5, PerReplica: cpuReq, Placement: spreadPlacement(dyn, byField("cluster", 1, 1))},
			want: "big:5",
		},
		{
			name:     "locality: maxGroups 1 keeps the cluster already running the binding",
			clusters: room(10, 50, 30),
			req:      Request{Replicas: 2, PerReplica: cpuReq, Previous: targets("a:2"), Placement: spreadPlacement(dyn, byField("cluster", 1, 1))},
			want:     "a:2",
		},
		{
			name:     "by region minGroups 1 maxGroups 2 takes one region, equal scores by name, with all its clusters (Duplicated)",
			clusters: world,
			req:      Request{Replicas: 1, PerReplica: cpuReq, Placement: spreadPlacement(nil, byField("region", 1, 2))},
			want:     "ap-1:1 ap-2:1",
			excluded: map[string]string{"eu-1": reasonNotSelected, "us-1": reasonNotSelected},
		},
		{
			name:     "by region maxGroups 3 with cluster maxGroups 3 takes each region's best cluster",
			clusters: world,
			req:      Request{Replicas: 1, PerReplica: cpuReq, Placement: spreadPlacement(nil, byField("region", 3, 3), byField("cluster", 1, 3))},
			want:     "ap-1:1 eu-1:1 us-1:1",
		},
		{
			name:     "by region minGroups 4 with three regions is unschedulable",
			clusters: world,
			req:      Request{Replicas: 1, Placement: spreadPlacement(nil, byField("region", 4, 0))},
			wantErr:  "spread by region needs at least 4 regions and 3 fit",
		},
		{
			name:     "by provider maxGroups 1 keeps the provider of the roomiest cluster",
			clusters: world,
			req:      Request{Replicas: 6, PerReplica: cpuReq, Placement: spreadPlacement(dyn, byField("provider", 1, 1))},
			want:     "eu-1:3 us-1:2 us-2:1",
		},
		{
			name:     "by zone maxGroups 2 with cluster maxGroups 2 takes two zones",
			clusters: world,
			req:      Request{Replicas: 1, PerReplica: cpuReq, Placement: spreadPlacement(nil, byField("zone", 2, 2), byField("cluster", 1, 2))},
			want:     "eu-1:1 eu-2:1",
		},
		{
			name:     "by label rack maxGroups 1 keeps one rack",
			clusters: world,
			req:      Request{Replicas: 1, PerReplica: cpuReq, Placement: spreadPlacement(nil, policyv1alpha1.SpreadConstraint{SpreadByLabel: "rack", MaxGroups: 1})},
			want:     "ap-1:1 eu-1:1 us-1:1",
		},
		{
			name:     "region and provider together: two regions but only one provider",
			clusters: world,
			req:      Request{Replicas: 1, PerReplica: cpuReq, Placement: spreadPlacement(nil, byField("region", 2, 2), byField("provider", 1, 1))},
			want:     "eu-1:1 us-1:1 us-2:1",
		},
		{
			name:     "by region maxGroups 1: no region holds 20 in two clusters, unschedulable",
			clusters: world,
			req:      Request{Replicas: 20, PerReplica: cpuReq, Placement: spreadPlacement(dyn, byField("region", 1, 1), byField("cluster", 1, 2))},
			wantErr:  "20 replicas are needed",
		},
		{
			name:     "cluster maxSkew 1 evens a dynamic division",
			clusters: room(90, 10, 0),
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: spreadPlacement(dyn, policyv1alpha1.SpreadConstraint{MaxGroups: 2, MaxSkew: int32p(1)})},
			want:     "a:5 b:5",
		},
		{
			name:     "region maxSkew 0 evens aggregated region totals, filling clusters already in use",
			clusters: world,
			req:      Request{Replicas: 12, Placement: spreadPlacement(aggregated(), policyv1alpha1.SpreadConstraint{SpreadByField: "region", MaxSkew: int32p(0)})},
			want:     "ap-1:4 eu-1:4 us-1:4",
		},
		{
			name:     "maxSkew does not apply to Duplicated copies",
			clusters: world,
			req:      Request{Replicas: 3, Placement: spreadPlacement(nil, policyv1alpha1.SpreadConstraint{SpreadByField: "region", MaxSkew: int32p(0)})},
			want:     "ap-1:3 ap-2:3 eu-1:3 eu-2:3 us-1:3 us-2:3",
		},
		{
			name:     "spreadByField and spreadByLabel together is a request error",
			clusters: world,
			req:      Request{Replicas: 1, Placement: spreadPlacement(nil, policyv1alpha1.SpreadConstraint{SpreadByField: "region", SpreadByLabel: "rack"})},
			wantErr:  "mutually exclusive",
		},
	})
}

func TestSwapForCapacityKeepsGroups(t *testing.T) {
	// Zones eu (roomy) and us (small), bounded to two zones: Kurator's own
	// group selection (Karmada ignores zone counts). The selection must keep
	// two zones, so the swap stays inside us.
	clusters := []Cluster{
		mkCluster("eu-1", zonesOpt("eu"), roomOpt(10)),
		mkCluster("eu-2", zonesOpt("eu"), roomOpt(9)),
		mkCluster("us-1", zonesOpt("us"), roomOpt(1)),
		mkCluster("us-2", zonesOpt("us"), roomOpt(3)),
	}
	snap, err := NewSnapshot(clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Resource: deployment("app"), Replicas: 13, PerReplica: cpuReq, Placement: spreadPlacement(dynamicWeights(), byField("zone", 2, 2), byField("cluster", 1, 2))}
	res, err := Schedule(snap, req)
	if err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	if got, want := res.String(), "eu-1:10 us-2:3"; got != want {
		t.Errorf("targets = %q, want %q", got, want)
	}
}
