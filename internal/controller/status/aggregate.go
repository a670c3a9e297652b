package status

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/objectstatus"
)

// Keys the hub adds to a collected member status, next to the object's own
// .status fields (see package objectstatus).
const (
	GenerationKey        = objectstatus.GenerationKey
	SpecReplicasKey      = objectstatus.SpecReplicasKey
	AppliedGenerationKey = objectstatus.AppliedGenerationKey
)

// CollectStatus is what the hub keeps of a member object's status
// (objectstatus.Collect).
func CollectStatus(obj *unstructured.Unstructured) map[string]any { return objectstatus.Collect(obj) }

// StampApplied adds AppliedGenerationKey to a status collected for work
// (objectstatus.StampApplied).
func StampApplied(st map[string]any, work *workv1alpha1.Work) map[string]any {
	return objectstatus.StampApplied(st, work)
}

// WorkState is what aggregation needs of one target's Work.
type WorkState struct {
	// Generation is the Work's metadata.generation.
	Generation int64
	// AppliedGeneration is the generation its Applied condition is True
	// at (0 when it is not True).
	AppliedGeneration int64
}

// WorkStateOf reads a Work's WorkState.
func WorkStateOf(work *workv1alpha1.Work) WorkState {
	ws := WorkState{Generation: work.Generation}
	if c := meta.FindStatusCondition(work.Status.Conditions, workv1alpha1.ConditionApplied); c != nil && c.Status == metav1.ConditionTrue {
		ws.AppliedGeneration = c.ObservedGeneration
	}
	return ws
}

// Template is what aggregation needs of the hub's resource template and of
// its binding.
type Template struct {
	Kind       schema.GroupKind
	Generation int64
	// Spec is the template's spec (nil if none): aggregation reads
	// spec.replicas and, for StatefulSets, spec.updateStrategy.
	Spec map[string]any
	// Status is the template's current status (nil if none).
	Status map[string]any
	// BindingGeneration is the template generation the binding was built
	// from (spec.resource.generation).
	BindingGeneration int64
	// Duplicated: every target cluster runs all of spec.replicas (the
	// binding's placement has no replicaScheduling, or Duplicated), so the
	// template reads as one copy; otherwise the replicas are divided and the
	// members' counters add up to the template's.
	Duplicated bool
	// WorksStale: the binding's Works are not rendered from its current
	// spec yet (its WorksRendered condition is behind), so no member can
	// be current.
	WorksStale bool
	// Works are the targets' Works by cluster. A member is current only
	// when its Work's latest generation is applied and its status was
	// collected after that apply. nil: not checked (callers without Works).
	Works map[string]WorkState
	// Now stamps conditions that change; a condition that stays as it was
	// keeps its times, so an unchanged aggregate writes nothing.
	Now metav1.Time
}

// Duplicated says whether a binding's placement gives every target cluster
// all the replicas (Karmada: no replicaScheduling means Duplicated).
func Duplicated(p *policyv1alpha1.Placement) bool {
	if p == nil || p.ReplicaScheduling == nil {
		return true
	}
	return p.ReplicaScheduling.ReplicaSchedulingType == policyv1alpha1.ReplicaSchedulingTypeDuplicated
}

var (
	deploymentKind  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	statefulSetKind = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	replicaSetKind  = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	daemonSetKind   = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	jobKind         = schema.GroupKind{Group: "batch", Kind: "Job"}
	podKind         = schema.GroupKind{Kind: "Pod"}
	serviceKind     = schema.GroupKind{Kind: "Service"}
)

// Aggregated says whether Aggregate writes the status of kind gk.
func Aggregated(gk schema.GroupKind) bool {
	switch gk {
	case deploymentKind, statefulSetKind, replicaSetKind, daemonSetKind, jobKind, podKind, serviceKind:
		return true
	}
	return false
}

// Aggregate computes the template's status from the per-cluster items (in
// cluster name order). ok is false for kinds it does not aggregate (the
// template is left alone).
//
// The result is made for the tools that judge a workload by its status on
// the hub (kstatus and so Helm 4 and Flux, kubectl rollout status, Argo CD):
// it reads as rolled out exactly when the workload is rolled out in every
// target cluster. Counters are summed over clusters for divided replicas and
// read as one copy for duplicated ones; conditions are aggregated; see
// docs/hub-status.md.
func Aggregate(t Template, items []workv1alpha1.AggregatedStatusItem) (status map[string]any, ok bool) {
	members := make([]member, 0, len(items))
	for _, it := range items {
		members = append(members, newMember(it, t.Works))
	}
	var out any
	switch t.Kind {
	case deploymentKind:
		out = aggregateDeployment(t, members)
	case statefulSetKind:
		out = aggregateStatefulSet(t, members)
	case replicaSetKind:
		out = aggregateReplicaSet(t, members)
	case daemonSetKind:
		out = aggregateDaemonSet(t, members)
	case jobKind:
		return aggregateJob(t, members), true
	case podKind:
		return aggregatePod(members), true
	case serviceKind:
		return aggregateService(t.Status, members), true
	default:
		return nil, false
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(out)
	if err != nil {
		return nil, false // cannot happen for the typed statuses above
	}
	return m, true
}

// member is one target cluster's reported status.
type member struct {
	cluster string
	// raw is the collected status (nil: none reported yet).
	raw []byte
	// fields is raw decoded, for the keys the hub added.
	fields map[string]any
	// stale, if set, says why the status is not the latest spec's: the
	// Work's latest generation is not applied yet, or the status was
	// collected before that apply.
	stale string
}

func newMember(it workv1alpha1.AggregatedStatusItem, works map[string]WorkState) member {
	m := member{cluster: it.ClusterName}
	if it.Status != nil && len(it.Status.Raw) > 0 {
		// utiljson keeps integers int64, as in a status read from the hub.
		if err := utiljson.Unmarshal(it.Status.Raw, &m.fields); err == nil && m.fields != nil {
			m.raw = it.Status.Raw
		}
	}
	if works == nil {
		return m
	}
	ws, found := works[m.cluster]
	_, stamped := m.fields[AppliedGenerationKey]
	switch {
	case !found:
		m.stale = fmt.Sprintf("cluster %s: no Work yet", m.cluster)
	case ws.AppliedGeneration != ws.Generation:
		m.stale = fmt.Sprintf("cluster %s: the latest spec (Work generation %d) is not applied yet", m.cluster, ws.Generation)
	case stamped && num(m.fields, AppliedGenerationKey) != ws.Generation:
		m.stale = fmt.Sprintf("cluster %s: status not collected since the latest spec was applied", m.cluster)
	}
	return m
}

func (m member) reported() bool { return m.raw != nil }

// decode reads the member's status into a typed status.
func (m member) decode(into any) {
	if m.raw != nil {
		_ = json.Unmarshal(m.raw, into)
	}
}

// observed: the member reported status for the latest spec, and its
// controller observed the member object's latest generation.
func (m member) observed() bool {
	if !m.reported() || m.stale != "" {
		return false
	}
	if _, found := m.fields["observedGeneration"]; !found {
		return false
	}
	return num(m.fields, "observedGeneration") >= num(m.fields, GenerationKey)
}

// wanted is the member object's spec.replicas; ok false when not reported.
func (m member) wanted() (int64, bool) {
	if _, found := m.fields[SpecReplicasKey]; !found {
		return 0, false
	}
	return num(m.fields, SpecReplicasKey), true
}

func (m member) notObservedMessage() string {
	if m.stale != "" {
		return m.stale
	}
	return fmt.Sprintf("cluster %s: generation %d not observed yet (observed %d)", m.cluster, num(m.fields, GenerationKey), num(m.fields, "observedGeneration"))
}

// num reads an integer field of a JSON-decoded status (float64 after
// encoding/json, int64 when built in Go).
func num(m map[string]any, field string) int64 {
	switch v := m[field].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int32:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// specReplicas is the template's spec.replicas, 1 when unset (the API
// default, and what kstatus assumes).
func (t Template) specReplicas() int64 {
	if r, found, err := unstructured.NestedInt64(t.Spec, "replicas"); found && err == nil {
		return r
	}
	return 1
}

// bindingCurrent: the binding, and so the Works, carry the template's
// current generation.
func (t Template) bindingCurrent() bool { return t.BindingGeneration == t.Generation && !t.WorksStale }

// observedGeneration is the template's generation once the binding carries
// it and every member observed its own latest generation; until then the
// value the template had, so kubectl rollout status, kstatus and Argo CD
// wait for the new spec to reach every cluster.
func (t Template) observedGeneration(members []member) int64 {
	all := len(members) > 0 && t.bindingCurrent()
	for _, m := range members {
		all = all && m.observed()
	}
	if all {
		return t.Generation
	}
	return num(t.Status, "observedGeneration")
}

// Reasons of aggregated conditions that do not come from a member.
const (
	// ReasonNoTargetClusters: the binding has no target clusters yet.
	ReasonNoTargetClusters = "NoTargetClusters"
	// ReasonMemberStatusUnknown: a target cluster has not reported the
	// object's status yet.
	ReasonMemberStatusUnknown = "MemberStatusUnknown"
	// ReasonMemberSpecNotApplied: the hub has not applied the latest spec
	// to a target yet, or not collected its status since.
	ReasonMemberSpecNotApplied = "MemberSpecNotApplied"
	// ReasonMemberGenerationNotObserved: a member's controller has not
	// observed the member object's latest spec yet.
	ReasonMemberGenerationNotObserved = "MemberGenerationNotObserved"
	// ReasonTemplateNotPropagated: the template changed and the binding does
	// not carry the change to the members yet.
	ReasonTemplateNotPropagated = "TemplateNotPropagated"
)

// condition is a kind-independent condition; each kind converts it to its
// own condition type.
type condition struct {
	Type    string
	Status  string
	Reason  string
	Message string
}

// memberCondition finds a condition of a typed status by type.
func memberCondition[C any](conds []C, typ string, get func(C) condition) (condition, bool) {
	for _, c := range conds {
		if cc := get(c); cc.Type == typ {
			return cc, true
		}
	}
	return condition{}, false
}

// inCluster prefixes a member's condition message with its cluster.
func inCluster(c condition, cluster string) condition {
	if c.Message == "" {
		c.Message = "cluster " + cluster
	} else {
		c.Message = fmt.Sprintf("cluster %s: %s", cluster, c.Message)
	}
	return c
}

// stamp gives c its times: lastTransitionTime stays the template's while the
// condition's status stays, lastUpdateTime while status, reason and message
// stay; otherwise t.Now.
func (t Template) stamp(c condition) (transition, update metav1.Time) {
	transition, update = t.Now, t.Now
	conds, _, _ := unstructured.NestedSlice(t.Status, "conditions")
	for _, o := range conds {
		old, _ := o.(map[string]any)
		if old == nil || old["type"] != c.Type {
			continue
		}
		if old["status"] != c.Status {
			return
		}
		transition = parseTime(old["lastTransitionTime"], t.Now)
		if old["reason"] == c.Reason && old["message"] == c.Message {
			update = parseTime(old["lastUpdateTime"], transition)
		}
		return
	}
	return
}

func parseTime(v any, fallback metav1.Time) metav1.Time {
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fallback
	}
	return metav1.NewTime(tm)
}

// aggregatePod: one member's status as is; across several, the phase that
// describes them all (Failed if any failed, Succeeded or Running if all
// are, Pending otherwise).
func aggregatePod(members []member) map[string]any {
	if len(members) == 1 && members[0].reported() {
		out := map[string]any{}
		for k, v := range members[0].fields {
			if k != GenerationKey && k != SpecReplicasKey && k != AppliedGenerationKey {
				out[k] = v
			}
		}
		return out
	}
	counts := map[string]int{}
	for _, m := range members {
		p, _ := m.fields["phase"].(string)
		counts[p]++
	}
	phase := "Pending"
	switch {
	case counts["Failed"] > 0:
		phase = "Failed"
	case len(members) > 0 && counts["Succeeded"] == len(members):
		phase = "Succeeded"
	case len(members) > 0 && counts["Running"] == len(members):
		phase = "Running"
	}
	return map[string]any{"phase": phase}
}

// aggregateService merges the members' load balancer ingress points.
func aggregateService(old map[string]any, members []member) map[string]any {
	var ingress []any
	for _, m := range members {
		lb, _ := m.fields["loadBalancer"].(map[string]any)
		ing, _ := lb["ingress"].([]any)
		ingress = append(ingress, ing...)
	}
	out := map[string]any{}
	for k, v := range old {
		out[k] = v
	}
	if len(ingress) > 0 {
		out["loadBalancer"] = map[string]any{"ingress": ingress}
	} else {
		out["loadBalancer"] = map[string]any{}
	}
	return out
}
