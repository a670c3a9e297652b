package scheduling

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// The detector places a new binding (FirstPlacement) and the scheduler then
// schedules it again from the result. That is only free if scheduling a
// binding whose targets are already the scheduler's answer gives the same
// answer: otherwise every new workload would move once.
func TestSchedulingAFirstPlacementAgainKeepsIt(t *testing.T) {
	var clusters []scheduler.Cluster
	for i := range 12 {
		clusters = append(clusters, scheduler.Cluster{
			Name:        fmt.Sprintf("c%02d", i),
			Labels:      map[string]string{"group": fmt.Sprintf("g%d", i%3)},
			Region:      fmt.Sprintf("r%d", i%4),
			Zones:       []string{fmt.Sprintf("r%d-z", i%4)},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(fmt.Sprintf("%d", 8+i)), corev1.ResourcePods: resource.MustParse("110")},
		})
	}
	snap, err := scheduler.NewSnapshot(clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	divided := func(pref policyv1alpha1.ReplicaDivisionPreference, w *policyv1alpha1.ClusterPreferences) *policyv1alpha1.ReplicaSchedulingStrategy {
		return &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided, ReplicaDivisionPreference: pref, WeightPreference: w}
	}
	placements := map[string]*policyv1alpha1.Placement{
		"duplicated to a label group": {
			ClusterAffinity:   &policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": "g1"}}},
			ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
		},
		"static weights 3:2:1": {
			ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"c00", "c01", "c02"}},
			ReplicaScheduling: divided(policyv1alpha1.ReplicaDivisionPreferenceWeighted, &policyv1alpha1.ClusterPreferences{StaticWeightList: []policyv1alpha1.StaticClusterWeight{
				{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"c00"}}, Weight: 3},
				{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"c01"}}, Weight: 2},
				{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"c02"}}, Weight: 1},
			}}),
		},
		"dynamic weights spread over 2-3 regions": {
			SpreadConstraints: []policyv1alpha1.SpreadConstraint{
				{SpreadByField: policyv1alpha1.SpreadByFieldRegion, MinGroups: 2, MaxGroups: 3},
				{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 2, MaxGroups: 4},
			},
			ReplicaScheduling: divided(policyv1alpha1.ReplicaDivisionPreferenceWeighted, &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas}),
		},
		"aggregated": {
			ReplicaScheduling: divided(policyv1alpha1.ReplicaDivisionPreferenceAggregated, nil),
		},
	}
	for name, p := range placements {
		for _, replicas := range []int32{1, 5, 17} {
			t.Run(fmt.Sprintf("%s, %d replicas", name, replicas), func(t *testing.T) {
				spec := &workv1alpha1.ResourceBindingSpec{
					Resource:            workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", UID: "u"},
					Replicas:            replicas,
					ReplicaRequirements: &workv1alpha1.ReplicaRequirements{ResourceRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}},
					Placement:           p,
				}
				first, err := scheduler.Schedule(snap, RequestOf(spec, &workv1alpha1.ResourceBindingStatus{}))
				if err != nil {
					t.Fatal(err)
				}
				for _, tg := range first.Targets {
					spec.Clusters = append(spec.Clusters, workv1alpha1.TargetCluster{Name: tg.Name, Replicas: tg.Replicas})
				}
				again, err := scheduler.Schedule(snap, RequestOf(spec, &workv1alpha1.ResourceBindingStatus{}))
				if err != nil {
					t.Fatal(err)
				}
				if !equality.Semantic.DeepEqual(first.Targets, again.Targets) {
					t.Errorf("first %s, again %s: want the same placement", first.String(), again.String())
				}
			})
		}
	}
}

// The scheduler takes the detector's first placement as its own only for
// the placement it was computed for, once, and never over a reschedule
// request or a clusterAffinities term it cannot name.
func TestPlacedByDetector(t *testing.T) {
	placement := &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a", "b"}}}
	placed := func() (*workv1alpha1.ResourceBindingSpec, *workv1alpha1.ResourceBindingStatus, string) {
		return &workv1alpha1.ResourceBindingSpec{Placement: placement.DeepCopy(), Clusters: []workv1alpha1.TargetCluster{{Name: "a", Replicas: 1}}},
			&workv1alpha1.ResourceBindingStatus{}, PlacementDigest(placement)
	}
	now := metav1.Now()
	for name, c := range map[string]struct {
		change func(*workv1alpha1.ResourceBindingSpec, *workv1alpha1.ResourceBindingStatus, *string)
		want   bool
	}{
		"created placed": {func(*workv1alpha1.ResourceBindingSpec, *workv1alpha1.ResourceBindingStatus, *string) {}, true},
		"no targets": {func(s *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus, _ *string) {
			s.Clusters = nil
		}, false},
		"placement changed since": {func(_ *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus, d *string) { *d = "0" }, false},
		"already scheduled once": {func(_ *workv1alpha1.ResourceBindingSpec, st *workv1alpha1.ResourceBindingStatus, _ *string) {
			st.LastScheduledTime = &now
		}, false},
		"reschedule requested": {func(s *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus, _ *string) {
			s.RescheduleTriggeredAt = &now
		}, false},
		"failed before": {func(_ *workv1alpha1.ResourceBindingSpec, st *workv1alpha1.ResourceBindingStatus, _ *string) {
			st.Conditions = []metav1.Condition{{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionFalse}}
		}, false},
		"affinity terms": {func(s *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus, d *string) {
			s.Placement.ClusterAffinities = []policyv1alpha1.ClusterAffinityTerm{{AffinityName: "primary"}}
			*d = PlacementDigest(s.Placement)
		}, false},
	} {
		spec, status, digest := placed()
		c.change(spec, status, &digest)
		if got := placedByDetector(spec, status, digest); got != c.want {
			t.Errorf("%s: placedByDetector = %v, want %v", name, got, c.want)
		}
	}
}
