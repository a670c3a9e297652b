package localfleet

import (
	"slices"
	"testing"
)

func TestManagerProcessNames(t *testing.T) {
	cases := []struct {
		name string
		i    int
		want string
	}{
		{"the first replica keeps the name of a single manager", 1, "kurator-hub/kurator-manager"},
		{"the second replica is kurator-manager-2", 2, "kurator-hub/kurator-manager-2"},
		{"the third replica is kurator-manager-3", 3, "kurator-hub/kurator-manager-3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ManagerProcess(c.i); got != c.want {
				t.Fatalf("ManagerProcess(%d) = %q, want %q", c.i, got, c.want)
			}
		})
	}
}

func TestStatusListsManagerReplicasTogetherBeforeTheDashboard(t *testing.T) {
	s := &State{Clusters: []Cluster{{Name: HubName, Hub: true}, {Name: "cluster-a"}}}
	// Recorded in start order.
	recorded := []string{"cluster-a/kube-apiserver", "kurator-hub/kube-apiserver", "kurator-hub/kurator-manager",
		"kurator-hub/kurator-manager-2", "kurator-hub/kurator-manager-3", "kurator-hub/dashboard"}
	got := slices.Clone(recorded)
	slices.SortStableFunc(got, func(a, b string) int { return s.order(a) - s.order(b) })
	want := []string{"kurator-hub/kube-apiserver", "kurator-hub/kurator-manager",
		"kurator-hub/kurator-manager-2", "kurator-hub/kurator-manager-3", "kurator-hub/dashboard", "cluster-a/kube-apiserver"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}
