package overrides

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/selector"
)

// benchPolicies is a realistic mix: a fleet-wide ClusterOverridePolicy
// (labels), the seed's cross-cloud-config (image + command per region) and a
// plaintext replica tweak.
func benchPolicies(b *testing.B) ([]policyv1alpha1.ClusterOverridePolicy, []policyv1alpha1.OverridePolicy) {
	cross := mustOverridePolicy(b, crossCloudConfig)
	cops := []policyv1alpha1.ClusterOverridePolicy{{
		ObjectMeta: metav1.ObjectMeta{Name: "fleet-labels"},
		Spec: policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{Overriders: policyv1alpha1.Overriders{
			LabelsOverrider:      []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"fleet": "global-production"}}},
			AnnotationsOverrider: []policyv1alpha1.LabelAnnotationOverrider{{Operator: policyv1alpha1.OverriderOpAdd, Value: map[string]string{"owner": "platform"}}},
		}}}},
	}}
	ops := []policyv1alpha1.OverridePolicy{cross, {
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "replicas"},
		Spec: policyv1alpha1.OverrideSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "global-app"}},
			OverrideRules: []policyv1alpha1.RuleWithCluster{{Overriders: policyv1alpha1.Overriders{
				Plaintext: []policyv1alpha1.PlaintextOverrider{{Path: "/spec/replicas", Operator: policyv1alpha1.OverriderOpReplace, Value: raw("5")}},
			}}},
		},
	}}
	return cops, ops
}

// BenchmarkApply renders global-app for cluster-hangzhou with 3 policies,
// selection included.
func BenchmarkApply(b *testing.B) {
	obj := mustObject(b, globalApp)
	cops, ops := benchPolicies(b)
	cluster := ClusterInfo{Name: "cluster-hangzhou", Labels: map[string]string{"region": "asia-east"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Apply(obj, cluster, cops, ops); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplySelected is the per-cluster cost once Select has run.
func BenchmarkApplySelected(b *testing.B) {
	obj := mustObject(b, globalApp)
	cops, ops := benchPolicies(b)
	sel := Select(selector.KeyOf(obj), cops, ops)
	cluster := ClusterInfo{Name: "cluster-hangzhou", Labels: map[string]string{"region": "asia-east"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ApplySelected(obj, cluster, sel); err != nil {
			b.Fatal(err)
		}
	}
}
