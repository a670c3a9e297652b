package scheduler

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

func deploySel(name string, lbl *metav1.LabelSelector) policyv1alpha1.ResourceSelector {
	return policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: name, LabelSelector: lbl}
}

func TestChoosePolicy(t *testing.T) {
	nginx := Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx", Labels: map[string]string{"app": "nginx"}}
	cases := []struct {
		name string
		obj  Object
		pps  []policyv1alpha1.PropagationPolicy
		cpps []policyv1alpha1.ClusterPropagationPolicy
		want string // "Kind ns/name" or "" for none
	}{
		{
			name: "seed nginx-propagation selects nginx by name",
			obj:  nginx,
			pps:  []policyv1alpha1.PropagationPolicy{pp("default", "nginx-propagation", nil, deploySel("nginx", nil))},
			want: "PropagationPolicy default/nginx-propagation",
		},
		{
			name: "name beats labelSelector beats match-all at equal priority",
			obj:  nginx,
			pps: []policyv1alpha1.PropagationPolicy{
				pp("default", "a-all", nil, deploySel("", nil)),
				pp("default", "b-labels", nil, deploySel("", matchLabels("app", "nginx"))),
				pp("default", "c-name", nil, deploySel("nginx", nil)),
			},
			want: "PropagationPolicy default/c-name",
		},
		{
			name: "labelSelector beats match-all",
			obj:  nginx,
			pps: []policyv1alpha1.PropagationPolicy{
				pp("default", "a-all", nil, deploySel("", nil)),
				pp("default", "b-labels", nil, deploySel("", matchLabels("app", "nginx"))),
			},
			want: "PropagationPolicy default/b-labels",
		},
		{
			name: "higher priority beats a more specific selector",
			obj:  nginx,
			pps: []policyv1alpha1.PropagationPolicy{
				pp("default", "by-name", nil, deploySel("nginx", nil)),
				pp("default", "match-all", int32p(5), deploySel("", nil)),
			},
			want: "PropagationPolicy default/match-all",
		},
		{
			name: "equal priority and specificity: smaller name wins",
			obj:  nginx,
			pps: []policyv1alpha1.PropagationPolicy{
				pp("default", "zeta", nil, deploySel("nginx", nil)),
				pp("default", "alpha", nil, deploySel("nginx", nil)),
			},
			want: "PropagationPolicy default/alpha",
		},
		{
			name: "a namespaced policy wins over a higher-priority cluster policy",
			obj:  nginx,
			pps:  []policyv1alpha1.PropagationPolicy{pp("default", "ns", nil, deploySel("", nil))},
			cpps: []policyv1alpha1.ClusterPropagationPolicy{cpp("cluster", int32p(100), deploySel("nginx", nil))},
			want: "PropagationPolicy default/ns",
		},
		{
			name: "a policy in another namespace never matches; the cluster policy does",
			obj:  nginx,
			pps:  []policyv1alpha1.PropagationPolicy{pp("other", "ns", nil, deploySel("nginx", nil))},
			cpps: []policyv1alpha1.ClusterPropagationPolicy{cpp("cluster", nil, deploySel("", nil))},
			want: "ClusterPropagationPolicy cluster",
		},
		{
			name: "a name selector ignores its labelSelector",
			obj:  nginx,
			pps:  []policyv1alpha1.PropagationPolicy{pp("default", "p", nil, deploySel("nginx", matchLabels("app", "other")))},
			want: "PropagationPolicy default/p",
		},
		{
			name: "kind or apiVersion mismatch, non-matching labels: no policy",
			obj:  nginx,
			pps: []policyv1alpha1.PropagationPolicy{
				pp("default", "sts", nil, policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "StatefulSet"}),
				pp("default", "v1beta", nil, policyv1alpha1.ResourceSelector{APIVersion: "apps/v1beta1", Kind: "Deployment"}),
				pp("default", "labels", nil, deploySel("", matchLabels("app", "other"))),
			},
			want: "",
		},
		{
			name: "cluster policy selector namespace must equal the resource's",
			obj:  nginx,
			cpps: []policyv1alpha1.ClusterPropagationPolicy{
				cpp("elsewhere", nil, policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod"}),
			},
			want: "",
		},
		{
			name: "a cluster-scoped resource is matched only by cluster policies",
			obj:  Object{APIVersion: "v1", Kind: "Namespace", Name: "prod"},
			pps:  []policyv1alpha1.PropagationPolicy{pp("", "odd", nil, policyv1alpha1.ResourceSelector{APIVersion: "v1", Kind: "Namespace"})},
			cpps: []policyv1alpha1.ClusterPropagationPolicy{cpp("namespaces", nil, policyv1alpha1.ResourceSelector{APIVersion: "v1", Kind: "Namespace"})},
			want: "ClusterPropagationPolicy namespaces",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChoosePolicy(tc.obj, tc.pps, tc.cpps)
			if err != nil {
				t.Fatal(err)
			}
			s := ""
			if got != nil {
				s = got.Ref.Kind + " " + qualified(got.Ref.Namespace, got.Ref.Name)
			}
			if s != tc.want {
				t.Errorf("ChoosePolicy = %q, want %q", s, tc.want)
			}
		})
	}
}

func TestChoosePolicyBadSelectorNamesThePolicy(t *testing.T) {
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Sometimes"}}}
	_, err := ChoosePolicy(Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "x"},
		[]policyv1alpha1.PropagationPolicy{pp("default", "broken", nil, deploySel("", bad))}, nil)
	if err == nil || !contains(err.Error(), "PropagationPolicy default/broken: resourceSelectors[0].labelSelector") {
		t.Fatalf("error %v does not name the policy and field", err)
	}
}
