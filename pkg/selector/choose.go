package selector

import (
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// Policy kinds named in a Choice.
const (
	KindPropagationPolicy        = "PropagationPolicy"
	KindClusterPropagationPolicy = "ClusterPropagationPolicy"
)

// Choice names the propagation policy that claims a resource.
type Choice struct {
	// Kind is KindPropagationPolicy or KindClusterPropagationPolicy.
	Kind string
	// Namespace is empty for a ClusterPropagationPolicy.
	Namespace string
	Name      string
	// Index is the policy's position in the slice it came from (pps for a
	// PropagationPolicy, cpps for a ClusterPropagationPolicy).
	Index int
	// Priority is the policy's explicit priority (nil counts as 0).
	Priority int32
	// Specificity is the policy's best selector match for the resource.
	Specificity Specificity
}

// ChoosePropagationPolicy picks the policy that claims key, as Karmada's
// detector does: PropagationPolicies in the resource's namespace first, and
// ClusterPropagationPolicies only when none of them matches. Among the
// candidates of one kind the highest explicit priority wins, then the highest
// specificity, then the lexicographically smaller name (a total order, so the
// answer never depends on input order).
//
// Claim labels and preemption (a resource keeping its current policy) are the
// detector's business and not considered here.
func ChoosePropagationPolicy(key ResourceKey, pps []policyv1alpha1.PropagationPolicy, cpps []policyv1alpha1.ClusterPropagationPolicy) (Choice, bool) {
	var best Choice
	found := false
	for i := range pps {
		pp := &pps[i]
		// A namespaced policy only sees its own namespace; this also keeps
		// cluster-scoped resources away from namespaced policies.
		if key.Namespace == "" || pp.Namespace != key.Namespace {
			continue
		}
		s := MatchAny(pp.Spec.ResourceSelectors, pp.Namespace, &key)
		if s == NoMatch {
			continue
		}
		c := Choice{Kind: KindPropagationPolicy, Namespace: pp.Namespace, Name: pp.Name, Index: i, Priority: priorityOf(pp.Spec.Priority), Specificity: s}
		if !found || better(&c, &best) {
			best, found = c, true
		}
	}
	if found {
		return best, true
	}
	for i := range cpps {
		cpp := &cpps[i]
		s := MatchAny(cpp.Spec.ResourceSelectors, "", &key)
		if s == NoMatch {
			continue
		}
		c := Choice{Kind: KindClusterPropagationPolicy, Name: cpp.Name, Index: i, Priority: priorityOf(cpp.Spec.Priority), Specificity: s}
		if !found || better(&c, &best) {
			best, found = c, true
		}
	}
	return best, found
}

// better reports whether a beats b: priority, then specificity, then name.
func better(a, b *Choice) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if a.Specificity != b.Specificity {
		return a.Specificity > b.Specificity
	}
	return a.Name < b.Name
}

func priorityOf(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
