package nodepool

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Observed is one node of a pool as the controller found it in the member.
type Observed struct {
	Name    string
	Created time.Time
	Ready   bool
	// Removing: the node carries RemovingAnnotation (cordoned by the pool
	// to be removed).
	Removing bool
}

// Plan is what brings a pool to its wanted size.
type Plan struct {
	// Create names the nodes to add, in order.
	Create []string
	// Remove names the nodes to cordon, drain and delete, in the order
	// they were picked (the first is the best to lose).
	Remove []string
	// Restore names nodes cordoned for removal that the pool needs again:
	// uncordon them and drop RemovingAnnotation.
	Restore []string
}

// Empty reports whether the pool is at its size with nothing to undo.
func (p Plan) Empty() bool { return len(p.Create)+len(p.Remove)+len(p.Restore) == 0 }

// Decide plans a pool of cluster named pool from its current nodes to want
// nodes. Every node in nodes belongs to the pool (the caller selects them
// by the pool label), whatever its name: nodes labelled by hand are
// adopted and count. New nodes take the lowest free <cluster>-<pool>-<n>
// names. Scale-in picks first the nodes already being removed, then the
// ones that are not Ready, then the newest (the youngest creation time;
// ties by name, the highest number first), so a restarted controller keeps
// draining what it began and healthy long-lived nodes stay. Nodes being
// removed that are not picked again go back to service.
func Decide(cluster, pool string, want int, nodes []Observed) Plan {
	want = max(want, 0)
	var p Plan
	switch {
	case want > len(nodes):
		p.Create = freeNames(cluster, pool, want-len(nodes), nodes)
	case want < len(nodes):
		order := slices.Clone(nodes)
		slices.SortStableFunc(order, removalOrder)
		for _, n := range order[:len(nodes)-want] {
			p.Remove = append(p.Remove, n.Name)
		}
	}
	for _, n := range nodes {
		if n.Removing && !slices.Contains(p.Remove, n.Name) {
			p.Restore = append(p.Restore, n.Name)
		}
	}
	return p
}

// removalOrder sorts the best node to remove first.
func removalOrder(a, b Observed) int {
	if a.Removing != b.Removing {
		return boolFirst(a.Removing)
	}
	if a.Ready != b.Ready {
		return boolFirst(!a.Ready)
	}
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return -CompareNames(a.Name, b.Name)
}

func boolFirst(aFirst bool) int {
	if aFirst {
		return -1
	}
	return 1
}

// CompareNames orders names with a trailing number by that number
// (node-2 before node-10), others as strings.
func CompareNames(a, b string) int {
	pa, na, oka := splitNumber(a)
	pb, nb, okb := splitNumber(b)
	if oka && okb && pa == pb {
		return na - nb
	}
	return strings.Compare(a, b)
}

// splitNumber splits "name-12" into "name-" and 12.
func splitNumber(s string) (prefix string, n int, ok bool) {
	i := strings.LastIndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i == len(s)-1 {
		return s, 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0, false
	}
	return s[:i+1], n, true
}

// freeNames returns count names <cluster>-<pool>-<n> with the lowest n that
// no node uses.
func freeNames(cluster, pool string, count int, nodes []Observed) []string {
	used := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		used[n.Name] = true
	}
	var names []string
	for i := 0; len(names) < count; i++ {
		if name := NodeName(cluster, pool, i); !used[name] {
			names = append(names, name)
		}
	}
	return names
}

// Bound clamps replicas into [min, max] and says whether it had to. The
// API server refuses such a spec already; a pool stored before the rule
// (or min and max changed since) is still kept inside its bounds.
func Bound(replicas, minNodes, maxNodes int32) (int32, bool) {
	if maxNodes < minNodes {
		maxNodes = minNodes
	}
	switch {
	case replicas < minNodes:
		return minNodes, true
	case replicas > maxNodes:
		return maxNodes, true
	}
	return replicas, false
}
