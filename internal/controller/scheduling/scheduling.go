// Package scheduling runs the scheduler core (pkg/scheduler) on the hub's
// ResourceBindings and ClusterResourceBindings: it builds a snapshot of the
// fleet from AttachedClusters and Fleets (pkg/fleetview), schedules, and
// records the result in spec.clusters, the Scheduled condition and Events.
//
// Whether a binding is scheduled is decided from the binding itself
// (NeedsSchedule: its placement changed since the last schedule, which an
// annotation written with spec.clusters records; not all replicas placed; a
// target gone; Duplicated; a reschedule requested; or the last attempt
// failed), whatever event woke the controller; the watches below only keep
// it from waking for nothing. Scheduling keeps the previous result
// where the placement allows (steady mode), unless spec.rescheduleTriggeredAt
// is not older than the last schedule. Every binding is scheduled against
// one shared snapshot of the fleet (package snapshot).
package scheduling

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/bindings"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// Options configure the scheduling controller.
type Options struct {
	// ClusterNamespace is where AttachedClusters and Fleets live (default
	// kurator-system).
	ClusterNamespace string
	// MaxConcurrentReconciles is how many bindings are scheduled at once
	// (default 4).
	MaxConcurrentReconciles int
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// Snapshot is the shared view of the fleet (default: one of its own).
	Snapshot *snapshot.Source
}

var (
	schedulingDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kurator_scheduling_duration_seconds",
		Help:    "Time to schedule one binding: snapshot, scheduler core, by result (scheduled, unschedulable, error).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16), // 100µs .. ~3s
	}, []string{"result"})
	registerOnce sync.Once
)

// Reconciler schedules bindings. Requests with an empty namespace are
// ClusterResourceBindings.
type Reconciler struct {
	client   client.Client
	opts     Options
	recorder events.EventRecorder
	// status writes the scheduler's part of binding status (with the
	// binding and status controllers' parts, in one write).
	status *bindings.StatusWriter
}

// NewSnapshotSource makes the shared snapshot for mgr's cache; the
// scheduling and eviction controllers take the same one.
func NewSnapshotSource(mgr ctrl.Manager, clusterNamespace string) (*snapshot.Source, error) {
	if clusterNamespace == "" {
		clusterNamespace = workv1alpha1.SystemNamespace
	}
	return snapshot.New(context.Background(), mgr.GetCache(), mgr.GetClient(), clusterNamespace)
}

// SetupWithManager registers the scheduling controller with mgr.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Snapshot == nil {
		src, err := NewSnapshotSource(mgr, opts.ClusterNamespace)
		if err != nil {
			return err
		}
		opts.Snapshot = src
	}
	registerOnce.Do(func() { metrics.Registry.MustRegister(schedulingDuration) })
	w, err := bindings.StatusWriterFor(mgr)
	if err != nil {
		return err
	}
	r := &Reconciler{client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("kurator-scheduler"), status: w}
	// Status-only updates never change the decision. Every other event
	// reaches NeedsSchedule, which says no for most (a manager start lists
	// every binding as created: those already scheduled keep their result).
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	// Creates of clusters and fleets are left out: the first list after a
	// manager start reports every existing one as created, which would wake
	// every binding for nothing. A new cluster that a waiting binding can
	// use is still seen through the capacity watch.
	fleetChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{}, bindings.NoCreate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("scheduling").
		For(&workv1alpha1.ResourceBinding{}, specChanged).
		// Cluster-scoped: the request's empty namespace tells them apart.
		Watches(&workv1alpha1.ClusterResourceBinding{}, &handler.EnqueueRequestForObject{}, specChanged).
		// A cluster's labels, taints, readiness or APIs changed: its
		// bindings may move, unschedulable bindings may now fit.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.bindingsAffectedByCluster), builder.WithPredicates(schedulingInputChanged{})).
		// Only its capacity changed (every pod started in it does that):
		// scheduled bindings keep their result in steady mode, so only
		// unschedulable ones are worth another try. Requeueing every binding
		// on the cluster here made the scheduler's work grow with the pods.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.unscheduledBindings), builder.WithPredicates(capacityChanged{})).
		// A fleet's membership or preferences changed: everything may move.
		// Its status (ready counts) moves nothing: readiness reaches the
		// scheduler through the clusters, and rescheduling every binding on
		// each count would re-divide static weights over recovered clusters.
		Watches(&fleetv1alpha1.Fleet{}, handler.EnqueueRequestsFromMapFunc(r.allBindings), fleetChanged).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// schedulingInputChanged passes AttachedCluster updates that change what the
// scheduler sees: spec, labels, readiness, API enablements (capacity has its
// own predicate). A health probe that only refreshes timestamps moves nothing.
type schedulingInputChanged struct{ bindings.NoCreate }

func (schedulingInputChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	if !ok1 || !ok2 {
		return true
	}
	if o.Generation != n.Generation || !maps.Equal(o.Labels, n.Labels) || o.IsReady() != n.IsReady() {
		return true
	}
	if oc, nc := o.ReadyCondition(), n.ReadyCondition(); (oc == nil) != (nc == nil) || (oc != nil && oc.Status != nc.Status) {
		return true
	}
	return !equality.Semantic.DeepEqual(o.Status.APIEnablements, n.Status.APIEnablements)
}

// capacityChanged passes AttachedCluster updates that change its resource summary.
type capacityChanged struct{ predicate.Funcs }

func (capacityChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	return ok1 && ok2 && !equality.Semantic.DeepEqual(o.Status.ResourceSummary, n.Status.ResourceSummary)
}

// Reconcile retries write conflicts quietly: another controller wrote the
// binding in between, and the next round reads its version.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := r.reconcile(ctx, req)
	if apierrors.IsConflict(err) {
		return reconcile.Result{RequeueAfter: conflictRetry}, nil
	}
	return res, err
}

// reconcile schedules one binding.
func (r *Reconciler) reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var b client.Object = &workv1alpha1.ResourceBinding{}
	if req.Namespace == "" {
		b = &workv1alpha1.ClusterResourceBinding{}
	}
	if err := r.client.Get(ctx, req.NamespacedName, b); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !b.GetDeletionTimestamp().IsZero() {
		return reconcile.Result{}, nil
	}
	r.status.Overlay(b)
	spec, status := workv1alpha1.BindingParts(b)
	if spec.Placement == nil {
		return reconcile.Result{}, nil
	}
	if placedByDetector(spec, status, b.GetAnnotations()[workv1alpha1.ScheduledPlacementAnnotation]) {
		// The detector created the binding placed by this same core
		// (FirstPlacement); record that result. Scheduling again would
		// see the capacity its own Works took since, and move a dynamic
		// weight binding whose Works were just created.
		now := status.DeepCopy()
		t := metav1.NewTime(r.opts.Now())
		now.LastScheduledTime = &t
		now.SchedulerObservedGeneration = b.GetGeneration()
		meta.SetStatusCondition(&now.Conditions, metav1.Condition{
			Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionTrue, Reason: workv1alpha1.ReasonSuccess,
			Message: "scheduled to " + targetsOf(spec.Clusters).String(), ObservedGeneration: b.GetGeneration(),
		})
		r.status.Set(b, bindings.PartScheduler, status, now, false)
		return reconcile.Result{}, nil
	}
	snap, view, err := r.opts.Snapshot.Get(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	if NeedsSchedule(spec, status, b.GetAnnotations()[workv1alpha1.ScheduledPlacementAnnotation], snap.Has) == "" {
		// Nothing to do; still say this generation was looked at.
		if status.SchedulerObservedGeneration == b.GetGeneration() {
			return reconcile.Result{}, nil
		}
		now := status.DeepCopy()
		now.SchedulerObservedGeneration = b.GetGeneration()
		r.status.Set(b, bindings.PartScheduler, status, now, false)
		return reconcile.Result{}, nil
	}

	start := time.Now()
	sreq := RequestOf(spec, status)
	// The cost weight is the policy's annotation, which the detector copies
	// onto the binding next to the placement it copies into the spec.
	var res scheduler.Result
	sreq.CostWeight, err = scheduler.CostWeightOf(b.GetAnnotations())
	badWeight := err != nil
	if !badWeight {
		res, err = scheduler.Schedule(snap, sreq)
	}
	result := "scheduled"
	var ue *scheduler.UnschedulableError
	switch {
	case errors.As(err, &ue):
		result = "unschedulable"
	case err != nil:
		result = "error"
	}
	schedulingDuration.WithLabelValues(result).Observe(time.Since(start).Seconds())

	before := b.DeepCopyObject().(client.Object)
	if err == nil {
		clusters := make([]workv1alpha1.TargetCluster, len(res.Targets))
		for i, t := range res.Targets {
			clusters[i] = workv1alpha1.TargetCluster{Name: t.Name, Replicas: t.Replicas}
		}
		// The result and the placement it is for go in one write.
		digest := PlacementDigest(spec.Placement)
		moved := !equality.Semantic.DeepEqual(clusters, spec.Clusters)
		hadClusters := len(spec.Clusters) > 0
		if moved || b.GetAnnotations()[workv1alpha1.ScheduledPlacementAnnotation] != digest {
			spec.Clusters = clusters
			ann := b.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[workv1alpha1.ScheduledPlacementAnnotation] = digest
			b.SetAnnotations(ann)
			if err := r.client.Update(ctx, b); err != nil {
				return reconcile.Result{}, err
			}
		}
		// An event only for a placement that moved: the first one is the
		// Scheduled condition's message, and an event is a hub write.
		if moved && hadClusters {
			r.recorder.Eventf(b, nil, "Normal", "Scheduled", "Schedule", "rescheduled to %s", res.String())
		}
		// The update returned the new generation; recompute after it.
		r.status.Overlay(b)
		_, status = workv1alpha1.BindingParts(b)
		now := metav1.NewTime(r.opts.Now())
		status.LastScheduledTime = &now
		status.SchedulerObservedAffinityName = res.AffinityName
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{
			Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionTrue, Reason: workv1alpha1.ReasonSuccess,
			Message: "scheduled to " + res.String(), ObservedGeneration: b.GetGeneration(),
		})
	} else {
		reason := workv1alpha1.ReasonSchedulerError
		policy := policyOf(spec)
		msg := fmt.Sprintf("%v; fix spec.placement of %s", err, policy)
		if badWeight {
			msg = fmt.Sprintf("%v on %s", err, policy)
		}
		if ue != nil {
			reason = workv1alpha1.ReasonNoClusterFit
			msg = fmt.Sprintf("%v; change spec.placement of %s or add capacity (retried when clusters change)", err, policy)
		}
		if len(view.Problems) > 0 {
			msg += fmt.Sprintf("; note: %d Fleet problem(s) left part of the fleet out of scheduling, see kubectl describe fleet -n %s", len(view.Problems), r.opts.ClusterNamespace)
		}
		if c := meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionScheduled); c == nil || c.Message != msg {
			r.recorder.Eventf(b, nil, "Warning", "ScheduleFailed", "Schedule", "%s", msg)
		}
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{
			Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionFalse, Reason: reason,
			Message: msg, ObservedGeneration: b.GetGeneration(),
		})
	}
	status.SchedulerObservedGeneration = b.GetGeneration()
	r.patchStatus(before, b)
	return reconcile.Result{}, nil
}

// patchStatus hands the scheduler's status to the writer if it changed,
// keeping the last scheduled time when nothing else did (a no-op schedule
// must not churn the object). A failure is written at once; a success
// waits for the Works it leads to, whose status goes in the same write.
func (r *Reconciler) patchStatus(before, b client.Object) {
	_, old := workv1alpha1.BindingParts(before)
	_, now := workv1alpha1.BindingParts(b)
	cmpNew := now.DeepCopy()
	cmpNew.LastScheduledTime = old.LastScheduledTime
	if equality.Semantic.DeepEqual(old, cmpNew) && old.LastScheduledTime != nil {
		return
	}
	r.status.Set(b, bindings.PartScheduler, old, now, !now.IsScheduled())
}

// policyOf names the policy a binding came from, for messages that must
// point at what the user wrote, not at the generated binding.
func policyOf(spec *workv1alpha1.ResourceBindingSpec) string {
	p := spec.Policy
	switch {
	case p == nil:
		return "the policy that claimed it"
	case p.Namespace != "":
		return fmt.Sprintf("%s %s/%s", p.Kind, p.Namespace, p.Name)
	default:
		return fmt.Sprintf("%s %s", p.Kind, p.Name)
	}
}

// placedByDetector: the binding carries FirstPlacement's result for its
// current placement and the scheduler has never recorded one. A placement
// with clusterAffinities is scheduled again: the term the result used is
// not recorded with it.
func placedByDetector(spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus, scheduledFor string) bool {
	return spec.Placement != nil && len(spec.Placement.ClusterAffinities) == 0 && len(spec.Clusters) > 0 &&
		meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionScheduled) == nil &&
		status.LastScheduledTime == nil && spec.RescheduleTriggeredAt == nil &&
		scheduledFor == PlacementDigest(spec.Placement)
}

// targetsOf is spec.clusters as a scheduler result (for its message).
func targetsOf(clusters []workv1alpha1.TargetCluster) scheduler.Result {
	var res scheduler.Result
	for _, c := range clusters {
		res.Targets = append(res.Targets, scheduler.TargetCluster{Name: c.Name, Replicas: c.Replicas})
	}
	return res
}

// RequestOf is the scheduler request for a binding: its resource, replicas,
// per-replica request and placement, with the current result as Previous
// (steady mode) unless a reschedule was triggered after the last schedule.
func RequestOf(spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) scheduler.Request {
	res := spec.Resource
	req := scheduler.Request{
		Resource:             scheduler.ResourceRef{APIVersion: res.APIVersion, Kind: res.Kind, Namespace: res.Namespace, Name: res.Name, UID: res.UID},
		Replicas:             spec.Replicas,
		Placement:            spec.Placement,
		ObservedAffinityName: status.SchedulerObservedAffinityName,
	}
	if spec.ReplicaRequirements != nil {
		req.PerReplica = spec.ReplicaRequirements.ResourceRequest
	}
	for _, c := range spec.Clusters {
		req.Previous = append(req.Previous, scheduler.TargetCluster{Name: c.Name, Replicas: c.Replicas})
	}
	for _, t := range spec.GracefulEvictionTasks {
		req.EvictingClusters = append(req.EvictingClusters, t.FromCluster)
	}
	req.Fresh = rescheduleRequested(spec, status)
	return req
}

// rescheduleRequested: spec.rescheduleTriggeredAt is not older than the last
// schedule. Both times are stored with one-second precision, so a schedule
// in the same second as the request may predate it: schedule afresh again
// rather than miss the request.
func rescheduleRequested(spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) bool {
	triggered, last := spec.RescheduleTriggeredAt, status.LastScheduledTime
	return triggered != nil && (last == nil || !last.After(triggered.Time))
}

// bindingsAffectedByCluster: bindings not yet scheduled (the cluster may now
// fit them), bindings targeting the cluster, and Duplicated ones (a cluster
// that turns Ready or matches now gets them).
func (r *Reconciler) bindingsAffectedByCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	return bindings.Matching(ctx, r.client, func(spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) bool {
		return waiting(spec, status) || spec.TargetContains(obj.GetName()) || (spec.Placement != nil && duplicated(spec))
	})
}

func (r *Reconciler) unscheduledBindings(ctx context.Context, _ client.Object) []reconcile.Request {
	return bindings.Matching(ctx, r.client, waiting)
}

// waiting: the binding has a placement and its last schedule failed, or it
// has none yet. Bindings without a placement are never scheduled, so no
// cluster change helps them. One the detector created already placed (no
// Scheduled condition yet, targets set) is not waiting: its own create
// event schedules it, and in a bulk of new workloads counting those woke
// every one of them again on each pod start in any cluster.
func waiting(spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) bool {
	if spec.Placement == nil {
		return false
	}
	if c := meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionScheduled); c != nil {
		return c.Status != metav1.ConditionTrue
	}
	return len(spec.Clusters) == 0
}

func (r *Reconciler) allBindings(ctx context.Context, _ client.Object) []reconcile.Request {
	return bindings.Matching(ctx, r.client, func(*workv1alpha1.ResourceBindingSpec, *workv1alpha1.ResourceBindingStatus) bool { return true })
}

// conflictRetry is how soon a reconcile that lost a write race runs again;
// by then the cache holds the winner's version.
const conflictRetry = 20 * time.Millisecond
