package traffic

import (
	"testing"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/traffic"
)

func TestReadyReplicas(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want int32
	}{
		{"a Deployment status with 3 ready gives 3", `{"replicas":4,"readyReplicas":3}`, 3},
		{"a Deployment status without readyReplicas (none ready) gives 0", `{"replicas":2,"unavailableReplicas":2}`, 0},
		{"a status that is not JSON gives 0", `nope`, 0},
	}
	for _, c := range cases {
		if got := readyReplicas([]byte(c.raw)); got != c.want {
			t.Errorf("%s: got %d", c.name, got)
		}
	}
}

func TestCountsReplicas(t *testing.T) {
	cases := []struct {
		ref  workv1alpha1.ObjectReference
		want bool
	}{
		{workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment"}, true},
		{workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "StatefulSet"}, true},
		{workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "DaemonSet"}, false},
		{workv1alpha1.ObjectReference{APIVersion: "argoproj.io/v1alpha1", Kind: "Deployment"}, false},
	}
	for _, c := range cases {
		if got := countsReplicas(c.ref); got != c.want {
			t.Errorf("%s %s counts replicas: %v, want %v", c.ref.APIVersion, c.ref.Kind, got, c.want)
		}
	}
}

func TestFormatWeights(t *testing.T) {
	cs := []networkingv1alpha1.ClusterTraffic{
		{Name: "shanghai", Weight: 50, Healthy: true},
		{Name: "hangzhou", Weight: 50, Healthy: true},
		{Name: "beijing", Weight: 0, Healthy: false, Reason: networkingv1alpha1.ClusterNotReady},
	}
	if got, want := traffic.FormatWeights(cs, true), "shanghai 50 hangzhou 50 beijing 0*"; got != want {
		t.Errorf("marked: %q, want %q", got, want)
	}
	if got, want := traffic.FormatWeights(cs, false), "shanghai 50 hangzhou 50 beijing 0"; got != want {
		t.Errorf("unmarked: %q, want %q", got, want)
	}
	if got, want := reasons(cs), "beijing: ClusterNotReady"; got != want {
		t.Errorf("reasons: %q, want %q", got, want)
	}
}
