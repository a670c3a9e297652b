package scheduling

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func TestRequestOf(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Minute))
	base := workv1alpha1.ResourceBindingSpec{
		Resource: workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx", UID: "u"},
		Replicas: 10,
		Clusters: []workv1alpha1.TargetCluster{{Name: "a", Replicas: 6}, {Name: "b", Replicas: 4}},
	}
	tests := []struct {
		name      string
		triggered *metav1.Time
		last      *metav1.Time
		wantFresh bool
	}{
		{name: "no reschedule asked: steady", last: &t0},
		{name: "reschedule asked after the last schedule: fresh", triggered: &t1, last: &t0, wantFresh: true},
		{name: "reschedule asked before the last schedule: steady", triggered: &t0, last: &t1},
		{name: "reschedule asked, never scheduled: fresh", triggered: &t0, wantFresh: true},
		{name: "reschedule asked in the second of the last schedule (times are stored in seconds): fresh", triggered: &t0, last: &t0, wantFresh: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := base
			spec.RescheduleTriggeredAt = tt.triggered
			req := RequestOf(&spec, &workv1alpha1.ResourceBindingStatus{LastScheduledTime: tt.last})
			if req.Fresh != tt.wantFresh {
				t.Errorf("Fresh %v, want %v", req.Fresh, tt.wantFresh)
			}
			if len(req.Previous) != 2 || req.Previous[0].Name != "a" || req.Previous[0].Replicas != 6 {
				t.Errorf("Previous %v, want the binding's clusters", req.Previous)
			}
			if req.Replicas != 10 || req.Resource.UID != "u" || req.Resource.Kind != "Deployment" {
				t.Errorf("request %+v does not describe the binding", req)
			}
		})
	}
}

func TestRequestOfCarriesRequestsAndEvictions(t *testing.T) {
	spec := workv1alpha1.ResourceBindingSpec{
		Replicas:              3,
		ReplicaRequirements:   &workv1alpha1.ReplicaRequirements{ResourceRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
		GracefulEvictionTasks: []workv1alpha1.GracefulEvictionTask{{FromCluster: "gone"}},
	}
	req := RequestOf(&spec, &workv1alpha1.ResourceBindingStatus{SchedulerObservedAffinityName: "primary"})
	if req.PerReplica.Cpu().MilliValue() != 250 {
		t.Errorf("PerReplica %v, want 250m cpu", req.PerReplica)
	}
	if !slices.Equal(req.EvictingClusters, []string{"gone"}) {
		t.Errorf("EvictingClusters %v", req.EvictingClusters)
	}
	if req.ObservedAffinityName != "primary" {
		t.Errorf("ObservedAffinityName %q", req.ObservedAffinityName)
	}
}

func TestNeedsSchedule(t *testing.T) {
	divided := &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDivided}}
	emptyType := &policyv1alpha1.Placement{ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{}}
	duplicatedP := &policyv1alpha1.Placement{}
	task := workv1alpha1.GracefulEvictionTask{FromCluster: "c", Reason: "ApplicationFailure", Producer: "ApplicationFailover"}
	t0 := metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Minute))
	scheduled := workv1alpha1.ResourceBindingStatus{
		LastScheduledTime: &t0,
		Conditions:        []metav1.Condition{{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionTrue}},
	}
	spec := func(p *policyv1alpha1.Placement, replicas int32, targets ...workv1alpha1.TargetCluster) workv1alpha1.ResourceBindingSpec {
		return workv1alpha1.ResourceBindingSpec{Placement: p, Replicas: replicas, Clusters: targets}
	}
	a4, b3, c3 := workv1alpha1.TargetCluster{Name: "a", Replicas: 4}, workv1alpha1.TargetCluster{Name: "b", Replicas: 3}, workv1alpha1.TargetCluster{Name: "c", Replicas: 3}
	b6 := workv1alpha1.TargetCluster{Name: "b", Replicas: 6}
	type state struct {
		status    workv1alpha1.ResourceBindingStatus
		placedFor *policyv1alpha1.Placement // the annotation's placement; nil: none
	}
	scheduledWith := func(p *policyv1alpha1.Placement) state { return state{status: *scheduled.DeepCopy(), placedFor: p} }
	tests := []struct {
		name  string
		spec  workv1alpha1.ResourceBindingSpec
		state state
		want  string
	}{
		{name: "no placement: never", spec: spec(nil, 3), want: ""},
		{name: "new binding: schedule", spec: spec(divided, 10), want: needFirst},
		{name: "scheduled in status but no annotation (the write with spec.clusters never happened): schedule", spec: spec(divided, 10, a4, b6), state: state{status: scheduled}, want: needFirst},
		{name: "divided, all replicas placed, same placement: keep (a manager restart, a cluster event, an eviction task that ended)",
			spec: func() workv1alpha1.ResourceBindingSpec {
				s := spec(divided, 10, a4, b6)
				s.GracefulEvictionTasks = nil
				return s
			}(), state: scheduledWith(divided), want: ""},
		{name: "divided, a task still running, all placed: keep",
			spec: func() workv1alpha1.ResourceBindingSpec {
				s := spec(divided, 10, a4, b6)
				s.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task}
				return s
			}(), state: scheduledWith(divided), want: ""},
		{name: "empty type is Divided: keep", spec: spec(emptyType, 10, a4, b6), state: scheduledWith(emptyType), want: ""},
		{name: "divided, a cluster evicted (replicas short): schedule", spec: spec(divided, 10, a4, b3), state: scheduledWith(divided), want: needReplicas},
		{name: "divided, replicas raised: schedule", spec: spec(divided, 12, a4, b3, c3), state: scheduledWith(divided), want: needReplicas},
		{name: "divided, a target cluster was removed from the hub: schedule", spec: spec(divided, 10, a4, b3, workv1alpha1.TargetCluster{Name: "gone", Replicas: 3}), state: scheduledWith(divided), want: needTargetGone},
		{name: "placement changed: schedule", spec: spec(divided, 10, a4, b3, c3), state: scheduledWith(emptyType), want: needPlacement},
		{name: "duplicated: always (a recovered or new cluster gets it)", spec: spec(duplicatedP, 2, workv1alpha1.TargetCluster{Name: "a", Replicas: 2}), state: scheduledWith(duplicatedP), want: needDuplicated},
		{name: "last schedule failed: retry", spec: spec(divided, 10), state: func() state {
			s := scheduledWith(divided)
			s.status.Conditions[0].Status = metav1.ConditionFalse
			return s
		}(), want: needUnscheduled},
		{name: "reschedule asked after the last schedule: schedule", spec: func() workv1alpha1.ResourceBindingSpec {
			s := spec(divided, 10, a4, b3, c3)
			s.RescheduleTriggeredAt = &t1
			return s
		}(), state: scheduledWith(divided), want: needFresh},
		{name: "reschedule asked before the last schedule: keep", spec: func() workv1alpha1.ResourceBindingSpec {
			s := spec(divided, 10, a4, b3, c3)
			old := metav1.NewTime(t0.Add(-time.Minute))
			s.RescheduleTriggeredAt = &old
			return s
		}(), state: scheduledWith(divided), want: ""},
	}
	exists := func(name string) bool { return name != "gone" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digest := ""
			if tt.state.placedFor != nil {
				digest = PlacementDigest(tt.state.placedFor)
			}
			if got := NeedsSchedule(&tt.spec, &tt.state.status, digest, exists); got != tt.want {
				t.Errorf("NeedsSchedule = %q, want %q", got, tt.want)
			}
		})
	}
}
