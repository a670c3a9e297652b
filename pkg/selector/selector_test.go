package selector

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

var nginx = ResourceKey{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx", Labels: map[string]string{"app": "nginx"}}

func TestMatch(t *testing.T) {
	appNginx := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}
	appOther := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	tests := []struct {
		name      string
		rs        policyv1alpha1.ResourceSelector
		defaultNS string
		want      Specificity
	}{
		{"apiVersion and kind only match all", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment"}, "", MatchAll},
		{"other kind does not match", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "StatefulSet"}, "", NoMatch},
		{"other apiVersion does not match", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1beta1", Kind: "Deployment"}, "", NoMatch},
		{"equal name scores 3", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "nginx"}, "", MatchName},
		{"other name does not match", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}, "", NoMatch},
		{"name set ignores a non-matching labelSelector", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Name: "nginx", LabelSelector: appOther}, "", MatchName},
		{"matching labelSelector scores 2", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: appNginx}, "", MatchLabel},
		{"non-matching labelSelector does not match", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: appOther}, "", NoMatch},
		{"invalid labelSelector matches nothing", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}}, "", NoMatch},
		{"equal selector namespace matches", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default"}, "", MatchAll},
		{"other selector namespace does not match", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod"}, "", NoMatch},
		{"empty selector namespace takes the default namespace", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment"}, "prod", NoMatch},
		{"explicit selector namespace overrides the default", policyv1alpha1.ResourceSelector{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default"}, "prod", MatchAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(&tt.rs, tt.defaultNS, &nginx); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchAnyTakesTheHighestSpecificity(t *testing.T) {
	sels := []policyv1alpha1.ResourceSelector{
		{APIVersion: "apps/v1", Kind: "Deployment"},
		{APIVersion: "apps/v1", Kind: "Deployment", Name: "nginx"},
		{APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}},
	}
	if got := MatchAny(sels, "", &nginx); got != MatchName {
		t.Errorf("MatchAny = %v, want name", got)
	}
	if got := MatchAny(nil, "", &nginx); got != NoMatch {
		t.Errorf("MatchAny(nil) = %v, want none", got)
	}
}

func TestKeyOf(t *testing.T) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetNamespace("default")
	u.SetName("nginx")
	u.SetLabels(map[string]string{"app": "nginx"})
	k := KeyOf(u)
	if k.APIVersion != nginx.APIVersion || k.Kind != nginx.Kind || k.Namespace != nginx.Namespace || k.Name != nginx.Name || k.Labels["app"] != "nginx" {
		t.Errorf("KeyOf = %+v, want %+v", k, nginx)
	}
}
