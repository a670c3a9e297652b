// Package failover moves workloads away from failed clusters and failed
// applications. For every (Cluster)ResourceBinding it
//   - evicts the binding from target clusters whose NoExecute taints it does
//     not tolerate (or tolerates no longer: tolerationSeconds), so the
//     scheduler places those replicas on the remaining clusters;
//   - evicts it from clusters where the application stayed Unhealthy longer
//     than failover.application.decisionConditions.tolerationSeconds;
//   - ends graceful eviction tasks once the new placement is healthy or
//     their grace period is over, which lets the binding controller delete
//     the old cluster's Work.
//
// Evictions are held back, with a Failover condition saying why, when too
// large a share of the clusters is not Ready (the fault is likely the hub's),
// when the fleet-wide rate limit has no room yet, or when no other cluster
// could take the replicas (a dry run of the scheduler core says so): a
// failover must never leave a workload with fewer replicas than before.
package failover

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/bindings"
	"github.com/kurator-go/kurator/internal/controller/scheduling"
	"github.com/kurator-go/kurator/pkg/failover"
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
	DefaultPauseShare   = 0.55
	DefaultEvictionRate = 0.1
	DefaultGracePeriod  = 10 * time.Minute
	// defaultAppToleration is Karmada's default for
	// decisionConditions.tolerationSeconds.
	defaultAppToleration = 300 * time.Second
)

// Options configure the failover controller.
type Options struct {
	// ClusterNamespace is where AttachedClusters and Fleets live (default
	// kurator-system).
	ClusterNamespace string
	// PauseShare: when more than this share of clusters is not Ready, no
	// cluster is evicted (default 0.55; 1 never pauses).
	PauseShare float64
	// EvictionRate is how many clusters per second may start to be evicted,
	// fleet-wide (default 0.1, one every 10 s; the first one at once).
	EvictionRate float64
	// GracePeriod is the longest a Gracefully evicted cluster keeps its
	// objects when the policy does not say (default 10 min).
	GracePeriod time.Duration
	// MaxConcurrentReconciles (default 4).
	MaxConcurrentReconciles int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.ClusterNamespace == "" {
		o.ClusterNamespace = scheduling.DefaultClusterNamespace
	}
	if o.PauseShare <= 0 {
		o.PauseShare = DefaultPauseShare
	}
	if o.EvictionRate <= 0 {
		o.EvictionRate = DefaultEvictionRate
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = DefaultGracePeriod
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

var (
	evictions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kurator_failover_evictions_total",
		Help: "Bindings evicted from a cluster, by reason (TaintUntolerated, ApplicationFailure).",
	}, []string{"reason"})
	heldBack = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kurator_failover_held_back_total",
		Help: "Reconciles in which a due eviction was held back, by reason (FailoverPaused, EvictionRateLimited, NoAlternativeCluster).",
	}, []string{"reason"})
	registerOnce sync.Once
)

// Reconciler runs failover for bindings. Requests with an empty namespace
// are ClusterResourceBindings.
type Reconciler struct {
	client   client.Client
	opts     Options
	recorder events.EventRecorder
	admit    *admission

	mu sync.Mutex
	// unhealthy: since when an application has been Unhealthy in a cluster,
	// per binding. In memory: after a restart the clock starts again, which
	// only ever delays an application failover.
	unhealthy map[types.NamespacedName]map[string]time.Time
}

// SetupWithManager registers the failover controller with mgr.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	registerOnce.Do(func() { metrics.Registry.MustRegister(evictions, heldBack) })
	r := &Reconciler{
		client:    mgr.GetClient(),
		opts:      opts,
		recorder:  mgr.GetEventRecorder("kurator-failover"),
		admit:     newAdmission(opts.EvictionRate),
		unhealthy: map[types.NamespacedName]map[string]time.Time{},
	}
	relevant := builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, failoverInProgress{}))
	return ctrl.NewControllerManagedBy(mgr).
		Named("failover").
		For(&workv1alpha1.ResourceBinding{}, relevant).
		Watches(&workv1alpha1.ClusterResourceBinding{}, &handler.EnqueueRequestForObject{}, relevant).
		// Taints and readiness decide cluster failover and the pause; any
		// change may start or stop evictions of bindings on tainted clusters.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOnTaintedClusters), builder.WithPredicates(taintsOrReadinessChanged{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// failoverInProgress passes status updates of bindings whose status matters
// to failover: those with eviction tasks (their new placement's health ends
// the tasks) and those with application failover (their health may start
// one). Other bindings' status churn is ignored.
type failoverInProgress struct{ predicate.Funcs }

func (failoverInProgress) Update(e event.UpdateEvent) bool {
	if e.ObjectNew == nil {
		return false
	}
	spec, _ := workv1alpha1.BindingParts(e.ObjectNew)
	return len(spec.GracefulEvictionTasks) > 0 || (spec.Failover != nil && spec.Failover.Application != nil)
}

// taintsOrReadinessChanged passes AttachedCluster events that change its
// taints or its Ready condition.
type taintsOrReadinessChanged struct{ predicate.Funcs }

func (taintsOrReadinessChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	if !ok1 || !ok2 {
		return true
	}
	return !equality.Semantic.DeepEqual(o.Spec.Taints, n.Spec.Taints) || o.IsReady() != n.IsReady()
}

// Reconcile retries write conflicts quietly: another controller wrote the
// binding in between.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := r.reconcile(ctx, req)
	if apierrors.IsConflict(err) {
		return reconcile.Result{RequeueAfter: 20 * time.Millisecond}, nil
	}
	return res, err
}

// round is what one reconcile decided for one binding.
type round struct {
	now      time.Time
	next     time.Time // earliest time to look again; zero: no need
	evict    []failover.Eviction
	held     []string // why due evictions wait
	heldWhy  string   // condition reason of the first hold
	finished []string // tasks that ended, with why
}

func (rd *round) wake(at time.Time) {
	if rd.next.IsZero() || at.Before(rd.next) {
		rd.next = at
	}
}

func (rd *round) hold(reason, msg string) {
	if rd.heldWhy == "" {
		rd.heldWhy = reason
	}
	rd.held = append(rd.held, msg)
	heldBack.WithLabelValues(reason).Inc()
}

func (r *Reconciler) reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var b client.Object = &workv1alpha1.ResourceBinding{}
	if req.Namespace == "" {
		b = &workv1alpha1.ClusterResourceBinding{}
	}
	if err := r.client.Get(ctx, req.NamespacedName, b); err != nil {
		if apierrors.IsNotFound(err) {
			r.forgetBinding(req.NamespacedName)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !b.GetDeletionTimestamp().IsZero() {
		return reconcile.Result{}, nil
	}
	var clusters clusterv1alpha1.AttachedClusterList
	if err := r.client.List(ctx, &clusters, client.InNamespace(r.opts.ClusterNamespace)); err != nil {
		return reconcile.Result{}, err
	}
	byName := make(map[string]*clusterv1alpha1.AttachedCluster, len(clusters.Items))
	for i := range clusters.Items {
		byName[clusters.Items[i].Name] = &clusters.Items[i]
	}

	spec, status := workv1alpha1.BindingParts(b)
	rd := &round{now: r.opts.Now()}
	r.clusterFailover(rd, spec, byName)
	r.applicationFailover(rd, req.NamespacedName, spec, status, byName)
	if len(rd.evict) > 0 {
		if err := r.dryRun(ctx, rd, spec, status); err != nil {
			return reconcile.Result{}, err
		}
	}

	before := b.DeepCopyObject().(client.Object)
	now := metav1.NewTime(rd.now)
	for _, e := range rd.evict {
		failover.Evict(spec, e, now)
	}
	// Tasks end only on a placement that has settled: not in a round that
	// just changed it.
	if len(rd.evict) == 0 {
		r.endTasks(rd, b.GetGeneration(), spec, status)
	}
	if bs, _ := workv1alpha1.BindingParts(before); !equality.Semantic.DeepEqual(bs, spec) {
		if err := r.client.Update(ctx, b); err != nil {
			return reconcile.Result{}, err
		}
		for _, e := range rd.evict {
			evictions.WithLabelValues(e.Reason).Inc()
			r.recorder.Eventf(b, nil, corev1.EventTypeWarning, "Evicted", "Evict", "evicted from %s: %s (purgeMode %s); its replicas are rescheduled",
				e.Cluster, e.Message, failover.NormalizePurgeMode(e.PurgeMode))
		}
		for _, f := range rd.finished {
			r.recorder.Eventf(b, nil, corev1.EventTypeNormal, "EvictionCompleted", "Evict", "%s", f)
		}
		if err := r.keepScheduled(ctx, before, b, rd); err != nil {
			return reconcile.Result{}, err
		}
	}
	if err := r.setCondition(ctx, b, rd); err != nil {
		return reconcile.Result{}, err
	}
	if rd.next.IsZero() {
		return reconcile.Result{}, nil
	}
	// A little past the deadline, so the next round sees it passed.
	return reconcile.Result{RequeueAfter: rd.next.Sub(rd.now) + 10*time.Millisecond}, nil
}

// keepScheduled tells the scheduler that ending eviction tasks needs no new
// schedule: if the previous generation was scheduled, so is the new one.
// Without it the binding would look unscheduled after a manager restart and
// be scheduled again, and static weights would divide its replicas over the
// cluster it has just left.
func (r *Reconciler) keepScheduled(ctx context.Context, before, b client.Object, rd *round) error {
	_, old := workv1alpha1.BindingParts(before)
	_, status := workv1alpha1.BindingParts(b)
	if len(rd.evict) > 0 || len(rd.finished) == 0 || old.SchedulerObservedGeneration != before.GetGeneration() {
		return nil
	}
	// No lock: the status controller writes this binding's status often,
	// and the scheduler would write the same value.
	base := b.DeepCopyObject().(client.Object)
	status.SchedulerObservedGeneration = b.GetGeneration()
	return client.IgnoreNotFound(r.client.Status().Patch(ctx, b, client.MergeFrom(base)))
}

// clusterFailover decides evictions from tainted target clusters.
func (r *Reconciler) clusterFailover(rd *round, spec *workv1alpha1.ResourceBindingSpec, clusters map[string]*clusterv1alpha1.AttachedCluster) {
	notReady := 0
	for name, ac := range clusters {
		if !ac.IsReady() {
			notReady++
		}
		if !hasNoExecute(ac) {
			r.admit.reset(name)
		}
	}
	var tols []corev1.Toleration
	if spec.Placement != nil {
		tols = spec.Placement.AllTolerations()
	}
	var purge policyv1alpha1.PurgeMode
	if spec.Failover != nil && spec.Failover.Cluster != nil {
		purge = spec.Failover.Cluster.PurgeMode
	}
	for _, t := range spec.Clusters {
		ac := clusters[t.Name]
		if ac == nil {
			continue
		}
		d := failover.ForTaints(ac.Spec.Taints, tols, rd.now)
		switch {
		case !d.Evict:
			continue
		case d.At.After(rd.now):
			rd.wake(d.At)
			continue
		case failover.Paused(notReady, len(clusters), r.opts.PauseShare):
			rd.hold(ReasonFailoverPaused, fmt.Sprintf("%s must be left (%s) but %s", t.Name, d.Reason, failover.PausedMessage(notReady, len(clusters), r.opts.PauseShare)))
			continue
		}
		if wait := r.admit.wait(t.Name, rd.now); wait > 0 {
			rd.hold(ReasonRateLimited, fmt.Sprintf("%s must be left (%s); the fleet-wide eviction rate (--failover-eviction-rate) lets it go in %s", t.Name, d.Reason, wait.Round(time.Millisecond)))
			rd.wake(rd.now.Add(wait))
			continue
		}
		rd.evict = append(rd.evict, failover.Eviction{
			Cluster: t.Name, Reason: workv1alpha1.EvictionReasonTaintUntolerated, Producer: workv1alpha1.EvictionProducerTaintManager,
			Message:   fmt.Sprintf("cluster %s is not Ready and %s", t.Name, d.Reason),
			PurgeMode: purge,
		})
	}
}

// applicationFailover decides evictions from clusters where the application
// stayed Unhealthy too long. Clusters that are not Ready are left to cluster
// failover: their status is stale.
func (r *Reconciler) applicationFailover(rd *round, key types.NamespacedName, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus, clusters map[string]*clusterv1alpha1.AttachedCluster) {
	if spec.Failover == nil || spec.Failover.Application == nil {
		r.forgetBinding(key)
		return
	}
	app := spec.Failover.Application
	tolerate := defaultAppToleration
	if s := app.DecisionConditions.TolerationSeconds; s != nil {
		tolerate = time.Duration(*s) * time.Second
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	since := r.unhealthy[key]
	if since == nil {
		since = map[string]time.Time{}
		r.unhealthy[key] = since
	}
	seen := map[string]bool{}
	for _, it := range status.AggregatedStatus {
		ac := clusters[it.ClusterName]
		if it.Health != workv1alpha1.ResourceUnhealthy || !spec.TargetContains(it.ClusterName) || ac == nil || !ac.IsReady() {
			continue
		}
		seen[it.ClusterName] = true
		start, ok := since[it.ClusterName]
		if !ok {
			start = rd.now
			since[it.ClusterName] = start
		}
		if deadline := start.Add(tolerate); rd.now.Before(deadline) {
			rd.wake(deadline)
			continue
		}
		if slices.ContainsFunc(rd.evict, func(e failover.Eviction) bool { return e.Cluster == it.ClusterName }) {
			continue
		}
		rd.evict = append(rd.evict, failover.Eviction{
			Cluster: it.ClusterName, Reason: workv1alpha1.EvictionReasonApplicationFailure, Producer: workv1alpha1.EvictionProducerApplicationFailure,
			Message:            fmt.Sprintf("the application has been Unhealthy in %s for %s (tolerationSeconds %d)", it.ClusterName, rd.now.Sub(start).Round(time.Second), int(tolerate.Seconds())),
			PurgeMode:          app.PurgeMode,
			GracePeriodSeconds: app.GracePeriodSeconds,
		})
	}
	maps.DeleteFunc(since, func(c string, _ time.Time) bool { return !seen[c] })
}

// dryRun runs the scheduler core on the binding as it would be after the
// evictions. If the replicas would not fit anywhere else, nothing is
// evicted: the old cluster's replicas are all the workload has.
func (r *Reconciler) dryRun(ctx context.Context, rd *round, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) error {
	snap, err := scheduling.LoadSnapshot(ctx, r.client, r.opts.ClusterNamespace)
	if err != nil {
		return err
	}
	after := spec.DeepCopy()
	now := metav1.NewTime(rd.now)
	for _, e := range rd.evict {
		failover.Evict(after, e, now)
	}
	_, err = scheduler.Schedule(snap, scheduling.RequestOf(after, status))
	var ue *scheduler.UnschedulableError
	if errors.As(err, &ue) {
		names := make([]string, len(rd.evict))
		for i, e := range rd.evict {
			names[i] = e.Cluster
		}
		rd.hold(ReasonNoAlternative, fmt.Sprintf("%s must be left but no other cluster can take its replicas (%v); they stay until a cluster fits (add capacity or widen the placement)", strings.Join(names, ", "), err))
		rd.evict = nil
	}
	return nil
}

// endTasks removes graceful eviction tasks that are over.
func (r *Reconciler) endTasks(rd *round, generation int64, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) {
	if len(spec.GracefulEvictionTasks) == 0 {
		return
	}
	healthy, _ := failover.PlacementHealthy(generation, spec, status)
	kept := spec.GracefulEvictionTasks[:0:0]
	for i := range spec.GracefulEvictionTasks {
		t := &spec.GracefulEvictionTasks[i]
		done, why, next := failover.TaskDone(t, healthy, rd.now, r.opts.GracePeriod)
		if !done {
			if !next.IsZero() {
				rd.wake(next)
			}
			kept = append(kept, *t)
			continue
		}
		rd.finished = append(rd.finished, fmt.Sprintf("left %s (evicted at %s: %s): %s, so its objects there are removed",
			t.FromCluster, formatTime(t.CreationTimestamp), t.Reason, why))
	}
	spec.GracefulEvictionTasks = kept
}

// setCondition writes the Failover condition: True while tasks remain,
// False while a due eviction is held back, False/FailoverCompleted once the
// last task ended. Bindings that never failed over get no condition.
func (r *Reconciler) setCondition(ctx context.Context, b client.Object, rd *round) error {
	spec, status := workv1alpha1.BindingParts(b)
	old := meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionFailover)
	c := metav1.Condition{Type: workv1alpha1.ConditionFailover, ObservedGeneration: b.GetGeneration()}
	switch {
	case len(rd.held) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, rd.heldWhy, strings.Join(rd.held, "; ")
	case len(spec.GracefulEvictionTasks) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonEvicting, r.tasksMessage(b.GetGeneration(), spec, status)
	case old == nil:
		return nil
	case len(rd.finished) > 0 || old.Reason != ReasonFailoverCompleted:
		msg := "no eviction in progress"
		if len(rd.finished) > 0 {
			msg = "last eviction finished at " + rd.now.UTC().Format(time.RFC3339) + ": " + strings.Join(rd.finished, "; ")
		}
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonFailoverCompleted, msg
	default:
		return nil
	}
	if old != nil && old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
		return nil
	}
	if (old == nil || old.Reason != c.Reason) && len(rd.held) > 0 {
		r.recorder.Eventf(b, nil, corev1.EventTypeWarning, c.Reason, "Evict", "%s", c.Message)
	}
	base := b.DeepCopyObject().(client.Object)
	meta.SetStatusCondition(&status.Conditions, c)
	err := r.client.Status().Patch(ctx, b, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	return client.IgnoreNotFound(err)
}

// tasksMessage describes each eviction task for the Failover condition.
func (r *Reconciler) tasksMessage(generation int64, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) string {
	_, why := failover.PlacementHealthy(generation, spec, status)
	parts := make([]string, 0, len(spec.GracefulEvictionTasks))
	for _, t := range spec.GracefulEvictionTasks {
		p := fmt.Sprintf("leaving %s since %s (%s: %s); ", t.FromCluster, formatTime(t.CreationTimestamp), t.Reason, t.Message)
		grace := r.opts.GracePeriod
		if t.GracePeriodSeconds != nil {
			grace = time.Duration(*t.GracePeriodSeconds) * time.Second
		}
		switch {
		case t.SuppressDeletion != nil && *t.SuppressDeletion:
			p += "purgeMode Never keeps its objects there until the task is removed from spec.gracefulEvictionTasks"
		case !failover.KeepsObjects(&t):
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

func hasNoExecute(ac *clusterv1alpha1.AttachedCluster) bool {
	return slices.ContainsFunc(ac.Spec.Taints, func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute })
}

func (r *Reconciler) forgetBinding(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.unhealthy, key)
	r.mu.Unlock()
}

// bindingsOnTaintedClusters maps a cluster change to the bindings that
// target the cluster or any cluster with a NoExecute taint: a readiness
// change anywhere can lift or impose the pause for all of them.
func (r *Reconciler) bindingsOnTaintedClusters(ctx context.Context, obj client.Object) []reconcile.Request {
	var clusters clusterv1alpha1.AttachedClusterList
	if err := r.client.List(ctx, &clusters, client.InNamespace(r.opts.ClusterNamespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list clusters")
		return nil
	}
	watched := map[string]bool{obj.GetName(): true}
	for i := range clusters.Items {
		if hasNoExecute(&clusters.Items[i]) {
			watched[clusters.Items[i].Name] = true
		}
	}
	return bindings.Matching(ctx, r.client, func(spec *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus) bool {
		return slices.ContainsFunc(spec.Clusters, func(c workv1alpha1.TargetCluster) bool { return watched[c.Name] })
	})
}

// admission is the fleet-wide eviction rate limit. It admits clusters, not
// bindings: once a cluster is admitted all its bindings may leave it, and
// the next failed cluster waits for the limiter. A cluster that loses its
// NoExecute taint is forgotten, so its next outage asks again.
type admission struct {
	mu  sync.Mutex
	lim *rate.Limiter
	at  map[string]time.Time
}

func newAdmission(perSecond float64) *admission {
	return &admission{lim: rate.NewLimiter(rate.Limit(perSecond), 1), at: map[string]time.Time{}}
}

// wait returns how long the cluster must still wait before its evictions
// start (0: now).
func (a *admission) wait(cluster string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	at, ok := a.at[cluster]
	if !ok {
		at = now.Add(a.lim.ReserveN(now, 1).DelayFrom(now))
		a.at[cluster] = at
	}
	if now.Before(at) {
		return at.Sub(now)
	}
	return 0
}

func (a *admission) reset(cluster string) {
	a.mu.Lock()
	delete(a.at, cluster)
	a.mu.Unlock()
}
