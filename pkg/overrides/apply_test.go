package overrides

import (
	"errors"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/selector"
)

var (
	selAll   = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment"}
	selName  = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	selLabel = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}
	selOther = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "other"}
)

// setLabel is a rule that sets label "winner" to v on every cluster.
func setLabel(v string) []policyv1alpha1.RuleWithCluster {
	return []policyv1alpha1.RuleWithCluster{{Overriders: policyv1alpha1.Overriders{
		LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"winner": v}}},
	}}}
}

func op(ns, name string, rules []policyv1alpha1.RuleWithCluster, sels ...policyv1alpha1.ResourceSelector) policyv1alpha1.OverridePolicy {
	return policyv1alpha1.OverridePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: policyv1alpha1.OverrideSpec{ResourceSelectors: sels, OverrideRules: rules}}
}

func cop(name string, rules []policyv1alpha1.RuleWithCluster, sels ...policyv1alpha1.ResourceSelector) policyv1alpha1.ClusterOverridePolicy {
	return policyv1alpha1.ClusterOverridePolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: policyv1alpha1.OverrideSpec{ResourceSelectors: sels, OverrideRules: rules}}
}

func TestPolicyOrder(t *testing.T) {
	tests := []struct {
		name       string
		cops       []policyv1alpha1.ClusterOverridePolicy
		ops        []policyv1alpha1.OverridePolicy
		wantWinner string // value of the label set last
		wantOrder  []string
	}{
		{
			name:       "OverridePolicy applies after ClusterOverridePolicy and wins",
			cops:       []policyv1alpha1.ClusterOverridePolicy{cop("global", setLabel("cop"), selName)},
			ops:        []policyv1alpha1.OverridePolicy{op("default", "local", setLabel("op"), selAll)},
			wantWinner: "op",
			wantOrder:  []string{"ClusterOverridePolicy global", "OverridePolicy default/local"},
		},
		{
			name: "more specific policy applies later and wins: match-all < label < name",
			ops: []policyv1alpha1.OverridePolicy{
				op("default", "a-name", setLabel("name"), selName),
				op("default", "b-label", setLabel("label"), selLabel),
				op("default", "c-all", setLabel("all"), selAll),
			},
			wantWinner: "name",
			wantOrder:  []string{"OverridePolicy default/c-all", "OverridePolicy default/b-label", "OverridePolicy default/a-name"},
		},
		{
			name:       "equal specificity: names ascending, so the larger name wins",
			ops:        []policyv1alpha1.OverridePolicy{op("default", "zeta", setLabel("zeta"), selAll), op("default", "alpha", setLabel("alpha"), selAll)},
			wantWinner: "zeta",
			wantOrder:  []string{"OverridePolicy default/alpha", "OverridePolicy default/zeta"},
		},
		{
			name:       "empty resourceSelectors select everything, as match-all",
			ops:        []policyv1alpha1.OverridePolicy{op("default", "a-everything", setLabel("everything")), op("default", "b-all", setLabel("all"), selAll)},
			wantWinner: "all",
			wantOrder:  []string{"OverridePolicy default/a-everything", "OverridePolicy default/b-all"},
		},
		{
			name:       "ClusterOverridePolicies order among themselves by specificity too",
			cops:       []policyv1alpha1.ClusterOverridePolicy{cop("a", setLabel("a"), selName), cop("b", setLabel("b"))},
			wantWinner: "a",
			wantOrder:  []string{"ClusterOverridePolicy b", "ClusterOverridePolicy a"},
		},
		{
			name:       "OverridePolicy in another namespace does not apply",
			ops:        []policyv1alpha1.OverridePolicy{op("prod", "elsewhere", setLabel("prod")), op("default", "here", setLabel("here"), selAll)},
			wantWinner: "here",
			wantOrder:  []string{"OverridePolicy default/here"},
		},
		{
			name:       "selector naming another resource does not apply",
			ops:        []policyv1alpha1.OverridePolicy{op("default", "other", setLabel("other"), selOther), op("default", "here", setLabel("here"), selAll)},
			wantWinner: "here",
			wantOrder:  []string{"OverridePolicy default/here"},
		},
		{
			name: "OverridePolicy selector naming another namespace does not apply",
			ops: []policyv1alpha1.OverridePolicy{op("default", "explicit-other-ns", setLabel("x"),
				policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod"})},
			wantWinner: "",
			wantOrder:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := mustObject(t, deployment)
			var order []string
			for _, s := range Select(selector.KeyOf(obj), tt.cops, tt.ops) {
				order = append(order, s.describe())
			}
			if !reflect.DeepEqual(order, tt.wantOrder) {
				t.Errorf("order = %q, want %q", order, tt.wantOrder)
			}
			out, applied, err := Apply(obj, ClusterInfo{Name: "c1"}, tt.cops, tt.ops)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.GetLabels()["winner"]; got != tt.wantWinner {
				t.Errorf("winner = %q, want %q", got, tt.wantWinner)
			}
			if len(applied) != len(tt.wantOrder) {
				t.Errorf("applied %d policies, want %d: %+v", len(applied), len(tt.wantOrder), applied)
			}
		})
	}
}

func TestClusterOverridePolicyWithoutSelectorsReachesClusterScopedResources(t *testing.T) {
	ns := mustObject(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n")
	out, applied, err := Apply(ns, ClusterInfo{Name: "c1"},
		[]policyv1alpha1.ClusterOverridePolicy{cop("all", setLabel("cop"))},
		[]policyv1alpha1.OverridePolicy{op("", "none", setLabel("op"))})
	if err != nil {
		t.Fatal(err)
	}
	if out.GetLabels()["winner"] != "cop" || len(applied) != 1 {
		t.Errorf("labels %v, applied %+v; want only the ClusterOverridePolicy", out.GetLabels(), applied)
	}
}

func TestRulesFollowTargetCluster(t *testing.T) {
	label := func(k, v string) policyv1alpha1.Overriders {
		return policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{k: v}}}}
	}
	policy := op("default", "p", []policyv1alpha1.RuleWithCluster{
		{Overriders: label("all", "yes")},
		{TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"east-1"}}, Overriders: label("step", "1")},
		{TargetCluster: &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"region": "east"}}}, Overriders: label("step", "2")},
		{TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"nowhere"}}, Overriders: label("never", "x")},
	}, selName)
	tests := []struct {
		cluster    ClusterInfo
		wantLabels map[string]string
		wantRules  []int
	}{
		{ClusterInfo{Name: "east-1", Labels: map[string]string{"region": "east"}}, map[string]string{"all": "yes", "step": "2"}, []int{0, 1, 2}},
		{ClusterInfo{Name: "east-2", Labels: map[string]string{"region": "east"}}, map[string]string{"all": "yes", "step": "2"}, []int{0, 2}},
		{ClusterInfo{Name: "east-1"}, map[string]string{"all": "yes", "step": "1"}, []int{0, 1}},
		{ClusterInfo{Name: "west-1"}, map[string]string{"all": "yes"}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.cluster.Name+" "+tt.cluster.Labels["region"], func(t *testing.T) {
			out, applied, err := Apply(mustObject(t, deployment), tt.cluster, nil, []policyv1alpha1.OverridePolicy{policy})
			if err != nil {
				t.Fatal(err)
			}
			got := out.GetLabels()
			delete(got, "app")
			delete(got, "tier")
			if !reflect.DeepEqual(got, tt.wantLabels) {
				t.Errorf("labels = %v, want %v", got, tt.wantLabels)
			}
			if len(applied) != 1 || !reflect.DeepEqual(applied[0].Rules, tt.wantRules) {
				t.Errorf("applied = %+v, want rules %v", applied, tt.wantRules)
			}
		})
	}
}

func TestDeprecatedSingleRuleFormAppliesFirst(t *testing.T) {
	policy := op("default", "old-style", setLabel("new"), selName)
	policy.Spec.TargetCluster = &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"c1"}}
	policy.Spec.Overriders = policyv1alpha1.Overriders{LabelsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"winner": "old", "legacy": "yes"}}}}
	out, applied, err := Apply(mustObject(t, deployment), ClusterInfo{Name: "c1"}, nil, []policyv1alpha1.OverridePolicy{policy})
	if err != nil {
		t.Fatal(err)
	}
	if out.GetLabels()["winner"] != "new" || out.GetLabels()["legacy"] != "yes" {
		t.Errorf("labels = %v, want legacy rule first, overrideRules after", out.GetLabels())
	}
	if !reflect.DeepEqual(applied[0].Rules, []int{0, 1}) {
		t.Errorf("rules = %v, want [0 1]", applied[0].Rules)
	}
}

func TestFailedApplyLeavesNoHalfModifiedObject(t *testing.T) {
	policy := op("default", "cross-cloud-config", []policyv1alpha1.RuleWithCluster{
		{Overriders: setLabel("first")[0].Overriders},
		{Overriders: policyv1alpha1.Overriders{
			ImageOverrider: []policyv1alpha1.ImageOverrider{{Component: policyv1alpha1.ImageTag, Operator: policyv1alpha1.OverriderOpReplace, Value: "2"}},
			Plaintext:      []policyv1alpha1.PlaintextOverrider{{Path: "/spec/foo", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("1")}},
		}},
	}, selName)
	obj := mustObject(t, deployment)
	before := obj.DeepCopy()
	out, applied, err := Apply(obj, ClusterInfo{Name: "c1"}, nil, []policyv1alpha1.OverridePolicy{policy})
	if out != nil || applied != nil {
		t.Errorf("failed Apply returned %v, %v", out, applied)
	}
	const want = `OverridePolicy default/cross-cloud-config rule 1 plaintext[0]: path /spec/foo: key "foo" not found (use add to create it)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	var oe *Error
	if !errors.As(err, &oe) || oe.Rule != 1 || oe.Overrider != "plaintext[0]" || oe.Path != "/spec/foo" || oe.Policy != "OverridePolicy default/cross-cloud-config" {
		t.Errorf("error fields = %+v", oe)
	}
	if !reflect.DeepEqual(obj, before) {
		t.Error("input object was modified")
	}
}

func TestClusterOverridePolicyErrorNamesThePolicyWithoutNamespace(t *testing.T) {
	bad := cop("global", []policyv1alpha1.RuleWithCluster{{Overriders: policyv1alpha1.Overriders{
		CommandOverrider: []policyv1alpha1.CommandArgsOverrider{{ContainerName: "app", Operator: policyv1alpha1.OverriderOpReplace}},
	}}})
	_, _, err := Apply(mustObject(t, deployment), ClusterInfo{Name: "c1"}, []policyv1alpha1.ClusterOverridePolicy{bad}, nil)
	const want = `ClusterOverridePolicy global rule 0 commandOverrider[0]: unknown operator "replace" (want add or remove)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}
