package scheduler

import (
	"cmp"
	"container/heap"
	"fmt"
	"hash/fnv"
	"math/bits"
	"slices"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// divisionMode is the resolved replicaScheduling of a placement.
type divisionMode int

const (
	modeDuplicated divisionMode = iota
	modeStaticWeighted
	modeDynamicWeighted
	modeAggregated
)

func (m divisionMode) String() string {
	return [...]string{"Duplicated", "StaticWeighted", "DynamicWeighted", "Aggregated"}[m]
}

// resolveMode applies Karmada's defaults: no replicaScheduling means
// Duplicated; an empty type means Divided (the CRD default); Divided without
// a preference means Weighted; Weighted without dynamicWeight is static.
func resolveMode(rs *policyv1alpha1.ReplicaSchedulingStrategy) (divisionMode, error) {
	if rs == nil {
		return modeDuplicated, nil
	}
	switch rs.ReplicaSchedulingType {
	case policyv1alpha1.ReplicaSchedulingTypeDuplicated:
		return modeDuplicated, nil
	case "", policyv1alpha1.ReplicaSchedulingTypeDivided:
	default:
		return 0, fmt.Errorf("placement.replicaScheduling.replicaSchedulingType %q is unknown; use Duplicated or Divided", rs.ReplicaSchedulingType)
	}
	switch rs.ReplicaDivisionPreference {
	case policyv1alpha1.ReplicaDivisionPreferenceAggregated:
		return modeAggregated, nil
	case "", policyv1alpha1.ReplicaDivisionPreferenceWeighted:
	default:
		return 0, fmt.Errorf("placement.replicaScheduling.replicaDivisionPreference %q is unknown; use Weighted or Aggregated", rs.ReplicaDivisionPreference)
	}
	if rs.WeightPreference == nil || rs.WeightPreference.DynamicWeight == "" {
		return modeStaticWeighted, nil
	}
	if rs.WeightPreference.DynamicWeight != policyv1alpha1.DynamicWeightByAvailableReplicas {
		return 0, fmt.Errorf("placement.replicaScheduling.weightPreference.dynamicWeight %q is unknown; use AvailableReplicas", rs.WeightPreference.DynamicWeight)
	}
	return modeDynamicWeighted, nil
}

// divide sets assigned on every selected candidate. It returns the
// candidates to keep (static weighting drops weight-0 clusters).
func (rc *requestContext) divide(sel []candidate) ([]candidate, error) {
	wanted := rc.req.Replicas
	if wanted == 0 {
		// Not a workload (or scaled to zero): every cluster gets the
		// object itself, no replicas to divide.
		return sel, nil
	}
	switch rc.mode {
	case modeDuplicated:
		for i := range sel {
			sel[i].assigned = wanted
		}
		return sel, nil
	case modeStaticWeighted:
		return rc.divideStatic(sel)
	default:
		return sel, rc.divideDynamic(sel, rc.mode == modeAggregated)
	}
}

// divideStatic: a cluster's weight is the highest weight among the
// staticWeightList entries that select it; weight-0 clusters get nothing;
// when no cluster has a weight every cluster weighs 1. Replicas are then
// divided by Webster / Sainte-Laguë, ignoring any previous result.
func (rc *requestContext) divideStatic(sel []candidate) ([]candidate, error) {
	var list []policyv1alpha1.StaticClusterWeight
	if wp := rc.placement.ReplicaScheduling.WeightPreference; wp != nil {
		list = wp.StaticWeightList
	}
	// Entries are tried heaviest first so the first match is the maximum
	// and the rest need not be evaluated (stable: list order on ties).
	order := make([]int, len(list))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(list[b].Weight, list[a].Weight) })
	affs := make([]*compiledAffinity, len(list))
	for i := range list {
		ca, err := compileAffinity(rc.snap, &list[i].TargetCluster)
		if err != nil {
			return nil, fmt.Errorf("placement.replicaScheduling.weightPreference.staticWeightList[%d].targetCluster.%w", i, err)
		}
		affs[i] = ca
	}
	weighted := false
	for i := range sel {
		c := sel[i].idx
		var w int64
		for _, j := range order {
			if list[j].Weight <= 0 {
				break
			}
			if affs[j].reject(&rc.snap.clusters[c], c) == "" {
				w = list[j].Weight
				break
			}
		}
		sel[i].weight = w
		weighted = weighted || w > 0
	}
	kept := sel[:0]
	for _, c := range sel {
		if !weighted {
			c.weight = 1
		}
		if c.weight <= 0 {
			rc.reasons[c.idx] = reasonZeroWeight
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return nil, rc.unschedulable("every cluster has weight 0 in staticWeightList")
	}
	rc.webster(kept, int64(rc.req.Replicas))
	return kept, nil
}

// tieDescending is Karmada's tie rule for Webster seats: cluster names
// ascending when the resource has no UID; otherwise ascending unless the
// FNV-32a hash of the UID is odd, then descending. It varies the favoured
// cluster across workloads while staying stable for each workload.
func tieDescending(uid string) bool {
	if uid == "" {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(uid))
	return h.Sum32()%2 == 1
}

// webster divides n seats by the highest-averages method with divisors
// 1, 3, 5, …: seat after seat goes to the largest weight/(2·seats+1), ties
// to fewer seats, then by name (see tieDescending). Handing seats one by one
// costs O(n log k); instead we start from the exact set of seats whose
// quotient beats W/(2n) — a prefix of the sequential order — and then add or
// remove the few seats (at most one per cluster) that differ from n. The
// result is identical to the sequential method.
func (rc *requestContext) webster(sel []candidate, n int64) {
	// Keep weights small enough that products below fit in 128 bits and
	// their sum in 62 bits; only absurd weights are scaled.
	var maxW uint64
	for i := range sel {
		maxW = max(maxW, uint64(sel[i].weight))
	}
	shift := max(0, bits.Len64(maxW)+bits.Len(uint(len(sel)))-62)
	var total uint64
	for i := range sel {
		w := max(uint64(sel[i].weight)>>shift, 1)
		sel[i].weight = int64(w)
		total += w
	}
	var given int64
	for i := range sel {
		// Seats j with w/(2j+1) > W/(2n)  ⇔  odd k=2j+1 with k·W < 2n·w.
		hi, lo := bits.Mul64(uint64(2*n), uint64(sel[i].weight))
		if lo == 0 {
			hi--
		}
		lo--
		k, _ := bits.Div64(hi, lo, total)
		sel[i].assigned = int32((k + 1) / 2)
		given += int64(sel[i].assigned)
	}

	if given == n {
		return
	}
	// The heap is built only when the shortcut missed, which keeps the
	// common exact case free of allocations.
	h := &seatHeap{sel: sel, desc: tieDescending(string(rc.req.Resource.UID))}
	if given < n {
		for i := range sel {
			h.items = append(h.items, i)
		}
		h.removing = false
		heap.Init(h)
		for ; given < n; given++ {
			top := h.items[0]
			sel[top].assigned++
			heap.Fix(h, 0)
		}
	} else if given > n {
		for i := range sel {
			if sel[i].assigned > 0 {
				h.items = append(h.items, i)
			}
		}
		h.removing = true
		heap.Init(h)
		for ; given > n; given-- {
			top := h.items[0]
			sel[top].assigned--
			if sel[top].assigned == 0 {
				heap.Pop(h)
			} else {
				heap.Fix(h, 0)
			}
		}
	}
}

// seatHeap orders clusters by their next seat (adding) or by their last
// seat in reverse (removing), in the sequential method's order.
type seatHeap struct {
	sel      []candidate
	items    []int
	desc     bool
	removing bool
}

// seatBefore reports whether seat j of cluster a comes before seat k of
// cluster b in the sequential order.
func (h *seatHeap) seatBefore(a int, j int64, b int, k int64) bool {
	wa, wb := uint64(h.sel[a].weight), uint64(h.sel[b].weight)
	// wa/(2j+1) vs wb/(2k+1), compared exactly in 128 bits.
	ah, al := bits.Mul64(wa, uint64(2*k+1))
	bh, bl := bits.Mul64(wb, uint64(2*j+1))
	if ah != bh {
		return ah > bh
	}
	if al != bl {
		return al > bl
	}
	if j != k {
		return j < k
	}
	if h.desc {
		return h.sel[a].idx > h.sel[b].idx
	}
	return h.sel[a].idx < h.sel[b].idx
}

func (h *seatHeap) Len() int { return len(h.items) }
func (h *seatHeap) Less(x, y int) bool {
	a, b := h.items[x], h.items[y]
	if h.removing {
		// The last seat handed out comes off first.
		return h.seatBefore(b, int64(h.sel[b].assigned)-1, a, int64(h.sel[a].assigned)-1)
	}
	return h.seatBefore(a, int64(h.sel[a].assigned), b, int64(h.sel[b].assigned))
}
func (h *seatHeap) Swap(x, y int) { h.items[x], h.items[y] = h.items[y], h.items[x] }
func (h *seatHeap) Push(v any)    { h.items = append(h.items, v.(int)) }
func (h *seatHeap) Pop() any {
	v := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return v
}

// divideDynamic implements dynamic weights (AvailableReplicas) and
// Aggregated like Karmada: the replicas to place are handed out by the same
// Webster dispenser as static weights (no initial seats), over these weights:
//   - fresh: what each cluster could hold (available, which includes this
//     binding's replicas there); all replicas are divided anew;
//   - scale down: the current replicas; the wanted count is divided anew;
//   - scale up (and first schedule): each cluster's room for more; the
//     missing replicas are divided and added to the current ones;
//   - unchanged count: the current replicas are kept.
//
// Only replicas on clusters that are still selected count as current; the
// rest are placed again. Aggregated first keeps the shortest list of
// clusters, biggest weight first, whose weights cover the target (when
// scaling up, clusters already running replicas come first).
func (rc *requestContext) divideDynamic(sel []candidate, aggregated bool) error {
	wanted := int64(rc.req.Replicas)
	var current int64
	for i := range sel {
		current += int64(sel[i].prev)
		sel[i].assigned = 0
	}
	var target int64
	merge := false
	switch {
	case rc.req.Fresh:
		target = wanted
		for i := range sel {
			sel[i].weight = int64(sel[i].avail)
		}
	case current > wanted:
		target = wanted
		for i := range sel {
			sel[i].weight = int64(sel[i].prev)
		}
	case current < wanted:
		target = wanted - current
		merge = true
		for i := range sel {
			sel[i].weight = int64(sel[i].raw)
		}
	default:
		for i := range sel {
			sel[i].assigned = sel[i].prev
		}
		return nil
	}

	var sum int64
	for i := range sel {
		sum += sel[i].weight
	}
	if sum < target {
		return rc.capacityError(sel, target, merge)
	}

	// The clusters that take part come first in sel: for Aggregated the
	// covering prefix, and of those only positive weights (a weight-0
	// cluster never wins a seat while the weights cover the target).
	parties := len(sel)
	if aggregated {
		slices.SortFunc(sel, func(a, b candidate) int {
			if merge && (a.prev > 0) != (b.prev > 0) {
				if a.prev > 0 {
					return -1
				}
				return 1
			}
			if a.weight != b.weight {
				return cmp.Compare(b.weight, a.weight)
			}
			return a.idx - b.idx
		})
		var covered int64
		parties = 0
		for parties < len(sel) && covered < target {
			covered += sel[parties].weight
			parties++
		}
	}
	k := 0
	for i := 0; i < parties; i++ {
		if sel[i].weight > 0 {
			sel[i], sel[k] = sel[k], sel[i]
			k++
		}
	}
	rc.webster(sel[:k], target)
	if merge {
		for i := range sel {
			sel[i].assigned += sel[i].prev
		}
	}
	return nil
}

func (rc *requestContext) capacityError(sel []candidate, target int64, merge bool) error {
	what := "can hold"
	if merge {
		what = "have room for"
	}
	var sum int64
	for i := range sel {
		sum += sel[i].weight
		unit := "replicas"
		if merge {
			unit = "more replicas"
		}
		rc.reasons[sel[i].idx] = fmt.Sprintf("room for %d %s", sel[i].weight, unit)
	}
	return rc.unschedulable(fmt.Sprintf("%d replicas are needed and the selected clusters %s %d", target, what, sum))
}
