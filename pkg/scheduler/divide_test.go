package scheduler

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func TestScheduleStaticWeights(t *testing.T) {
	abc := []Cluster{mkCluster("a"), mkCluster("b"), mkCluster("c")}
	w321 := &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("a", 3, "b", 2, "c", 1)}
	w11 := &policyv1alpha1.Placement{ClusterAffinity: names("a", "b"), ReplicaScheduling: staticWeights("a", 1, "b", 1)}
	odd := deployment("app")
	odd.UID = types.UID(oddUID)

	byLabel := staticWeights()
	byLabel.WeightPreference.StaticWeightList = []policyv1alpha1.StaticClusterWeight{
		{TargetCluster: policyv1alpha1.ClusterAffinity{LabelSelector: matchLabels("tier", "gold")}, Weight: 3},
		{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a", "b"}}, Weight: 1},
	}
	labelled := []Cluster{mkCluster("a", labelsOpt("tier", "gold")), mkCluster("b"), mkCluster("c")}

	runScheduleCases(t, []scheduleCase{
		{name: "replica 12, weight 3:2:1 gives 6/4/2", clusters: abc, req: Request{Replicas: 12, Placement: w321}, want: "a:6 b:4 c:2"},
		{name: "replica 13, weight 3:2:1 gives 7/4/2", clusters: abc, req: Request{Replicas: 13, Placement: w321}, want: "a:7 b:4 c:2"},
		{name: "replica 14, weight 3:2:1 gives 7/5/2", clusters: abc, req: Request{Replicas: 14, Placement: w321}, want: "a:7 b:5 c:2"},
		{name: "replica 1, weight 3:2:1 gives a the only one", clusters: abc, req: Request{Replicas: 1, Placement: w321}, want: "a:1", excluded: map[string]string{"b": reasonNoReplicas, "c": reasonNoReplicas}},
		{name: "replica 1000000, weight 3:2:1 stays exact", clusters: abc, req: Request{Replicas: 1000000, Placement: w321}, want: "a:500000 b:333333 c:166667"},
		{name: "replica 3, weight 1:1 with even UID hash gives 2/1 by name ascending", clusters: abc, req: Request{Replicas: 3, Placement: w11}, want: "a:2 b:1"},
		{name: "replica 3, weight 1:1 with odd UID hash gives 1/2 by name descending", clusters: abc, req: Request{Replicas: 3, Placement: w11, Resource: odd}, want: "a:1 b:2"},
		{name: "replica 3, weight 1:1 without a UID gives 2/1 by name ascending", clusters: abc, req: Request{Replicas: 3, Placement: w11, Resource: ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "no-uid"}}, want: "a:2 b:1"},
		{
			name:     "a cluster without a weight gets none and says so",
			clusters: abc,
			req:      Request{Replicas: 4, Placement: &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("a", 1, "b", 1)}},
			want:     "a:2 b:2",
			excluded: map[string]string{"c": reasonZeroWeight},
		},
		{
			name:     "no cluster has a weight: every cluster weighs 1",
			clusters: abc,
			req:      Request{Replicas: 6, Placement: &policyv1alpha1.Placement{ReplicaScheduling: staticWeights("elsewhere", 5)}},
			want:     "a:2 b:2 c:2",
		},
		{
			name:     "Divided without weightPreference divides evenly",
			clusters: abc,
			req:      Request{Replicas: 7, Placement: &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{}}},
			want:     "a:3 b:2 c:2",
		},
		{
			name:     "a cluster matched by several entries takes the highest weight",
			clusters: labelled,
			req:      Request{Replicas: 8, Placement: &policyv1alpha1.Placement{ReplicaScheduling: byLabel}},
			want:     "a:6 b:2",
		},
		{
			name:     "static weights ignore spread constraints (Karmada)",
			clusters: abc,
			req: Request{Replicas: 12, Placement: &policyv1alpha1.Placement{
				ReplicaScheduling: staticWeights("a", 3, "b", 2, "c", 1),
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MaxGroups: 1}},
			}},
			want: "a:6 b:4 c:2",
		},
		{
			name:     "an empty weightPreference keeps spread constraints (Karmada): the two roomiest clusters, weighed 1:1",
			clusters: []Cluster{mkCluster("a", roomOpt(1)), mkCluster("b", roomOpt(5)), mkCluster("c", roomOpt(5))},
			req: Request{Replicas: 6, PerReplica: cpuReq, Placement: &policyv1alpha1.Placement{
				ReplicaScheduling: staticWeights(),
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MaxGroups: 2}},
			}},
			want:     "b:3 c:3",
			excluded: map[string]string{"a": reasonNotSelected},
		},
		{
			name:     "static weights ignore the previous result",
			clusters: abc,
			req:      Request{Replicas: 12, Placement: w321, Previous: targets("c:12")},
			want:     "a:6 b:4 c:2",
		},
		{
			name:     "a resource without replicas goes to every weighted cluster with 0",
			clusters: abc,
			req:      Request{Replicas: 0, Placement: w11},
			want:     "a:0 b:0",
		},
	})
}

func TestScheduleDuplicated(t *testing.T) {
	abc := []Cluster{mkCluster("a"), mkCluster("b"), mkCluster("c", roomOpt(0))}
	runScheduleCases(t, []scheduleCase{
		{name: "nil replicaScheduling duplicates to every cluster regardless of room", clusters: abc, req: Request{Replicas: 5, PerReplica: cpuReq}, want: "a:5 b:5 c:5"},
		{
			name:     "explicit Duplicated duplicates",
			clusters: abc,
			req: Request{Replicas: 2, Placement: &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
				ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated,
			}}},
			want: "a:2 b:2 c:2",
		},
		{
			name:     "a ConfigMap (no replicas) goes to every cluster with 0",
			clusters: abc,
			req:      Request{Resource: ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Name: "cfg"}},
			want:     "a:0 b:0 c:0",
		},
		{
			name:     "unknown replicaSchedulingType is a request error",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: "Tripled"}}},
			wantErr:  `replicaSchedulingType "Tripled" is unknown`,
		},
	})
}

func TestScheduleDynamicWeights(t *testing.T) {
	room := func(a, b, c int) []Cluster {
		return []Cluster{mkCluster("a", roomOpt(a)), mkCluster("b", roomOpt(b)), mkCluster("c", roomOpt(c))}
	}
	dyn := &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}
	runScheduleCases(t, []scheduleCase{
		{name: "first schedule divides by available replicas 6:3:1", clusters: room(6, 3, 1), req: Request{Replicas: 10, PerReplica: cpuReq, Placement: dyn}, want: "a:6 b:3 c:1"},
		{name: "first schedule hands seats out by Webster: room 10:10:5 for 4 gives 2/1/1", clusters: room(10, 10, 5), req: Request{Replicas: 4, PerReplica: cpuReq, Placement: dyn}, want: "a:2 b:1 c:1"},
		{name: "no request is bounded by pod slots alone (1000 each): an even split", clusters: room(0, 0, 0), req: Request{Replicas: 9, Placement: dyn}, want: "a:3 b:3 c:3"},
		{name: "no request on clusters without a resource summary is unschedulable (Karmada)", clusters: []Cluster{mkCluster("a"), mkCluster("b")}, req: Request{Replicas: 2, Placement: dyn}, wantErr: "2 replicas are needed and the selected clusters have room for 0"},
		{
			name:     "scale up adds the missing replicas by room to the previous result",
			clusters: room(4, 0, 0),
			req:      Request{Replicas: 8, PerReplica: cpuReq, Placement: dyn, Previous: targets("a:2 b:2")},
			want:     "a:6 b:2",
		},
		{
			name:     "scale down divides the wanted count by current replicas",
			clusters: room(0, 0, 0),
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: dyn, Previous: targets("a:6 b:2")},
			want:     "a:3 b:1",
		},
		{
			name:     "unchanged count keeps the previous result whatever the room",
			clusters: room(0, 100, 100),
			req:      Request{Replicas: 5, PerReplica: cpuReq, Placement: dyn, Previous: targets("a:3 b:2")},
			want:     "a:3 b:2",
		},
		{
			name: "replicas on a cluster that no longer fits are placed again",
			clusters: []Cluster{
				mkCluster("a", roomOpt(0)), mkCluster("b", roomOpt(2)), mkCluster("c", roomOpt(6)),
			},
			req:      Request{Replicas: 6, PerReplica: cpuReq, Previous: targets("a:3 b:3"), EvictingClusters: []string{"a"}, Placement: dyn},
			want:     "b:4 c:2",
			excluded: map[string]string{"a": reasonEvicting},
		},
		{
			name:     "fresh mode divides everything by room plus current replicas",
			clusters: room(1, 4, 0),
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: dyn, Previous: targets("a:4 b:1"), Fresh: true},
			want:     "a:5 b:5",
		},
		{
			name:     "not enough room is unschedulable and says how much there is",
			clusters: room(2, 3, 0),
			req:      Request{Replicas: 10, PerReplica: cpuReq, Placement: dyn},
			wantErr:  "3/3 clusters are available but 10 replicas are needed and the selected clusters have room for 5: a: room for 2 more replicas; b: room for 3 more replicas; c: room for 0 more replicas",
		},
	})
}

func TestScheduleAggregated(t *testing.T) {
	room := func(a, b, c int) []Cluster {
		return []Cluster{mkCluster("a", roomOpt(a)), mkCluster("b", roomOpt(b)), mkCluster("c", roomOpt(c))}
	}
	agg := &policyv1alpha1.Placement{ReplicaScheduling: aggregated()}
	runScheduleCases(t, []scheduleCase{
		{name: "fits in the roomiest cluster alone", clusters: room(3, 8, 5), req: Request{Replicas: 6, PerReplica: cpuReq, Placement: agg}, want: "b:6"},
		{name: "uses the fewest clusters, roomiest first, divided by Webster 8:5 into 6/4", clusters: room(3, 8, 5), req: Request{Replicas: 10, PerReplica: cpuReq, Placement: agg}, want: "b:6 c:4"},
		{
			name:     "scale up keeps the current cluster first",
			clusters: room(10, 0, 5),
			req:      Request{Replicas: 6, PerReplica: cpuReq, Placement: agg, Previous: targets("c:2")},
			want:     "c:6",
		},
		{
			name:     "scale down keeps the fewest current clusters",
			clusters: room(0, 0, 0),
			req:      Request{Replicas: 3, PerReplica: cpuReq, Placement: agg, Previous: targets("a:4 b:4")},
			want:     "a:3",
		},
		{
			name:     "not enough room anywhere is unschedulable",
			clusters: room(1, 1, 1),
			req:      Request{Replicas: 4, PerReplica: cpuReq, Placement: agg},
			wantErr:  "4 replicas are needed and the selected clusters have room for 3",
		},
	})
}

func TestWebsterMatchesSequentialMethod(t *testing.T) {
	// The shortcut in webster must equal handing seats out one by one.
	weights := [][]int64{{3, 2, 1}, {1, 1}, {7, 7, 7, 1}, {100, 1}, {5, 3, 3, 2, 1, 1}, {1}, {9, 4, 4, 4}}
	for _, ws := range weights {
		for n := int64(1); n <= 60; n++ {
			for _, desc := range []bool{false, true} {
				got := make([]candidate, len(ws))
				for i, w := range ws {
					got[i] = candidate{idx: i, weight: w}
				}
				rc := &requestContext{req: &Request{Resource: ResourceRef{UID: types.UID(evenUID)}}}
				if desc {
					rc.req.Resource.UID = types.UID(oddUID)
				}
				rc.webster(got, n)

				seats := make([]int64, len(ws))
				for k := int64(0); k < n; k++ {
					best := -1
					for i, w := range ws {
						if best < 0 {
							best = i
							continue
						}
						l := w * (2*seats[best] + 1)
						r := ws[best] * (2*seats[i] + 1)
						switch {
						case l > r:
							best = i
						case l == r && seats[i] < seats[best]:
							best = i
						case l == r && seats[i] == seats[best] && desc:
							best = i // later index wins when descending
						}
					}
					seats[best]++
				}
				for i := range ws {
					if int64(got[i].assigned) != seats[i] {
						t.Fatalf("weights %v, n %d, desc %v: got seat %d=%d, sequential %v", ws, n, desc, i, got[i].assigned, seats)
					}
				}
			}
		}
	}
}

func TestTieDescending(t *testing.T) {
	cases := []struct {
		name string
		uid  string
		want bool
	}{
		{name: "no UID sorts names ascending (the empty string is not hashed)", uid: "", want: false},
		{name: "a UID with an even FNV-32a hash sorts ascending", uid: evenUID, want: false},
		{name: "a UID with an odd FNV-32a hash sorts descending", uid: oddUID, want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tieDescending(tc.uid); got != tc.want {
				t.Errorf("tieDescending(%q) = %v, want %v", tc.uid, got, tc.want)
			}
		})
	}
}
