package scheduler

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// CostWeightAnnotation, on a PropagationPolicy or ClusterPropagationPolicy,
// opts its workloads into the Cost score (seed 001's cost-optimization
// policy). "true" weighs cost 100, a number 0-100 gives the weight, "false"
// or 0 turns it off; absent means off, so no placement changes unless a
// policy asks. The detector copies it onto the policy's bindings.
const CostWeightAnnotation = "scheduling.karmada.io/cost-weight"

// MaxCostWeight is the weight "true" means: the cheapest candidate then
// scores as much as a cluster already running the binding (locality).
const MaxCostWeight = 100

// ParseCostWeight reads a CostWeightAnnotation value: "" and "false" are
// 0 (off), "true" is MaxCostWeight, an integer 0-100 is itself.
func ParseCostWeight(value string) (int32, error) {
	v := strings.TrimSpace(value)
	switch strings.ToLower(v) {
	case "", "false":
		return 0, nil
	case "true":
		return MaxCostWeight, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > MaxCostWeight {
		return 0, fmt.Errorf("annotation %s: %q is not \"true\", \"false\" or a weight from 0 to %d; set one of those", CostWeightAnnotation, value, MaxCostWeight)
	}
	return int32(n), nil
}

// CostWeightOf is ParseCostWeight of the annotation in annotations (a
// policy's or a binding's).
func CostWeightOf(annotations map[string]string) (int32, error) {
	return ParseCostWeight(annotations[CostWeightAnnotation])
}

// Price is what a cluster's capacity costs an hour, in one currency. The
// cost score compares prices as plain numbers, so a fleet's clusters should
// share a currency.
type Price struct {
	// CPUHour is the price of one CPU core for an hour.
	CPUHour float64
	// MemoryGiBHour is the price of one GiB (2^30 bytes) of memory for an hour.
	MemoryGiBHour float64
	// Currency names the unit, such as USD.
	Currency string
}

// Hourly is what replicas that each request cpu (cores) and memory (GiB)
// cost an hour at price p.
func (p *Price) Hourly(replicas int32, cpuCores, memoryGiB float64) float64 {
	return float64(replicas) * (cpuCores*p.CPUHour + memoryGiB*p.MemoryGiBHour)
}

// Requests the cost score assumes for a replica that requests no CPU or no
// memory, so such workloads are still compared by price (the Kubernetes
// scheduler scores pods without requests with the same defaults).
const (
	defaultCostMilliCPU    = 100
	defaultCostMemoryBytes = 200 << 20
)

const bytesPerGiB = 1 << 30

// ReplicaSize is one replica's CPU in cores and memory in GiB, from its
// resource request (missing resources count 0).
func ReplicaSize(perReplica corev1.ResourceList) (cpuCores, memoryGiB float64) {
	if q, ok := perReplica[corev1.ResourceCPU]; ok {
		cpuCores = float64(q.MilliValue()) / 1000
	}
	if q, ok := perReplica[corev1.ResourceMemory]; ok {
		memoryGiB = float64(q.Value()) / bytesPerGiB
	}
	return cpuCores, memoryGiB
}

// costContext is the Cost score's per-binding state; nil on the request
// context when the binding does not opt in.
type costContext struct {
	weight float64
	// cpu and mem are one replica's cores and GiB, with the defaults above
	// for what it does not request.
	cpu, mem float64
	// score[c] is cluster c's cost score in the current attempt; only
	// candidates' entries are meaningful.
	score []int64
	// priced is scratch space for the candidates' costs (to find the
	// median), kept so attempts over clusterAffinities do not allocate.
	priced []float64
}

func newCostContext(s *Snapshot, weight int32, perReplica corev1.ResourceList) *costContext {
	cc := &costContext{
		weight: float64(weight),
		score:  make([]int64, len(s.clusters)),
		priced: make([]float64, 0, len(s.clusters)),
	}
	cc.cpu, cc.mem = ReplicaSize(perReplica)
	if cc.cpu == 0 {
		cc.cpu = float64(defaultCostMilliCPU) / 1000
	}
	if cc.mem == 0 {
		cc.mem = float64(defaultCostMemoryBytes) / bytesPerGiB
	}
	return cc
}

// perReplica is one replica's hourly price on ci; ok is false when ci has
// no price.
func (cc *costContext) perReplica(ci *clusterInfo) (float64, bool) {
	if !ci.priced {
		return 0, false
	}
	return cc.cpu*ci.price.CPUHour + cc.mem*ci.price.MemoryGiBHour, true
}

// prepare normalises the candidates' per-replica prices to scores: the
// cheapest scores the weight, the dearest 0, linearly in between; equal
// prices score the weight. An unpriced candidate scores as the median
// price of the priced ones would (neutral: it neither wins nor loses
// against a typical cluster). With no priced candidate every score is 0.
func (cc *costContext) prepare(s *Snapshot, cands []candidate) {
	cc.priced = cc.priced[:0]
	for i := range cands {
		if p, ok := cc.perReplica(&s.clusters[cands[i].idx]); ok {
			cc.priced = append(cc.priced, p)
		}
	}
	if len(cc.priced) == 0 {
		for i := range cands {
			cc.score[cands[i].idx] = 0
		}
		return
	}
	lo, hi := cc.priced[0], cc.priced[0]
	for _, p := range cc.priced {
		lo, hi = min(lo, p), max(hi, p)
	}
	median := medianOf(cc.priced)
	norm := func(p float64) int64 {
		if hi == lo {
			return int64(cc.weight)
		}
		return int64(math.Round(cc.weight * (hi - p) / (hi - lo)))
	}
	neutral := norm(median)
	for i := range cands {
		c := cands[i].idx
		if p, ok := cc.perReplica(&s.clusters[c]); ok {
			cc.score[c] = norm(p)
		} else {
			cc.score[c] = neutral
		}
	}
}

// medianOf returns the median of a (the mean of the middle two for an even
// count), reordering a. It selects instead of sorting: O(n) on average, so
// the score stays linear in the fleet's size.
func medianOf(a []float64) float64 {
	n := len(a)
	upper := selectNth(a, n/2)
	if n%2 == 1 {
		return upper
	}
	// selectNth left a[:n/2] no larger than a[n/2]; the lower middle is
	// their maximum.
	lower := a[0]
	for _, v := range a[1 : n/2] {
		lower = max(lower, v)
	}
	return (lower + upper) / 2
}

// selectNth reorders a so that a[k] is the value a sorted a would hold
// there, everything before it no larger and everything after no smaller,
// and returns it (Hoare's selection with a median-of-three pivot). A run of
// bad pivots falls back to sorting the rest, so the worst case is
// O(n log n).
func selectNth(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for budget := 2 * bits.Len(uint(len(a))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(a[lo : hi+1])
			break
		}
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		// Now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] == pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

// scoreCost is the Cost plugin: cheaper per replica scores higher, 0 to
// the binding's cost weight, only for bindings that opt in.
func scoreCost(rc *requestContext, c int) int64 {
	if rc.cost == nil {
		return 0
	}
	return rc.cost.score[c]
}
