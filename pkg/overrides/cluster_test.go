package overrides

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func TestClusterInfoSelectedBy(t *testing.T) {
	hz := ClusterInfo{Name: "cluster-hangzhou", Labels: map[string]string{"region": "asia-east", "env": "production"},
		Provider: "alibaba", Region: "cn-hangzhou", Zones: []string{"cn-hangzhou-a", "cn-hangzhou-b"}}
	field := func(key string, op corev1.NodeSelectorOperator, values ...string) *policyv1alpha1.ClusterAffinity {
		return &policyv1alpha1.ClusterAffinity{FieldSelector: &policyv1alpha1.FieldSelector{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}}
	}
	tests := []struct {
		name     string
		affinity *policyv1alpha1.ClusterAffinity
		cluster  ClusterInfo
		want     bool
	}{
		{"nil affinity selects every cluster", nil, hz, true},
		{"empty affinity selects every cluster", &policyv1alpha1.ClusterAffinity{}, hz, true},
		{"listed in clusterNames", &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"x", "cluster-hangzhou"}}, hz, true},
		{"not listed in clusterNames", &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-frankfurt"}}, hz, false},
		{"exclude wins over clusterNames", &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-hangzhou"}, Exclude: []string{"cluster-hangzhou"}}, hz, false},
		{"labelSelector matches", &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"region": "asia-east"}}}, hz, true},
		{"labelSelector does not match", &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"region": "eu-central"}}}, hz, false},
		{"invalid labelSelector selects nothing", &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "region", Operator: "Near"}}}}, hz, false},
		{"provider In", field("provider", corev1.NodeSelectorOpIn, "aws", "alibaba"), hz, true},
		{"provider NotIn", field("provider", corev1.NodeSelectorOpNotIn, "alibaba"), hz, false},
		{"region In", field("region", corev1.NodeSelectorOpIn, "cn-hangzhou"), hz, true},
		{"region Exists on a cluster without region", field("region", corev1.NodeSelectorOpExists), ClusterInfo{Name: "bare"}, false},
		{"region DoesNotExist on a cluster without region", field("region", corev1.NodeSelectorOpDoesNotExist), ClusterInfo{Name: "bare"}, true},
		{"zone In means any overlap", field("zone", corev1.NodeSelectorOpIn, "cn-hangzhou-b", "x"), hz, true},
		{"zone NotIn means no overlap", field("zone", corev1.NodeSelectorOpNotIn, "cn-hangzhou-b"), hz, false},
		{"zone NotIn with no overlap", field("zone", corev1.NodeSelectorOpNotIn, "eu-1a"), hz, true},
		{"zone Exists", field("zone", corev1.NodeSelectorOpExists), hz, true},
		{"zone DoesNotExist", field("zone", corev1.NodeSelectorOpDoesNotExist), hz, false},
		{"Exists on a field key the cluster lacks fails", field("rack", corev1.NodeSelectorOpExists), hz, false},
		{"DoesNotExist on a field key the cluster lacks holds", field("rack", corev1.NodeSelectorOpDoesNotExist), hz, true},
		{"Gt on a non-numeric region fails", field("region", corev1.NodeSelectorOpGt, "1"), hz, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cluster.SelectedBy(tt.affinity); got != tt.want {
				t.Errorf("SelectedBy = %v, want %v", got, tt.want)
			}
		})
	}
}
