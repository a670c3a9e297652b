package scheduler

import (
	"cmp"
	"slices"
	"strings"
)

// regionGroup is one region's candidates for spread by region.
type regionGroup struct {
	name    string
	members []int32 // candidate indexes, in preference order
	score   int64
}

// groupByRegion splits the candidates (in preference order) by region:
// regions in the order of their best cluster, members in preference order,
// all members sharing one backing array.
func (rc *requestContext) groupByRegion(cands []candidate) []regionGroup {
	s := rc.snap
	slot := make([]int32, len(s.regions)) // region id -> group + 1
	most := min(len(s.regions), len(cands))
	regions := make([]regionGroup, 0, most)
	counts := make([]int32, 0, most)
	for i := range cands {
		id := s.clusters[cands[i].idx].regionID
		if slot[id] == 0 {
			regions = append(regions, regionGroup{name: s.regions[id]})
			counts = append(counts, 0)
			slot[id] = int32(len(regions))
		}
		counts[slot[id]-1]++
	}
	backing := make([]int32, len(cands))
	off := 0
	for g := range regions {
		regions[g].members = backing[off : off : off+int(counts[g])]
		off += int(counts[g])
	}
	for i := range cands {
		g := slot[s.clusters[cands[i].idx].regionID] - 1
		regions[g].members = append(regions[g].members, int32(i))
	}
	return regions
}

// groupScoreUnit makes capacity outweigh the cluster scores (0..100 per
// cluster in Karmada) when regions are compared.
const groupScoreUnit = 1000

// regionScore is Karmada's group score.
//
// Duplicated: the number of clusters that can hold every replica, in units
// of 1000, plus their average cluster score. (Karmada divides by that number
// even when it is 0; such a region scores 0 here.)
//
// Divided: a region is asked to hold ceil(replicas / region minGroups) over
// at least max(cluster minGroups, region minGroups) of its best clusters.
// If it can, it scores that target in units of 1000 plus the average score
// of the clusters used; if not, what it can hold in units of 1000 plus the
// average score of all its clusters.
func (rc *requestContext) regionScore(cands []candidate, members []int32, regionMin, clusterMin int) int64 {
	wanted := int64(rc.req.Replicas)
	if rc.mode == modeDuplicated {
		var valid, scores int64
		for _, i := range members {
			if int64(cands[i].avail) >= wanted {
				valid++
				scores += cands[i].score
			}
		}
		if valid == 0 {
			return 0
		}
		return valid*groupScoreUnit + scores/valid
	}

	minGroups := int64(max(regionMin, 1))
	target := (wanted + minGroups - 1) / minGroups
	need := int64(max(clusterMin, regionMin))
	var room, scores, used int64
	for _, i := range members {
		room += int64(cands[i].avail)
		scores += cands[i].score
		used++
		if used >= need && room >= target {
			break
		}
	}
	if room < target {
		return room*groupScoreUnit + scores/int64(len(members))
	}
	return target*groupScoreUnit + scores/used
}

// regionPath is one feasible set of regions found by the search; its
// regions are arena[off:off+n] (sorted by score, then name, once it may be
// chosen).
type regionPath struct {
	id, off, n int
	score      int64
	members    int64
}

// maxRegionSearch bounds the region-set search. Karmada's search has no
// bound; at this many steps (hundreds of regions with a large minGroups)
// the best set found so far is kept instead of stalling the scheduler.
const maxRegionSearch = 1 << 20

// selectRegionSet is Karmada's region-set search. Regions are visited by
// cluster count ascending, then score descending, then name; a depth-first
// search extends a set with later regions until it holds at least target
// clusters with between minRegions and maxRegions regions, which records the
// set and stops extending it. The best set has the highest total score, then
// the most clusters, then was found first; but when a smaller set is the
// start of the best one (both ordered by score, then name), the smaller one
// wins. It returns nil when no set is feasible.
func selectRegionSet(regions []regionGroup, minRegions, maxRegions, target int) []int {
	order := make([]int, len(regions))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ra, rb := &regions[a], &regions[b]
		if c := cmp.Compare(len(ra.members), len(rb.members)); c != 0 {
			return c
		}
		if c := cmp.Compare(rb.score, ra.score); c != 0 {
			return c
		}
		return strings.Compare(ra.name, rb.name)
	})
	byScore := func(a, b int) int {
		if c := cmp.Compare(regions[b].score, regions[a].score); c != 0 {
			return c
		}
		return strings.Compare(regions[a].name, regions[b].name)
	}

	paths := make([]regionPath, 0, 64)
	arena := make([]int, 0, 128)
	stack := make([]int, 0, min(maxRegions, len(regions)))
	steps := 0
	var dfs func(sum, begin int)
	dfs = func(sum, begin int) {
		steps++
		if sum >= target && len(stack) >= minRegions && len(stack) <= maxRegions {
			p := regionPath{id: len(paths), off: len(arena), n: len(stack)}
			arena = append(arena, stack...)
			for _, g := range stack {
				p.score += regions[g].score
				p.members += int64(len(regions[g].members))
			}
			paths = append(paths, p)
			return
		}
		if len(stack) >= maxRegions {
			return
		}
		for i := begin; i < len(order) && steps < maxRegionSearch; i++ {
			stack = append(stack, order[i])
			dfs(sum+len(regions[order[i]].members), i+1)
			stack = stack[:len(stack)-1]
		}
	}
	dfs(0, 0)
	if len(paths) == 0 {
		return nil
	}

	// Karmada sorts every path (score desc, clusters desc, found first) and
	// walks them in that order, moving to a path whenever it is a strict
	// start of the current choice. The choice is always a start of the
	// first path, so only those paths matter: find the first path, then walk
	// its strict starts in the same order.
	before := func(a, b *regionPath) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		if a.members != b.members {
			return a.members > b.members
		}
		return a.id < b.id
	}
	regionsOf := func(p *regionPath) []int { return arena[p.off : p.off+p.n] }
	top := 0
	for i := 1; i < len(paths); i++ {
		if before(&paths[i], &paths[top]) {
			top = i
		}
	}
	// A path is a start of the first one when its regions are the first
	// ones of the first path in score order. Only the first path needs
	// sorting for that.
	first := regionsOf(&paths[top])
	slices.SortFunc(first, byScore)
	rank := make([]int, len(regions)) // position in the first path + 1
	for i, g := range first {
		rank[g] = i + 1
	}
	starts := paths[:0:0]
	for i := range paths {
		p := &paths[i]
		if p.n >= len(first) {
			continue
		}
		isStart := true
		for _, g := range regionsOf(p) {
			if r := rank[g]; r == 0 || r > p.n {
				isStart = false
				break
			}
		}
		if isStart {
			slices.SortFunc(regionsOf(p), byScore)
			starts = append(starts, *p)
		}
	}
	best := paths[top]
	if len(starts) > 0 {
		slices.SortFunc(starts, func(a, b regionPath) int {
			if before(&a, &b) {
				return -1
			}
			return 1
		})
		for i := range starts {
			if starts[i].n < best.n {
				best = starts[i]
			}
		}
	}
	return regionsOf(&best)
}
