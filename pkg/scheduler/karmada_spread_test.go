package scheduler

import (
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// The tables below replay Karmada v1.19's spread-constraint unit tests
// (pkg/scheduler/core/spreadconstraint). Karmada's tests hand the selector
// clusters with a ready-made score; here a cluster's score comes from a
// fleet preferred term of that weight (Kurator's scoring extension), and
// its available replicas from its room for cpuReq. Where Karmada injects a
// region score, the clusters are chosen so that Karmada's own region score
// (which we compute) orders the regions the same way.

const scoreFleet = "karmada-scores"

// scored is a cluster with a cluster score, a region and room for n replicas.
func scored(name, region string, score, room int) Cluster {
	c := mkCluster(name, roomOpt(room), fleetOpt(scoreFleet))
	if region != "" {
		c.Region = region
	}
	if score > 0 {
		c.Labels = map[string]string{"score": strconv.Itoa(score)}
	}
	return c
}

// scoresFleet gives every labelled score its own preferred term, so a
// cluster's score is exactly its label.
func scoresFleet(clusters []Cluster) []FleetPreference {
	seen := map[string]bool{}
	f := FleetPreference{Name: scoreFleet}
	for _, c := range clusters {
		v := c.Labels["score"]
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		w, _ := strconv.Atoi(v)
		f.Preferred = append(f.Preferred, corev1.PreferredSchedulingTerm{Weight: int32(w), Preference: corev1.NodeSelectorTerm{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "score", Operator: corev1.NodeSelectorOpIn, Values: []string{v}}},
		}})
	}
	return []FleetPreference{f}
}

func scoredCases(cases []scheduleCase) []scheduleCase {
	for i := range cases {
		cases[i].fleets = scoresFleet(cases[i].clusters)
	}
	return withRef(cases)
}

func TestKarmadaSelectBestClusters(t *testing.T) {
	// pkg/scheduler/core/spreadconstraint/select_clusters_test.go,
	// TestSelectBestClusters (generateClusterInfo: member4 60/50,
	// member2 40/60, member3 30/80, member1 20/40 as score/available).
	clusters := []Cluster{
		scored("member4", "R2", 60, 50),
		scored("member2", "R1", 40, 60),
		scored("member3", "R1", 30, 80),
		scored("member1", "R1", 20, 40),
	}
	byCluster := func(minG, maxG int) []policyv1alpha1.SpreadConstraint {
		return []policyv1alpha1.SpreadConstraint{byField("cluster", minG, maxG)}
	}
	place := func(rs *policyv1alpha1.ReplicaSchedulingStrategy, cons []policyv1alpha1.SpreadConstraint) *policyv1alpha1.Placement {
		return &policyv1alpha1.Placement{ReplicaScheduling: rs, SpreadConstraints: cons}
	}
	runScheduleCases(t, scoredCases([]scheduleCase{
		{
			name:     "TestSelectBestClusters/select clusters by cluster score: member4 and member2",
			clusters: clusters,
			req:      Request{Replicas: 100, PerReplica: cpuReq, Placement: place(nil, byCluster(1, 2))},
			want:     "member2:100 member4:100",
			excluded: map[string]string{"member1": reasonNotSelected, "member3": reasonNotSelected},
		},
		{
			name:     "TestSelectBestClusters/select clusters by cluster score and ignore available resources when scheduling strategy is duplicated",
			clusters: clusters,
			req: Request{Replicas: 120, PerReplica: cpuReq, Placement: place(&policyv1alpha1.ReplicaSchedulingStrategy{
				ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated,
			}, byCluster(1, 2))},
			want: "member2:120 member4:120",
		},
		{
			name:     "TestSelectBestClusters/select clusters by cluster score and ignore available resources when scheduling strategy is static weight: all four are selected, weights keep member1",
			clusters: clusters,
			req:      Request{Replicas: 120, PerReplica: cpuReq, Placement: place(staticWeights("member1", 2), byCluster(1, 2))},
			want:     "member1:120",
			excluded: map[string]string{"member2": reasonZeroWeight, "member3": reasonZeroWeight, "member4": reasonZeroWeight},
		},
		{
			name:     "TestSelectBestClusters/select clusters by cluster score and satisfy available resources: member3 replaces member2",
			clusters: clusters,
			req:      Request{Replicas: 120, PerReplica: cpuReq, Placement: place(dynamicWeights(), byCluster(1, 2))},
			want:     "member3:74 member4:46",
			excluded: map[string]string{"member1": reasonNotSelected, "member2": reasonNotSelected},
		},
		{
			name:     "TestSelectBestClusters/select clusters by cluster score and insufficient resources",
			clusters: clusters,
			req:      Request{Replicas: 200, PerReplica: cpuReq, Placement: place(dynamicWeights(), byCluster(1, 2))},
			wantErr:  "spread by cluster selects 2 clusters and no 2 of them can hold 200 replicas",
		},
		{
			name:     "TestSelectBestClusters/select clusters by cluster score and exceeded the number of available clusters",
			clusters: clusters,
			req:      Request{Replicas: 30, PerReplica: cpuReq, Placement: place(nil, byCluster(7, 7))},
			wantErr:  "spread by cluster needs at least 7 clusters and 4 fit",
		},
	}))
}

func TestKarmadaSelectBestClustersByRegion(t *testing.T) {
	// pkg/scheduler/core/spreadconstraint/select_clusters_by_region_test.go,
	// Test_selectBestClustersByRegion. Dynamic weights with ample room, so
	// every region meets its replica target and region scores follow the
	// average score of the clusters they would use, like the injected ones.
	twoRegions := []Cluster{
		scored("member1", "R1", 100, 40), scored("member2", "R1", 80, 40),
		scored("member3", "R2", 80, 40), scored("member4", "R2", 80, 40), scored("member5", "R2", 60, 40),
	}
	fourRegions := []Cluster{
		scored("member1", "R1", 90, 40),
		scored("member2", "R2", 70, 40), scored("member3", "R2", 60, 40), scored("member4", "R2", 30, 40),
		scored("member5", "R3", 80, 40), scored("member6", "R3", 50, 60),
		scored("member7", "R4", 50, 50), scored("member8", "R4", 40, 50), scored("member9", "R4", 10, 50), scored("member10", "R4", 0, 50),
	}
	fiveRegions := []Cluster{
		scored("member1", "R1", 70, 40),
		scored("member2", "R2", 40, 40), scored("member3", "R2", 40, 40), scored("member4", "R2", 40, 40),
		scored("member5", "R3", 60, 40), scored("member6", "R3", 50, 60),
		scored("member7", "R4", 70, 100),
		scored("member8", "R5", 50, 50),
	}
	oneRegion := []Cluster{scored("member1", "R1", 100, 40), scored("member2", "R1", 80, 20)}
	place := func(regionMin, regionMax, clusterMin, clusterMax int) *policyv1alpha1.Placement {
		return spreadPlacement(dynamicWeights(), byField("region", regionMin, regionMax), byField("cluster", clusterMin, clusterMax))
	}
	runScheduleCases(t, scoredCases([]scheduleCase{
		{
			name:     "Test_selectBestClustersByRegion/select cluster from the region with the higher score: R1",
			clusters: twoRegions,
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: place(1, 1, 2, 2)},
			want:     "member1:5 member2:5",
		},
		{
			name:     "Test_selectBestClustersByRegion/select cluster from the region with enough clusters: R2",
			clusters: twoRegions,
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: place(1, 1, 3, 3)},
			want:     "member3:4 member4:3 member5:3",
		},
		{
			name:     "Test_selectBestClustersByRegion/select cluster from the region with enough clusters and higher score: R1 and R2",
			clusters: fourRegions,
			req:      Request{Replicas: 20, PerReplica: cpuReq, Placement: place(2, 2, 4, 5)},
			want:     "member1:5 member2:5 member3:5 member4:5",
		},
		{
			name:     "Test_selectBestClustersByRegion/select cluster from more than minGroups regions with enough clusters and higher score: R1, R3 and R2",
			clusters: fiveRegions,
			req:      Request{Replicas: 30, PerReplica: cpuReq, Placement: place(1, 3, 6, 8)},
			want:     "member1:5 member2:5 member3:5 member4:4 member5:4 member6:7",
		},
		{
			name:     "Test_selectBestClustersByRegion/no enough region",
			clusters: twoRegions,
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: place(3, 3, 3, 3)},
			wantErr:  "spread by region needs at least 3 regions and 2 fit",
		},
		{
			name:     "Test_selectBestClustersByRegion/no enough clusters",
			clusters: twoRegions,
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: place(1, 1, 4, 4)},
			wantErr:  "no set of 1 to 1 regions has the 4 clusters spread by cluster needs",
		},
		{
			name:     "Test_selectBestClustersByRegion/no more regions to replace",
			clusters: oneRegion,
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: place(1, 1, 3, 4)},
			wantErr:  "no set of 1 to 1 regions has the 3 clusters spread by cluster needs",
		},
	}))
}

func TestKarmadaGroupClustersWithScore(t *testing.T) {
	// pkg/scheduler/core/spreadconstraint/group_clusters_test.go,
	// Test_GroupClustersWithScore: clusters are ranked by score (member4 60,
	// member2 40, member3 30, member1 20, all with the same room), which a
	// cluster spread shows as the order in which they are taken.
	clusters := []Cluster{
		scored("member1", "R1", 20, 100), scored("member2", "R1", 40, 100),
		scored("member3", "R1", 30, 100), scored("member4", "R2", 60, 100),
	}
	runScheduleCases(t, scoredCases([]scheduleCase{
		{name: "Test_GroupClustersWithScore/clusters sorted by score: the best one is member4", clusters: clusters, req: Request{Replicas: 1, Placement: spreadPlacement(nil, byField("cluster", 1, 1))}, want: "member4:1"},
		{name: "Test_GroupClustersWithScore/clusters sorted by score: the best three are member4, member2, member3", clusters: clusters, req: Request{Replicas: 1, Placement: spreadPlacement(nil, byField("cluster", 1, 3))}, want: "member2:1 member3:1 member4:1"},
	}))
}

func TestKarmadaSelectGroups(t *testing.T) {
	// pkg/scheduler/core/spreadconstraint/select_groups_test.go,
	// TestSelectGroups: the region-set search on its own; a group's value is
	// its number of clusters and its weight is its score.
	type group struct {
		name          string
		value, weight int
	}
	cases := []struct {
		name     string
		groups   []group
		min, max int
		target   int
		want     []string
	}{
		{name: "empty groups select nothing", min: 2, max: 3, target: 1},
		{name: "no enough groups select nothing", groups: []group{{"R1", 1, 80}}, min: 2, max: 3, target: 1},
		{name: "no enough value selects nothing", groups: []group{{"R1", 1, 80}, {"R2", 2, 30}}, min: 2, max: 3, target: 4},
		{name: "select one group", groups: []group{{"R1", 1, 80}}, min: 1, max: 3, target: 1, want: []string{"R1"}},
		{
			name:   "prioritize one path: R5, R4, R6",
			groups: []group{{"R1", 1, 80}, {"R3", 1, 80}, {"R2", 1, 60}, {"R5", 2, 60}, {"R4", 5, 50}, {"R6", 3, 50}},
			min:    1, max: 3, target: 10,
			want: []string{"R5", "R4", "R6"},
		},
		{
			name:   "select groups with less total number: R1, R2",
			groups: []group{{"R1", 1, 80}, {"R2", 4, 40}, {"R3", 1, 30}, {"R4", 3, 30}, {"R5", 3, 20}, {"R6", 5, 10}},
			min:    2, max: 6, target: 5,
			want: []string{"R1", "R2"},
		},
		{
			name:   "select groups with the highest score: R1, R4, R5",
			groups: []group{{"R1", 1, 60}, {"R2", 1, 50}, {"R3", 1, 40}, {"R4", 3, 30}, {"R5", 3, 20}, {"R6", 3, 10}},
			min:    1, max: 3, target: 6,
			want: []string{"R1", "R4", "R5"},
		},
		{
			name:   "select groups that are chosen earlier: R1, R4",
			groups: []group{{"R1", 1, 60}, {"R2", 2, 50}, {"R3", 3, 40}, {"R4", 4, 30}},
			min:    1, max: 2, target: 5,
			want: []string{"R1", "R4"},
		},
		{
			name:   "select groups with greater value: R3, R1",
			groups: []group{{"R4", 1, 60}, {"R3", 3, 50}, {"R1", 3, 40}, {"R2", 4, 30}},
			min:    1, max: 2, target: 5,
			want: []string{"R3", "R1"},
		},
	}
	for _, tc := range cases {
		t.Run("TestSelectGroups/"+tc.name, func(t *testing.T) {
			regions := make([]regionGroup, len(tc.groups))
			for i, g := range tc.groups {
				regions[i] = regionGroup{name: g.name, members: make([]int32, g.value), score: int64(g.weight)}
			}
			var got []string
			for _, g := range selectRegionSet(regions, tc.min, tc.max, tc.target) {
				got = append(got, regions[g].name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("selected %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKarmadaCalcGroupScore(t *testing.T) {
	// pkg/scheduler/core/spreadconstraint/group_clusters_test.go,
	// Test_CalcGroupScore: which of two regions scores at least as high.
	type node struct{ score, room int64 }
	five := func(scores, rooms [5]int64) []node {
		out := make([]node, 5)
		for i := range out {
			out[i] = node{scores[i], rooms[i]}
		}
		return out
	}
	cases := []struct {
		name       string
		mode       divisionMode
		replicas   int32
		minGroups  int
		group1     []node
		group2     []node
		group1Wins bool
	}{
		{
			name: "1: duplicated, group 1 wins with more clusters that hold every replica", mode: modeDuplicated, replicas: 20,
			group1: five([5]int64{100, 100, 0, 0, 0}, [5]int64{30, 30, 30, 30, 30}), group2: five([5]int64{100, 100, 100, 100, 100}, [5]int64{30, 30, 30, 10, 10}),
			group1Wins: true,
		},
		{
			name: "2: duplicated, as many clusters hold every replica, group 2 wins on score", mode: modeDuplicated, replicas: 20,
			group1: five([5]int64{100, 100, 0, 0, 0}, [5]int64{30, 30, 30, 10, 10}), group2: five([5]int64{100, 100, 100, 100, 100}, [5]int64{30, 30, 30, 10, 10}),
			group1Wins: false,
		},
		{
			name: "3: aggregated, group 1 holds its share and group 2 does not", mode: modeAggregated, replicas: 100, minGroups: 2,
			group1: five([5]int64{100, 100, 0, 0, 0}, [5]int64{30, 30, 30, 10, 10}), group2: five([5]int64{100, 100, 100, 100, 100}, [5]int64{10, 10, 10, 5, 5}),
			group1Wins: true,
		},
		{
			name: "4: dynamic weight, neither holds its share and group 1 holds more", mode: modeDynamicWeighted, replicas: 100, minGroups: 2,
			group1: five([5]int64{100, 100, 0, 0, 0}, [5]int64{10, 10, 10, 10, 5}), group2: five([5]int64{100, 100, 100, 100, 100}, [5]int64{10, 10, 10, 5, 5}),
			group1Wins: true,
		},
		{
			name: "5: static weight, equal room, group 2 wins on score", mode: modeStaticWeighted, replicas: 100, minGroups: 2,
			group1: five([5]int64{100, 100, 0, 0, 0}, [5]int64{10, 10, 10, 5, 5}), group2: five([5]int64{100, 100, 100, 100, 100}, [5]int64{10, 10, 10, 5, 5}),
			group1Wins: false,
		},
		{
			name: "6: aggregated, both hold their share, group 2 wins on score despite less room", mode: modeAggregated, replicas: 100, minGroups: 2,
			group1: five([5]int64{0, 0, 0, 0, 0}, [5]int64{100, 100, 100, 100, 100}), group2: five([5]int64{100, 100, 100, 100, 100}, [5]int64{50, 50, 50, 50, 50}),
			group1Wins: false,
		},
	}
	for _, tc := range cases {
		t.Run("Test_CalcGroupScore/"+tc.name, func(t *testing.T) {
			rc := &requestContext{req: &Request{Replicas: tc.replicas}, mode: tc.mode}
			score := func(nodes []node) int64 {
				cands := make([]candidate, len(nodes))
				members := make([]int32, len(nodes))
				for i, n := range nodes {
					cands[i] = candidate{idx: i, score: n.score, avail: int32(n.room)}
					members[i] = int32(i)
				}
				return rc.regionScore(cands, members, tc.minGroups, 0)
			}
			s1, s2 := score(tc.group1), score(tc.group2)
			if got := s1 >= s2; got != tc.group1Wins {
				t.Errorf("group 1 scores %d, group 2 %d: group 1 wins = %v, want %v", s1, s2, got, tc.group1Wins)
			}
		})
	}
}
