package rollout

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/rollout"
)

func TestEmptyStagesAreNamed(t *testing.T) {
	spec := &appsv1alpha1.RolloutSpec{Stages: []appsv1alpha1.RolloutStage{
		{Name: "shanghai", ClusterNames: []string{"cluster-shanghai"}},
		{Name: "eu", ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"region": "eu"}}},
	}}
	cfg := rollout.ConfigOf(spec, func(s appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		return func(name string, l map[string]string) bool {
			return slices.Contains(s.ClusterNames, name) || s.ClusterSelector != nil && l["region"] == s.ClusterSelector.MatchLabels["region"]
		}
	})
	clusters := []rollout.Observed{{Name: "cluster-shanghai"}, {Name: "cluster-hangzhou", Labels: map[string]string{"region": "asia"}}}
	if got := cfg.EmptyStages(clusters, len(spec.Stages)); !slices.Equal(got, []string{"eu"}) {
		t.Errorf("empty stages %v, want [eu]", got)
	}
	clusters = append(clusters, rollout.Observed{Name: "cluster-frankfurt", Labels: map[string]string{"region": "eu"}})
	if got := cfg.EmptyStages(clusters, len(spec.Stages)); len(got) != 0 {
		t.Errorf("empty stages %v once frankfurt holds the workload, want none", got)
	}
}

func TestWorkNamesFitAndDiffer(t *testing.T) {
	long := &appsv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: strings.Repeat("n", 40), Name: strings.Repeat("r", 40)}}
	short := &appsv1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: "reviews"}}
	for _, ro := range []*appsv1alpha1.Rollout{long, short} {
		a, b := WorkName(ro, ""), WorkName(ro, RoutesSuffix)
		if len(a) > 63 || len(b) > 63 || a == b || !strings.HasSuffix(b, RoutesSuffix) {
			t.Errorf("work names %q, %q: want two names of at most 63 characters, the routes' ending in %s", a, b, RoutesSuffix)
		}
	}
	if got := WorkName(short, ""); got != "rollout-prod-reviews" {
		t.Errorf("WorkName = %q, want rollout-prod-reviews", got)
	}
}
