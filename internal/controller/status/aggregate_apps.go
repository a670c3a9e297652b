package status

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// rollout is one member's workload as aggregation sees it.
type rollout struct {
	member
	conds []condition
	// complete: the member observed its latest spec and runs exactly its
	// wanted replicas, all updated, ready and available.
	complete bool
	// behind says, for a member not complete, what it waits for.
	behind string
}

// firstBehind is the first member (cluster name order) not complete.
func firstBehind(rs []rollout) (rollout, bool) {
	for _, r := range rs {
		if !r.complete {
			return r, true
		}
	}
	return rollout{}, false
}

// allComplete: there are targets, the binding carries the template's
// generation, and every target is complete.
func allComplete(t Template, rs []rollout) bool {
	if len(rs) == 0 || !t.bindingCurrent() {
		return false
	}
	_, behind := firstBehind(rs)
	return !behind
}

// behindMessage says what a member that is not complete waits for.
func behindMessage(m member, wantOK bool, progress string) string {
	switch {
	case !m.reported():
		return fmt.Sprintf("cluster %s has not reported status yet", m.cluster)
	case !m.observed():
		return m.notObservedMessage()
	case !wantOK:
		return fmt.Sprintf("cluster %s has not reported its wanted replicas yet", m.cluster)
	}
	return fmt.Sprintf("cluster %s: %s", m.cluster, progress)
}

// notReported is the condition of type typ for a member without status.
func notReported(typ string, r rollout) condition {
	return condition{Type: typ, Status: string(corev1.ConditionUnknown), Reason: ReasonMemberStatusUnknown, Message: r.behind}
}

// availableCondition is True only when every target's Available condition
// is; otherwise the first target's (cluster name order) that is not.
func availableCondition(rs []rollout, reason, message string) condition {
	const typ = string(appsv1.DeploymentAvailable)
	if len(rs) == 0 {
		return condition{Type: typ, Status: string(corev1.ConditionUnknown), Reason: ReasonNoTargetClusters, Message: "no target clusters yet: see the binding's Scheduled condition"}
	}
	for _, r := range rs {
		if !r.reported() {
			return notReported(typ, r)
		}
		c, found := findCondition(r.conds, typ)
		if !found {
			return condition{Type: typ, Status: string(corev1.ConditionUnknown), Reason: ReasonMemberStatusUnknown, Message: fmt.Sprintf("cluster %s has not reported availability yet", r.cluster)}
		}
		if c.Status != string(corev1.ConditionTrue) {
			return inCluster(c, r.cluster)
		}
	}
	return condition{Type: typ, Status: string(corev1.ConditionTrue), Reason: reason, Message: message}
}

// progressingCondition is True with NewReplicaSetAvailable (what kstatus
// waits for) only when every target is complete. A target whose progress
// deadline passed makes it False with ProgressDeadlineExceeded (kubectl
// rollout status and Argo CD report a failed rollout); otherwise it tells
// what the first target not complete waits for.
func progressingCondition(t Template, rs []rollout, names []string) condition {
	const typ = string(appsv1.DeploymentProgressing)
	for _, r := range rs {
		if c, found := findCondition(r.conds, typ); found && r.observed() && c.Reason == "ProgressDeadlineExceeded" {
			return inCluster(c, r.cluster)
		}
	}
	if len(rs) == 0 {
		return condition{Type: typ, Status: string(corev1.ConditionUnknown), Reason: ReasonNoTargetClusters, Message: "no target clusters yet: see the binding's Scheduled condition"}
	}
	if !t.bindingCurrent() {
		return condition{Type: typ, Status: string(corev1.ConditionTrue), Reason: ReasonTemplateNotPropagated,
			Message: fmt.Sprintf("generation %d of the template is not propagated to the member clusters yet (the binding carries generation %d; Works rendered from the binding's latest spec: %t)", t.Generation, t.BindingGeneration, !t.WorksStale)}
	}
	r, behind := firstBehind(rs)
	if !behind {
		return condition{Type: typ, Status: string(corev1.ConditionTrue), Reason: "NewReplicaSetAvailable",
			Message: fmt.Sprintf("rolled out in all %d target clusters (%s)", len(rs), strings.Join(names, ", "))}
	}
	switch {
	case !r.reported():
		return notReported(typ, r)
	case r.stale != "":
		return condition{Type: typ, Status: string(corev1.ConditionTrue), Reason: ReasonMemberSpecNotApplied, Message: r.behind}
	case !r.observed():
		return condition{Type: typ, Status: string(corev1.ConditionTrue), Reason: ReasonMemberGenerationNotObserved, Message: r.behind}
	}
	if c, found := findCondition(r.conds, typ); found && c.Reason != "NewReplicaSetAvailable" {
		return inCluster(c, r.cluster)
	}
	// The member's own condition still says complete from before a scale
	// or an override change; its counters say it is not.
	return condition{Type: typ, Status: string(corev1.ConditionTrue), Reason: "ReplicaSetUpdated", Message: r.behind}
}

// anyTrue is the first target's (cluster name order) condition of type typ
// that is True, if any: a failure in one cluster is the template's.
func anyTrue(rs []rollout, typ string) (condition, bool) {
	for _, r := range rs {
		if c, found := findCondition(r.conds, typ); found && c.Status == string(corev1.ConditionTrue) {
			return inCluster(c, r.cluster), true
		}
	}
	return condition{}, false
}

func findCondition(conds []condition, typ string) (condition, bool) {
	for _, c := range conds {
		if c.Type == typ {
			return c, true
		}
	}
	return condition{}, false
}

func clusterNames(rs []rollout) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.cluster
	}
	return out
}

// Counter combinators over the members' values of one counter.

func sum(vals []int32) int32 {
	var n int32
	for _, v := range vals {
		n += v
	}
	return n
}

// least is the copy furthest behind: the smallest value, never more than
// limit (0 without members).
func least(vals []int32, limit int32) int32 {
	if len(vals) == 0 {
		return 0
	}
	n := limit
	for _, v := range vals {
		n = min(n, v)
	}
	return max(n, 0)
}

func most(vals []int32) int32 {
	var n int32
	for _, v := range vals {
		n = max(n, v)
	}
	return n
}

func counter[S any](sts []S, f func(*S) int32) []int32 {
	out := make([]int32, len(sts))
	for i := range sts {
		out[i] = f(&sts[i])
	}
	return out
}

// aggregateDeployment: divided replicas are summed over the members (the
// sum is spec.replicas once every member is complete); duplicated ones read
// as spec.replicas once every member is complete, and until then as the
// copy furthest behind (fewest updated, ready and available, most
// replicas), so no tool sees the rollout done before every cluster is.
func aggregateDeployment(t Template, members []member) *appsv1.DeploymentStatus {
	spec := int32(t.specReplicas())
	sts := make([]appsv1.DeploymentStatus, len(members))
	rs := make([]rollout, len(members))
	for i, m := range members {
		m.decode(&sts[i])
		s := sts[i]
		r := rollout{member: m}
		for _, c := range s.Conditions {
			r.conds = append(r.conds, condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
		}
		want, wantOK := m.wanted()
		n := int32(want)
		r.complete = m.observed() && wantOK && s.Replicas == n && s.UpdatedReplicas == n && s.ReadyReplicas == n && s.AvailableReplicas == n
		if avail, found := findCondition(r.conds, string(appsv1.DeploymentAvailable)); !found || avail.Status != string(corev1.ConditionTrue) {
			r.complete = false
		}
		if prog, found := findCondition(r.conds, string(appsv1.DeploymentProgressing)); found && (prog.Status != string(corev1.ConditionTrue) || prog.Reason != "NewReplicaSetAvailable") {
			r.complete = false
		}
		if !r.complete {
			r.behind = behindMessage(m, wantOK, fmt.Sprintf("%d of %d replicas updated, %d ready, %d available, %d in all", s.UpdatedReplicas, n, s.ReadyReplicas, s.AvailableReplicas, s.Replicas))
		}
		rs[i] = r
	}
	out := &appsv1.DeploymentStatus{ObservedGeneration: t.observedGeneration(members)}
	replicas := counter(sts, func(s *appsv1.DeploymentStatus) int32 { return s.Replicas })
	updated := counter(sts, func(s *appsv1.DeploymentStatus) int32 { return s.UpdatedReplicas })
	ready := counter(sts, func(s *appsv1.DeploymentStatus) int32 { return s.ReadyReplicas })
	available := counter(sts, func(s *appsv1.DeploymentStatus) int32 { return s.AvailableReplicas })
	unavailable := counter(sts, func(s *appsv1.DeploymentStatus) int32 { return s.UnavailableReplicas })
	switch complete := allComplete(t, rs); {
	case !t.Duplicated:
		out.Replicas, out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas, out.UnavailableReplicas = sum(replicas), sum(updated), sum(ready), sum(available), sum(unavailable)
	case complete:
		out.Replicas, out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas = spec, spec, spec, spec
	default:
		out.Replicas, out.UnavailableReplicas = most(replicas), most(unavailable)
		out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas = least(updated, spec), least(ready, spec), least(available, spec)
	}
	names := clusterNames(rs)
	conds := []condition{
		availableCondition(rs, "MinimumReplicasAvailable", fmt.Sprintf("minimum availability in all %d target clusters (%s)", len(rs), strings.Join(names, ", "))),
		progressingCondition(t, rs, names),
	}
	if c, found := anyTrue(rs, string(appsv1.DeploymentReplicaFailure)); found {
		conds = append(conds, c)
	}
	for _, c := range conds {
		transition, update := t.stamp(c)
		out.Conditions = append(out.Conditions, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentConditionType(c.Type), Status: corev1.ConditionStatus(c.Status),
			Reason: c.Reason, Message: c.Message, LastTransitionTime: transition, LastUpdateTime: update,
		})
	}
	return out
}

// aggregateReplicaSet follows aggregateDeployment; a ReplicaSet's only
// condition is ReplicaFailure, True when any member's is.
func aggregateReplicaSet(t Template, members []member) *appsv1.ReplicaSetStatus {
	spec := int32(t.specReplicas())
	sts := make([]appsv1.ReplicaSetStatus, len(members))
	rs := make([]rollout, len(members))
	for i, m := range members {
		m.decode(&sts[i])
		s := sts[i]
		r := rollout{member: m}
		for _, c := range s.Conditions {
			r.conds = append(r.conds, condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
		}
		want, wantOK := m.wanted()
		n := int32(want)
		r.complete = m.observed() && wantOK && s.Replicas == n && s.FullyLabeledReplicas == n && s.ReadyReplicas == n && s.AvailableReplicas == n
		if _, failed := anyTrue([]rollout{r}, string(appsv1.ReplicaSetReplicaFailure)); failed {
			r.complete = false
		}
		rs[i] = r
	}
	out := &appsv1.ReplicaSetStatus{ObservedGeneration: t.observedGeneration(members)}
	replicas := counter(sts, func(s *appsv1.ReplicaSetStatus) int32 { return s.Replicas })
	labeled := counter(sts, func(s *appsv1.ReplicaSetStatus) int32 { return s.FullyLabeledReplicas })
	ready := counter(sts, func(s *appsv1.ReplicaSetStatus) int32 { return s.ReadyReplicas })
	available := counter(sts, func(s *appsv1.ReplicaSetStatus) int32 { return s.AvailableReplicas })
	switch complete := allComplete(t, rs); {
	case !t.Duplicated:
		out.Replicas, out.FullyLabeledReplicas, out.ReadyReplicas, out.AvailableReplicas = sum(replicas), sum(labeled), sum(ready), sum(available)
	case complete:
		out.Replicas, out.FullyLabeledReplicas, out.ReadyReplicas, out.AvailableReplicas = spec, spec, spec, spec
	default:
		out.Replicas = most(replicas)
		out.FullyLabeledReplicas, out.ReadyReplicas, out.AvailableReplicas = least(labeled, spec), least(ready, spec), least(available, spec)
	}
	if c, found := anyTrue(rs, string(appsv1.ReplicaSetReplicaFailure)); found {
		transition, _ := t.stamp(c)
		out.Conditions = []appsv1.ReplicaSetCondition{{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: corev1.ConditionStatus(c.Status),
			Reason: c.Reason, Message: c.Message, LastTransitionTime: transition,
		}}
	}
	return out
}

// aggregateStatefulSet: counters as for Deployments. A StatefulSet has no
// conditions the tools read: they compare currentRevision with
// updateRevision instead, so the template shows the revisions of the first
// member still rolling (they differ while it rolls), and one member's
// revision for both once all are complete.
func aggregateStatefulSet(t Template, members []member) *appsv1.StatefulSetStatus {
	spec := int32(t.specReplicas())
	strategy, _, _ := unstructured.NestedString(t.Spec, "updateStrategy", "type")
	partition, partitioned, _ := unstructured.NestedInt64(t.Spec, "updateStrategy", "rollingUpdate", "partition")
	partitioned = partitioned && partition > 0
	sts := make([]appsv1.StatefulSetStatus, len(members))
	rs := make([]rollout, len(members))
	for i, m := range members {
		m.decode(&sts[i])
		s := sts[i]
		want, wantOK := m.wanted()
		n := int32(want)
		complete := m.observed() && wantOK && s.Replicas == n && s.ReadyReplicas == n && s.AvailableReplicas == n
		switch {
		case strategy == string(appsv1.OnDeleteStatefulSetStrategyType):
			// Pods change only when deleted by hand: nothing to roll.
		case partitioned:
			complete = complete && int64(s.UpdatedReplicas) >= want-partition
		default:
			complete = complete && s.UpdatedReplicas == n && s.CurrentReplicas == n && s.CurrentRevision == s.UpdateRevision
		}
		rs[i] = rollout{member: m, complete: complete}
	}
	out := &appsv1.StatefulSetStatus{ObservedGeneration: t.observedGeneration(members)}
	replicas := counter(sts, func(s *appsv1.StatefulSetStatus) int32 { return s.Replicas })
	ready := counter(sts, func(s *appsv1.StatefulSetStatus) int32 { return s.ReadyReplicas })
	available := counter(sts, func(s *appsv1.StatefulSetStatus) int32 { return s.AvailableReplicas })
	current := counter(sts, func(s *appsv1.StatefulSetStatus) int32 { return s.CurrentReplicas })
	updated := counter(sts, func(s *appsv1.StatefulSetStatus) int32 { return s.UpdatedReplicas })
	complete := allComplete(t, rs)
	switch {
	case !t.Duplicated:
		out.Replicas, out.ReadyReplicas, out.AvailableReplicas, out.CurrentReplicas, out.UpdatedReplicas = sum(replicas), sum(ready), sum(available), sum(current), sum(updated)
	case complete:
		out.Replicas, out.ReadyReplicas, out.AvailableReplicas = spec, spec, spec
		out.CurrentReplicas, out.UpdatedReplicas = least(current, spec), least(updated, spec)
		if !partitioned && strategy != string(appsv1.OnDeleteStatefulSetStrategyType) {
			out.CurrentReplicas, out.UpdatedReplicas = spec, spec
		}
	default:
		out.Replicas = most(replicas)
		out.ReadyReplicas, out.AvailableReplicas, out.CurrentReplicas, out.UpdatedReplicas = least(ready, spec), least(available, spec), least(current, spec), least(updated, spec)
	}
	if r, behind := firstBehind(rs); len(rs) > 0 {
		pick := 0 // all complete: one member's revision for both
		if behind {
			// The first member still rolling, else the first behind.
			pick = -1
			for i := range sts {
				if sts[i].CurrentRevision != sts[i].UpdateRevision {
					pick = i
					break
				}
			}
			for i := range rs {
				if pick < 0 && rs[i].cluster == r.cluster {
					pick = i
				}
			}
		}
		out.CurrentRevision, out.UpdateRevision = sts[pick].CurrentRevision, sts[pick].UpdateRevision
		if !behind {
			out.CurrentRevision = out.UpdateRevision
		}
	}
	return out
}

// aggregateDaemonSet sums the members' counters: a DaemonSet runs one pod
// per node in every target cluster, so the fleet's desired number is the
// sum, whatever the replica scheduling.
func aggregateDaemonSet(t Template, members []member) *appsv1.DaemonSetStatus {
	sts := make([]appsv1.DaemonSetStatus, len(members))
	for i, m := range members {
		m.decode(&sts[i])
	}
	return &appsv1.DaemonSetStatus{
		ObservedGeneration:     t.observedGeneration(members),
		CurrentNumberScheduled: sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.CurrentNumberScheduled })),
		NumberMisscheduled:     sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.NumberMisscheduled })),
		DesiredNumberScheduled: sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.DesiredNumberScheduled })),
		NumberReady:            sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.NumberReady })),
		UpdatedNumberScheduled: sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.UpdatedNumberScheduled })),
		NumberAvailable:        sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.NumberAvailable })),
		NumberUnavailable:      sum(counter(sts, func(s *appsv1.DaemonSetStatus) int32 { return s.NumberUnavailable })),
	}
}
