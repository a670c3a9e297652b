package mix

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// StaticDivision divides replicas over the named clusters by their weights
// the way Karmada does, written here seat by seat, independently of
// pkg/scheduler: the highest-averages method with divisors 1, 3, 5, ...
// (Webster / Sainte-Laguë), each seat to the largest weight/(2·seats+1),
// ties to the cluster with fewer seats, then by name, ascending unless
// descending is set (see TieDescending). Clusters that get no replica are
// left out.
func StaticDivision(replicas int32, clusters []string, weights []int64, descending bool) map[string]int32 {
	seats := make([]int64, len(clusters))
	for range replicas {
		best := -1
		for i := range clusters {
			if weights[i] <= 0 {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			// weights[i]/(2·seats[i]+1) against the best's, cross-multiplied.
			l, r := weights[i]*(2*seats[best]+1), weights[best]*(2*seats[i]+1)
			switch {
			case l > r:
				best = i
			case l == r && seats[i] < seats[best]:
				best = i
			case l == r && seats[i] == seats[best] && (clusters[i] < clusters[best]) != descending:
				best = i
			}
		}
		if best < 0 {
			break
		}
		seats[best]++
	}
	out := map[string]int32{}
	for i, n := range seats {
		if n > 0 {
			out[clusters[i]] = int32(n)
		}
	}
	return out
}

// TieDescending is Karmada's tie rule for a workload's static division:
// names descending when the FNV-32a hash of the template's UID is odd.
func TieDescending(uid string) bool {
	if uid == "" {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(uid))
	return h.Sum32()%2 == 1
}

// Check says whether a binding's targets are what the workload's policy
// asks for, with the clusters in down excluded (nil error: they are).
//   - Duplicated: exactly the group's clusters that are not down, each
//     with all the replicas;
//   - static weights: exactly StaticDivision over the named clusters that
//     are not down;
//   - dynamic weights: 1-3 clusters (a share may round to 0), none down, all in the policy's
//     regions, replicas summing to the workload's (which clusters depends
//     on the capacity the hub saw, so it is not checked further).
func (m *Mix) Check(w Workload, b *workv1alpha1.ResourceBinding, down map[string]bool) error {
	p := m.Policies[w.Policy]
	got := map[string]int32{}
	for _, t := range b.Spec.Clusters {
		got[t.Name] = t.Replicas
	}
	if b.Spec.Replicas != w.Replicas {
		return fmt.Errorf("binding %s/%s wants %d replicas, the template has %d", b.Namespace, b.Name, b.Spec.Replicas, w.Replicas)
	}
	var want map[string]int32
	switch p.Kind {
	case Duplicated:
		want = map[string]int32{}
		for _, c := range p.Clusters {
			if !down[c] {
				want[c] = w.Replicas
			}
		}
	case Static:
		var live []string
		var weights []int64
		for i, c := range p.Clusters {
			if !down[c] {
				live = append(live, c)
				weights = append(weights, p.Weights[i])
			}
		}
		want = StaticDivision(w.Replicas, live, weights, TieDescending(string(b.Spec.Resource.UID)))
	case Dynamic:
		var sum int32
		for _, t := range b.Spec.Clusters {
			if down[t.Name] {
				return fmt.Errorf("binding %s/%s (%s) targets failed cluster %s", b.Namespace, b.Name, p.Name, t.Name)
			}
			if region := m.RegionOf(t.Name); !slices.Contains(p.Regions, region) {
				return fmt.Errorf("binding %s/%s (%s) targets %s in %s, outside the policy's regions %v", b.Namespace, b.Name, p.Name, t.Name, region, p.Regions)
			}
			sum += t.Replicas
		}
		if n := len(b.Spec.Clusters); n < 1 || n > 3 || sum != w.Replicas {
			return fmt.Errorf("binding %s/%s (%s): %s, want 1-3 clusters (at most 3 by the cluster constraint; fewer when a cluster's share rounds to 0) summing to %d", b.Namespace, b.Name, p.Name, targets(got), w.Replicas)
		}
		return nil
	}
	if !equalTargets(got, want) {
		return fmt.Errorf("binding %s/%s (%s %s): %s, want %s", b.Namespace, b.Name, p.Kind, p.Name, targets(got), targets(want))
	}
	return nil
}

// RegionOf is the region of the named cluster ("" when it is not one).
func (m *Mix) RegionOf(name string) string {
	if i := m.index(name); i >= 0 {
		return m.Clusters[i].Region
	}
	return ""
}

func (m *Mix) index(name string) int {
	i, ok := slices.BinarySearchFunc(m.Clusters, name, func(c Cluster, n string) int { return strings.Compare(c.Name, n) })
	if !ok {
		return -1
	}
	return i
}

// CheckFailure says whether every workload still has somewhere to go when
// the named clusters fail: a Duplicated group or a static policy that lost
// all its clusters, or a dynamic policy left with fewer than two regions,
// would keep a binding on a failed cluster for good (failover holds back
// what fits nowhere else), which is not what the failure rounds measure.
func (m *Mix) CheckFailure(down map[string]bool) error {
	for _, p := range m.Policies {
		switch p.Kind {
		case Duplicated, Static:
			if !slices.ContainsFunc(p.Clusters, func(c string) bool { return !down[c] }) {
				return fmt.Errorf("policy %s loses every cluster (%v)", p.Name, p.Clusters)
			}
		case Dynamic:
			live := map[string]bool{}
			for _, c := range m.Clusters {
				if !down[c.Name] && slices.Contains(p.Regions, c.Region) {
					live[c.Region] = true
				}
			}
			if len(live) < 2 {
				return fmt.Errorf("policy %s keeps fewer than two regions of %v", p.Name, p.Regions)
			}
		}
	}
	return nil
}

// EveryTenth names the clusters whose index is offset modulo ten (n/10 of
// them): a failure spread over the fleet that takes at most one cluster of
// any group.
func (m *Mix) EveryTenth(offset int) []string {
	return m.Spread(len(m.Clusters)/10, offset)
}

// Spread names count clusters evenly spaced over the fleet: those whose
// index is offset modulo len/count (the first count of them). Spaced at
// least GroupSize apart, they take at most one cluster of any group.
func (m *Mix) Spread(count, offset int) []string {
	if count <= 0 {
		return nil
	}
	step := max(len(m.Clusters)/count, 1)
	var out []string
	for _, c := range m.Clusters {
		if c.Index%step == offset%step && len(out) < count {
			out = append(out, c.Name)
		}
	}
	return out
}

func equalTargets(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func targets(t map[string]int32) string {
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s:%d", n, t[n])
	}
	return "[" + strings.Join(parts, " ") + "]"
}
