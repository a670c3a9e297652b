package scheduler

import (
	"math"
	"testing"

	corev1 "k8s.io/api/core/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func TestAvailableReplicas(t *testing.T) {
	cases := []struct {
		name    string
		cluster Cluster
		request corev1.ResourceList
		want    int32
	}{
		{
			name:    "cpu is compared in milli-cores: 100m per replica on 1 free core gives 10",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "2", "pods", "100"), rl("cpu", "1"), nil)),
			request: rl("cpu", "100m"),
			want:    10,
		},
		{
			name:    "the scarcest resource wins: memory allows 3",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "8", "memory", "3Gi", "pods", "100"), nil, nil)),
			request: rl("cpu", "1", "memory", "1Gi"),
			want:    3,
		},
		{
			name:    "free pod slots bound the count",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "100", "pods", "10"), rl("pods", "7"), rl("pods", "1"))),
			request: rl("cpu", "1"),
			want:    2,
		},
		{
			name:    "allocating counts as used",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "10", "pods", "100"), rl("cpu", "4"), rl("cpu", "3"))),
			request: rl("cpu", "1"),
			want:    3,
		},
		{
			name:    "overcommitted cluster has room for 0, not a negative count",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "1", "pods", "100"), rl("cpu", "3"), nil)),
			request: rl("cpu", "1"),
			want:    0,
		},
		{
			name:    "a requested resource the cluster lacks gives 0",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "10", "pods", "100"), nil, nil)),
			request: rl("cpu", "1", "nvidia.com/gpu", "1"),
			want:    0,
		},
		{
			name:    "a cluster without a resource summary has room for 0",
			cluster: mkCluster("c"),
			request: rl("cpu", "1"),
			want:    0,
		},
		{
			name:    "no request is bounded by free pod slots alone",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "1", "pods", "10"), rl("pods", "4"), nil)),
			want:    6,
		},
		{
			name:    "no request on a cluster without a resource summary has room for 0",
			cluster: mkCluster("c"),
			want:    0,
		},
		{
			name:    "a summary without pods has room for 0 (Karmada counts missing pods as none)",
			cluster: mkCluster("c", resourcesOpt(rl("cpu", "10"), nil, nil)),
			request: rl("cpu", "1"),
			want:    0,
		},
		{
			name:    "huge free capacity is capped at MaxInt32",
			cluster: mkCluster("c", resourcesOpt(rl("memory", "1Pi", "pods", "1Pi"), nil, nil)),
			request: rl("memory", "1"),
			want:    math.MaxInt32,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := NewSnapshot([]Cluster{tc.cluster}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rr := newReplicaRequest(snap, tc.request)
			if got := rr.rawAvailable(&snap.clusters[0]); got != tc.want {
				t.Errorf("available = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAvailableAddsBackCurrentReplicas(t *testing.T) {
	// a has room for 2 more and runs 4 of this binding: it could hold 6,
	// so a fresh reschedule of 8 over a (6) and b (2) gives 6/2.
	clusters := []Cluster{mkCluster("a", roomOpt(2)), mkCluster("b", roomOpt(2))}
	runScheduleCases(t, []scheduleCase{{
		name:     "fresh weights are room plus the binding's current replicas",
		clusters: clusters,
		req:      Request{Replicas: 8, PerReplica: cpuReq, Previous: targets("a:4"), Fresh: true, Placement: &policyv1alpha1.Placement{ReplicaScheduling: dynamicWeights()}},
		want:     "a:6 b:2",
	}})
}

func TestUnschedulableMessages(t *testing.T) {
	clusters := seedClusters()
	clusters[2].Taints = []corev1.Taint{{Key: "dedicated", Value: "special", Effect: corev1.TaintEffectNoSchedule}}
	runScheduleCases(t, []scheduleCase{
		{
			name:     "every cluster says why: names and taint",
			clusters: clusters,
			req:      Request{Replicas: 2, Placement: &policyv1alpha1.Placement{ClusterAffinity: names("cluster-shanghai")}},
			wantErr:  "0/3 clusters are available: cluster-frankfurt: not in clusterNames; cluster-hangzhou: not in clusterNames; cluster-shanghai: taint dedicated=special:NoSchedule not tolerated",
		},
		{
			name:     "an empty snapshot is unschedulable",
			clusters: nil,
			req:      Request{Replicas: 1},
			wantErr:  "0/0 clusters are available",
		},
	})

	// Long lists are cut in the message but complete in Reasons.
	var many []Cluster
	for i := 0; i < 30; i++ {
		many = append(many, mkCluster(string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	snap, err := NewSnapshot(many, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Schedule(snap, Request{Resource: deployment("app"), Replicas: 1, Placement: &policyv1alpha1.Placement{ClusterAffinity: names("nowhere")}})
	ue := asUnschedulable(t, err)
	if len(ue.Reasons) != 30 {
		t.Errorf("Reasons has %d entries, want 30", len(ue.Reasons))
	}
	if want := "; and 10 more clusters"; !contains(ue.Error(), want) {
		t.Errorf("message %q lacks %q", ue.Error(), want)
	}
}

func TestNewSnapshotRejectsBadInput(t *testing.T) {
	cases := []struct {
		name     string
		clusters []Cluster
		fleets   []FleetPreference
		want     string
	}{
		{"duplicate cluster names", []Cluster{mkCluster("a"), mkCluster("a")}, nil, `cluster "a" is listed twice`},
		{"cluster without a name", []Cluster{{}}, nil, "has no name"},
		{"duplicate fleets", nil, []FleetPreference{{Name: "f"}, {Name: "f"}}, `fleet "f" is listed twice`},
		{
			"bad preferred operator", nil,
			[]FleetPreference{{Name: "f", Preferred: []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "k", Operator: "Near"}}}}}}},
			`operator "Near" is not supported`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSnapshot(tc.clusters, tc.fleets)
			if err == nil || !contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
