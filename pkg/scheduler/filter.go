package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/selector"
)

// Reasons a filter gives. They are constants so rejecting thousands of
// clusters does not allocate thousands of strings.
const (
	reasonExcluded    = "excluded by clusterAffinity.exclude"
	reasonNotInNames  = "not in clusterNames"
	reasonLabels      = "labels do not match clusterAffinity.labelSelector"
	reasonFields      = "provider/region/zone do not match clusterAffinity.fieldSelector"
	reasonEvicting    = "being evicted from this binding (graceful eviction task)"
	reasonNotSelected = "not selected by spread constraints"
	reasonZeroWeight  = "weight 0 in staticWeightList"
	reasonNoReplicas  = "assigned 0 replicas"
)

// filter answers one question about one cluster: can it take the binding?
// It returns "" when it can and the reason when it cannot.
type filter struct {
	name  string
	check func(rc *requestContext, aff *compiledAffinity, c int) string
}

// filters run in this order; a cluster's reason is the first failing one.
// Affinity goes first because "not in clusterNames" is the answer users
// expect for a cluster they never asked for, whatever else is wrong with it.
var filters = []filter{
	{name: "ClusterAffinity", check: filterAffinity},
	{name: "ClusterEviction", check: filterEviction},
	{name: "TaintToleration", check: filterTaints},
	{name: "APIEnablement", check: filterAPIEnablement},
	{name: "SpreadConstraint", check: filterSpreadFields},
}

// compiledAffinity is a ClusterAffinity turned into index marks and parsed
// selectors once per binding, so matching a cluster is a few lookups.
type compiledAffinity struct {
	names    []bool // nil: any cluster
	exclude  []bool // nil: none
	labelSel labels.Selector
	fieldSel labels.Selector // over provider and region
	zoneReqs []corev1.NodeSelectorRequirement
}

// compileAffinity's errors name the field inside the affinity; callers add
// where the affinity sits (formatting that path only on error keeps the hot
// path free of Sprintf).
func compileAffinity(s *Snapshot, a *policyv1alpha1.ClusterAffinity) (*compiledAffinity, error) {
	ca := &compiledAffinity{}
	if a == nil {
		return ca, nil
	}
	if len(a.ClusterNames) > 0 {
		// Unknown names simply mark nothing: the cluster may join later.
		ca.names = make([]bool, len(s.clusters))
		for _, n := range a.ClusterNames {
			if i, ok := s.byName[n]; ok {
				ca.names[i] = true
			}
		}
	}
	if len(a.Exclude) > 0 {
		ca.exclude = make([]bool, len(s.clusters))
		for _, n := range a.Exclude {
			if i, ok := s.byName[n]; ok {
				ca.exclude[i] = true
			}
		}
	}
	if a.LabelSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(a.LabelSelector)
		if err != nil {
			return nil, fmt.Errorf("labelSelector: %w", err)
		}
		ca.labelSel = sel
	}
	if a.FieldSelector != nil {
		var reqs []labels.Requirement
		for i, e := range a.FieldSelector.MatchExpressions {
			switch e.Key {
			case policyv1alpha1.ProviderField, policyv1alpha1.RegionField:
				r, err := selector.NodeRequirement(e)
				if err != nil {
					return nil, fmt.Errorf("fieldSelector.matchExpressions[%d]: %w", i, err)
				}
				reqs = append(reqs, *r)
			case policyv1alpha1.ZoneField:
				switch e.Operator {
				case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
				default:
					return nil, fmt.Errorf("fieldSelector.matchExpressions[%d]: operator %q is not supported for zone; use In, NotIn, Exists or DoesNotExist", i, e.Operator)
				}
				ca.zoneReqs = append(ca.zoneReqs, e)
			default:
				return nil, fmt.Errorf("fieldSelector.matchExpressions[%d]: key %q is not a cluster field; use provider, region or zone", i, e.Key)
			}
		}
		if len(reqs) > 0 {
			ca.fieldSel = labels.NewSelector().Add(reqs...)
		}
	}
	return ca, nil
}

// reject says why cluster c does not match the affinity, or "" when it does.
func (ca *compiledAffinity) reject(ci *clusterInfo, c int) string {
	if ca.exclude != nil && ca.exclude[c] {
		return reasonExcluded
	}
	if ca.names != nil && !ca.names[c] {
		return reasonNotInNames
	}
	if ca.labelSel != nil && !ca.labelSel.Matches(ci.labels) {
		return reasonLabels
	}
	if ca.fieldSel != nil && !ca.fieldSel.Matches(ci.fieldLabels) {
		return reasonFields
	}
	for i := range ca.zoneReqs {
		if !zoneMatches(&ca.zoneReqs[i], ci.zones) {
			return reasonFields
		}
	}
	return ""
}

// zoneMatches applies one requirement to a cluster's zone list: a cluster
// may span zones, so In means "any overlap" and NotIn means "no overlap".
func zoneMatches(r *corev1.NodeSelectorRequirement, zones []string) bool {
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		for _, z := range zones {
			if slices.Contains(r.Values, z) {
				return true
			}
		}
		return false
	case corev1.NodeSelectorOpNotIn:
		for _, z := range zones {
			if slices.Contains(r.Values, z) {
				return false
			}
		}
		return true
	case corev1.NodeSelectorOpExists:
		return len(zones) > 0
	case corev1.NodeSelectorOpDoesNotExist:
		return len(zones) == 0
	}
	return false
}

func filterAffinity(rc *requestContext, aff *compiledAffinity, c int) string {
	return aff.reject(&rc.snap.clusters[c], c)
}

func filterEviction(rc *requestContext, _ *compiledAffinity, c int) string {
	if rc.evicting != nil && rc.evicting[c] {
		return reasonEvicting
	}
	return ""
}

// filterTaints rejects untolerated NoSchedule/NoExecute taints. Clusters the
// binding already runs on pass: a new taint must not reshuffle running
// replicas; NoExecute eviction is the failover controller's job.
func filterTaints(rc *requestContext, _ *compiledAffinity, c int) string {
	if rc.prev[c] >= 0 {
		return ""
	}
	ci := &rc.snap.clusters[c]
	for i := range ci.taints {
		if !tolerated(rc.tolerations, &ci.taints[i]) {
			return ci.taintReason[i]
		}
	}
	return ""
}

func tolerated(tols []corev1.Toleration, t *corev1.Taint) bool {
	for i := range tols {
		if ToleratesTaint(&tols[i], t) {
			return true
		}
	}
	return false
}

// ToleratesTaint follows Kubernetes toleration matching: an empty effect
// matches every effect, an empty key with Exists matches every key, and
// Equal (the default operator) also compares values. Karmada's readiness
// taint keys match Kurator's (clusterv1alpha1.CanonicalTaintKey).
func ToleratesTaint(tol *corev1.Toleration, t *corev1.Taint) bool {
	if tol.Effect != "" && tol.Effect != t.Effect {
		return false
	}
	if tol.Key != "" && clusterv1alpha1.CanonicalTaintKey(tol.Key) != clusterv1alpha1.CanonicalTaintKey(t.Key) {
		return false
	}
	switch tol.Operator {
	case corev1.TolerationOpExists:
		return true
	case "", corev1.TolerationOpEqual:
		return tol.Key != "" && tol.Value == t.Value
	}
	return false
}

// filterAPIEnablement rejects clusters that list their APIs and lack the
// resource's kind. Clusters already running it pass, so a discovery hiccup
// does not move a workload.
func filterAPIEnablement(rc *requestContext, _ *compiledAffinity, c int) string {
	ci := &rc.snap.clusters[c]
	if ci.apis == nil || rc.prev[c] >= 0 {
		return ""
	}
	if _, ok := ci.apis[rc.apiKey]; ok {
		return ""
	}
	return rc.apiReason
}

// filterSpreadFields rejects clusters that lack the field or label a
// placement spread constraint groups by: they belong to no group.
func filterSpreadFields(rc *requestContext, _ *compiledAffinity, c int) string {
	ci := &rc.snap.clusters[c]
	for i := range rc.placementSpread {
		if groupValue(ci, &rc.placementSpread[i]) == "" {
			return rc.spreadReasons[i]
		}
	}
	return ""
}

// nodeSelectorTermAsSelector turns a term's matchExpressions into a label
// selector over cluster labels. matchFields has no meaning for clusters.
func nodeSelectorTermAsSelector(t corev1.NodeSelectorTerm) (labels.Selector, error) {
	if len(t.MatchFields) > 0 {
		return nil, fmt.Errorf("matchFields is not supported for clusters; use matchExpressions over cluster labels")
	}
	sel := labels.NewSelector()
	for i, e := range t.MatchExpressions {
		r, err := selector.NodeRequirement(e)
		if err != nil {
			return nil, fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
		sel = sel.Add(*r)
	}
	return sel, nil
}
