package scheduler

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// quantityValue is how resources are compared: CPU in milli-cores so that a
// 100m request is not rounded up to one core, everything else in units.
func quantityValue(name corev1.ResourceName, q resource.Quantity) int64 {
	if name == corev1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// replicaRequest is a per-replica request resolved against the snapshot's
// resource columns, computed once per binding.
type replicaRequest struct {
	cols    []int
	amounts []int64
	// absent is true when a requested resource appears in no cluster's
	// allocatable, so no cluster can fit a replica.
	absent  bool
	podsCol int // -1 when no cluster reports pods
}

func newReplicaRequest(s *Snapshot, perReplica corev1.ResourceList) replicaRequest {
	rr := replicaRequest{podsCol: -1}
	if col, ok := s.resourceCol[corev1.ResourcePods]; ok {
		rr.podsCol = col
	}
	for name, q := range perReplica {
		v := quantityValue(name, q)
		if v <= 0 || name == corev1.ResourcePods {
			continue
		}
		col, ok := s.resourceCol[name]
		if !ok {
			rr.absent = true
			continue
		}
		rr.cols = append(rr.cols, col)
		rr.amounts = append(rr.amounts, v)
	}
	return rr
}

// rawAvailable is how many more replicas cluster ci can start, like
// Karmada's general estimator: the free pod slots (allocatable − allocated
// − allocating pods; none when the summary does not list pods), bounded by
// free/request for every requested resource. A cluster without a resource
// summary has room for none, whatever the request; a workload that
// requests nothing is bounded by pod slots alone. The result never exceeds
// MaxInt32.
func (rr *replicaRequest) rawAvailable(ci *clusterInfo) int32 {
	if !ci.hasSummary || rr.absent || rr.podsCol < 0 || ci.missing[rr.podsCol] {
		return 0
	}
	best := ci.free[rr.podsCol]
	for i, col := range rr.cols {
		if ci.missing[col] {
			return 0
		}
		best = min(best, ci.free[col]/rr.amounts[i])
	}
	return int32(min(max(best, 0), math.MaxInt32))
}

// addReplicas adds without overflowing int32.
func addReplicas(a, b int32) int32 {
	s := int64(a) + int64(b)
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(s)
}
