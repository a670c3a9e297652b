package dashboard

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// Policies lists the policies, sorted by kind, namespace and name.
func Policies(pps []policyv1alpha1.PropagationPolicy, cpps []policyv1alpha1.ClusterPropagationPolicy,
	ops []policyv1alpha1.OverridePolicy, cops []policyv1alpha1.ClusterOverridePolicy) PolicyList {
	l := PolicyList{Items: []PolicySummary{}}
	for i := range pps {
		p := &pps[i]
		l.Items = append(l.Items, propagation("PropagationPolicy", p.ObjectMeta, &p.Spec, &p.Status))
	}
	for i := range cpps {
		p := &cpps[i]
		l.Items = append(l.Items, propagation("ClusterPropagationPolicy", p.ObjectMeta, &p.Spec, &p.Status))
	}
	for i := range ops {
		p := &ops[i]
		l.Items = append(l.Items, override("OverridePolicy", p.ObjectMeta, &p.Spec, &p.Status))
	}
	for i := range cops {
		p := &cops[i]
		l.Items = append(l.Items, override("ClusterOverridePolicy", p.ObjectMeta, &p.Spec, &p.Status))
	}
	sort.SliceStable(l.Items, func(i, j int) bool {
		a, b := l.Items[i].Ref, l.Items[j].Ref
		if a.Kind != b.Kind {
			return a.Kind > b.Kind // Propagation before Override, namespaced before Cluster
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return l
}

func policyBase(kind string, m metav1.ObjectMeta, sels []policyv1alpha1.ResourceSelector, st *policyv1alpha1.PolicyStatus) PolicySummary {
	s := PolicySummary{Ref: ObjectRef{APIVersion: policyv1alpha1.GroupVersion.String(), Kind: kind, Namespace: m.Namespace, Name: m.Name},
		Selectors: []string{}, Resources: []ObjectRef{}, Claimed: st.ClaimedResources}
	if c := meta.FindStatusCondition(st.Conditions, policyv1alpha1.PolicyConditionReady); c != nil {
		cc := conditionOf(*c)
		s.Ready = &cc
	}
	for _, rs := range sels {
		s.Selectors = append(s.Selectors, selectorText(rs))
	}
	for _, r := range st.Resources {
		s.Resources = append(s.Resources, ObjectRef{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name})
	}
	return s
}

func selectorText(rs policyv1alpha1.ResourceSelector) string {
	parts := []string{rs.APIVersion, rs.Kind}
	switch {
	case rs.Name != "" && rs.Namespace != "":
		parts = append(parts, rs.Namespace+"/"+rs.Name)
	case rs.Name != "":
		parts = append(parts, rs.Name)
	case rs.Namespace != "":
		parts = append(parts, "in "+rs.Namespace)
	}
	if rs.LabelSelector != nil {
		parts = append(parts, "labels "+metav1.FormatLabelSelector(rs.LabelSelector))
	}
	if rs.Name == "" && rs.LabelSelector == nil {
		parts = append(parts, "(all)")
	}
	return strings.Join(parts, " ")
}

func propagation(kind string, m metav1.ObjectMeta, spec *policyv1alpha1.PropagationSpec, st *policyv1alpha1.PolicyStatus) PolicySummary {
	s := policyBase(kind, m, spec.ResourceSelectors, st)
	if spec.Priority != nil {
		s.Priority = *spec.Priority
	}
	s.Summary = PlacementText(&spec.Placement)
	return s
}

func override(kind string, m metav1.ObjectMeta, spec *policyv1alpha1.OverrideSpec, st *policyv1alpha1.PolicyStatus) PolicySummary {
	s := policyBase(kind, m, spec.ResourceSelectors, st)
	var rules []string
	for _, r := range spec.Rules() {
		target := "every cluster"
		if r.TargetCluster != nil {
			target = affinityText(r.TargetCluster)
		}
		rules = append(rules, fmt.Sprintf("%s: %s", target, overridersText(&r.Overriders)))
	}
	s.Summary = strings.Join(rules, "; ")
	return s
}

func overridersText(o *policyv1alpha1.Overriders) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(len(o.Plaintext), "plaintext")
	add(len(o.ImageOverrider), "image")
	add(len(o.CommandOverrider), "command")
	add(len(o.ArgsOverrider), "args")
	add(len(o.LabelsOverrider), "labels")
	add(len(o.AnnotationsOverrider), "annotations")
	add(len(o.FieldOverrider), "field")
	if len(parts) == 0 {
		return "no overriders"
	}
	return strings.Join(parts, ", ") + " overriders"
}

// PlacementText describes a placement in words.
func PlacementText(p *policyv1alpha1.Placement) string {
	if p == nil {
		return "every cluster"
	}
	var parts []string
	switch {
	case p.ClusterAffinity != nil:
		parts = append(parts, affinityText(p.ClusterAffinity))
	case len(p.ClusterAffinities) > 0:
		var names []string
		for _, t := range p.ClusterAffinities {
			names = append(names, t.AffinityName)
		}
		parts = append(parts, "affinity terms in order: "+strings.Join(names, ", "))
	default:
		parts = append(parts, "every cluster")
	}
	for _, sc := range p.SpreadConstraints {
		field := string(sc.SpreadByField)
		if field == "" {
			field = "label " + sc.SpreadByLabel
		}
		parts = append(parts, fmt.Sprintf("spread by %s (%d-%d)", field, sc.MinGroups, sc.MaxGroups))
	}
	if rs := p.ReplicaScheduling; rs != nil {
		switch {
		case rs.ReplicaSchedulingType == policyv1alpha1.ReplicaSchedulingTypeDuplicated:
			parts = append(parts, "all replicas in each cluster")
		case rs.ReplicaDivisionPreference == policyv1alpha1.ReplicaDivisionPreferenceAggregated:
			parts = append(parts, "replicas divided, packed into few clusters")
		case rs.WeightPreference != nil && len(rs.WeightPreference.StaticWeightList) > 0:
			var ws []string
			for _, w := range rs.WeightPreference.StaticWeightList {
				ws = append(ws, fmt.Sprintf("%s=%d", strings.Join(w.TargetCluster.ClusterNames, "+"), w.Weight))
			}
			parts = append(parts, "static weights "+strings.Join(ws, ", "))
		case rs.WeightPreference != nil && rs.WeightPreference.DynamicWeight != "":
			parts = append(parts, "weights by "+string(rs.WeightPreference.DynamicWeight))
		default:
			parts = append(parts, "replicas divided")
		}
	}
	return strings.Join(parts, "; ")
}

func affinityText(a *policyv1alpha1.ClusterAffinity) string {
	var parts []string
	if len(a.ClusterNames) > 0 {
		parts = append(parts, "clusterNames: "+strings.Join(a.ClusterNames, ", "))
	}
	if len(a.Exclude) > 0 {
		parts = append(parts, "excluding "+strings.Join(a.Exclude, ", "))
	}
	if a.LabelSelector != nil {
		parts = append(parts, "labels "+metav1.FormatLabelSelector(a.LabelSelector))
	}
	if a.FieldSelector != nil {
		for _, r := range a.FieldSelector.MatchExpressions {
			parts = append(parts, fmt.Sprintf("%s %s %s", r.Key, r.Operator, strings.Join(r.Values, ",")))
		}
	}
	if len(parts) == 0 {
		return "every cluster"
	}
	return strings.Join(parts, "; ")
}
