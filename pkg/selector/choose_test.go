package selector

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func pp(ns, name string, prio *int32, sels ...policyv1alpha1.ResourceSelector) policyv1alpha1.PropagationPolicy {
	return policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       policyv1alpha1.PropagationSpec{ResourceSelectors: sels, Priority: prio},
	}
}

func cpp(name string, prio *int32, sels ...policyv1alpha1.ResourceSelector) policyv1alpha1.ClusterPropagationPolicy {
	return policyv1alpha1.ClusterPropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       policyv1alpha1.PropagationSpec{ResourceSelectors: sels, Priority: prio},
	}
}

func prio(p int32) *int32 { return &p }

var (
	byAll   = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment"}
	byName  = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "nginx"}
	byLabel = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}}
	byOther = policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
)

func TestChoosePropagationPolicy(t *testing.T) {
	tests := []struct {
		name     string
		key      ResourceKey
		pps      []policyv1alpha1.PropagationPolicy
		cpps     []policyv1alpha1.ClusterPropagationPolicy
		wantKind string
		wantName string
		wantOK   bool
	}{
		{
			name:   "no policy matches",
			key:    nginx,
			pps:    []policyv1alpha1.PropagationPolicy{pp("default", "web", nil, byOther)},
			wantOK: false,
		},
		{
			name:     "higher explicit priority beats a more specific selector",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "a-by-name", prio(1), byName), pp("default", "b-all", prio(5), byAll)},
			wantKind: KindPropagationPolicy, wantName: "b-all", wantOK: true,
		},
		{
			name:     "nil priority counts as 0 and loses to priority 1",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "a", nil, byName), pp("default", "z", prio(1), byAll)},
			wantKind: KindPropagationPolicy, wantName: "z", wantOK: true,
		},
		{
			name:     "negative priority loses to nil priority",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "a", prio(-1), byName), pp("default", "z", nil, byAll)},
			wantKind: KindPropagationPolicy, wantName: "z", wantOK: true,
		},
		{
			name:     "equal priority: name selector beats label selector beats match-all",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "a-all", nil, byAll), pp("default", "b-label", nil, byLabel), pp("default", "c-name", nil, byName)},
			wantKind: KindPropagationPolicy, wantName: "c-name", wantOK: true,
		},
		{
			name:     "equal priority: label selector beats match-all",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "a-all", nil, byAll), pp("default", "b-label", nil, byLabel)},
			wantKind: KindPropagationPolicy, wantName: "b-label", wantOK: true,
		},
		{
			name:     "policy specificity is the max over its selectors",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "a-label", nil, byLabel), pp("default", "b-mixed", nil, byAll, byName)},
			wantKind: KindPropagationPolicy, wantName: "b-mixed", wantOK: true,
		},
		{
			name:     "full tie: smaller name wins regardless of input order",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "zeta", nil, byName), pp("default", "alpha", nil, byName), pp("default", "mid", nil, byName)},
			wantKind: KindPropagationPolicy, wantName: "alpha", wantOK: true,
		},
		{
			name:     "a matching PropagationPolicy beats a ClusterPropagationPolicy of higher priority",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "local", nil, byAll)},
			cpps:     []policyv1alpha1.ClusterPropagationPolicy{cpp("global", prio(100), byName)},
			wantKind: KindPropagationPolicy, wantName: "local", wantOK: true,
		},
		{
			name:     "ClusterPropagationPolicy applies when no PropagationPolicy matches",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "web", nil, byOther)},
			cpps:     []policyv1alpha1.ClusterPropagationPolicy{cpp("b-global", nil, byAll), cpp("a-global", nil, byAll)},
			wantKind: KindClusterPropagationPolicy, wantName: "a-global", wantOK: true,
		},
		{
			name:     "ClusterPropagationPolicies compare by priority too",
			key:      nginx,
			cpps:     []policyv1alpha1.ClusterPropagationPolicy{cpp("a", nil, byName), cpp("b", prio(2), byAll)},
			wantKind: KindClusterPropagationPolicy, wantName: "b", wantOK: true,
		},
		{
			name:   "PropagationPolicy in another namespace is not a candidate",
			key:    nginx,
			pps:    []policyv1alpha1.PropagationPolicy{pp("prod", "elsewhere", nil, byName)},
			wantOK: false,
		},
		{
			name:     "empty selector namespace defaults to the policy's namespace",
			key:      nginx,
			pps:      []policyv1alpha1.PropagationPolicy{pp("default", "nginx-propagation", nil, byName)},
			wantKind: KindPropagationPolicy, wantName: "nginx-propagation", wantOK: true,
		},
		{
			name: "PropagationPolicy whose selector names another namespace does not match",
			key:  nginx,
			pps: []policyv1alpha1.PropagationPolicy{pp("default", "other-ns", nil,
				policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod"})},
			wantOK: false,
		},
		{
			name:     "ClusterPropagationPolicy with empty selector namespace matches any namespace",
			key:      ResourceKey{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "team-a", Name: "nginx"},
			cpps:     []policyv1alpha1.ClusterPropagationPolicy{cpp("global", nil, byName)},
			wantKind: KindClusterPropagationPolicy, wantName: "global", wantOK: true,
		},
		{
			name: "cluster-scoped resource is only claimed by ClusterPropagationPolicies",
			key:  ResourceKey{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "reader"},
			pps: []policyv1alpha1.PropagationPolicy{pp("", "bogus", nil,
				policyv1alpha1.ResourceSelector{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"})},
			cpps: []policyv1alpha1.ClusterPropagationPolicy{cpp("roles", nil,
				policyv1alpha1.ResourceSelector{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"})},
			wantKind: KindClusterPropagationPolicy, wantName: "roles", wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ChoosePropagationPolicy(tt.key, tt.pps, tt.cpps)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (choice %+v)", ok, tt.wantOK, got)
			}
			if !ok {
				return
			}
			if got.Kind != tt.wantKind || got.Name != tt.wantName {
				t.Errorf("chose %s %s, want %s %s", got.Kind, got.Name, tt.wantKind, tt.wantName)
			}
			switch got.Kind {
			case KindPropagationPolicy:
				if tt.pps[got.Index].Name != got.Name {
					t.Errorf("Index %d points at %s", got.Index, tt.pps[got.Index].Name)
				}
			case KindClusterPropagationPolicy:
				if tt.cpps[got.Index].Name != got.Name {
					t.Errorf("Index %d points at %s", got.Index, tt.cpps[got.Index].Name)
				}
			}
		})
	}
}
