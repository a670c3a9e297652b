package overrides

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/selector"
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

// fieldMatches evaluates one fieldSelector requirement as Karmada v1.19 does.
// zone is a set (a cluster may span zones): In means any overlap, NotIn no
// overlap. Every other key is read like a label selector over the cluster's
// provider and region (set when non-empty), so NotIn and DoesNotExist hold
// for keys a cluster does not have, Gt and Lt compare integers, and a
// requirement a label selector would refuse (In without values, Exists with
// values, an invalid key) matches nothing.
func (c *ClusterInfo) fieldMatches(req *corev1.NodeSelectorRequirement) bool {
	if req.Key == policyv1alpha1.ZoneField {
		return zonesMatch(req, c.Zones)
	}
	r, err := selector.NodeRequirement(*req)
	if err != nil {
		return false
	}
	return r.Matches(clusterFields{c})
}

// clusterFields shows a cluster's provider and region as labels.
type clusterFields struct{ c *ClusterInfo }

func (f clusterFields) Get(key string) string {
	switch key {
	case policyv1alpha1.ProviderField:
		return f.c.Provider
	case policyv1alpha1.RegionField:
		return f.c.Region
	}
	return ""
}

func (f clusterFields) Has(key string) bool { return f.Get(key) != "" }

func (f clusterFields) Lookup(key string) (string, bool) {
	v := f.Get(key)
	return v, v != ""
}

// zonesMatch applies a zone requirement to a cluster's zones.
func zonesMatch(req *corev1.NodeSelectorRequirement, zones []string) bool {
	switch req.Operator {
	case corev1.NodeSelectorOpIn:
		return overlaps(zones, req.Values)
	case corev1.NodeSelectorOpNotIn:
		return !overlaps(zones, req.Values)
	case corev1.NodeSelectorOpExists:
		return len(zones) > 0
	case corev1.NodeSelectorOpDoesNotExist:
		return len(zones) == 0
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
