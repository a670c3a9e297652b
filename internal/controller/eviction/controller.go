// Package eviction is the failover controller: it moves workloads away from
// failed clusters and failed applications. Every decision (which clusters a
// binding leaves, which evictions wait and why, which graceful eviction tasks
// end, the Failover condition) is failover.Decide's, in pkg/failover; this
// package only reads the binding, the clusters and what it remembers, calls
// Decide, and writes the binding, events and metrics.
//
// It writes only what failover owns: the binding's targets and graceful
// eviction tasks (spec) and its Failover condition. Whether the binding
// needs scheduling after that is the scheduling controller's to decide from
// the binding itself; its fields (schedulerObservedGeneration and the
// others) are left to it.
//
// What it keeps between rounds, in memory: since when each application has
// been Unhealthy in each cluster (lost on a restart, which only ever delays
// an application failover), and the fleet-wide eviction rate limit, which
// spans bindings.
package eviction

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/bindings"
	"github.com/kurator-go/kurator/internal/controller/scheduling"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/pkg/failover"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// DefaultEvictionRate is the default of Options.EvictionRate.
const DefaultEvictionRate = 0.1

// Options configure the failover controller.
type Options struct {
	// ClusterNamespace is where AttachedClusters and Fleets live (default
	// kurator-system).
	ClusterNamespace string
	// PauseShare: when more than this share of clusters is not Ready, no
	// cluster is evicted (default failover.DefaultPauseShare; 1 never
	// pauses).
	PauseShare float64
	// EvictionRate is how many clusters per second may start to be evicted,
	// fleet-wide (default 0.1, one every 10 s; the first one at once).
	EvictionRate float64
	// GracePeriod is the longest a Gracefully evicted cluster keeps its
	// objects when the policy does not say (default
	// failover.DefaultGracePeriod).
	GracePeriod time.Duration
	// MaxConcurrentReconciles (default 4).
	MaxConcurrentReconciles int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Snapshot is the scheduler's view of the fleet for the dry run that
	// holds back evictions whose replicas would fit nowhere else (default:
	// an unshared snapshot.Load through the manager's client).
	Snapshot func(ctx context.Context) (*scheduler.Snapshot, error)
}

func (o Options) withDefaults(c client.Reader) Options {
	if o.ClusterNamespace == "" {
		o.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if o.PauseShare <= 0 {
		o.PauseShare = failover.DefaultPauseShare
	}
	if o.EvictionRate <= 0 {
		o.EvictionRate = DefaultEvictionRate
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = failover.DefaultGracePeriod
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Snapshot == nil {
		ns := o.ClusterNamespace
		o.Snapshot = func(ctx context.Context) (*scheduler.Snapshot, error) {
			snap, _, err := snapshot.Load(ctx, c, ns)
			return snap, err
		}
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
	// status writes the Failover condition with the binding's other
	// status parts (one writer, no optimistic lock to lose).
	status *bindings.StatusWriter

	mu sync.Mutex
	// admit is the fleet-wide eviction rate limit.
	admit *failover.Admission
	// unhealthy: since when an application has been Unhealthy in a
	// cluster, per binding, as the last round decided.
	unhealthy map[types.NamespacedName]map[string]time.Time
}

// SetupWithManager registers the failover controller with mgr.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults(mgr.GetClient())
	registerOnce.Do(func() { metrics.Registry.MustRegister(evictions, heldBack) })
	w, err := bindings.StatusWriterFor(mgr)
	if err != nil {
		return err
	}
	r := &Reconciler{
		client:    mgr.GetClient(),
		opts:      opts,
		recorder:  mgr.GetEventRecorder("kurator-failover"),
		status:    w,
		admit:     failover.NewAdmission(opts.EvictionRate),
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

func (r *Reconciler) reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var b client.Object = &workv1alpha1.ResourceBinding{}
	if req.Namespace == "" {
		b = &workv1alpha1.ClusterResourceBinding{}
	}
	if err := r.client.Get(ctx, req.NamespacedName, b); err != nil {
		if apierrors.IsNotFound(err) {
			r.remember(req.NamespacedName, nil)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !b.GetDeletionTimestamp().IsZero() {
		return reconcile.Result{}, nil
	}
	r.status.Overlay(b)
	clusters, err := r.clusters(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}

	spec, status := workv1alpha1.BindingParts(b)
	now := r.opts.Now()
	d, err := failover.Decide(failover.Input{
		Generation:     b.GetGeneration(),
		Spec:           spec,
		Status:         status,
		Clusters:       clusters,
		Now:            now,
		Options:        failover.Options{PauseShare: r.opts.PauseShare, GracePeriod: r.opts.GracePeriod},
		UnhealthySince: r.unhealthySince(req.NamespacedName),
		Admit:          func(cluster string) time.Duration { return r.wait(cluster, now) },
		DryRun:         func(after *workv1alpha1.ResourceBindingSpec) error { return r.dryRun(ctx, after, status) },
	})
	r.remember(req.NamespacedName, d.UnhealthySince)
	if err != nil {
		return reconcile.Result{}, err
	}
	for _, h := range d.Holds {
		heldBack.WithLabelValues(h.Reason).Inc()
	}

	if d.Spec != nil {
		*spec = *d.Spec
		if err := r.client.Update(ctx, b); err != nil {
			return reconcile.Result{}, err
		}
		for _, e := range d.Evict {
			evictions.WithLabelValues(e.Reason).Inc()
			r.recorder.Eventf(b, nil, corev1.EventTypeWarning, "Evicted", "Evict", "%s", e.EventMessage())
		}
		for _, e := range d.Ended {
			r.recorder.Eventf(b, nil, corev1.EventTypeNormal, "EvictionCompleted", "Evict", "%s", e.Message)
		}
	}
	r.setCondition(b, d)
	return reconcile.Result{RequeueAfter: d.RequeueAfter}, nil
}

// clusters reads the fleet's clusters, and lets the rate limit forget those
// without a NoExecute taint, so that their next outage asks again.
func (r *Reconciler) clusters(ctx context.Context) ([]failover.Cluster, error) {
	var list clusterv1alpha1.AttachedClusterList
	// Read-only: the cache's objects, not a copy of every cluster per binding.
	if err := r.client.List(ctx, &list, client.InNamespace(r.opts.ClusterNamespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	out := make([]failover.Cluster, len(list.Items))
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range list.Items {
		ac := &list.Items[i]
		out[i] = failover.Cluster{Name: ac.Name, Ready: ac.IsReady(), Taints: ac.Spec.Taints}
		if !failover.HasNoExecute(ac.Spec.Taints) {
			r.admit.Forget(ac.Name)
		}
	}
	return out, nil
}

func (r *Reconciler) wait(cluster string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.admit.Wait(cluster, now)
}

func (r *Reconciler) unhealthySince(key types.NamespacedName) map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unhealthy[key]
}

// remember keeps a binding's unhealthy record for the next round; nil
// forgets it.
func (r *Reconciler) remember(key types.NamespacedName, since map[string]time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if since == nil {
		delete(r.unhealthy, key)
		return
	}
	r.unhealthy[key] = since
}

// dryRun runs the scheduler core on the binding as it would be after the
// evictions. Only an unschedulable result holds evictions back; a placement
// the scheduler refuses for another reason is the scheduling controller's to
// report.
func (r *Reconciler) dryRun(ctx context.Context, after *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) error {
	snap, err := r.opts.Snapshot(ctx)
	if err != nil {
		return err
	}
	_, err = scheduler.Schedule(snap, scheduling.RequestOf(after, status))
	if ue := (*scheduler.UnschedulableError)(nil); errors.As(err, &ue) {
		return err
	}
	return nil
}

// setCondition hands the Failover condition the round decided to the
// status writer, and announces a hold that is new as a Warning event. A
// new status or reason (a hold, evicting, completed) is written at once;
// a task's progress in the message waits for the writer's pace.
func (r *Reconciler) setCondition(b client.Object, d failover.Decision) {
	if d.Condition == nil {
		return
	}
	c := *d.Condition
	c.ObservedGeneration = b.GetGeneration()
	if d.AnnounceHold {
		r.recorder.Eventf(b, nil, corev1.EventTypeWarning, c.Reason, "Evict", "%s", c.Message)
	}
	_, status := workv1alpha1.BindingParts(b)
	old := status.DeepCopy()
	prev := meta.FindStatusCondition(old.Conditions, workv1alpha1.ConditionFailover)
	meta.SetStatusCondition(&status.Conditions, c)
	urgent := prev == nil || prev.Status != c.Status || prev.Reason != c.Reason
	r.status.Set(b, bindings.PartFailover, old, status, urgent)
}

// bindingsOnTaintedClusters maps a cluster change to the bindings that
// target the cluster or any cluster with a NoExecute taint: a readiness
// change anywhere can lift or impose the pause for all of them.
func (r *Reconciler) bindingsOnTaintedClusters(ctx context.Context, obj client.Object) []reconcile.Request {
	var clusters clusterv1alpha1.AttachedClusterList
	if err := r.client.List(ctx, &clusters, client.InNamespace(r.opts.ClusterNamespace), client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list clusters")
		return nil
	}
	watched := map[string]bool{obj.GetName(): true}
	for i := range clusters.Items {
		if failover.HasNoExecute(clusters.Items[i].Spec.Taints) {
			watched[clusters.Items[i].Name] = true
		}
	}
	return bindings.Matching(ctx, r.client, func(spec *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus) bool {
		for _, c := range spec.Clusters {
			if watched[c.Name] {
				return true
			}
		}
		return false
	})
}
