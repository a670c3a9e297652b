// Package overrides customises a resource template for one member cluster
// with OverridePolicies and ClusterOverridePolicies, following Karmada's
// semantics. It is pure: no client, clock or randomness. The binding
// controller and `kurator plan` both call it.
//
// Typical use, once per resource and then per target cluster:
//
//	policies := overrides.Select(selector.KeyOf(obj), cops, ops)
//	for _, c := range clusters {
//		out, applied, err := overrides.ApplySelected(obj, c, policies)
//		...
//	}
//
// or, for a single cluster, overrides.Apply(obj, cluster, cops, ops).
package overrides

import (
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/selector"
)

// Policy kinds named in Selected and AppliedOverride.
const (
	KindClusterOverridePolicy = "ClusterOverridePolicy"
	KindOverridePolicy        = "OverridePolicy"
)

// Selected is one override policy that selects a resource, in application
// order within the slice Select returns.
type Selected struct {
	Kind      string // KindClusterOverridePolicy or KindOverridePolicy
	Namespace string // empty for a ClusterOverridePolicy
	Name      string
	// Specificity of the policy's best selector; an empty selector list
	// counts as match-all.
	Specificity selector.Specificity
	// Spec points into the caller's policy slice; it is only read.
	Spec *policyv1alpha1.OverrideSpec
}

// AppliedOverride records a policy that changed (or was eligible to change)
// the object for one cluster: at least one of its rules targeted the cluster.
type AppliedOverride struct {
	Kind      string
	Namespace string
	Name      string
	// Rules are the indexes (into OverrideSpec.Rules()) of the rules that
	// targeted the cluster, ascending.
	Rules []int
}

// Select returns the policies that select key, in the order they apply:
// ClusterOverridePolicies before OverridePolicies (so the namespaced policy
// has the last word), within each by ascending specificity (match-all, label,
// name: the more specific policy wins conflicts), then by name.
// An OverridePolicy only sees resources in its own namespace; empty
// resourceSelectors select every resource a policy can see.
func Select(key selector.ResourceKey, cops []policyv1alpha1.ClusterOverridePolicy, ops []policyv1alpha1.OverridePolicy) []Selected {
	var out []Selected
	for i := range cops {
		p := &cops[i]
		if s := specificity(&p.Spec, "", &key); s != selector.NoMatch {
			out = append(out, Selected{Kind: KindClusterOverridePolicy, Name: p.Name, Specificity: s, Spec: &p.Spec})
		}
	}
	for i := range ops {
		p := &ops[i]
		if key.Namespace == "" || p.Namespace != key.Namespace {
			continue
		}
		if s := specificity(&p.Spec, p.Namespace, &key); s != selector.NoMatch {
			out = append(out, Selected{Kind: KindOverridePolicy, Namespace: p.Namespace, Name: p.Name, Specificity: s, Spec: &p.Spec})
		}
	}
	slices.SortStableFunc(out, func(a, b Selected) int {
		if a.Kind != b.Kind {
			if a.Kind == KindClusterOverridePolicy {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Specificity, b.Specificity), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func specificity(spec *policyv1alpha1.OverrideSpec, defaultNamespace string, key *selector.ResourceKey) selector.Specificity {
	if len(spec.ResourceSelectors) == 0 {
		return selector.MatchAll
	}
	return selector.MatchAny(spec.ResourceSelectors, defaultNamespace, key)
}

// Apply returns a copy of obj customised for cluster by the policies among
// cops and ops that select it, and the record of which policies applied.
// obj itself is never modified; on error the copy is discarded, so no caller
// ever sees a half-overridden object. Errors are *Error.
func Apply(obj *unstructured.Unstructured, cluster ClusterInfo, cops []policyv1alpha1.ClusterOverridePolicy, ops []policyv1alpha1.OverridePolicy) (*unstructured.Unstructured, []AppliedOverride, error) {
	return ApplySelected(obj, cluster, Select(selector.KeyOf(obj), cops, ops))
}

// ApplySelected is Apply with the policy selection done beforehand by Select,
// for callers that render one resource for many clusters.
func ApplySelected(obj *unstructured.Unstructured, cluster ClusterInfo, policies []Selected) (*unstructured.Unstructured, []AppliedOverride, error) {
	out := obj.DeepCopy()
	var applied []AppliedOverride
	for i := range policies {
		p := &policies[i]
		var ruleIdx []int
		for r, rule := range p.Spec.Rules() {
			if !cluster.SelectedBy(rule.TargetCluster) {
				continue
			}
			if err := applyRule(out.Object, &rule.Overriders); err != nil {
				err.Policy, err.Rule = p.describe(), r
				return nil, nil, err
			}
			ruleIdx = append(ruleIdx, r)
		}
		if len(ruleIdx) > 0 {
			applied = append(applied, AppliedOverride{Kind: p.Kind, Namespace: p.Namespace, Name: p.Name, Rules: ruleIdx})
		}
	}
	return out, applied, nil
}

func (p *Selected) describe() string {
	if p.Namespace == "" {
		return p.Kind + " " + p.Name
	}
	return p.Kind + " " + p.Namespace + "/" + p.Name
}

// applyRule runs one rule's overriders in Karmada's fixed order: image,
// command, args, labels, annotations, field, plaintext. The returned *Error
// lacks Policy and Rule, which the caller fills in.
func applyRule(obj map[string]any, o *policyv1alpha1.Overriders) *Error {
	for i := range o.ImageOverrider {
		if err := overrideImage(obj, &o.ImageOverrider[i]); err != nil {
			return newError("", 0, fmt.Sprintf("imageOverrider[%d]", i), err)
		}
	}
	for i := range o.CommandOverrider {
		if err := overrideCommandArgs(obj, "command", &o.CommandOverrider[i]); err != nil {
			return newError("", 0, fmt.Sprintf("commandOverrider[%d]", i), err)
		}
	}
	for i := range o.ArgsOverrider {
		if err := overrideCommandArgs(obj, "args", &o.ArgsOverrider[i]); err != nil {
			return newError("", 0, fmt.Sprintf("argsOverrider[%d]", i), err)
		}
	}
	for i := range o.LabelsOverrider {
		if err := overrideMetadataMap(obj, "labels", &o.LabelsOverrider[i]); err != nil {
			return newError("", 0, fmt.Sprintf("labelsOverrider[%d]", i), err)
		}
	}
	for i := range o.AnnotationsOverrider {
		if err := overrideMetadataMap(obj, "annotations", &o.AnnotationsOverrider[i]); err != nil {
			return newError("", 0, fmt.Sprintf("annotationsOverrider[%d]", i), err)
		}
	}
	for i := range o.FieldOverrider {
		if err := overrideField(obj, &o.FieldOverrider[i]); err != nil {
			return newError("", 0, fmt.Sprintf("fieldOverrider[%d]", i), err)
		}
	}
	for i := range o.Plaintext {
		if err := overridePlaintext(obj, &o.Plaintext[i]); err != nil {
			return newError("", 0, fmt.Sprintf("plaintext[%d]", i), err)
		}
	}
	return nil
}
