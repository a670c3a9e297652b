package mix

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

func TestStaticDivision(t *testing.T) {
	abcd := []string{"a", "b", "c", "d"}
	cases := []struct {
		name     string
		replicas int32
		clusters []string
		weights  []int64
		desc     bool
		want     map[string]int32
	}{
		{"replicas 2, weights 1:2:3:4: the two heaviest get one each", 2, abcd, []int64{1, 2, 3, 4}, false, map[string]int32{"c": 1, "d": 1}},
		{"replicas 5, weights 1:2:3:4: the fifth seat goes to the lightest (1/1 ties 3/3, fewer seats first)", 5, abcd, []int64{1, 2, 3, 4}, false, map[string]int32{"a": 1, "b": 1, "c": 1, "d": 2}},
		{"replicas 6, weights 1:2:3: exact quotas 1, 2, 3", 6, abcd[:3], []int64{1, 2, 3}, false, map[string]int32{"a": 1, "b": 2, "c": 3}},
		{"replicas 3, weights 1:1: the tie goes to the first name", 3, abcd[:2], []int64{1, 1}, false, map[string]int32{"a": 2, "b": 1}},
		{"replicas 3, weights 1:1, descending: the tie goes to the last name", 3, abcd[:2], []int64{1, 1}, true, map[string]int32{"a": 1, "b": 2}},
		{"weight 0 gets nothing", 4, abcd[:2], []int64{0, 5}, false, map[string]int32{"b": 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := StaticDivision(c.replicas, c.clusters, c.weights, c.desc); !maps.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestStaticDivisionAgreesWithTheScheduler runs the mix's static policies
// through pkg/scheduler and compares its targets with StaticDivision, for
// every replica count of the mix and UIDs of both tie directions: the
// e2e test's expectations are only worth something if the two agree.
func TestStaticDivisionAgreesWithTheScheduler(t *testing.T) {
	m, err := New(Options{Clusters: 50, Workloads: 0, PoliciesPerKind: 4})
	if err != nil {
		t.Fatal(err)
	}
	var clusters []scheduler.Cluster
	for _, c := range m.Clusters {
		clusters = append(clusters, scheduler.Cluster{
			Name: c.Name, Labels: c.Labels(), Region: c.Region, Provider: c.Provider, Zones: []string{c.Zone},
			Allocatable: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("330"), corev1.ResourceCPU: resource.MustParse("24")},
		})
	}
	snap, err := scheduler.NewSnapshot(clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := map[bool]int{}
	var statics []Policy
	for _, p := range m.Policies {
		if p.Kind != Static {
			continue
		}
		// The mix's weights (1, 2, 3, 4) never tie; equal weights do, and
		// exercise the name order in both directions.
		statics = append(statics, p)
		for _, w := range [][]int64{{1, 1, 1, 1}, {2, 2, 1, 1}} {
			q := p
			q.Weights = w[:len(p.Clusters)]
			statics = append(statics, q)
		}
	}
	for i, p := range statics {
		pl := (&Mix{Options: m.Options, Policies: []Policy{p}}).PropagationPolicy(0).Spec.Placement
		for replicas := int32(2); replicas <= 6; replicas++ {
			for u := range 4 {
				uid := fmt.Sprintf("uid-%d-%d", i, u)
				res, err := scheduler.Schedule(snap, scheduler.Request{
					Resource: scheduler.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: p.Namespace, Name: "w", UID: types.UID(uid)},
					Replicas: replicas, Placement: &pl, Fresh: true,
					PerReplica: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")},
				})
				if err != nil {
					t.Fatalf("%s, %d replicas: %v", p.Name, replicas, err)
				}
				got := map[string]int32{}
				for _, tc := range res.Targets {
					got[tc.Name] = tc.Replicas
				}
				desc := TieDescending(uid)
				checked[desc]++
				if want := StaticDivision(replicas, p.Clusters, p.Weights, desc); !maps.Equal(got, want) {
					t.Fatalf("%s (weights %v over %v), %d replicas, uid %s: scheduler %v, StaticDivision %v", p.Name, p.Weights, p.Clusters, replicas, uid, got, want)
				}
			}
		}
	}
	if checked[true] == 0 || checked[false] == 0 {
		t.Fatalf("both tie directions must be exercised, got %v", checked)
	}
}

func TestMixShape(t *testing.T) {
	for _, n := range []int{50, 100, 1000} {
		t.Run(fmt.Sprintf("%d clusters", n), func(t *testing.T) {
			m, err := New(Options{Clusters: n, Workloads: 10 * n})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSortedFunc(m.Clusters, func(a, b Cluster) int { return compareNames(a.Name, b.Name) }) {
				t.Fatal("cluster names are not in index order")
			}
			c := m.Count()
			for _, k := range Kinds {
				// A third each, give or take one.
				if w := c.Workloads[k]; w < n*10/3-1 || w > n*10/3+1 {
					t.Errorf("%s: %d workloads of %d", k, w, 10*n)
				}
			}
			total := 0
			for _, k := range Kinds {
				total += c.Targets[k]
			}
			// Dynamic counts its most (3); about 3 per workload in all.
			if avg := float64(total) / float64(10*n); avg < 2.5 || avg > 3.5 {
				t.Errorf("%.2f targets per workload, want about 3 (%v)", avg, c.Targets)
			}
			names := map[string]bool{}
			for i := range m.Workloads {
				d := m.Deployment(i)
				key := d.Namespace + "/" + d.Name
				if names[key] {
					t.Fatalf("workload %s twice", key)
				}
				names[key] = true
				p := m.PropagationPolicy(m.Workloads[i].Policy)
				if p.Namespace != d.Namespace || p.Spec.ResourceSelectors[0].LabelSelector.MatchLabels[PolicyLabel] != d.Labels[PolicyLabel] {
					t.Fatalf("workload %s is not selected by its policy %s/%s", key, p.Namespace, p.Name)
				}
			}
			for _, offset := range []int{0, 5} {
				down := map[string]bool{}
				for _, name := range m.EveryTenth(offset) {
					down[name] = true
				}
				if len(down) != n/10 {
					t.Fatalf("EveryTenth(%d): %d clusters, want %d", offset, len(down), n/10)
				}
				if err := m.CheckFailure(down); err != nil {
					t.Fatalf("EveryTenth(%d) leaves a workload nowhere to go: %v", offset, err)
				}
			}
		})
	}
}

func compareNames(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestCheck(t *testing.T) {
	m, err := New(Options{Clusters: 50, Workloads: 3, PoliciesPerKind: 4})
	if err != nil {
		t.Fatal(err)
	}
	dup, static := m.Workloads[0], m.Workloads[1]
	dp := m.Policies[dup.Policy]
	binding := func(w Workload, targets ...workv1alpha1.TargetCluster) *workv1alpha1.ResourceBinding {
		b := &workv1alpha1.ResourceBinding{}
		b.Namespace, b.Name = w.Namespace, w.Name+"-deployment"
		b.Spec.Replicas, b.Spec.Clusters = w.Replicas, targets
		return b
	}
	all := func(w Workload, names []string) []workv1alpha1.TargetCluster {
		var out []workv1alpha1.TargetCluster
		for _, n := range names {
			out = append(out, workv1alpha1.TargetCluster{Name: n, Replicas: w.Replicas})
		}
		return out
	}
	if err := m.Check(dup, binding(dup, all(dup, dp.Clusters)...), nil); err != nil {
		t.Fatalf("the whole group: %v", err)
	}
	if err := m.Check(dup, binding(dup, all(dup, dp.Clusters[1:])...), nil); err == nil {
		t.Fatal("a group member missing passed")
	}
	if err := m.Check(dup, binding(dup, all(dup, dp.Clusters[1:])...), map[string]bool{dp.Clusters[0]: true}); err != nil {
		t.Fatalf("the group without its failed member: %v", err)
	}
	sp := m.Policies[static.Policy]
	var want []workv1alpha1.TargetCluster
	for name, n := range StaticDivision(static.Replicas, sp.Clusters, sp.Weights, false) {
		want = append(want, workv1alpha1.TargetCluster{Name: name, Replicas: n})
	}
	if err := m.Check(static, binding(static, want...), nil); err != nil {
		t.Fatalf("the exact division: %v", err)
	}
	want[0].Replicas++
	if err := m.Check(static, binding(static, want...), nil); err == nil {
		t.Fatal("a wrong division passed")
	}
}
