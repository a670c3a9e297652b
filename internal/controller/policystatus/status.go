// Package policystatus writes the status of propagation and override
// policies: how many resource templates each claims (or applies to), the
// first of them, and a Ready condition that names what is wrong with the
// policy itself, so `kubectl get pp` shows a broken policy and the message
// points at the policy's field, not at a generated binding.
package policystatus

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// Binding is what the status needs of one binding.
type Binding struct {
	Resource workv1alpha1.ObjectReference
	Status   *workv1alpha1.ResourceBindingStatus
}

// probe is a one-cluster fleet: scheduling against it reaches every check
// of the placement that does not depend on the real clusters.
var probe = func() *scheduler.Snapshot {
	s, err := scheduler.NewSnapshot([]scheduler.Cluster{{Name: "probe"}}, nil)
	if err != nil {
		panic(err)
	}
	return s
}()

// CheckPropagation returns the problems of a propagation spec that the
// hub's admission does not refuse but the detector or scheduler cannot act
// on, each naming the field and the fix. It uses the scheduler core itself,
// so it finds exactly what scheduling would fail on.
func CheckPropagation(spec *policyv1alpha1.PropagationSpec) []string {
	var out []string
	for i, rs := range spec.ResourceSelectors {
		if rs.LabelSelector == nil {
			continue
		}
		if _, err := metav1.LabelSelectorAsSelector(rs.LabelSelector); err != nil {
			out = append(out, fmt.Sprintf("spec.resourceSelectors[%d].labelSelector: %v; it matches nothing until fixed", i, err))
		}
	}
	for field, tols := range map[string][]corev1.Toleration{"clusterTolerations": spec.Placement.ClusterTolerations, "tolerations": spec.Placement.Tolerations} {
		for i, t := range tols {
			if t.Key != "" {
				if errs := validation.IsQualifiedName(t.Key); len(errs) > 0 {
					out = append(out, fmt.Sprintf("spec.placement.%s[%d].key %q: %s; it tolerates no taint until fixed", field, i, t.Key, strings.Join(errs, "; ")))
				}
			}
			if t.Value != "" {
				if errs := validation.IsValidLabelValue(t.Value); len(errs) > 0 {
					out = append(out, fmt.Sprintf("spec.placement.%s[%d].value %q: %s; it tolerates no taint until fixed", field, i, t.Value, strings.Join(errs, "; ")))
				}
			}
		}
	}
	slices.Sort(out) // the map above has no order
	placement := spec.Placement
	_, err := scheduler.Schedule(probe, scheduler.Request{
		Resource:  scheduler.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "probe"},
		Replicas:  1,
		Placement: &placement,
	})
	var ue *scheduler.UnschedulableError
	if err != nil && !errors.As(err, &ue) {
		out = append(out, fmt.Sprintf("spec.placement: %v", err))
	}
	return out
}

// CheckOverride returns the problems of an override spec that admission
// does not refuse (label syntax inside maps): the label keys and values a
// labelsOverrider would write and the annotation keys, which a member would
// refuse at apply time.
func CheckOverride(spec *policyv1alpha1.OverrideSpec) []string {
	var out []string
	for r, rule := range spec.Rules() {
		for i, o := range rule.Overriders.LabelsOverrider {
			for _, k := range sortedKeys(o.Value) {
				if errs := validation.IsQualifiedName(k); len(errs) > 0 {
					out = append(out, fmt.Sprintf("rule %d labelsOverrider[%d] key %q: %s", r, i, k, strings.Join(errs, "; ")))
				}
				if errs := validation.IsValidLabelValue(o.Value[k]); o.Operator != policyv1alpha1.OverriderOpRemove && len(errs) > 0 {
					out = append(out, fmt.Sprintf("rule %d labelsOverrider[%d] value of %q: %s", r, i, k, strings.Join(errs, "; ")))
				}
			}
		}
		for i, o := range rule.Overriders.AnnotationsOverrider {
			for _, k := range sortedKeys(o.Value) {
				if errs := validation.IsQualifiedName(k); len(errs) > 0 {
					out = append(out, fmt.Sprintf("rule %d annotationsOverrider[%d] key %q: %s", r, i, k, strings.Join(errs, "; ")))
				}
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Compute is a policy's status from its problems and the bindings it
// claims (or applies to). failed says whether a binding failed because of
// this policy, and with which message ("" when it did not).
func Compute(generation int64, problems []string, claimed []Binding, failed func(Binding) string) policyv1alpha1.PolicyStatus {
	st := policyv1alpha1.PolicyStatus{ObservedGeneration: generation, ClaimedResources: int32(len(claimed))}
	refs := make([]policyv1alpha1.PolicyResource, 0, len(claimed))
	var failures []string
	for _, b := range claimed {
		r := b.Resource
		refs = append(refs, policyv1alpha1.PolicyResource{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name})
		if msg := failed(b); msg != "" {
			failures = append(failures, fmt.Sprintf("%s %s: %s", r.Kind, objectName(r.Namespace, r.Name), msg))
		}
	}
	slices.SortFunc(refs, func(a, b policyv1alpha1.PolicyResource) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.APIVersion, b.APIVersion))
	})
	slices.Sort(failures)
	if len(refs) > policyv1alpha1.MaxListedResources {
		refs = refs[:policyv1alpha1.MaxListedResources]
	}
	if len(refs) > 0 {
		st.Resources = refs
	}

	c := metav1.Condition{Type: policyv1alpha1.PolicyConditionReady, ObservedGeneration: generation}
	switch {
	case len(problems) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, policyv1alpha1.PolicyReasonInvalid
		c.Message = strings.Join(problems, "; ")
	case len(failures) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, policyv1alpha1.PolicyReasonBindingFailed
		c.Message = fmt.Sprintf("%d of %d claimed resources failed: %s", len(failures), len(claimed), failures[0])
		if len(failures) > 1 {
			c.Message += fmt.Sprintf(" (and %d more; kurator get rb)", len(failures)-1)
		}
	case len(claimed) == 0:
		c.Status, c.Reason = metav1.ConditionTrue, policyv1alpha1.PolicyReasonNoMatch
		c.Message = "no resource template matches spec.resourceSelectors yet"
	default:
		c.Status, c.Reason = metav1.ConditionTrue, policyv1alpha1.PolicyReasonClaiming
		c.Message = fmt.Sprintf("claims %d resource templates", len(claimed))
		if len(claimed) == 1 {
			c.Message = "claims 1 resource template"
		}
	}
	st.Conditions = []metav1.Condition{c}
	return st
}

func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
