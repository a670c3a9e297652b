package scheduling

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Why a binding is scheduled (again); "" means it keeps its result.
const (
	needFresh       = "a reschedule was requested"
	needFirst       = "not scheduled yet"
	needPlacement   = "its placement changed"
	needReplicas    = "not all replicas are placed"
	needDuplicated  = "Duplicated placements follow the clusters"
	needTargetGone  = "a target cluster is gone"
	needUnscheduled = "the last schedule failed"
)

// NeedsSchedule decides whether a binding is scheduled now, from the
// binding alone (and which clusters exist), whatever event woke the
// controller. It is what keeps a Divided workload where failover put it:
// only a change of its placement or replicas, a lost target or an explicit
// reschedule moves it, as in Karmada. Duplicated (and non-workload)
// bindings are always scheduled: their result is every feasible cluster,
// so a cluster that joins or recovers gets them.
// scheduledFor is the binding's ScheduledPlacementAnnotation.
func NeedsSchedule(spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus, scheduledFor string, exists func(cluster string) bool) string {
	if spec.Placement == nil {
		return ""
	}
	if rescheduleRequested(spec, status) {
		return needFresh
	}
	if scheduledFor == "" {
		return needFirst
	}
	if !status.IsScheduled() {
		return needUnscheduled
	}
	if PlacementDigest(spec.Placement) != scheduledFor {
		return needPlacement
	}
	if duplicated(spec) {
		return needDuplicated
	}
	var placed int32
	for _, c := range spec.Clusters {
		if !exists(c.Name) {
			return needTargetGone
		}
		placed += c.Replicas
	}
	if placed != spec.Replicas {
		return needReplicas
	}
	return ""
}

// duplicated: every target gets all replicas (an empty type is Divided,
// the CRD default, as in the scheduler core).
func duplicated(spec *workv1alpha1.ResourceBindingSpec) bool {
	rs := spec.Placement.ReplicaScheduling
	return spec.Replicas == 0 || rs == nil || rs.ReplicaSchedulingType == policyv1alpha1.ReplicaSchedulingTypeDuplicated
}

// PlacementDigest identifies a placement: equal placements have equal
// digests (JSON of the typed value, field order fixed by the struct).
func PlacementDigest(p *policyv1alpha1.Placement) string {
	raw, err := json.Marshal(p)
	if err != nil {
		// A typed struct of strings and numbers always marshals.
		panic(fmt.Sprintf("marshal placement: %v", err))
	}
	h := fnv.New64a()
	h.Write(raw)
	return fmt.Sprintf("%016x", h.Sum64())
}
