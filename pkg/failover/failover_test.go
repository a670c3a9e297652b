package failover

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestForTaints(t *testing.T) {
	added := metav1.NewTime(t0)
	notReady := corev1.Taint{Key: "cluster.kurator.dev/not-ready", Effect: corev1.TaintEffectNoExecute, TimeAdded: &added}
	noSchedule := corev1.Taint{Key: "cluster.kurator.dev/not-ready", Effect: corev1.TaintEffectNoSchedule, TimeAdded: &added}
	tol := func(key string, seconds *int64) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds}
	}
	now := t0.Add(time.Second)
	cases := []struct {
		name      string
		taints    []corev1.Taint
		tols      []corev1.Toleration
		wantEvict bool
		wantAt    time.Time
	}{
		{name: "no taints: stay", wantEvict: false},
		{name: "NoSchedule only: stay", taints: []corev1.Taint{noSchedule}, wantEvict: false},
		{name: "untolerated NoExecute: evict from the time it was added", taints: []corev1.Taint{noSchedule, notReady}, wantEvict: true, wantAt: t0},
		{name: "tolerated 5s: evict 5s after the taint", taints: []corev1.Taint{notReady}, tols: []corev1.Toleration{tol("cluster.kurator.dev/not-ready", ptr.To[int64](5))}, wantEvict: true, wantAt: t0.Add(5 * time.Second)},
		{name: "Karmada's key tolerates too", taints: []corev1.Taint{notReady}, tols: []corev1.Toleration{tol("cluster.karmada.io/not-ready", ptr.To[int64](30))}, wantEvict: true, wantAt: t0.Add(30 * time.Second)},
		{name: "tolerated for ever: stay", taints: []corev1.Taint{notReady}, tols: []corev1.Toleration{tol("cluster.kurator.dev/not-ready", nil)}, wantEvict: false},
		{name: "the smallest matching seconds wins", taints: []corev1.Taint{notReady}, tols: []corev1.Toleration{tol("", ptr.To[int64](60)), tol("cluster.kurator.dev/not-ready", ptr.To[int64](10))}, wantEvict: true, wantAt: t0.Add(10 * time.Second)},
		{name: "negative seconds evict at once", taints: []corev1.Taint{notReady}, tols: []corev1.Toleration{tol("cluster.kurator.dev/not-ready", ptr.To[int64](-3))}, wantEvict: true, wantAt: t0},
		{name: "a toleration of another key does not help", taints: []corev1.Taint{notReady}, tols: []corev1.Toleration{tol("cluster.kurator.dev/unreachable", nil)}, wantEvict: true, wantAt: t0},
		{name: "no TimeAdded counts from now", taints: []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoExecute}}, tols: []corev1.Toleration{tol("x", ptr.To[int64](2))}, wantEvict: true, wantAt: now.Add(2 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := ForTaints(tc.taints, tc.tols, now)
			if d.Evict != tc.wantEvict || (d.Evict && !d.At.Equal(tc.wantAt)) {
				t.Errorf("got evict=%v at %v (%s), want evict=%v at %v", d.Evict, d.At, d.Reason, tc.wantEvict, tc.wantAt)
			}
			if d.Evict && d.Reason == "" {
				t.Error("an eviction needs a reason")
			}
		})
	}
}

func TestEvict(t *testing.T) {
	base := func() *workv1alpha1.ResourceBindingSpec {
		return &workv1alpha1.ResourceBindingSpec{Replicas: 10, Clusters: []workv1alpha1.TargetCluster{{Name: "fra", Replicas: 3}, {Name: "hz", Replicas: 4}, {Name: "sh", Replicas: 3}}}
	}
	now := metav1.NewTime(t0)
	cases := []struct {
		name         string
		mode         policyv1alpha1.PurgeMode
		wantTask     bool
		wantSuppress bool
	}{
		{name: "default is Gracefully: task kept for the grace period", mode: "", wantTask: true},
		{name: "Graciously is Gracefully", mode: policyv1alpha1.PurgeGraciously, wantTask: true},
		{name: "Never: task suppresses deletion", mode: policyv1alpha1.PurgeNever, wantTask: true, wantSuppress: true},
		{name: "Directly: a task that keeps the cluster out, not its objects", mode: policyv1alpha1.PurgeDirectly, wantTask: true},
		{name: "Immediately is Directly", mode: policyv1alpha1.PurgeImmediately, wantTask: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := base()
			orig := spec.Clusters
			if !Evict(spec, Eviction{Cluster: "fra", Reason: "TaintUntolerated", Producer: "TaintManager", PurgeMode: tc.mode, GracePeriodSeconds: ptr.To[int32](60)}, now) {
				t.Fatal("Evict reported no change")
			}
			if got := spec.TargetClusterNames(); strings.Join(got, ",") != "hz,sh" {
				t.Errorf("targets %v, want hz,sh", got)
			}
			if orig[0].Name != "fra" {
				t.Error("Evict changed the caller's slice in place")
			}
			if tc.wantTask != (len(spec.GracefulEvictionTasks) == 1) {
				t.Fatalf("tasks %+v, want task=%v", spec.GracefulEvictionTasks, tc.wantTask)
			}
			if !tc.wantTask {
				return
			}
			task := spec.GracefulEvictionTasks[0]
			if task.FromCluster != "fra" || task.Replicas == nil || *task.Replicas != 3 || !task.CreationTimestamp.Equal(&now) {
				t.Errorf("task %+v", task)
			}
			if got := task.SuppressDeletion != nil && *task.SuppressDeletion; got != tc.wantSuppress {
				t.Errorf("suppressDeletion %v, want %v", got, tc.wantSuppress)
			}
			direct := NormalizePurgeMode(tc.mode) == policyv1alpha1.PurgeDirectly
			if KeepsObjects(&task) == direct {
				t.Errorf("KeepsObjects = %v for purge mode %q", !direct, tc.mode)
			}
		})
	}
	t.Run("not a target: nothing changes", func(t *testing.T) {
		spec := base()
		if Evict(spec, Eviction{Cluster: "nowhere"}, now) || len(spec.Clusters) != 3 || len(spec.GracefulEvictionTasks) != 0 {
			t.Errorf("spec changed: %+v", spec)
		}
	})
}

func TestTaskDone(t *testing.T) {
	created := metav1.NewTime(t0)
	graceful := workv1alpha1.GracefulEvictionTask{FromCluster: "fra", CreationTimestamp: &created}
	short := graceful
	short.GracePeriodSeconds = ptr.To[int32](30)
	never := graceful
	never.SuppressDeletion = ptr.To(true)
	direct := graceful
	direct.PurgeMode = policyv1alpha1.PurgeDirectly
	cases := []struct {
		name     string
		task     workv1alpha1.GracefulEvictionTask
		healthy  bool
		at       time.Duration
		wantDone bool
		wantNext time.Duration
	}{
		{name: "waiting for health within the default grace", task: graceful, at: time.Minute, wantNext: 10 * time.Minute},
		{name: "healthy ends it", task: graceful, healthy: true, at: time.Second, wantDone: true},
		{name: "default grace passed ends it", task: graceful, at: 10 * time.Minute, wantDone: true},
		{name: "the task's own grace period wins", task: short, at: 31 * time.Second, wantDone: true},
		{name: "Never stays even when healthy and late", task: never, healthy: true, at: time.Hour},
		{name: "Directly keeps the cluster out for the grace period even when healthy", task: direct, healthy: true, at: time.Minute, wantNext: 10 * time.Minute},
		{name: "Directly ends with the grace period", task: direct, healthy: true, at: 10 * time.Minute, wantDone: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done, why, next := TaskDone(&tc.task, tc.healthy, t0.Add(tc.at), 10*time.Minute)
			if done != tc.wantDone || (done && why == "") {
				t.Fatalf("done=%v (%q), want %v", done, why, tc.wantDone)
			}
			if tc.wantNext != 0 && !next.Equal(t0.Add(tc.wantNext)) {
				t.Errorf("next %v, want %v", next, t0.Add(tc.wantNext))
			}
		})
	}
}

func TestPlacementHealthy(t *testing.T) {
	scheduled := metav1.Condition{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionTrue, ObservedGeneration: 4}
	item := func(cluster string, health workv1alpha1.ResourceHealth, status string) workv1alpha1.AggregatedStatusItem {
		return workv1alpha1.AggregatedStatusItem{ClusterName: cluster, Applied: true, Health: health, Status: &runtime.RawExtension{Raw: []byte(status)}}
	}
	spec := &workv1alpha1.ResourceBindingSpec{Replicas: 10, Clusters: []workv1alpha1.TargetCluster{{Name: "hz", Replicas: 6}, {Name: "sh", Replicas: 4}}}
	unscheduled := metav1.Condition{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionFalse, ObservedGeneration: 5}
	cases := []struct {
		name       string
		generation int64
		conds      []metav1.Condition
		observed   int64 // status.schedulerObservedGeneration
		items      []workv1alpha1.AggregatedStatusItem
		want       bool
		wantWhy    string
	}{
		{name: "scheduled earlier, and the scheduler found nothing to schedule at this generation: healthy", generation: 5, conds: []metav1.Condition{scheduled}, observed: 5,
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"readyReplicas":6}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, want: true},
		{name: "the scheduler saw this generation but could not schedule it: not healthy", generation: 5, conds: []metav1.Condition{unscheduled}, observed: 5,
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"readyReplicas":6}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, wantWhy: "not yet scheduled"},
		{name: "all ready", generation: 4, conds: []metav1.Condition{scheduled},
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"replicas":6,"readyReplicas":6}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, want: true},
		{name: "schedule not caught up with the eviction: not healthy", generation: 5, observed: 4, conds: []metav1.Condition{scheduled},
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"readyReplicas":6}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, wantWhy: "not yet scheduled"},
		{name: "stale healthy status with fewer ready than the new share", generation: 4, conds: []metav1.Condition{scheduled},
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"replicas":4,"readyReplicas":4}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, wantWhy: "4 of 6 replicas are ready in hz"},
		{name: "none ready omits readyReplicas", generation: 4, conds: []metav1.Condition{scheduled},
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"replicas":6}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, wantWhy: "0 of 6"},
		{name: "unhealthy member", generation: 4, conds: []metav1.Condition{scheduled},
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Unhealthy", `{}`), item("sh", "Healthy", `{"readyReplicas":4}`)}, wantWhy: "Unhealthy in hz"},
		{name: "missing item", generation: 4, conds: []metav1.Condition{scheduled},
			items: []workv1alpha1.AggregatedStatusItem{item("hz", "Healthy", `{"readyReplicas":6}`)}, wantWhy: "sh has not applied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, why := PlacementHealthy(tc.generation, spec, &workv1alpha1.ResourceBindingStatus{Conditions: tc.conds, SchedulerObservedGeneration: tc.observed, AggregatedStatus: tc.items})
			if got != tc.want || !strings.Contains(why, tc.wantWhy) {
				t.Errorf("got %v %q, want %v %q", got, why, tc.want, tc.wantWhy)
			}
		})
	}
}

func TestPaused(t *testing.T) {
	cases := []struct {
		notReady, total int
		share           float64
		want            bool
	}{
		{1, 3, 0.5, false},
		{2, 3, 0.5, true},
		{1, 2, 0.5, false},
		{2, 2, 0.55, true},
		{3, 3, 1, false},
		{0, 0, 0.5, false},
	}
	for _, tc := range cases {
		if got := Paused(tc.notReady, tc.total, tc.share); got != tc.want {
			t.Errorf("Paused(%d of %d, share %.2f) = %v, want %v", tc.notReady, tc.total, tc.share, got, tc.want)
		}
	}
	if msg := PausedMessage(2, 3, 0.5); !strings.Contains(msg, "2 of 3") || !strings.Contains(msg, "67% > 50%") {
		t.Errorf("message %q", msg)
	}
}
