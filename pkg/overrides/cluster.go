package overrides

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// ClusterInfo is what a rule's targetCluster can look at. The scheduler has a
// richer cluster view; callers convert (the fields are plain copies).
type ClusterInfo struct {
	Name     string
	Labels   map[string]string
	Provider string
	Region   string
	Zones    []string
}

// SelectedBy reports whether affinity (a rule's targetCluster) selects the
// cluster. A nil affinity selects every cluster. All given conditions must
// hold: not excluded, in clusterNames when that is non-empty, labelSelector,
// fieldSelector.
func (c *ClusterInfo) SelectedBy(affinity *policyv1alpha1.ClusterAffinity) bool {
	if affinity == nil {
		return true
	}
	if slices.Contains(affinity.Exclude, c.Name) {
		return false
	}
	if len(affinity.ClusterNames) > 0 && !slices.Contains(affinity.ClusterNames, c.Name) {
		return false
	}
	if affinity.LabelSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(affinity.LabelSelector)
		// An invalid selector selects nothing rather than everything.
		if err != nil || !sel.Matches(labels.Set(c.Labels)) {
			return false
		}
	}
	if affinity.FieldSelector != nil {
		for i := range affinity.FieldSelector.MatchExpressions {
			if !c.fieldMatches(&affinity.FieldSelector.MatchExpressions[i]) {
				return false
			}
		}
	}
	return true
}

// fieldMatches evaluates one fieldSelector requirement. provider and region
// are single values (empty = absent); zone is a set, so In means any overlap.
// Other keys and operators (Gt, Lt) never match: the API only defines these.
func (c *ClusterInfo) fieldMatches(req *corev1.NodeSelectorRequirement) bool {
	var have []string
	switch req.Key {
	case policyv1alpha1.ProviderField:
		if c.Provider != "" {
			have = []string{c.Provider}
		}
	case policyv1alpha1.RegionField:
		if c.Region != "" {
			have = []string{c.Region}
		}
	case policyv1alpha1.ZoneField:
		have = c.Zones
	default:
		return false
	}
	switch req.Operator {
	case corev1.NodeSelectorOpIn:
		return overlaps(have, req.Values)
	case corev1.NodeSelectorOpNotIn:
		return !overlaps(have, req.Values)
	case corev1.NodeSelectorOpExists:
		return len(have) > 0
	case corev1.NodeSelectorOpDoesNotExist:
		return len(have) == 0
	default:
		return false
	}
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
