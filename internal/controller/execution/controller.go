// Package execution applies Works to member clusters: every manifest of a
// Work is server-side applied (field manager "kurator", forced) to the
// cluster its namespace names, Works of all clusters in parallel. Edits made
// directly in a member are reverted: the applied objects are watched and
// their Work requeued on change, and every Work is resynced periodically.
// Deleting a Work deletes its objects from the member.
//
// Execution also writes the Work's whole status, the Applied condition and
// each object's health and status read from the member watch, in one
// server-side apply: an apply and the readiness that follows it usually
// cost one hub write (internal/writepace holds progress briefly).
package execution

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/apply"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/internal/objectstatus"
	"github.com/kurator-go/kurator/internal/writepace"
)

const (
	// FieldManager is the server-side apply field manager in members.
	FieldManager = apply.FieldManager
	// Finalizer holds a Work until its objects are removed from the member.
	Finalizer = workv1alpha1.ExecutionFinalizer
)

// Clients gives clients for a member cluster by name; member.Registry
// satisfies it.
type Clients interface {
	Dynamic(ctx context.Context, cluster string) (dynamic.Interface, error)
	RESTMapper(ctx context.Context, cluster string) (meta.ResettableRESTMapper, error)
}

// Options configure the execution controller.
type Options struct {
	// Clients reach the members (required): member.NewRegistry(mgr.GetClient()).
	Clients Clients
	// Watcher watches applied objects in members (required, shared with the
	// status controller; add it to the manager with mgr.Add).
	Watcher *memberwatch.Watcher
	// MaxConcurrentReconciles is how many Works are applied at once (default 10).
	MaxConcurrentReconciles int
	// ResyncPeriod is how often every Work is re-checked against its member
	// objects (default 30s); drift the watch misses is reverted within it.
	ResyncPeriod time.Duration
	// ClusterNamespace is where AttachedClusters live (default kurator-system).
	ClusterNamespace string
	// StatusHold and StatusInterval pace status writes that only show
	// progress (writepace; 0: its defaults). Failures and a Work whose
	// objects are all healthy are written at once.
	StatusHold, StatusInterval time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 10
	}
	if o.ResyncPeriod <= 0 {
		o.ResyncPeriod = 30 * time.Second
	}
	if o.ClusterNamespace == "" {
		o.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	return o
}

// Reconciler applies Works to members.
type Reconciler struct {
	client.Client
	opts     Options
	recorder events.EventRecorder
	// applier applies Works to members (shared code with the pull agent).
	applier *apply.Applier
	// statusWrites paces the Work status writes.
	statusWrites *writepace.Pacer
}

// SetupWithManager registers the execution controller.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	if opts.Clients == nil || opts.Watcher == nil {
		return errors.New("execution: Options.Clients and Options.Watcher are required")
	}
	registerMetrics()
	r := &Reconciler{
		Client:       mgr.GetClient(),
		opts:         opts,
		recorder:     mgr.GetEventRecorder("kurator-execution"),
		applier:      apply.New(opts.Watcher),
		statusWrites: writepace.New(opts.StatusHold, opts.StatusInterval),
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("execution").
		For(&workv1alpha1.Work{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletingPredicate()))).
		// A cluster turning Ready releases the Works waiting for it.
		// Only readiness matters: capacity updates (every pod changes them)
		// would otherwise requeue every Work of the cluster each probe.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.worksOfCluster), builder.WithPredicates(readinessChanged{})).
		// A member object that changed (drift) requeues its Work.
		WatchesRawSource(source.Channel(opts.Watcher.Subscribe(), &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// deletingPredicate passes updates that set the deletion timestamp (a
// generation change predicate would drop them).
func deletingPredicate() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e eventUpdate) bool {
		return e.ObjectNew.GetDeletionTimestamp() != nil
	}}
}

// worksOfCluster maps an AttachedCluster to the Works in its execution
// namespace.
func (r *Reconciler) worksOfCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	var works workv1alpha1.WorkList
	if err := r.List(ctx, &works, client.InNamespace(workv1alpha1.ExecutionNamespace(obj.GetName()))); err != nil {
		log.FromContext(ctx).Error(err, "list Works of cluster", "cluster", obj.GetName())
		return nil
	}
	out := make([]reconcile.Request, 0, len(works.Items))
	for i := range works.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&works.Items[i])})
	}
	return out
}

// Reconcile applies one Work to its member, or removes its objects there.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	var work workv1alpha1.Work
	if err := r.Get(ctx, req.NamespacedName, &work); err != nil {
		if apierrors.IsNotFound(err) {
			r.statusWrites.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	cluster, ok := workv1alpha1.ClusterOfExecutionNamespace(work.Namespace)
	if !ok {
		return ctrl.Result{}, nil
	}
	if r.pullCluster(ctx, cluster) {
		// Its agent applies the Work, reports its status and, on deletion,
		// removes the objects and then the finalizer (internal/agent/sync).
		return ctrl.Result{}, nil
	}
	if !work.DeletionTimestamp.IsZero() {
		r.statusWrites.Forget(req.NamespacedName)
		return r.reconcileDelete(ctx, cluster, &work)
	}
	if controllerutil.AddFinalizer(&work, Finalizer) {
		if err := r.Update(ctx, &work); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := work.DeepCopy()
	defer func() {
		if err != nil {
			result = ctrl.Result{} // the error requeues with backoff
		}
		if equalStatus(before.Status, work.Status) {
			r.statusWrites.Settle(req.NamespacedName)
			return
		}
		if wait := r.statusWrites.Wait(req.NamespacedName, settled(&work)); wait > 0 {
			if err == nil && (result.RequeueAfter == 0 || wait < result.RequeueAfter) {
				result = ctrl.Result{RequeueAfter: wait}
			}
			return
		}
		// Server-side apply, forced: execution is the only writer of a push
		// cluster's Work status, and an apply request needs no fresh
		// resourceVersion, so a stale cache cannot conflict.
		perr := r.Status().Patch(ctx, apply.ExecutionStatus(&work), client.Apply, client.FieldOwner(workv1alpha1.FieldManagerExecution), client.ForceOwnership)
		switch {
		case perr == nil:
			r.statusWrites.Wrote(req.NamespacedName)
		case apierrors.IsNotFound(perr):
		default:
			err = errors.Join(err, fmt.Errorf("apply Work status: %w", perr))
			result = ctrl.Result{}
		}
	}()
	return r.reconcileNormal(ctx, cluster, &work)
}

// settled reports whether a Work's status is worth writing at once: it is
// not applied (a failure, a wait for the cluster, a suspension) or every
// object it applied is healthy. An applied Work whose objects are still
// rolling out is progress, written paced.
func settled(work *workv1alpha1.Work) bool {
	c := meta.FindStatusCondition(work.Status.Conditions, workv1alpha1.ConditionApplied)
	if c == nil || c.Status != metav1.ConditionTrue {
		return true
	}
	for _, ms := range work.Status.ManifestStatuses {
		if ms.Kind != "" && ms.Health != workv1alpha1.ResourceHealthy {
			return false
		}
	}
	return true
}

func (r *Reconciler) reconcileNormal(ctx context.Context, cluster string, work *workv1alpha1.Work) (ctrl.Result, error) {
	resync := ctrl.Result{RequeueAfter: r.opts.ResyncPeriod}
	if work.DispatchingSuspended() {
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonDispatchSuspended,
			"dispatching is suspended (spec.suspendDispatching): nothing is applied to "+cluster+" until it is unset")
		return ctrl.Result{}, nil
	}
	if msg, ready := r.clusterReady(ctx, cluster); !ready {
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonClusterUnreachable, msg)
		return resync, nil
	}
	dyn, err := r.opts.Clients.Dynamic(ctx, cluster)
	if err != nil {
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonClusterUnreachable, fmt.Sprintf("no client for cluster %s: %v", cluster, err))
		return ctrl.Result{}, err
	}
	mapper, err := r.opts.Clients.RESTMapper(ctx, cluster)
	if err != nil {
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonClusterUnreachable, fmt.Sprintf("no client for cluster %s: %v", cluster, err))
		return ctrl.Result{}, err
	}

	start := time.Now()
	res, err := r.applier.Apply(ctx, apply.Member{Name: cluster, Dynamic: dyn, Mapper: mapper}, work)
	if err != nil {
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonAppliedFailed, apply.DecodeFailedMessage(err))
		return ctrl.Result{}, nil
	}
	if res.Applies > 0 {
		propagationDuration.WithLabelValues(cluster).Observe(time.Since(start).Seconds())
	}
	msg := apply.Report(work, cluster, res, r.opts.ResyncPeriod)
	// Each applied object's health and status, from the member watch (the
	// member itself until the watch has synced, or while it lags the apply).
	refreshErr := objectstatus.Refresh(ctx, work, objectstatus.MemberLookup(cluster, dyn, mapper, r.applier))
	if msg != "" {
		r.recorder.Eventf(work, nil, "Warning", workv1alpha1.ReasonAppliedFailed, "Apply", "%s", msg)
		return ctrl.Result{}, errors.New(msg)
	}
	return resync, refreshErr
}

// reconcileDelete removes the Work's objects from the member (unless
// preserveResourcesOnDeletion), then releases the Work. Namespaces are kept:
// other Works' objects may live in them.
func (r *Reconciler) reconcileDelete(ctx context.Context, cluster string, work *workv1alpha1.Work) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(work, Finalizer) {
		return ctrl.Result{}, nil
	}
	preserve := work.Spec.PreserveResourcesOnDeletion != nil && *work.Spec.PreserveResourcesOnDeletion
	if !preserve {
		if err := r.deleteFromMember(ctx, cluster, work); err != nil {
			r.recorder.Eventf(work, nil, "Warning", "DeleteFailed", "Delete", "remove objects from cluster %s: %v", cluster, err)
			return ctrl.Result{}, err
		}
	}
	controllerutil.RemoveFinalizer(work, Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Update(ctx, work))
}

func (r *Reconciler) deleteFromMember(ctx context.Context, cluster string, work *workv1alpha1.Work) error {
	var ac clusterv1alpha1.AttachedCluster
	err := r.Get(ctx, types.NamespacedName{Namespace: r.opts.ClusterNamespace, Name: cluster}, &ac)
	if apierrors.IsNotFound(err) {
		// The cluster left the fleet: nothing to reach, nothing to clean.
		return nil
	}
	if err != nil {
		return err
	}
	dyn, err := r.opts.Clients.Dynamic(ctx, cluster)
	if err != nil {
		return err
	}
	mapper, err := r.opts.Clients.RESTMapper(ctx, cluster)
	if err != nil {
		return err
	}
	return r.applier.Delete(ctx, apply.Member{Name: cluster, Dynamic: dyn, Mapper: mapper}, work)
}

// pullCluster reports whether cluster is joined in Pull mode (its agent
// does this controller's job). A cluster that is absent or cannot be read is
// handled here as before: waiting for it, or releasing its deleted Works.
func (r *Reconciler) pullCluster(ctx context.Context, cluster string) bool {
	var ac clusterv1alpha1.AttachedCluster
	if err := r.Get(ctx, types.NamespacedName{Namespace: r.opts.ClusterNamespace, Name: cluster}, &ac); err != nil {
		return false
	}
	return ac.IsPull()
}

// clusterReady reports whether the AttachedCluster is Ready, and if not a
// message saying what the Work waits for.
func (r *Reconciler) clusterReady(ctx context.Context, cluster string) (string, bool) {
	var ac clusterv1alpha1.AttachedCluster
	err := r.Get(ctx, types.NamespacedName{Namespace: r.opts.ClusterNamespace, Name: cluster}, &ac)
	if apierrors.IsNotFound(err) {
		r.opts.Watcher.Forget(cluster)
		return fmt.Sprintf("waiting for AttachedCluster %s/%s: it does not exist; join the cluster with `kurator join %s`", r.opts.ClusterNamespace, cluster, cluster), false
	}
	if err != nil {
		return fmt.Sprintf("waiting for AttachedCluster %s/%s: %v", r.opts.ClusterNamespace, cluster, err), false
	}
	if !ac.IsReady() {
		why := "no health probe has reported yet"
		if c := ac.ReadyCondition(); c != nil {
			why = fmt.Sprintf("Ready=%s (%s: %s)", c.Status, c.Reason, c.Message)
		}
		return fmt.Sprintf("waiting for cluster %s to become Ready: %s; applied automatically when it does", cluster, why), false
	}
	return "", true
}

func setApplied(work *workv1alpha1.Work, status metav1.ConditionStatus, reason, msg string) {
	apply.SetApplied(work, status, reason, msg)
}

// readinessChanged passes AttachedCluster creations, deletions and updates
// that change its Ready condition's status.
type readinessChanged struct{ predicate.Funcs }

func (readinessChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	if !ok1 || !ok2 {
		return true
	}
	oc, nc := o.ReadyCondition(), n.ReadyCondition()
	return (oc == nil) != (nc == nil) || (oc != nil && oc.Status != nc.Status)
}
