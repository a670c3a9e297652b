package fleetview

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
)

func attached(name string, ready metav1.ConditionStatus, summary bool) clusterv1alpha1.AttachedCluster {
	ac := clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kurator-system"}}
	if ready != "" {
		ac.Status.Conditions = []metav1.Condition{{Type: clusterv1alpha1.ConditionReady, Status: ready}}
	}
	if summary {
		ac.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8")}}
	}
	return ac
}

func fleetOf(members ...string) fleetv1alpha1.Fleet {
	f := fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "prod", Namespace: "kurator-system"}}
	for _, m := range members {
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: m, Labels: map[string]string{"env": "production"}})
	}
	return f
}

func TestBuild(t *testing.T) {
	clusters := []clusterv1alpha1.AttachedCluster{
		attached("a", metav1.ConditionTrue, true),
		attached("b", metav1.ConditionUnknown, false),
	}
	fleets := []fleetv1alpha1.Fleet{fleetOf("a", "b", "only-in-fleet")}
	tests := []struct {
		name         string
		opts         Options
		wantClusters []string
		// bUnlimited: b, without a summary, has an allocatable.
		bUnlimited bool
	}{
		{name: "hub: members without an AttachedCluster are left out, a missing summary stays missing", opts: Options{}, wantClusters: []string{"a", "b"}},
		{name: "offline: fleet-only members are clusters, a missing summary is unlimited", opts: Options{Offline: true, Requested: []corev1.ResourceName{corev1.ResourceCPU}}, wantClusters: []string{"a", "b", "only-in-fleet"}, bUnlimited: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Build(clusters, fleets, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range v.Clusters {
				names = append(names, c.Name)
				if c.Labels["env"] != "production" || c.Labels[fleetv1alpha1.FleetNameLabel] != "prod" {
					t.Errorf("%s: labels %v lack the fleet's", c.Name, c.Labels)
				}
				if _, ok := v.Info[c.Name]; !ok {
					t.Errorf("%s: no override info", c.Name)
				}
			}
			if len(names) != len(tt.wantClusters) {
				t.Fatalf("clusters %v, want %v", names, tt.wantClusters)
			}
			for i := range names {
				if names[i] != tt.wantClusters[i] {
					t.Fatalf("clusters %v, want %v", names, tt.wantClusters)
				}
			}
			b := v.Clusters[1]
			if got := b.Allocatable != nil; got != tt.bUnlimited {
				t.Errorf("b allocatable %v, want set=%v", b.Allocatable, tt.bUnlimited)
			}
			if len(b.Taints) != 1 || b.Taints[0].Key != clusterv1alpha1.TaintClusterUnreachable {
				t.Errorf("b taints %v, want the unreachable taint", b.Taints)
			}
			if len(v.Clusters[0].Taints) != 0 {
				t.Errorf("ready a has taints %v", v.Clusters[0].Taints)
			}
		})
	}
}
