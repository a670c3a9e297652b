package failover

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// Reasons of the binding's Failover condition.
const (
	ReasonEvicting          = "Evicting"
	ReasonFailoverCompleted = "FailoverCompleted"
	ReasonFailoverPaused    = "FailoverPaused"
	ReasonRateLimited       = "EvictionRateLimited"
	ReasonNoAlternative     = "NoAlternativeCluster"
)

// Defaults of the options.
const (
	DefaultPauseShare  = 0.55
	DefaultGracePeriod = 10 * time.Minute
	// DefaultApplicationToleration is Karmada's default for
	// decisionConditions.tolerationSeconds.
	DefaultApplicationToleration = 300 * time.Second
)

// requeueSlack is added to the earliest deadline of a round, so that the
// next round sees the deadline passed rather than a few microseconds ahead.
const requeueSlack = 10 * time.Millisecond

// Cluster is what failover reads of one member cluster.
type Cluster struct {
	Name   string
	Ready  bool
	Taints []corev1.Taint
}

// HasNoExecute reports whether any of the taints has the NoExecute effect.
func HasNoExecute(taints []corev1.Taint) bool {
	return slices.ContainsFunc(taints, func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute })
}

// Options are the hub-wide settings of failover. Zero values take the
// defaults.
type Options struct {
	// PauseShare: when more than this share of clusters is not Ready, no
	// cluster is evicted (default 0.55; 1 never pauses).
	PauseShare float64
	// GracePeriod is the longest a Gracefully evicted cluster keeps its
	// objects, and a Directly evicted one stays out of the placement, when
	// the task does not say (default 10 min).
	GracePeriod time.Duration
}

func (o Options) withDefaults() Options {
	if o.PauseShare <= 0 {
		o.PauseShare = DefaultPauseShare
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = DefaultGracePeriod
	}
	return o
}

// Input is everything one failover round of one binding looks at.
type Input struct {
	// Generation of the binding as read.
	Generation int64
	Spec       *workv1alpha1.ResourceBindingSpec
	Status     *workv1alpha1.ResourceBindingStatus
	// Clusters is every cluster of the fleet, not only the binding's
	// targets: the pause counts how many of them are not Ready.
	Clusters []Cluster
	Now      time.Time
	Options  Options
	// UnhealthySince is since when the application has been Unhealthy in
	// each cluster, as the previous round's Decision returned it (nil on the
	// first round).
	UnhealthySince map[string]time.Time
	// Admit is the fleet-wide rate limit: how long the cluster must still
	// wait before bindings may start to leave it (0: now). It is asked only
	// for clusters whose eviction is due and not paused. Nil admits at once.
	Admit func(cluster string) time.Duration
	// DryRun schedules the binding as it would be after the round's
	// evictions. It returns a *scheduler.UnschedulableError (possibly
	// wrapped) when the replicas would fit nowhere else, which holds every
	// eviction back; nil when they fit; any other error ends the round with
	// that error. It is called only when something is to be evicted. Nil
	// means every eviction fits.
	DryRun func(after *workv1alpha1.ResourceBindingSpec) error
}

// Hold is a due eviction that waits, and why.
type Hold struct {
	// Clusters the binding must leave but does not yet.
	Clusters []string
	// Reason is the Failover condition reason and the held-back metric's
	// label: ReasonFailoverPaused, ReasonRateLimited or ReasonNoAlternative.
	Reason  string
	Message string
}

// EndedTask is a graceful eviction task that is over: its old objects may
// go and its cluster may be chosen again.
type EndedTask struct {
	Cluster string
	// Message tells what ended and why (the EvictionCompleted event).
	Message string
}

// Decision is what one failover round decided for one binding.
type Decision struct {
	// Evict lists the clusters the binding leaves now, with the fields of
	// their graceful eviction tasks.
	Evict []Eviction
	// Holds lists due evictions that wait, in the order they were found.
	Holds []Hold
	// Ended lists the tasks that are over. Tasks end only in a round that
	// evicts nothing, on a placement that has settled.
	Ended []EndedTask
	// Spec is the binding's spec to write (evictions applied, ended tasks
	// removed); nil when it stays as it is.
	Spec *workv1alpha1.ResourceBindingSpec
	// UnhealthySince is the record to keep for the next round; nil when the
	// binding has no application failover (nothing to keep).
	UnhealthySince map[string]time.Time
	// Condition is the binding's Failover condition to write; nil when it
	// stays as it is. Its ObservedGeneration is the generation the binding
	// will have after Spec is written.
	Condition *metav1.Condition
	// AnnounceHold: Condition newly says that an eviction is held back,
	// worth a Warning event with its reason and message.
	AnnounceHold bool
	// RequeueAfter is when to look again even if nothing changes (a
	// toleration, an application toleration, the rate limit or a grace
	// period ends); 0 when no deadline is pending.
	RequeueAfter time.Duration
}

// EventMessage tells users what an eviction does (the Evicted event).
func (e Eviction) EventMessage() string {
	return fmt.Sprintf("%s%s: %s (purgeMode %s); its replicas are rescheduled", evictedFrom, e.Cluster, e.Message, NormalizePurgeMode(e.PurgeMode))
}

const evictedFrom = "evicted from "

// EvictedCluster reads the cluster back from an EventMessage.
func EvictedCluster(message string) (string, bool) {
	rest, ok := strings.CutPrefix(message, evictedFrom)
	if !ok {
		return "", false
	}
	cluster, _, ok := strings.Cut(rest, ":")
	return cluster, ok
}

// Decide runs one failover round for one binding:
//   - cluster failover: targets whose NoExecute taints the placement does not
//     tolerate, or tolerates no longer, are evicted, unless too many clusters
//     are not Ready (the pause) or the rate limit makes them wait;
//   - application failover: targets where the application has been
//     Unhealthy longer than decisionConditions.tolerationSeconds, in a Ready
//     cluster, are evicted (not paused, not rate limited);
//   - a dry run of the scheduler holds every eviction back when the replicas
//     would fit nowhere else: a failover must never leave a workload with
//     fewer replicas than before;
//   - when nothing is evicted, graceful eviction tasks that are over end;
//   - the Failover condition says what is going on.
//
// A cluster is evicted at most once per round, and only while it is a
// target. The error comes only from DryRun; the Decision returned with it
// carries UnhealthySince alone, which is still worth keeping.
func Decide(in Input) (Decision, error) {
	r := &round{in: &in, opts: in.Options.withDefaults()}
	byName := make(map[string]*Cluster, len(in.Clusters))
	notReady := 0
	for i := range in.Clusters {
		byName[in.Clusters[i].Name] = &in.Clusters[i]
		if !in.Clusters[i].Ready {
			notReady++
		}
	}
	r.clusterFailover(byName, notReady)
	r.applicationFailover(byName)
	if err := r.dryRun(); err != nil {
		return Decision{UnhealthySince: r.d.UnhealthySince}, err
	}
	r.writeSpec()
	r.condition()
	if !r.next.IsZero() {
		r.d.RequeueAfter = r.next.Sub(in.Now) + requeueSlack
	}
	return r.d, nil
}

// round is the work in progress of one Decide.
type round struct {
	in   *Input
	opts Options
	next time.Time // earliest deadline; zero: none
	d    Decision
}

func (r *round) wake(at time.Time) {
	if r.next.IsZero() || at.Before(r.next) {
		r.next = at
	}
}

func (r *round) hold(reason, msg string, clusters ...string) {
	r.d.Holds = append(r.d.Holds, Hold{Clusters: clusters, Reason: reason, Message: msg})
}

func (r *round) evicting(cluster string) bool {
	return slices.ContainsFunc(r.d.Evict, func(e Eviction) bool { return e.Cluster == cluster })
}

// clusterFailover decides evictions from tainted target clusters.
func (r *round) clusterFailover(clusters map[string]*Cluster, notReady int) {
	spec, now, total := r.in.Spec, r.in.Now, len(r.in.Clusters)
	var tols []corev1.Toleration
	if spec.Placement != nil {
		tols = spec.Placement.AllTolerations()
	}
	var purge policyv1alpha1.PurgeMode
	if spec.Failover != nil && spec.Failover.Cluster != nil {
		purge = spec.Failover.Cluster.PurgeMode
	}
	for _, t := range spec.Clusters {
		c := clusters[t.Name]
		if c == nil {
			continue
		}
		d := ForTaints(c.Taints, tols, now)
		switch {
		case !d.Evict:
			continue
		case d.At.After(now):
			r.wake(d.At)
			continue
		case Paused(notReady, total, r.opts.PauseShare):
			r.hold(ReasonFailoverPaused, fmt.Sprintf("%s must be left (%s) but %s", t.Name, d.Reason, PausedMessage(notReady, total, r.opts.PauseShare)), t.Name)
			continue
		}
		if r.in.Admit != nil {
			if wait := r.in.Admit(t.Name); wait > 0 {
				r.hold(ReasonRateLimited, fmt.Sprintf("%s must be left (%s); the fleet-wide eviction rate (--failover-eviction-rate) lets it go in %s", t.Name, d.Reason, wait.Round(time.Millisecond)), t.Name)
				r.wake(now.Add(wait))
				continue
			}
		}
		msg := fmt.Sprintf("cluster %s is not Ready and %s", t.Name, d.Reason)
		if c.Ready {
			msg = fmt.Sprintf("cluster %s is Ready but its %s", t.Name, d.Reason)
		}
		r.d.Evict = append(r.d.Evict, Eviction{
			Cluster: t.Name, Reason: workv1alpha1.EvictionReasonTaintUntolerated, Producer: workv1alpha1.EvictionProducerTaintManager,
			Message: msg, PurgeMode: purge,
		})
	}
}

// applicationFailover decides evictions from target clusters where the
// application stayed Unhealthy too long. Clusters that are not Ready are
// left to cluster failover: their status is stale. The clock of a cluster
// starts with the first round that sees it Unhealthy and stops as soon as a
// round does not.
func (r *round) applicationFailover(clusters map[string]*Cluster) {
	spec, status, now := r.in.Spec, r.in.Status, r.in.Now
	if spec.Failover == nil || spec.Failover.Application == nil {
		return
	}
	app := spec.Failover.Application
	tolerate := DefaultApplicationToleration
	if s := app.DecisionConditions.TolerationSeconds; s != nil {
		tolerate = time.Duration(*s) * time.Second
	}
	since := map[string]time.Time{}
	for _, it := range status.AggregatedStatus {
		c := clusters[it.ClusterName]
		if it.Health != workv1alpha1.ResourceUnhealthy || !spec.TargetContains(it.ClusterName) || c == nil || !c.Ready {
			continue
		}
		start, ok := r.in.UnhealthySince[it.ClusterName]
		if !ok {
			start = now
		}
		since[it.ClusterName] = start
		if deadline := start.Add(tolerate); now.Before(deadline) {
			r.wake(deadline)
			continue
		}
		if r.evicting(it.ClusterName) {
			continue
		}
		r.d.Evict = append(r.d.Evict, Eviction{
			Cluster: it.ClusterName, Reason: workv1alpha1.EvictionReasonApplicationFailure, Producer: workv1alpha1.EvictionProducerApplicationFailure,
			Message:            fmt.Sprintf("the application has been Unhealthy in %s for %s (tolerationSeconds %d)", it.ClusterName, now.Sub(start).Round(time.Second), int(tolerate.Seconds())),
			PurgeMode:          app.PurgeMode,
			GracePeriodSeconds: app.GracePeriodSeconds,
		})
	}
	r.d.UnhealthySince = since
}

// dryRun holds every eviction back when the binding, after them, could not
// be scheduled: the old clusters' replicas are all the workload has.
func (r *round) dryRun() error {
	if len(r.d.Evict) == 0 || r.in.DryRun == nil {
		return nil
	}
	err := r.in.DryRun(r.evicted())
	var ue *scheduler.UnschedulableError
	switch {
	case errors.As(err, &ue):
		names := make([]string, len(r.d.Evict))
		for i, e := range r.d.Evict {
			names[i] = e.Cluster
		}
		r.hold(ReasonNoAlternative, fmt.Sprintf("%s must be left but no other cluster can take its replicas (%v); they stay until a cluster fits (add capacity or widen the placement)", strings.Join(names, ", "), err), names...)
		r.d.Evict = nil
		return nil
	case err != nil:
		return fmt.Errorf("dry run of the scheduler: %w", err)
	}
	return nil
}

// evicted is a copy of the spec with the round's evictions applied.
func (r *round) evicted() *workv1alpha1.ResourceBindingSpec {
	after := r.in.Spec.DeepCopy()
	now := metav1.NewTime(r.in.Now)
	for _, e := range r.d.Evict {
		Evict(after, e, now)
	}
	return after
}

// writeSpec decides the spec to write: the evictions, or else the tasks
// that remain.
func (r *round) writeSpec() {
	if len(r.d.Evict) > 0 {
		r.d.Spec = r.evicted()
		return
	}
	spec := r.in.Spec
	if len(spec.GracefulEvictionTasks) == 0 {
		return
	}
	healthy, _ := PlacementHealthy(r.in.Generation, spec, r.in.Status)
	kept := make([]workv1alpha1.GracefulEvictionTask, 0, len(spec.GracefulEvictionTasks))
	for i := range spec.GracefulEvictionTasks {
		t := &spec.GracefulEvictionTasks[i]
		done, why, next := TaskDone(t, healthy, r.in.Now, r.opts.GracePeriod)
		if !done {
			if !next.IsZero() {
				r.wake(next)
			}
			kept = append(kept, *t)
			continue
		}
		r.d.Ended = append(r.d.Ended, EndedTask{Cluster: t.FromCluster, Message: fmt.Sprintf("left %s (evicted at %s: %s): %s, so its objects there are removed",
			t.FromCluster, formatTime(t.CreationTimestamp), t.Reason, why)})
	}
	if len(r.d.Ended) == 0 {
		return
	}
	r.d.Spec = spec.DeepCopy()
	r.d.Spec.GracefulEvictionTasks = kept
	if len(kept) == 0 {
		r.d.Spec.GracefulEvictionTasks = nil
	}
}

// condition decides the Failover condition: False with the hold's reason
// while a due eviction is held back, True while tasks remain,
// False/FailoverCompleted once the last task ended. Bindings that never
// failed over get no condition.
func (r *round) condition() {
	spec, generation := r.in.Spec, r.in.Generation
	if r.d.Spec != nil {
		// Writing the spec moves the generation on by one.
		spec, generation = r.d.Spec, generation+1
	}
	old := meta.FindStatusCondition(r.in.Status.Conditions, workv1alpha1.ConditionFailover)
	c := metav1.Condition{Type: workv1alpha1.ConditionFailover, ObservedGeneration: generation}
	switch {
	case len(r.d.Holds) > 0:
		msgs := make([]string, len(r.d.Holds))
		for i, h := range r.d.Holds {
			msgs[i] = h.Message
		}
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, r.d.Holds[0].Reason, strings.Join(msgs, "; ")
	case len(spec.GracefulEvictionTasks) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonEvicting, TasksMessage(generation, spec, r.in.Status, r.opts.GracePeriod)
	case old == nil:
		return
	case len(r.d.Ended) > 0 || old.Reason != ReasonFailoverCompleted:
		msg := "no eviction in progress"
		if len(r.d.Ended) > 0 {
			ended := make([]string, len(r.d.Ended))
			for i, e := range r.d.Ended {
				ended[i] = e.Message
			}
			msg = "last eviction finished at " + r.in.Now.UTC().Format(time.RFC3339) + ": " + strings.Join(ended, "; ")
		}
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonFailoverCompleted, msg
	default:
		return
	}
	if old != nil && old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
		return
	}
	r.d.Condition = &c
	r.d.AnnounceHold = len(r.d.Holds) > 0 && (old == nil || old.Reason != c.Reason)
}

// TasksMessage describes each graceful eviction task of a binding: where it
// is leaving, since when, why, and what ends the task.
func TasksMessage(generation int64, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus, defaultGrace time.Duration) string {
	_, why := PlacementHealthy(generation, spec, status)
	parts := make([]string, 0, len(spec.GracefulEvictionTasks))
	for i := range spec.GracefulEvictionTasks {
		t := &spec.GracefulEvictionTasks[i]
		p := fmt.Sprintf("leaving %s since %s (%s: %s); ", t.FromCluster, formatTime(t.CreationTimestamp), t.Reason, t.Message)
		grace := defaultGrace
		if t.GracePeriodSeconds != nil {
			grace = time.Duration(*t.GracePeriodSeconds) * time.Second
		}
		switch {
		case t.SuppressDeletion != nil && *t.SuppressDeletion:
			p += "purgeMode Never keeps its objects there until the task is removed from spec.gracefulEvictionTasks"
		case !KeepsObjects(t):
			p += fmt.Sprintf("its objects were removed (purgeMode Directly); the cluster stays out of the placement until %s after the eviction", grace)
		default:
			p += fmt.Sprintf("its objects stay until the new placement is healthy (now: %s) or %s after the eviction", why, grace)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func formatTime(t *metav1.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}
