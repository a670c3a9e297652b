// Package failover holds the pure decisions of failover: when a binding must
// leave a cluster (NoExecute taints against the placement's tolerations, or
// an application that stays unhealthy), how it leaves (a graceful eviction
// task and its purge mode), when the old cluster's objects may go, and when
// the hub must hold back because too many clusters failed at once. Decide
// puts them together into one round for one binding; the eviction controller
// (internal/controller/eviction) reads, calls Decide, and writes. No client,
// clock or randomness here: the time, the fleet-wide rate limit and the
// scheduler's dry run come in through the Input.
package failover

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// TaintDecision says whether and when a binding must leave a cluster
// because of the cluster's NoExecute taints.
type TaintDecision struct {
	// Evict is false when every NoExecute taint is tolerated for ever (or
	// there is none).
	Evict bool
	// At is when to evict; at or before now means at once.
	At time.Time
	// Reason names the deciding taint, for events and conditions.
	Reason string
}

// ForTaints applies Kubernetes' NoExecute rule to a cluster's taints: an
// untolerated NoExecute taint evicts at once; a tolerated one evicts when the
// smallest tolerationSeconds among its matching tolerations has passed since
// the taint's TimeAdded (now when unset); tolerations without seconds
// tolerate for ever. The earliest taint deadline wins.
func ForTaints(taints []corev1.Taint, tols []corev1.Toleration, now time.Time) TaintDecision {
	var d TaintDecision
	for i := range taints {
		t := &taints[i]
		if t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		added := now
		if t.TimeAdded != nil {
			added = t.TimeAdded.Time
		}
		matched, seconds := false, int64(-1)
		for j := range tols {
			if !scheduler.ToleratesTaint(&tols[j], t) {
				continue
			}
			matched = true
			if s := tols[j].TolerationSeconds; s != nil && (seconds < 0 || max(*s, 0) < seconds) {
				seconds = max(*s, 0)
			}
		}
		switch {
		case !matched:
			return TaintDecision{Evict: true, At: added, Reason: fmt.Sprintf("taint %s:NoExecute is not tolerated", t.Key)}
		case seconds < 0:
			continue
		}
		at := added.Add(time.Duration(seconds) * time.Second)
		if !d.Evict || at.Before(d.At) {
			d = TaintDecision{Evict: true, At: at, Reason: fmt.Sprintf("taint %s:NoExecute was tolerated for %ds", t.Key, seconds)}
		}
	}
	return d
}

// NormalizePurgeMode maps the older names (Immediately, Graciously) to the
// current ones and the empty mode to the default, Gracefully.
func NormalizePurgeMode(m policyv1alpha1.PurgeMode) policyv1alpha1.PurgeMode {
	switch m {
	case policyv1alpha1.PurgeImmediately:
		return policyv1alpha1.PurgeDirectly
	case policyv1alpha1.PurgeGraciously, "":
		return policyv1alpha1.PurgeGracefully
	}
	return m
}

// Eviction is one decision to move a binding off a cluster.
type Eviction struct {
	Cluster  string
	Reason   string // machine cause: workv1alpha1.EvictionReason*
	Message  string
	Producer string // workv1alpha1.EvictionProducer*
	// PurgeMode of the policy's failover section (any spelling; empty is
	// Gracefully).
	PurgeMode policyv1alpha1.PurgeMode
	// GracePeriodSeconds caps how long Gracefully keeps the old objects;
	// nil means the controller's default.
	GracePeriodSeconds *int32
}

// Evict removes the cluster from the binding's targets, so the scheduler
// places its replicas elsewhere, and records a graceful eviction task, which
// keeps the cluster out of the new placement until the task ends. The purge
// mode says what happens to the old objects meanwhile: Directly removes them
// at once; Gracefully keeps them until the new placement is healthy or the
// grace period ends; Never keeps them until someone removes the task
// (suppressDeletion). It reports false, changing nothing, when the cluster
// is not a target.
func Evict(spec *workv1alpha1.ResourceBindingSpec, e Eviction, now metav1.Time) bool {
	i := slices.IndexFunc(spec.Clusters, func(c workv1alpha1.TargetCluster) bool { return c.Name == e.Cluster })
	if i < 0 {
		return false
	}
	replicas := spec.Clusters[i].Replicas
	spec.Clusters = slices.Delete(slices.Clone(spec.Clusters), i, i+1)
	spec.GracefulEvictionTasks = slices.DeleteFunc(spec.GracefulEvictionTasks, func(t workv1alpha1.GracefulEvictionTask) bool {
		return t.FromCluster == e.Cluster
	})
	mode := NormalizePurgeMode(e.PurgeMode)
	task := workv1alpha1.GracefulEvictionTask{
		FromCluster: e.Cluster, Reason: e.Reason, Message: e.Message, Producer: e.Producer,
		PurgeMode: mode, CreationTimestamp: &now,
	}
	if spec.Replicas > 0 {
		task.Replicas = &replicas
	}
	if mode == policyv1alpha1.PurgeNever {
		suppress := true
		task.SuppressDeletion = &suppress
	} else if e.GracePeriodSeconds != nil {
		g := *e.GracePeriodSeconds
		task.GracePeriodSeconds = &g
	}
	spec.GracefulEvictionTasks = append(spec.GracefulEvictionTasks, task)
	return true
}

// KeepsObjects reports whether a task keeps the old cluster's objects while
// it lasts (every purge mode but Directly).
func KeepsObjects(t *workv1alpha1.GracefulEvictionTask) bool {
	return NormalizePurgeMode(t.PurgeMode) != policyv1alpha1.PurgeDirectly
}

// TaskDone reports whether a graceful eviction task is over, so its old
// objects may be removed and its cluster chosen again, and why. Tasks with
// suppressDeletion never end by themselves. Tasks that keep the old objects
// end when the new placement is healthy or when the grace period (the
// task's, else defaultGrace) has passed since the task was created. Directly
// tasks, whose objects are already gone, only keep the cluster out of the
// placement: they end with the grace period, so that a schedule soon after
// (static weights divide over every feasible cluster) does not put the
// workload straight back where it just failed. If the task is not over,
// next is when it will be at the latest (zero when never).
func TaskDone(t *workv1alpha1.GracefulEvictionTask, placementHealthy bool, now time.Time, defaultGrace time.Duration) (done bool, why string, next time.Time) {
	if t.SuppressDeletion != nil && *t.SuppressDeletion {
		return false, "", time.Time{}
	}
	grace := defaultGrace
	if t.GracePeriodSeconds != nil {
		grace = time.Duration(*t.GracePeriodSeconds) * time.Second
	}
	created := now
	if t.CreationTimestamp != nil {
		created = t.CreationTimestamp.Time
	}
	end := created.Add(grace)
	switch {
	case placementHealthy && KeepsObjects(t):
		return true, "the new placement is healthy", time.Time{}
	case !now.Before(end):
		return true, fmt.Sprintf("the grace period of %s passed", grace), time.Time{}
	}
	return false, "", end
}

// PlacementHealthy reports whether a binding's current placement is fully in
// service: scheduled for its current generation, and in every target
// cluster applied, Healthy and, for workloads that report readyReplicas, with
// at least the cluster's share of replicas ready. If not, it says what is
// missing.
//
// Scheduled for its current generation: the Scheduled condition is True and
// either was set at this generation or the scheduler has looked at this
// generation since (schedulerObservedGeneration) and found nothing to
// schedule, as after a task ended while another one goes on.
func PlacementHealthy(generation int64, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) (bool, string) {
	c := meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionScheduled)
	if c == nil || c.Status != metav1.ConditionTrue || (c.ObservedGeneration != generation && status.SchedulerObservedGeneration != generation) {
		return false, "not yet scheduled to its new clusters"
	}
	if len(spec.Clusters) == 0 {
		return false, "no target clusters"
	}
	items := make(map[string]*workv1alpha1.AggregatedStatusItem, len(status.AggregatedStatus))
	for i := range status.AggregatedStatus {
		items[status.AggregatedStatus[i].ClusterName] = &status.AggregatedStatus[i]
	}
	for _, t := range spec.Clusters {
		it := items[t.Name]
		switch {
		case it == nil || !it.Applied:
			return false, t.Name + " has not applied it yet"
		case it.Health != workv1alpha1.ResourceHealthy:
			return false, fmt.Sprintf("it is %s in %s", it.Health, t.Name)
		}
		if ready, ok := readyReplicas(it); ok && ready < t.Replicas {
			return false, fmt.Sprintf("%d of %d replicas are ready in %s", ready, t.Replicas, t.Name)
		}
	}
	return true, ""
}

// readyReplicas reads status.readyReplicas from a member status, if the
// kind reports it.
func readyReplicas(it *workv1alpha1.AggregatedStatusItem) (int32, bool) {
	if it.Status == nil || len(it.Status.Raw) == 0 {
		return 0, false
	}
	var s struct {
		ReadyReplicas *int32 `json:"readyReplicas"`
		Replicas      *int32 `json:"replicas"`
	}
	if json.Unmarshal(it.Status.Raw, &s) != nil || (s.ReadyReplicas == nil && s.Replicas == nil) {
		return 0, false
	}
	if s.ReadyReplicas == nil {
		return 0, true // a workload with replicas and none ready omits the field
	}
	return *s.ReadyReplicas, true
}

// Paused reports whether failover must hold back because more than share
// of the clusters are not Ready at once: a fault that wide is more likely on
// the hub's side (its network) than in the clusters, and evicting would
// drain healthy clusters. A share of 1 or more never pauses.
func Paused(notReady, total int, share float64) bool {
	return total > 0 && share < 1 && float64(notReady) > share*float64(total)
}

// PausedMessage explains a pause to the user.
func PausedMessage(notReady, total int, share float64) string {
	return fmt.Sprintf("%d of %d clusters are not Ready (%.0f%% > %.0f%%): the fault is more likely between the hub and the clusters, so nothing is evicted; "+
		"evictions resume when at most %.0f%% are not Ready (check the hub's network, or raise --failover-pause-share)",
		notReady, total, 100*float64(notReady)/float64(total), 100*share, 100*share)
}
