package policystatus

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func TestCheckPropagation(t *testing.T) {
	sel := func(s *metav1.LabelSelector) policyv1alpha1.PropagationSpec {
		return policyv1alpha1.PropagationSpec{ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: s}}}
	}
	tests := []struct {
		name string
		spec policyv1alpha1.PropagationSpec
		want string // a fragment of the only problem; "" for none
	}{
		{name: "a valid policy has no problem", spec: sel(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}})},
		{name: "a selector operator the detector cannot parse is reported on its field", spec: sel(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near", Values: []string{"x"}}}}),
			want: "spec.resourceSelectors[0].labelSelector"},
		{name: "an unknown division preference is reported on spec.placement", spec: func() policyv1alpha1.PropagationSpec {
			s := sel(nil)
			s.Placement.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided, ReplicaDivisionPreference: "Random"}
			return s
		}(), want: "spec.placement"},
		{name: "a toleration key that is not a label key is reported (it tolerates nothing)", spec: func() policyv1alpha1.PropagationSpec {
			s := sel(nil)
			s.Placement.ClusterTolerations = []corev1.Toleration{{Key: "bad key!", Operator: corev1.TolerationOpExists}}
			return s
		}(), want: "spec.placement.clusterTolerations[0].key"},
		{name: "a placement no cluster fits is not a policy problem", spec: func() policyv1alpha1.PropagationSpec {
			s := sel(nil)
			s.Placement.ClusterAffinity = &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"nowhere"}}
			return s
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckPropagation(&tt.spec)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestCompute(t *testing.T) {
	bound := func(name string, scheduled metav1.ConditionStatus, msg string) Binding {
		return Binding{
			Resource: workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: name},
			Status:   &workv1alpha1.ResourceBindingStatus{Conditions: []metav1.Condition{{Type: workv1alpha1.ConditionScheduled, Status: scheduled, Message: msg}}},
		}
	}
	many := make([]Binding, 0, 25)
	for i := range 25 {
		many = append(many, bound(fmt.Sprintf("web-%02d", i), metav1.ConditionTrue, ""))
	}
	tests := []struct {
		name       string
		problems   []string
		claimed    []Binding
		wantStatus metav1.ConditionStatus
		wantReason string
		wantMsg    string
		wantListed int
	}{
		{name: "claims nothing: Ready, NoMatch", wantStatus: "True", wantReason: policyv1alpha1.PolicyReasonNoMatch, wantMsg: "no resource template"},
		{name: "claims two, both scheduled: Ready, Claiming, both listed", claimed: []Binding{bound("b", "True", ""), bound("a", "True", "")},
			wantStatus: "True", wantReason: policyv1alpha1.PolicyReasonClaiming, wantMsg: "claims 2 resource templates", wantListed: 2},
		{name: "one of two unschedulable: not Ready, names the resource and the binding's message", claimed: []Binding{bound("a", "True", ""), bound("b", "False", "0/3 clusters fit")},
			wantStatus: "False", wantReason: policyv1alpha1.PolicyReasonBindingFailed, wantMsg: "1 of 2 claimed resources failed: Deployment default/b: 0/3 clusters fit", wantListed: 2},
		{name: "a policy problem wins over binding failures", problems: []string{"spec.placement: bad"}, claimed: []Binding{bound("b", "False", "x")},
			wantStatus: "False", wantReason: policyv1alpha1.PolicyReasonInvalid, wantMsg: "spec.placement: bad", wantListed: 1},
		{name: "25 claimed: all counted, 20 listed", claimed: many, wantStatus: "True", wantReason: policyv1alpha1.PolicyReasonClaiming, wantMsg: "claims 25 resource templates", wantListed: policyv1alpha1.MaxListedResources},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Compute(3, tt.problems, tt.claimed, scheduleFailure)
			c := st.Conditions[0]
			if c.Status != tt.wantStatus || c.Reason != tt.wantReason || !strings.Contains(c.Message, tt.wantMsg) || c.ObservedGeneration != 3 {
				t.Errorf("condition %+v, want %s/%s containing %q", c, tt.wantStatus, tt.wantReason, tt.wantMsg)
			}
			if int(st.ClaimedResources) != len(tt.claimed) || len(st.Resources) != tt.wantListed {
				t.Errorf("claimed %d listed %d, want %d and %d", st.ClaimedResources, len(st.Resources), len(tt.claimed), tt.wantListed)
			}
			for i := 1; i < len(st.Resources); i++ {
				if st.Resources[i-1].Name > st.Resources[i].Name {
					t.Errorf("resources not sorted: %v", st.Resources)
				}
			}
		})
	}
}

func TestOverrideFailureNamesOnlyTheFailingPolicy(t *testing.T) {
	b := Binding{Status: &workv1alpha1.ResourceBindingStatus{Conditions: []metav1.Condition{{
		Type: workv1alpha1.ConditionWorksRendered, Status: "False", Reason: workv1alpha1.ReasonOverrideFailed,
		Message: "render for cluster-a: OverridePolicy default/bad rule 0 plaintext[0]: path /spec/x: not found",
	}}}}
	if overrideFailure(workv1alpha1.OverrideReference{Kind: kindOP, Namespace: "default", Name: "bad"})(b) == "" {
		t.Error("the failing policy is not told")
	}
	if overrideFailure(workv1alpha1.OverrideReference{Kind: kindOP, Namespace: "default", Name: "ba"})(b) != "" {
		t.Error("a policy whose name is a prefix of the failing one is blamed")
	}
}

func TestCheckOverride(t *testing.T) {
	spec := func(o policyv1alpha1.Overriders) policyv1alpha1.OverrideSpec {
		return policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{Overriders: o}}}
	}
	tests := []struct {
		name string
		spec policyv1alpha1.OverrideSpec
		want string
	}{
		{name: "valid labels and annotations: no problem", spec: spec(policyv1alpha1.Overriders{
			LabelsOverrider:      []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"env": "prod"}}},
			AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"kurator.dev/note": "any text, spaces too"}}},
		})},
		{name: "a label value with a space would be refused by every member", spec: spec(policyv1alpha1.Overriders{
			LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"env": "pro d"}}},
		}), want: `rule 0 labelsOverrider[0] value of "env"`},
		{name: "an annotation key with a space is reported", spec: spec(policyv1alpha1.Overriders{
			AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"my note": "x"}}},
		}), want: `annotationsOverrider[0] key "my note"`},
		{name: "remove ignores values", spec: spec(policyv1alpha1.Overriders{
			LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpRemove, Value: map[string]string{"env": "not a value!"}}},
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckOverride(&tt.spec)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}
