package scheduler

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// Object is what policy matching needs to know about a resource template.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string // empty for cluster-scoped resources
	Name       string
	Labels     map[string]string
}

// Policy kinds in PolicyRef.Kind.
const (
	KindPropagationPolicy        = "PropagationPolicy"
	KindClusterPropagationPolicy = "ClusterPropagationPolicy"
)

// PolicyRef names the policy that claims a resource.
type PolicyRef struct {
	Kind      string
	Namespace string
	Name      string
}

// PolicyChoice is the winning policy and its spec.
type PolicyChoice struct {
	Ref  PolicyRef
	Spec *policyv1alpha1.PropagationSpec
}

// How specific a selector match is; higher wins between equal priorities.
const (
	noMatch         = 0
	matchAll        = 1 // no name, no labelSelector
	matchByLabels   = 2 // labelSelector matches
	matchByName     = 3 // name equal (labelSelector ignored)
	defaultPriority = 0
)

// ChoosePolicy picks the policy that propagates obj, or nil when none
// matches. Namespaced PropagationPolicies in obj's namespace come first;
// ClusterPropagationPolicies are considered only when none of them matches.
// Among candidates: highest priority, then most specific selector (name >
// labelSelector > match-all), then name ascending. Claims that stick to an
// earlier winner and preemption are the detector's business, not this one.
func ChoosePolicy(obj Object, pps []policyv1alpha1.PropagationPolicy, cpps []policyv1alpha1.ClusterPropagationPolicy) (*PolicyChoice, error) {
	var best *PolicyChoice
	var bestPrio int32
	var bestSpec int
	consider := func(ref PolicyRef, spec *policyv1alpha1.PropagationSpec, defaultNS string) error {
		specificity, err := policySpecificity(obj, spec.ResourceSelectors, defaultNS)
		if err != nil {
			return fmt.Errorf("%s %s: %w", ref.Kind, qualified(ref.Namespace, ref.Name), err)
		}
		if specificity == noMatch {
			return nil
		}
		prio := int32(defaultPriority)
		if spec.Priority != nil {
			prio = *spec.Priority
		}
		if best == nil || prio > bestPrio ||
			(prio == bestPrio && (specificity > bestSpec || (specificity == bestSpec && ref.Name < best.Ref.Name))) {
			best = &PolicyChoice{Ref: ref, Spec: spec}
			bestPrio, bestSpec = prio, specificity
		}
		return nil
	}

	if obj.Namespace != "" {
		for i := range pps {
			pp := &pps[i]
			// A PropagationPolicy only ever selects resources in its own
			// namespace.
			if pp.Namespace != obj.Namespace {
				continue
			}
			ref := PolicyRef{Kind: KindPropagationPolicy, Namespace: pp.Namespace, Name: pp.Name}
			if err := consider(ref, &pp.Spec, pp.Namespace); err != nil {
				return nil, err
			}
		}
		if best != nil {
			return best, nil
		}
	}
	for i := range cpps {
		cpp := &cpps[i]
		ref := PolicyRef{Kind: KindClusterPropagationPolicy, Name: cpp.Name}
		if err := consider(ref, &cpp.Spec, ""); err != nil {
			return nil, err
		}
	}
	return best, nil
}

// policySpecificity is the best match of obj over a policy's selectors.
// defaultNS replaces an empty selector namespace (a PropagationPolicy's own).
func policySpecificity(obj Object, selectors []policyv1alpha1.ResourceSelector, defaultNS string) (int, error) {
	best := noMatch
	for i := range selectors {
		rs := &selectors[i]
		if rs.APIVersion != obj.APIVersion || rs.Kind != obj.Kind {
			continue
		}
		ns := rs.Namespace
		if ns == "" {
			ns = defaultNS
		}
		if ns != "" && ns != obj.Namespace {
			continue
		}
		switch {
		case rs.Name != "":
			if rs.Name == obj.Name {
				best = max(best, matchByName)
			}
		case rs.LabelSelector == nil:
			best = max(best, matchAll)
		default:
			sel, err := metav1.LabelSelectorAsSelector(rs.LabelSelector)
			if err != nil {
				return noMatch, fmt.Errorf("resourceSelectors[%d].labelSelector: %w", i, err)
			}
			if sel.Matches(labels.Set(obj.Labels)) {
				best = max(best, matchByLabels)
			}
		}
	}
	return best, nil
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
