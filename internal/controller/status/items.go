package status

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Messages of items whose cluster has not reported yet.
const (
	noWorkYet     = "no Work for this cluster yet"
	notAppliedYet = "not applied yet"
)

// Items builds a binding's aggregatedStatus: one item per target cluster,
// in cluster name order, from the binding's Works (any order). A target
// without a Work yet is not applied.
func Items(spec *workv1alpha1.ResourceBindingSpec, works []workv1alpha1.Work) []workv1alpha1.AggregatedStatusItem {
	byCluster := make(map[string]*workv1alpha1.Work, len(works))
	for i := range works {
		if c, ok := workv1alpha1.ClusterOfExecutionNamespace(works[i].Namespace); ok {
			byCluster[c] = &works[i]
		}
	}
	gv, _ := schema.ParseGroupVersion(spec.Resource.APIVersion)
	names := spec.TargetClusterNames()
	sort.Strings(names)
	out := make([]workv1alpha1.AggregatedStatusItem, 0, len(names))
	for _, name := range names {
		item := workv1alpha1.AggregatedStatusItem{ClusterName: name, Health: workv1alpha1.ResourceUnknownHealth}
		w := byCluster[name]
		if w == nil {
			item.AppliedMessage = noWorkYet
			out = append(out, item)
			continue
		}
		if c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.ConditionApplied); c == nil {
			item.AppliedMessage = notAppliedYet
		} else {
			item.Applied = c.Status == metav1.ConditionTrue
			if !item.Applied {
				item.AppliedMessage = c.Message
			}
		}
		for _, ms := range w.Status.ManifestStatuses {
			id := ms.ResourceIdentifier
			if id.Group == gv.Group && id.Kind == spec.Resource.Kind && id.Name == spec.Resource.Name &&
				(spec.Resource.Namespace == "" || id.Namespace == spec.Resource.Namespace) {
				item.Status = ms.Status
				if ms.Health != "" {
					item.Health = ms.Health
				}
				break
			}
		}
		out = append(out, item)
	}
	return out
}

// FullyApplied is the binding's FullyApplied condition for items.
func FullyApplied(items []workv1alpha1.AggregatedStatusItem, generation int64) metav1.Condition {
	c := metav1.Condition{Type: workv1alpha1.ConditionFullyApplied, ObservedGeneration: generation}
	var pending []string
	for _, it := range items {
		if !it.Applied {
			msg := it.AppliedMessage
			if msg == "" {
				msg = "not applied"
			}
			pending = append(pending, fmt.Sprintf("%s: %s", it.ClusterName, msg))
		}
	}
	switch {
	case len(items) == 0:
		c.Status, c.Reason = metav1.ConditionFalse, workv1alpha1.ReasonNotFullyApplied
		c.Message = "no target clusters yet: see the Scheduled condition"
	case len(pending) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, workv1alpha1.ReasonNotFullyApplied
		c.Message = fmt.Sprintf("%d of %d clusters not applied: %s", len(pending), len(items), strings.Join(pending, "; "))
	default:
		c.Status, c.Reason = metav1.ConditionTrue, workv1alpha1.ReasonFullyApplied
		c.Message = fmt.Sprintf("applied to all %d target clusters", len(items))
	}
	return c
}

// Settled reports whether items are worth showing at once: every target is
// applied and healthy, or some target's Work reports that it is not applied
// (a failure or a wait that has a reason). Anything else is progress: Works
// not created or not applied yet, objects still rolling out.
func Settled(items []workv1alpha1.AggregatedStatusItem) bool {
	if len(items) == 0 {
		return true
	}
	done := true
	for _, it := range items {
		switch {
		case !it.Applied && it.AppliedMessage != "" && it.AppliedMessage != noWorkYet && it.AppliedMessage != notAppliedYet:
			return true
		case !it.Applied || it.Health != workv1alpha1.ResourceHealthy:
			done = false
		}
	}
	return done
}
