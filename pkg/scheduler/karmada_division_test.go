package scheduler

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// The tables below replay Karmada v1.19's replica-division unit tests through
// our Schedule. Each case names the Karmada file, test function and case it
// mirrors. Karmada's inputs are translated to ours:
//   - a cluster whose estimator reports n available replicas is a cluster
//     with room for n replicas of cpuReq (roomOpt);
//   - a previous result (spec.clusters) is Request.Previous;
//   - Karmada's test bindings carry no UID, so ours carry none either and
//     Webster ties go to names ascending.
//
// Where a table predates Karmada's move to the Webster method (v1.16) the
// expectation is what v1.19's Webster division gives for the same input;
// docs/karmada-parity.md lists those cases.

// karmadaRef is a workload without a UID, like the bindings in Karmada's
// tests.
var karmadaRef = ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "karmada-vector"}

// members builds member1..memberN with the given rooms; a negative room
// leaves the cluster without a resource summary.
func members(rooms ...int) []Cluster {
	out := make([]Cluster, len(rooms))
	for i, r := range rooms {
		out[i] = mkCluster("member"+string(rune('1'+i)), roomOpt(r))
	}
	return out
}

func namedRooms(kv ...any) []Cluster {
	var out []Cluster
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, mkCluster(kv[i].(string), roomOpt(kv[i+1].(int))))
	}
	return out
}

func withRef(cases []scheduleCase) []scheduleCase {
	for i := range cases {
		if cases[i].req.Resource.Kind == "" {
			cases[i].req.Resource = karmadaRef
		}
	}
	return cases
}

func TestKarmadaDistributionOfReplicas(t *testing.T) {
	// pkg/scheduler/core/generic_scheduler_test.go, Test_DistributionOfReplicas:
	// static weights through assignReplicas (Webster, names ascending).
	four := []Cluster{mkCluster("member1"), mkCluster("member2"), mkCluster("member3"), mkCluster("member4")}
	three := four[:3]
	two := four[:2]
	w := func(ws ...int) *policyv1alpha1.Placement {
		var pairs []any
		for i, v := range ws {
			pairs = append(pairs, "member"+string(rune('1'+i)), v)
		}
		return &policyv1alpha1.Placement{ReplicaScheduling: staticWeights(pairs...)}
	}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "Test_DistributionOfReplicas/replica 3, static weighted 1:1 gives 2/1", clusters: two, req: Request{Replicas: 3, Placement: w(1, 1)}, want: "member1:2 member2:1"},
		{name: "Test_DistributionOfReplicas/replica 3, static weighted 1:1:1, before change to 5 gives 1/1/1", clusters: three, req: Request{Replicas: 3, Placement: w(1, 1, 1)}, want: "member1:1 member2:1 member3:1"},
		{name: "Test_DistributionOfReplicas/replica 3, static weighted 1:1:1, after change to 5 gives 2/2/1", clusters: three, req: Request{Replicas: 5, Placement: w(1, 1, 1), Previous: targets("member1:1 member2:1 member3:1")}, want: "member1:2 member2:2 member3:1"},
		{name: "Test_DistributionOfReplicas/replica 7, static weighted 2:1:1:1, before change to 8 gives 3/2/1/1", clusters: four, req: Request{Replicas: 7, Placement: w(2, 1, 1, 1)}, want: "member1:3 member2:2 member3:1 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 7, static weighted 2:1:1:1, after change to 8 gives 3/2/2/1", clusters: four, req: Request{Replicas: 8, Placement: w(2, 1, 1, 1), Previous: targets("member1:3 member2:2 member3:1 member4:1")}, want: "member1:3 member2:2 member3:2 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 9, static weighted 2:1:1:1, before change to 8 gives 3/2/2/2", clusters: four, req: Request{Replicas: 9, Placement: w(2, 1, 1, 1)}, want: "member1:3 member2:2 member3:2 member4:2"},
		{name: "Test_DistributionOfReplicas/replica 9, static weighted 2:1:1:1, after change to 8 gives 3/2/2/1", clusters: four, req: Request{Replicas: 8, Placement: w(2, 1, 1, 1), Previous: targets("member1:3 member2:2 member3:2 member4:2")}, want: "member1:3 member2:2 member3:2 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 6, static weighted 1:1:1:1, before weight change gives 2/2/1/1", clusters: four, req: Request{Replicas: 6, Placement: w(1, 1, 1, 1)}, want: "member1:2 member2:2 member3:1 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 6, weights changed to 2:1:1:1 gives 3/1/1/1", clusters: four, req: Request{Replicas: 6, Placement: w(2, 1, 1, 1), Previous: targets("member1:2 member2:2 member3:1 member4:1")}, want: "member1:3 member2:1 member3:1 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 5, static weighted 1:1:1, before a cluster is added gives 2/2/1", clusters: three, req: Request{Replicas: 5, Placement: w(1, 1, 1)}, want: "member1:2 member2:2 member3:1"},
		{name: "Test_DistributionOfReplicas/replica 5, a cluster added with weights 1:1:1:1 gives 2/1/1/1", clusters: four, req: Request{Replicas: 5, Placement: w(1, 1, 1, 1), Previous: targets("member1:2 member2:2 member3:1")}, want: "member1:2 member2:1 member3:1 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 6, static weighted 1:1:1:1, before a cluster is removed gives 2/2/1/1", clusters: four, req: Request{Replicas: 6, Placement: w(1, 1, 1, 1)}, want: "member1:2 member2:2 member3:1 member4:1"},
		{name: "Test_DistributionOfReplicas/replica 6, a cluster removed with weights 1:1:1 gives 2/2/2", clusters: three, req: Request{Replicas: 6, Placement: w(1, 1, 1), Previous: targets("member1:2 member2:2 member3:1 member4:1")}, want: "member1:2 member2:2 member3:2"},
	}))
}

func TestKarmadaAssignByStaticWeightStrategy(t *testing.T) {
	// pkg/scheduler/core/assignment_test.go, Test_assignByStaticWeightStrategy.
	three := []Cluster{mkCluster("member1"), mkCluster("member2"), mkCluster("member3")}
	two := three[:2]
	w321 := &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("member1", 3, "member2", 2, "member3", 1)}
	multi := staticWeights("member1", 1, "member2", 1, "member1", 2)
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "Test_assignByStaticWeightStrategy/replica 12, weight 3:2:1 gives 6/4/2", clusters: three, req: Request{Replicas: 12, Placement: w321}, want: "member1:6 member2:4 member3:2"},
		{name: "Test_assignByStaticWeightStrategy/replica 12, default weight gives 4/4/4", clusters: three, req: Request{Replicas: 12, Placement: &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided, ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted}}}, want: "member1:4 member2:4 member3:4"},
		{name: "Test_assignByStaticWeightStrategy/replica 14, weight 3:2:1 gives 7/5/2 (Webster)", clusters: three, req: Request{Replicas: 14, Placement: w321}, want: "member1:7 member2:5 member3:2"},
		{name: "Test_assignByStaticWeightStrategy/insufficient replica assignment should get 0 replica", clusters: two, req: Request{Replicas: 0, Placement: &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("member1", 1, "member2", 1)}}, want: "member1:0 member2:0"},
		{name: "Test_assignByStaticWeightStrategy/selected cluster without weight should be ignored", clusters: two, req: Request{Replicas: 2, Placement: &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("member1", 1)}}, want: "member1:2", excluded: map[string]string{"member2": reasonZeroWeight}},
		{name: "Test_assignByStaticWeightStrategy/cluster with multiple weights takes the highest: 2:1 gives 2/1", clusters: two, req: Request{Replicas: 3, Placement: &policyv1alpha1.Placement{ReplicaScheduling: multi}}, want: "member1:2 member2:1"},
	}))
}

func TestKarmadaDynamicScale(t *testing.T) {
	// pkg/scheduler/core/assignment_test.go, Test_dynamicScale (and the same
	// inputs in division_algorithm_test.go, Test_scaleScheduling).
	dyn := &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}
	agg := &policyv1alpha1.Placement{ReplicaScheduling: aggregated()}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "Test_dynamicScale/replica 12 -> 6, dynamic weighted 1:1:1 divides by the previous 2:4:6 into 1/2/3", clusters: members(1, 1, 1), req: Request{Replicas: 6, PerReplica: cpuReq, Placement: dyn, Previous: targets("member1:2 member2:4 member3:6")}, want: "member1:1 member2:2 member3:3"},
		{name: "Test_dynamicScale/replica 12 -> 24, dynamic weighted 10:10:10 adds 4/4/4 to 2/4/6", clusters: members(10, 10, 10), req: Request{Replicas: 24, PerReplica: cpuReq, Placement: dyn, Previous: targets("member1:2 member2:4 member3:6")}, want: "member1:6 member2:8 member3:10"},
		{name: "Test_dynamicScale/replica 12 -> 24, dynamic weighted 1:1:1 is unschedulable", clusters: members(1, 1, 1), req: Request{Replicas: 24, PerReplica: cpuReq, Placement: dyn, Previous: targets("member1:2 member2:4 member3:6")}, wantErr: "12 replicas are needed and the selected clusters have room for 3"},
		{name: "Test_dynamicScale/replica 12 -> 6, aggregated 1:1:1 keeps the fewest current clusters: member2 alone", clusters: members(1, 1, 1), req: Request{Replicas: 6, PerReplica: cpuReq, Placement: agg, Previous: targets("member1:4 member2:8")}, want: "member2:6"},
		{name: "Test_dynamicScale/replica 12 -> 8, aggregated 100:100 keeps member2 alone", clusters: members(100, 100), req: Request{Replicas: 8, PerReplica: cpuReq, Placement: agg, Previous: targets("member1:4 member2:8")}, want: "member2:8"},
		{name: "Test_dynamicScale/replica 12 -> 24, aggregated 4:6:8 needs all three; Webster 4:6:8 adds 3/4/5", clusters: members(4, 6, 8), req: Request{Replicas: 24, PerReplica: cpuReq, Placement: agg, Previous: targets("member1:4 member2:8")}, want: "member1:7 member2:12 member3:5"},
		{name: "Test_dynamicScale/replica 12 -> 24, aggregated 6:6:20 stays on the current clusters: 10/14", clusters: members(6, 6, 20), req: Request{Replicas: 24, PerReplica: cpuReq, Placement: agg, Previous: targets("member1:4 member2:8")}, want: "member1:10 member2:14"},
		{name: "Test_dynamicScale/replica 12 -> 24, aggregated 1:1:1 is unschedulable", clusters: members(1, 1, 1), req: Request{Replicas: 24, PerReplica: cpuReq, Placement: agg, Previous: targets("member1:4 member2:8")}, wantErr: "replicas are needed"},
		{
			name:     "Test_dynamicScale/replica 12 -> 24, aggregated 4:8:12, with cluster2 disappeared and cluster4 appeared: 20 more by Webster 4:8:12",
			clusters: namedRooms("member1", 4, "member3", 8, "member4", 12),
			req:      Request{Replicas: 24, PerReplica: cpuReq, Placement: agg, Previous: targets("member1:4 member2:8")},
			want:     "member1:7 member3:7 member4:10",
		},
	}))
}

func TestKarmadaDynamicScaleUp(t *testing.T) {
	// pkg/scheduler/core/assignment_test.go, Test_dynamicScaleUp (first
	// schedules are scale ups from nothing), and division_algorithm_test.go,
	// Test_divideReplicasByResource for the same inputs.
	dyn := &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}
	agg := &policyv1alpha1.Placement{ReplicaScheduling: aggregated()}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "Test_dynamicScaleUp/replica 12, dynamic weight 6:8:10 gives 3/4/5", clusters: members(6, 8, 10), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, want: "member1:3 member2:4 member3:5"},
		{name: "Test_dynamicScaleUp/replica 12, dynamic weight 8:8:10 gives 4/4/4 (Webster)", clusters: members(8, 8, 10), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, want: "member1:4 member2:4 member3:4"},
		{name: "Test_dynamicScaleUp/replica 12, dynamic weight 3:3:3 is unschedulable", clusters: members(3, 3, 3), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, wantErr: "12 replicas are needed and the selected clusters have room for 9"},
		{name: "Test_dynamicScaleUp/replica 12, aggregated 6:8:10 uses member3 and member2: 7/5", clusters: members(6, 8, 10), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: agg}, want: "member2:5 member3:7"},
		{name: "Test_dynamicScaleUp/replica 12, aggregated 12:8:10 fits member1 alone", clusters: members(12, 8, 10), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: agg}, want: "member1:12"},
		{name: "Test_dynamicScaleUp/replica 12, aggregated 3:3:3 is unschedulable", clusters: members(3, 3, 3), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: agg}, wantErr: "12 replicas are needed"},
		{
			name:     "Test_dynamicScaleUp/replica 12, dynamic weight 3:3, with cluster3 disappeared and cluster2 appeared: 6 more by 3:3",
			clusters: members(3, 3),
			req:      Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn, Previous: targets("member1:6 member3:6")},
			want:     "member1:9 member2:3",
		},
	}))
}

func TestKarmadaDivideReplicasByPreference(t *testing.T) {
	// pkg/scheduler/core/division_algorithm_test.go,
	// Test_divideReplicasByPreference: first schedules over given available
	// replicas.
	dyn := &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}
	agg := &policyv1alpha1.Placement{ReplicaScheduling: aggregated()}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "Test_divideReplicasByPreference/replica 12, dynamic weight 18:12:6 gives 6/4/2", clusters: members(18, 12, 6), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, want: "member1:6 member2:4 member3:2"},
		{name: "Test_divideReplicasByPreference/replica 12, dynamic weight 20:12:6 gives 6/4/2 (Webster)", clusters: members(20, 12, 6), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, want: "member1:6 member2:4 member3:2"},
		{name: "Test_divideReplicasByPreference/replica 12, dynamic weight 6:12:6 gives 3/6/3", clusters: members(6, 12, 6), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, want: "member1:3 member2:6 member3:3"},
		{name: "Test_divideReplicasByPreference/replica 12, aggregated 12:6:6 fits the roomiest alone", clusters: members(6, 12, 6), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: agg}, want: "member2:12"},
		{name: "Test_divideReplicasByPreference/replica 12, aggregated 6:6:6 takes the first two by name: 6/6", clusters: members(6, 6, 6), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: agg}, want: "member1:6 member2:6"},
	}))
}

func TestKarmadaDispenser(t *testing.T) {
	// pkg/util/helper/binding_test.go, TestDispenseReplicasByTargetClusters
	// (the dispenser divides by the given weights; static weights feed it
	// the same way), and pkg/scheduler/core/division_algorithm_test.go,
	// Test_dispenser_takeByWeight (new replicas divided by weight and added
	// to an initial result: a dynamic scale up).
	static := func(pairs ...any) *policyv1alpha1.Placement {
		return &policyv1alpha1.Placement{ReplicaScheduling: staticWeights(pairs...)}
	}
	dyn := &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}
	abc := namedRooms("A", 1, "B", 2, "C", 3)
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "TestDispenseReplicasByTargetClusters/1 cluster, 5 replicas, 10 sum", clusters: members(0), req: Request{Replicas: 10, Placement: static("member1", 5)}, want: "member1:10"},
		{name: "TestDispenseReplicasByTargetClusters/3 cluster, 1:1:1, 12 sum gives 4/4/4", clusters: members(0, 0, 0), req: Request{Replicas: 12, Placement: static("member1", 5, "member2", 5, "member3", 5)}, want: "member1:4 member2:4 member3:4"},
		{name: "TestDispenseReplicasByTargetClusters/3 cluster, 1:1:1, 10 sum gives the extra one to member1", clusters: members(0, 0, 0), req: Request{Replicas: 10, Placement: static("member1", 5, "member2", 5, "member3", 5)}, want: "member1:4 member2:3 member3:3"},
		{name: "TestDispenseReplicasByTargetClusters/3 cluster, 1:2:3, 13 sum gives 2/4/7", clusters: members(0, 0, 0), req: Request{Replicas: 13, Placement: static("member1", 1, "member2", 2, "member3", 3)}, want: "member1:2 member2:4 member3:7"},
		{name: "Test_dispenser_takeByWeight/Scale up 6 replicas by 1:2:3 onto 1/2/3 gives 2/4/6", clusters: abc, req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn, Previous: targets("A:1 B:2 C:3")}, want: "A:2 B:4 C:6"},
		{name: "Test_dispenser_takeByWeight/Scale up 3 replicas by 1:2:3 onto 1/2/3 gives 2/3/4 (Webster)", clusters: abc, req: Request{Replicas: 9, PerReplica: cpuReq, Placement: dyn, Previous: targets("A:1 B:2 C:3")}, want: "A:2 B:3 C:4"},
		{name: "Test_dispenser_takeByWeight/Scale up 2 replicas by 1:2:3 onto 1/2/3 gives 1/3/4 (Webster)", clusters: abc, req: Request{Replicas: 8, PerReplica: cpuReq, Placement: dyn, Previous: targets("A:1 B:2 C:3")}, want: "A:1 B:3 C:4"},
	}))
}

func TestKarmadaAllocateWebsterSeats(t *testing.T) {
	// pkg/util/helper/webstermethod_test.go, TestAllocateWebsterSeats and
	// ExampleAllocateWebsterSeats: parties are clusters, votes are static
	// weights, seats are replicas. A custom tie breaker is Karmada's UID
	// rule: ascending for an even hash, descending for an odd one.
	parties := []Cluster{mkCluster("PartyA"), mkCluster("PartyB"), mkCluster("PartyC"), mkCluster("PartyD")}
	wiki := &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("PartyA", 100000, "PartyB", 80000, "PartyC", 30000, "PartyD", 20000)}
	even, odd := karmadaRef, karmadaRef
	even.UID, odd.UID = types.UID(evenUID), types.UID(oddUID)
	ab := parties[:2]
	tied := &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("PartyA", 1, "PartyB", 1)}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "ExampleAllocateWebsterSeats/Alpha 1200, Beta 900, Gamma 400 and 4 seats gives 2/1/1", clusters: []Cluster{mkCluster("Alpha"), mkCluster("Beta"), mkCluster("Gamma")}, req: Request{Replicas: 4, Placement: &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("Alpha", 1200, "Beta", 900, "Gamma", 400)}}, want: "Alpha:2 Beta:1 Gamma:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 1", clusters: parties, req: Request{Replicas: 1, Placement: wiki}, want: "PartyA:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 2", clusters: parties, req: Request{Replicas: 2, Placement: wiki}, want: "PartyA:1 PartyB:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 3", clusters: parties, req: Request{Replicas: 3, Placement: wiki}, want: "PartyA:2 PartyB:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 4", clusters: parties, req: Request{Replicas: 4, Placement: wiki}, want: "PartyA:2 PartyB:1 PartyC:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 5", clusters: parties, req: Request{Replicas: 5, Placement: wiki}, want: "PartyA:2 PartyB:2 PartyC:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 6", clusters: parties, req: Request{Replicas: 6, Placement: wiki}, want: "PartyA:2 PartyB:2 PartyC:1 PartyD:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 7", clusters: parties, req: Request{Replicas: 7, Placement: wiki}, want: "PartyA:3 PartyB:2 PartyC:1 PartyD:1"},
		{name: "TestAllocateWebsterSeats/classic example, round 8", clusters: parties, req: Request{Replicas: 8, Placement: wiki}, want: "PartyA:3 PartyB:3 PartyC:1 PartyD:1"},
		{name: "TestAllocateWebsterSeats/party votes not empty, newSeats is 0, expect all seats 0", clusters: ab, req: Request{Replicas: 0, Placement: &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("PartyA", 100, "PartyB", 200)}}, want: "PartyA:0 PartyB:0"},
		{name: "TestAllocateWebsterSeats/tie-breaker is nil, expect break tie by name", clusters: ab, req: Request{Replicas: 1, Placement: tied}, want: "PartyA:1"},
		{name: "TestAllocateWebsterSeats/custom tie-breaker returns true (names ascending: even UID hash)", clusters: ab, req: Request{Replicas: 1, Placement: tied, Resource: even}, want: "PartyA:1"},
		{name: "TestAllocateWebsterSeats/custom tie-breaker returns false (names descending: odd UID hash)", clusters: ab, req: Request{Replicas: 1, Placement: tied, Resource: odd}, want: "PartyB:1"},
	}))
}

func TestKarmadaIssueExamples(t *testing.T) {
	// The differences reported in issue 9, checked against Karmada v1.19's
	// Webster division.
	dyn := &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "12 replicas over available 8:8:10 give 4/4/4, not largest remainder's 4/3/5", clusters: members(8, 8, 10), req: Request{Replicas: 12, PerReplica: cpuReq, Placement: dyn}, want: "member1:4 member2:4 member3:4"},
	}))
}

func TestKarmadaAssignByDuplicatedStrategy(t *testing.T) {
	// pkg/scheduler/core/assignment_test.go, Test_assignByDuplicatedStrategy.
	two := []Cluster{mkCluster("cluster1"), mkCluster("cluster2")}
	runScheduleCases(t, withRef([]scheduleCase{
		{name: "Test_assignByDuplicatedStrategy/test with multiple cluster: each gets all 2", clusters: two, req: Request{Replicas: 2}, want: "cluster1:2 cluster2:2"},
		{name: "Test_assignByDuplicatedStrategy/replicas is null: each gets 0", clusters: two, req: Request{Replicas: 0}, want: "cluster1:0 cluster2:0"},
	}))
}
