// Package selector decides whether a resource template is selected by a
// policy's ResourceSelectors, and how specifically.
//
// It is pure: no client, no clock. The detector, the override engine and
// `kurator plan` share it so that they agree on which policy claims what.
package selector

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// ResourceKey is the part of a resource template that selectors look at.
type ResourceKey struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Labels     map[string]string
}

// KeyOf returns the selector-relevant fields of obj.
func KeyOf(obj *unstructured.Unstructured) ResourceKey {
	return ResourceKey{
		APIVersion: obj.GetAPIVersion(),
		Kind:       obj.GetKind(),
		Namespace:  obj.GetNamespace(),
		Name:       obj.GetName(),
		Labels:     obj.GetLabels(),
	}
}

// Specificity says how precisely a selector matched. Higher is more specific;
// the zero value means no match. The ordering is Karmada's implicit priority.
type Specificity int

// Specificities, from no match to the most specific.
const (
	NoMatch    Specificity = 0
	MatchAll   Specificity = 1 // apiVersion and kind only
	MatchLabel Specificity = 2 // labelSelector matched
	MatchName  Specificity = 3 // name matched (labelSelector ignored)
)

// String returns a short human name used in plan output and tests.
func (s Specificity) String() string {
	switch s {
	case MatchAll:
		return "match-all"
	case MatchLabel:
		return "label"
	case MatchName:
		return "name"
	default:
		return "none"
	}
}

// Match reports how rs matches key. defaultNamespace stands in for an empty
// selector namespace: a PropagationPolicy or OverridePolicy passes its own
// namespace, a cluster-scoped policy passes "" (any namespace).
func Match(rs *policyv1alpha1.ResourceSelector, defaultNamespace string, key *ResourceKey) Specificity {
	if rs.APIVersion != key.APIVersion || rs.Kind != key.Kind {
		return NoMatch
	}
	ns := rs.Namespace
	if ns == "" {
		ns = defaultNamespace
	}
	if ns != "" && ns != key.Namespace {
		return NoMatch
	}
	if rs.Name != "" {
		if rs.Name == key.Name {
			return MatchName
		}
		return NoMatch
	}
	if rs.LabelSelector == nil {
		return MatchAll
	}
	if labelsMatch(rs.LabelSelector, key.Labels) {
		return MatchLabel
	}
	return NoMatch
}

// MatchAny returns the highest specificity over selectors (NoMatch if none
// matches). A policy with no selectors selects nothing here; callers whose
// semantics say "empty means all" (override policies) handle that themselves.
func MatchAny(selectors []policyv1alpha1.ResourceSelector, defaultNamespace string, key *ResourceKey) Specificity {
	best := NoMatch
	for i := range selectors {
		if s := Match(&selectors[i], defaultNamespace, key); s > best {
			best = s
			if best == MatchName {
				break // nothing beats a name match
			}
		}
	}
	return best
}

// labelsMatch treats an invalid selector as matching nothing: an unparsable
// selector must not claim every resource.
func labelsMatch(ls *metav1.LabelSelector, lbls map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return false
	}
	return sel.Matches(labels.Set(lbls))
}
