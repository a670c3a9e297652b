package scheduler

import (
	"fmt"
	"math"
	"slices"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// defaultSpread applies Karmada's defaults: no field and no label means
// spreadByField cluster; minGroups 0 means 1. The input is not modified.
func defaultSpread(in []policyv1alpha1.SpreadConstraint) []policyv1alpha1.SpreadConstraint {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	for i := range out {
		if out[i].SpreadByField == "" && out[i].SpreadByLabel == "" {
			out[i].SpreadByField = policyv1alpha1.SpreadByFieldCluster
		}
		if out[i].MinGroups == 0 {
			out[i].MinGroups = 1
		}
	}
	return out
}

// groupValue is the group a cluster belongs to under a constraint; "" means
// none (the cluster lacks the field or label).
func groupValue(ci *clusterInfo, sc *policyv1alpha1.SpreadConstraint) string {
	if sc.SpreadByLabel != "" {
		return ci.labels[sc.SpreadByLabel]
	}
	switch sc.SpreadByField {
	case policyv1alpha1.SpreadByFieldCluster:
		return ci.name
	case policyv1alpha1.SpreadByFieldRegion:
		return ci.region
	case policyv1alpha1.SpreadByFieldZone:
		return ci.zone
	case policyv1alpha1.SpreadByFieldProvider:
		return ci.provider
	}
	return ""
}

func spreadName(sc *policyv1alpha1.SpreadConstraint) string {
	if sc.SpreadByLabel != "" {
		return "label " + sc.SpreadByLabel
	}
	return string(sc.SpreadByField)
}

func missingGroupReason(sc *policyv1alpha1.SpreadConstraint) string {
	if sc.SpreadByLabel != "" {
		return "no label " + sc.SpreadByLabel + " for spreadByLabel"
	}
	return "no " + string(sc.SpreadByField) + " for spreadByField " + string(sc.SpreadByField)
}

// groupIndex numbers the groups of one constraint over a candidate list:
// id[i] is candidate i's group, ids assigned in candidate order so that the
// group of the best cluster is group 0.
type groupIndex struct {
	sc     *policyv1alpha1.SpreadConstraint
	id     []int32
	groups int
}

func newGroupIndex(s *Snapshot, sc *policyv1alpha1.SpreadConstraint, cands []candidate) groupIndex {
	gi := groupIndex{sc: sc, id: make([]int32, len(cands))}
	if sc.SpreadByField == policyv1alpha1.SpreadByFieldCluster && sc.SpreadByLabel == "" {
		// Every cluster is its own group; skip the map.
		for i := range cands {
			gi.id[i] = int32(i)
		}
		gi.groups = len(cands)
		return gi
	}
	ids := map[string]int32{}
	for i := range cands {
		v := groupValue(&s.clusters[cands[i].idx], sc)
		id, ok := ids[v]
		if !ok {
			id = int32(len(ids))
			ids[v] = id
		}
		gi.id[i] = id
	}
	gi.groups = len(ids)
	return gi
}

// byPreference orders clusters the way spread selection prefers them:
// higher score, then more room, then name.
func byPreference(a, b candidate) int {
	switch {
	case a.score != b.score:
		if a.score > b.score {
			return -1
		}
		return 1
	case a.avail != b.avail:
		if a.avail > b.avail {
			return -1
		}
		return 1
	}
	return a.idx - b.idx
}

// selectBySpread keeps the candidates the spread constraints allow and
// records why the others are dropped. need > 0 asks for the selection to hold
// that many replicas (Karmada passes the wanted replicas for Divided).
//
// Karmada selects by region when a region constraint exists, else by
// cluster; zone and provider constraints only filter. Those two paths are
// reproduced exactly (selectByCluster, selectByRegion). Kurator also honours
// spreadByLabel, maxSkew and the group counts of zone and provider
// constraints; a placement that uses them (a label constraint, a maxSkew,
// or a zone/provider constraint with maxGroups or minGroups above 1) goes
// through selectByGroups, which Karmada has no counterpart for.
func (rc *requestContext) selectBySpread(cands []candidate, cons []policyv1alpha1.SpreadConstraint, need int64) ([]candidate, error) {
	s := rc.snap
	// Candidates without a value for some constraint belong to no group.
	kept := cands[:0]
	for _, c := range cands {
		ok := true
		for i := range cons {
			if groupValue(&s.clusters[c.idx], &cons[i]) == "" {
				rc.reasons[c.idx] = missingGroupReason(&cons[i])
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, c)
		}
	}
	cands = kept
	slices.SortFunc(cands, byPreference)

	clusterMin, clusterMax := 1, math.MaxInt
	var region *policyv1alpha1.SpreadConstraint
	extended := false
	for i := range cons {
		sc := &cons[i]
		switch {
		case sc.SpreadByLabel != "" || sc.MaxSkew != nil:
			extended = true
		case sc.SpreadByField == policyv1alpha1.SpreadByFieldCluster:
			clusterMin = max(sc.MinGroups, 1)
			if sc.MaxGroups > 0 {
				clusterMax = sc.MaxGroups
			}
		case sc.SpreadByField == policyv1alpha1.SpreadByFieldRegion:
			region = sc
		default: // zone, provider
			extended = extended || sc.MaxGroups > 0 || sc.MinGroups > 1
		}
	}

	var selected []bool
	var err error
	switch {
	case extended:
		selected, err = rc.selectByGroups(cands, cons, clusterMin, clusterMax, need)
	case region != nil:
		selected, err = rc.selectByRegion(cands, region, clusterMin, clusterMax)
	default:
		selected, err = rc.selectByCluster(cands, clusterMin, clusterMax, need)
	}
	if err != nil {
		return nil, err
	}
	out := cands[:0]
	for i, c := range cands {
		if selected[i] {
			out = append(out, c)
		} else {
			rc.reasons[c.idx] = reasonNotSelected
		}
	}
	return out, nil
}

// selectByCluster is Karmada's spread by cluster: the best min(n, maxGroups)
// clusters in preference order; when they cannot hold need replicas, walk
// the selection from its last (least preferred) place to its first and
// put in each place the roomiest unselected cluster that is roomier than
// the one there, until the selection holds need.
func (rc *requestContext) selectByCluster(cands []candidate, clusterMin, clusterMax int, need int64) ([]bool, error) {
	if len(cands) < clusterMin {
		return nil, rc.unschedulable(fmt.Sprintf("spread by cluster needs at least %d clusters and %d fit", clusterMin, len(cands)))
	}
	n := min(len(cands), clusterMax)
	selected := make([]bool, len(cands))
	var first int64
	for i := 0; i < n; i++ {
		first += int64(cands[i].avail)
	}
	if need <= 0 || first >= need {
		for i := 0; i < n; i++ {
			selected[i] = true
		}
		return selected, nil
	}
	// pick[p] is the candidate in place p; rest holds the others in
	// preference order, and a cluster swapped out takes its swap partner's
	// place there (as in Karmada, which matters for later ties).
	pick := make([]int, len(cands))
	for i := range pick {
		pick[i] = i
	}
	pick, rest := pick[:n], pick[n:]
	have := first
	for p := n - 1; p >= 0 && have < need; p-- {
		best, room := -1, cands[pick[p]].avail
		for j, r := range rest {
			if cands[r].avail > room {
				best, room = j, cands[r].avail
			}
		}
		if best < 0 {
			continue
		}
		have += int64(cands[rest[best]].avail) - int64(cands[pick[p]].avail)
		pick[p], rest[best] = rest[best], pick[p]
	}
	if have < need {
		return nil, rc.unschedulable(fmt.Sprintf("spread by cluster selects %d clusters and no %d of them can hold %d replicas (at most %d)", n, n, need, have))
	}
	for _, i := range pick {
		selected[i] = true
	}
	return selected, nil
}

// selectByRegion is Karmada's spread by region: score every region, search
// the sets of regions (between the region min and max groups) whose clusters
// number at least the cluster minGroups, take the best-scored set, preferring
// a smaller set that the best one starts with; then take each chosen
// region's best cluster and fill up to the cluster maxGroups with the best
// remaining clusters of those regions. It does not look at capacity; the
// division says when the selection cannot hold the replicas.
func (rc *requestContext) selectByRegion(cands []candidate, sc *policyv1alpha1.SpreadConstraint, clusterMin, clusterMax int) ([]bool, error) {
	regions := rc.groupByRegion(cands)
	if len(regions) < sc.MinGroups {
		return nil, rc.unschedulable(fmt.Sprintf("spread by region needs at least %d regions and %d fit", sc.MinGroups, len(regions)))
	}
	for g := range regions {
		regions[g].score = rc.regionScore(cands, regions[g].members, sc.MinGroups, clusterMin)
	}
	maxRegions := sc.MaxGroups
	if maxRegions <= 0 {
		maxRegions = len(regions)
	}
	chosen := selectRegionSet(regions, sc.MinGroups, maxRegions, clusterMin)
	if chosen == nil {
		return nil, rc.unschedulable(fmt.Sprintf("spread by region: no set of %d to %d regions has the %d clusters spread by cluster needs", sc.MinGroups, maxRegions, clusterMin))
	}

	selected := make([]bool, len(cands))
	var spare []int32
	total := 0
	for _, g := range chosen {
		m := regions[g].members
		selected[m[0]] = true
		spare = append(spare, m[1:]...)
		total += len(m)
	}
	// Karmada takes one cluster per region even beyond the cluster
	// maxGroups, then fills to min(clusters in the regions, maxGroups).
	if fill := min(total, clusterMax) - len(chosen); fill > 0 {
		slices.SortFunc(spare, func(a, b int32) int { return byPreference(cands[a], cands[b]) })
		for _, i := range spare[:fill] {
			selected[i] = true
		}
	}
	return selected, nil
}

// selectByGroups is Kurator's selection for placements that group by label
// or bound zone/provider groups (Karmada ignores those counts). It is a
// greedy that reduces to Karmada's choice in simple cases:
//  1. walk clusters best first and take a cluster when it opens a new group
//     for some constraint still below its maxGroups (each chosen group gets
//     its best cluster);
//  2. walk again and fill with the best remaining clusters that open no
//     group beyond any maxGroups, up to the cluster maxGroups;
//  3. swap in roomier clusters while the selection cannot hold need;
//  4. check every minGroups.
func (rc *requestContext) selectByGroups(cands []candidate, cons []policyv1alpha1.SpreadConstraint, clusterMin, clusterMax int, need int64) ([]bool, error) {
	s := rc.snap
	var groups []groupIndex
	for i := range cons {
		sc := &cons[i]
		if sc.SpreadByLabel == "" && sc.SpreadByField == policyv1alpha1.SpreadByFieldCluster {
			continue
		}
		groups = append(groups, newGroupIndex(s, sc, cands))
	}

	if len(cands) < clusterMin {
		return nil, rc.unschedulable(fmt.Sprintf("spread by cluster needs at least %d clusters and %d fit", clusterMin, len(cands)))
	}

	selected := make([]bool, len(cands))
	counts := make([][]int32, len(groups)) // selected clusters per group
	distinct := make([]int, len(groups))   // groups with at least one selected
	for g := range groups {
		counts[g] = make([]int32, groups[g].groups)
	}
	take := func(i int) {
		selected[i] = true
		for g := range groups {
			id := groups[g].id[i]
			if counts[g][id] == 0 {
				distinct[g]++
			}
			counts[g][id]++
		}
	}
	// opens reports whether taking i opens a new group somewhere, and
	// whether that would break some maxGroups.
	opens := func(i int) (opensNew, blocked bool) {
		for g := range groups {
			if counts[g][groups[g].id[i]] > 0 {
				continue
			}
			if limit := groups[g].sc.MaxGroups; limit > 0 && distinct[g] >= limit {
				return opensNew, true
			}
			opensNew = true
		}
		return opensNew, false
	}

	n := 0
	for i := range cands {
		if n == clusterMax {
			break
		}
		if o, b := opens(i); o && !b {
			take(i)
			n++
		}
	}
	for i := range cands {
		if n == clusterMax {
			break
		}
		if selected[i] {
			continue
		}
		if _, b := opens(i); !b {
			take(i)
			n++
		}
	}

	if need > 0 {
		rc.swapForCapacity(cands, selected, groups, counts, need)
	}

	for g := range groups {
		if distinct[g] < groups[g].sc.MinGroups {
			return nil, rc.unschedulable(fmt.Sprintf("spread by %s needs at least %d groups and %d fit", spreadName(groups[g].sc), groups[g].sc.MinGroups, distinct[g]))
		}
	}
	return selected, nil
}

// swapForCapacity replaces selected clusters with roomier unselected ones
// while the selection cannot hold need replicas (Karmada does this for
// spread by cluster). A swap never empties a group or opens one beyond
// maxGroups, so it keeps every constraint that held before.
func (rc *requestContext) swapForCapacity(cands []candidate, selected []bool, groups []groupIndex, counts [][]int32, need int64) {
	var have int64
	for i, c := range cands {
		if selected[i] {
			have += int64(c.avail)
		}
	}
	if have >= need {
		return
	}
	// Unselected clusters, roomiest first (stable: preference order on ties).
	var spare []int
	for i := range cands {
		if !selected[i] {
			spare = append(spare, i)
		}
	}
	slices.SortStableFunc(spare, func(a, b int) int { return int(cands[b].avail) - int(cands[a].avail) })

	for _, in := range spare {
		if have >= need {
			return
		}
		// The selected cluster with the least room that may leave.
		out := -1
		for i := len(cands) - 1; i >= 0; i-- {
			if !selected[i] || cands[i].avail >= cands[in].avail {
				continue
			}
			if out >= 0 && cands[i].avail >= cands[out].avail {
				continue
			}
			if swapKeepsGroups(groups, counts, i, in) {
				out = i
			}
		}
		if out < 0 {
			continue
		}
		selected[out], selected[in] = false, true
		for g := range groups {
			counts[g][groups[g].id[out]]--
			counts[g][groups[g].id[in]]++
		}
		have += int64(cands[in].avail) - int64(cands[out].avail)
	}
}

// swapKeepsGroups: replacing out by in changes no constraint's set of
// selected groups, unless it is an exchange of one group for another.
func swapKeepsGroups(groups []groupIndex, counts [][]int32, out, in int) bool {
	for g := range groups {
		from, to := groups[g].id[out], groups[g].id[in]
		if from == to {
			continue
		}
		leaves := counts[g][from] == 1 // out's group would empty
		opens := counts[g][to] == 0    // in's group would open
		if leaves != opens {
			return false
		}
	}
	return true
}

// balanceSkew is Kurator's maxSkew: after division, move replicas from the
// group holding the most to the group holding the fewest that still has
// room, until the totals of the selected groups differ by at most maxSkew or
// no move narrows the gap. Constraints are balanced in the order given.
func (rc *requestContext) balanceSkew(sel []candidate, cons []policyv1alpha1.SpreadConstraint) {
	for i := range cons {
		if cons[i].MaxSkew == nil {
			continue
		}
		rc.balanceOne(sel, &cons[i], int64(*cons[i].MaxSkew))
	}
}

func (rc *requestContext) balanceOne(sel []candidate, sc *policyv1alpha1.SpreadConstraint, skew int64) {
	gi := newGroupIndex(rc.snap, sc, sel)
	if gi.groups < 2 {
		return
	}
	totals := make([]int64, gi.groups)
	// Guard against a pathological number of rounds; each round moves at
	// least one replica and narrows the gap, so this is never reached in
	// practice.
	for round := 0; round < 1<<20; round++ {
		clear(totals)
		for i := range sel {
			totals[gi.id[i]] += int64(sel[i].assigned)
		}
		hi, lo := 0, 0
		for g := range totals {
			if totals[g] > totals[hi] {
				hi = g
			}
			if totals[g] < totals[lo] {
				lo = g
			}
		}
		if totals[hi]-totals[lo] <= skew {
			return
		}
		// Receiver: the smallest group with room; in it, a cluster already
		// running replicas (so Aggregated stays compact), then the roomiest.
		recvGroup, recv := -1, -1
		for i := range sel {
			if sel[i].assigned >= sel[i].avail {
				continue
			}
			g := int(gi.id[i])
			if recvGroup < 0 || totals[g] < totals[recvGroup] {
				recvGroup, recv = g, i
			} else if g == recvGroup && betterReceiver(&sel[i], &sel[recv]) {
				recv = i
			}
		}
		if recvGroup < 0 || totals[hi]-totals[recvGroup] < 2 {
			return
		}
		// Donor: the fullest cluster of the fullest group, the least
		// preferred on ties.
		donor := -1
		for i := range sel {
			if int(gi.id[i]) == hi && (donor < 0 || sel[i].assigned >= sel[donor].assigned) {
				donor = i
			}
		}
		move := (totals[hi] - totals[recvGroup]) / 2
		move = min(move, int64(sel[donor].assigned), int64(sel[recv].avail-sel[recv].assigned))
		if move <= 0 {
			return
		}
		sel[donor].assigned -= int32(move)
		sel[recv].assigned += int32(move)
	}
}

func betterReceiver(a, b *candidate) bool {
	if (a.assigned > 0) != (b.assigned > 0) {
		return a.assigned > 0
	}
	return a.avail-a.assigned > b.avail-b.assigned
}
