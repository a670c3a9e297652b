package scheduling

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

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

func TestNotEvictionEnded(t *testing.T) {
	task := workv1alpha1.GracefulEvictionTask{FromCluster: "c", Reason: "ApplicationFailure", Producer: "ApplicationFailover"}
	rb := func(replicas int32, tasks ...workv1alpha1.GracefulEvictionTask) *workv1alpha1.ResourceBinding {
		return &workv1alpha1.ResourceBinding{Spec: workv1alpha1.ResourceBindingSpec{Replicas: replicas, GracefulEvictionTasks: tasks}}
	}
	tests := []struct {
		name     string
		old, new *workv1alpha1.ResourceBinding
		want     bool
	}{
		{name: "a task ended and nothing else: no schedule", old: rb(10, task), new: rb(10), want: false},
		{name: "a task was added (with an eviction): schedule", old: rb(10), new: rb(10, task), want: true},
		{name: "a task ended and replicas changed: schedule", old: rb(10, task), new: rb(12), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (notEvictionEnded{}).Update(event.UpdateEvent{ObjectOld: tt.old, ObjectNew: tt.new}); got != tt.want {
				t.Errorf("Update = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCreatedUnscheduled(t *testing.T) {
	scheduled := func(observed int64) workv1alpha1.ResourceBindingStatus {
		return workv1alpha1.ResourceBindingStatus{SchedulerObservedGeneration: observed, Conditions: []metav1.Condition{{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionTrue}}}
	}
	t0 := metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Minute))
	tests := []struct {
		name string
		rb   workv1alpha1.ResourceBinding
		want bool
	}{
		{name: "new binding: schedule", rb: workv1alpha1.ResourceBinding{}, want: true},
		{name: "scheduled at its generation: keep the result", rb: workv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Status: scheduled(3)}, want: false},
		{name: "spec changed while the manager was down: schedule", rb: workv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Generation: 4}, Status: scheduled(3)}, want: true},
		{name: "reschedule asked after the last schedule: schedule", rb: func() workv1alpha1.ResourceBinding {
			rb := workv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Status: scheduled(3)}
			rb.Status.LastScheduledTime, rb.Spec.RescheduleTriggeredAt = &t0, &t1
			return rb
		}(), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (createdUnscheduled{}).Create(event.CreateEvent{Object: &tt.rb}); got != tt.want {
				t.Errorf("Create = %v, want %v", got, tt.want)
			}
		})
	}
}
