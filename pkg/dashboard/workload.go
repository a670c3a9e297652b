package dashboard

import (
	"encoding/json"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// ClusterScoped is the namespace segment of a cluster-scoped binding in
// workload URLs (/api/v1/workloads/-/NAME).
const ClusterScoped = "-"

// Binding is a ResourceBinding or a ClusterResourceBinding (Namespace "").
type Binding struct {
	Namespace string
	Name      string
	Spec      *workv1alpha1.ResourceBindingSpec
	Status    *workv1alpha1.ResourceBindingStatus
	Updated   metav1.Time
}

// BindingOf wraps a ResourceBinding.
func BindingOf(b *workv1alpha1.ResourceBinding) Binding {
	return Binding{Namespace: b.Namespace, Name: b.Name, Spec: &b.Spec, Status: &b.Status, Updated: lastChange(b.CreationTimestamp, b.Status.Conditions)}
}

// ClusterBindingOf wraps a ClusterResourceBinding.
func ClusterBindingOf(b *workv1alpha1.ClusterResourceBinding) Binding {
	return Binding{Name: b.Name, Spec: &b.Spec, Status: &b.Status, Updated: lastChange(b.CreationTimestamp, b.Status.Conditions)}
}

func lastChange(created metav1.Time, conds []metav1.Condition) metav1.Time {
	t := created
	for _, c := range conds {
		if c.LastTransitionTime.After(t.Time) {
			t = c.LastTransitionTime
		}
	}
	return t
}

// MemberReplicas reads ready and current replicas from a member's collected
// status; ok is false when the member has reported none (yet) or the kind
// has no replicas. DaemonSets count numberReady of desiredNumberScheduled.
func MemberReplicas(item workv1alpha1.AggregatedStatusItem) (ready, replicas int64, ok bool) {
	if item.Status == nil || len(item.Status.Raw) == 0 {
		return 0, 0, false
	}
	var st struct {
		Replicas      *int64 `json:"replicas"`
		ReadyReplicas int64  `json:"readyReplicas"`
		Desired       *int64 `json:"desiredNumberScheduled"`
		NumberReady   int64  `json:"numberReady"`
	}
	if err := json.Unmarshal(item.Status.Raw, &st); err != nil {
		return 0, 0, false
	}
	switch {
	case st.Replicas != nil:
		return st.ReadyReplicas, *st.Replicas, true
	case st.Desired != nil:
		return st.NumberReady, *st.Desired, true
	case st.ReadyReplicas > 0:
		return st.ReadyReplicas, st.ReadyReplicas, true
	}
	return 0, 0, false
}

// Workload summarises one binding. fleetOf names the Fleet of a cluster
// ("" when none).
func Workload(b Binding, fleetOf func(cluster string) string) WorkloadSummary {
	r := b.Spec.Resource
	w := WorkloadSummary{
		Ref:     ObjectRef{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name},
		Binding: b.Name,
		Updated: b.Updated.Time,
	}
	if p := b.Spec.Policy; p != nil {
		w.Policy = &ObjectRef{Kind: p.Kind, Namespace: p.Namespace, Name: p.Name}
	}
	if c := meta.FindStatusCondition(b.Status.Conditions, workv1alpha1.ConditionScheduled); c != nil {
		cc := conditionOf(*c)
		w.Scheduled = &cc
	}
	items := map[string]workv1alpha1.AggregatedStatusItem{}
	for _, it := range b.Status.AggregatedStatus {
		items[it.ClusterName] = it
	}
	hasReplicas := b.Spec.Replicas > 0
	fleets := map[string]bool{}
	worst, why := HealthHealthy, ""
	for _, t := range b.Spec.Clusters {
		it, reported := items[t.Name]
		wc := WorkloadCluster{Name: t.Name, Replicas: t.Replicas, Applied: it.Applied, Message: it.AppliedMessage, Evicting: b.Spec.EvictingFrom(t.Name)}
		ready, _, ok := MemberReplicas(it)
		wc.Ready = int32(ready)
		wc.Health, wc.Message = memberHealth(t, it, reported, ok, hasReplicas)
		if !hasReplicas && wc.Health == HealthHealthy {
			wc.Ready = 1
		}
		if worse(wc.Health, worst) {
			worst, why = wc.Health, fmt.Sprintf("%s: %s", t.Name, wc.Message)
		}
		w.Ready += wc.Ready
		w.Clusters = append(w.Clusters, wc)
		if f := fleetOf(t.Name); f != "" {
			fleets[f] = true
		}
	}
	sort.Slice(w.Clusters, func(i, j int) bool { return w.Clusters[i].Name < w.Clusters[j].Name })
	w.Desired = b.Spec.Replicas
	if !hasReplicas {
		w.Desired = int32(len(b.Spec.Clusters))
	}
	if len(fleets) == 1 {
		for f := range fleets {
			w.Fleet = f
		}
	}
	switch {
	case w.Scheduled != nil && w.Scheduled.Status == string(metav1.ConditionFalse):
		w.Health, w.Message = HealthUnscheduled, w.Scheduled.Message
	case len(b.Spec.Clusters) == 0:
		w.Health, w.Message = HealthUnknown, "not scheduled yet"
	default:
		w.Health = worst
		if worst != HealthHealthy {
			w.Message = why
		}
	}
	return w
}

// memberHealth judges one target: apply failures and unhealthy reports are
// Degraded; fewer ready replicas than assigned is Progressing.
func memberHealth(t workv1alpha1.TargetCluster, it workv1alpha1.AggregatedStatusItem, reported, hasStatus, hasReplicas bool) (string, string) {
	switch {
	case !reported:
		return HealthUnknown, "no status reported yet"
	case !it.Applied && it.AppliedMessage != "":
		return HealthDegraded, it.AppliedMessage
	case it.Health == workv1alpha1.ResourceUnhealthy:
		return HealthDegraded, "the member reports it unhealthy"
	case !it.Applied:
		return HealthProgressing, "not applied yet"
	}
	if !hasReplicas {
		if it.Health == workv1alpha1.ResourceUnknownHealth {
			return HealthUnknown, "health unknown"
		}
		return HealthHealthy, ""
	}
	ready, _, _ := MemberReplicas(it)
	if !hasStatus || ready < int64(t.Replicas) {
		return HealthProgressing, fmt.Sprintf("%d/%d replicas ready", ready, t.Replicas)
	}
	return HealthHealthy, ""
}

var healthRank = map[string]int{HealthHealthy: 0, HealthUnknown: 1, HealthProgressing: 2, HealthDegraded: 3, HealthUnscheduled: 4}

// worse says whether health a is worse than b.
func worse(a, b string) bool { return healthRank[a] > healthRank[b] }

func conditionOf(c metav1.Condition) Condition {
	return Condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message, Since: c.LastTransitionTime.Time}
}

func conditionsOf(conds []metav1.Condition) []Condition {
	out := make([]Condition, 0, len(conds))
	for _, c := range conds {
		out = append(out, conditionOf(c))
	}
	return out
}

// Filter selects workloads; empty fields match all.
type Filter struct {
	Namespace, Fleet, Cluster, Health string
}

// Workloads summarises bindings, sorted by namespace, kind and name, with
// the filter choices taken from all of them and the items from those the
// filter keeps.
func Workloads(bindings []Binding, fleetOf func(string) string, f Filter) WorkloadList {
	list := WorkloadList{Items: []WorkloadSummary{}}
	ns, cl, fl := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, b := range bindings {
		w := Workload(b, fleetOf)
		ns[w.Ref.Namespace] = true
		if w.Fleet != "" {
			fl[w.Fleet] = true
		}
		placed := false
		for _, c := range w.Clusters {
			cl[c.Name] = true
			placed = placed || c.Name == f.Cluster
		}
		if (f.Namespace != "" && w.Ref.Namespace != f.Namespace) || (f.Fleet != "" && w.Fleet != f.Fleet) ||
			(f.Cluster != "" && !placed) || (f.Health != "" && w.Health != f.Health) {
			continue
		}
		list.Items = append(list.Items, w)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i].Ref, list.Items[j].Ref
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	list.Namespaces, list.Clusters, list.Fleets = sortedKeys(ns), sortedKeys(cl), sortedKeys(fl)
	return list
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
