// Package execution applies Works to member clusters: every manifest of a
// Work is server-side applied (field manager "kurator", forced) to the
// cluster its namespace names, Works of all clusters in parallel. Edits made
// directly in a member are reverted: the applied objects are watched and
// their Work requeued on change, and every Work is resynced periodically.
// Deleting a Work deletes its objects from the member.
package execution

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	"github.com/kurator-go/kurator/internal/memberwatch"
)

const (
	// FieldManager is the server-side apply field manager in members.
	FieldManager = "kurator"
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

	// applied remembers, per member object, what the last apply returned, so
	// an unchanged object whose manifest did not change is not applied again.
	mu      sync.Mutex
	applied map[objectKey]appliedState
}

type objectKey struct {
	cluster   string
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

// appliedState is what the member returned for our last apply. Generation
// detects spec edits of kinds that track it; kinds without a generation fall
// back to the resourceVersion (they have no status writers to churn it).
type appliedState struct {
	hash            string
	generation      int64
	resourceVersion string
}

// SetupWithManager registers the execution controller.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	if opts.Clients == nil || opts.Watcher == nil {
		return errors.New("execution: Options.Clients and Options.Watcher are required")
	}
	registerMetrics()
	r := &Reconciler{
		Client:   mgr.GetClient(),
		opts:     opts,
		recorder: mgr.GetEventRecorder("kurator-execution"),
		applied:  map[objectKey]appliedState{},
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
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	cluster, ok := workv1alpha1.ClusterOfExecutionNamespace(work.Namespace)
	if !ok {
		return ctrl.Result{}, nil
	}
	if !work.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, cluster, &work)
	}
	if controllerutil.AddFinalizer(&work, Finalizer) {
		if err := r.Update(ctx, &work); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := work.DeepCopy()
	defer func() {
		if equalStatus(before.Status, work.Status) {
			if err != nil {
				result = ctrl.Result{} // the error requeues with backoff
			}
			return
		}
		// Server-side apply of only the fields this controller owns: the
		// status collector owns the rest of each entry, so neither needs
		// the other's latest version and a stale cache cannot conflict.
		perr := r.Status().Patch(ctx, executionStatus(&work), client.Apply, client.FieldOwner(workv1alpha1.FieldManagerExecution), client.ForceOwnership)
		if perr != nil && !apierrors.IsNotFound(perr) {
			err = errors.Join(err, fmt.Errorf("apply Work status: %w", perr))
		}
		if err != nil {
			result = ctrl.Result{} // the error requeues with backoff
		}
	}()
	return r.reconcileNormal(ctx, cluster, &work)
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
	manifests, err := decodeManifests(client.ObjectKeyFromObject(work), work.Spec.Workload.Manifests)
	if err != nil {
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonAppliedFailed,
			fmt.Sprintf("cannot decode the Work's manifests: %v: fix the resource template or override that produced it", err))
		return ctrl.Result{}, nil
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
	var (
		ids     []workv1alpha1.ResourceIdentifier
		failed  []string
		applies int
	)
	for _, m := range manifests {
		did, err := r.applyOne(ctx, cluster, dyn, mapper, m)
		ids = append(ids, identifier(m)) // after applyOne defaulted the namespace
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		if did {
			applies++
		}
	}
	if applies > 0 {
		propagationDuration.WithLabelValues(cluster).Observe(time.Since(start).Seconds())
	}
	failed = append(failed, r.pruneDropped(ctx, cluster, dyn, mapper, work, work.Status.ManifestStatuses, ids)...)
	work.Status.ManifestStatuses = mergeIdentifiers(work.Status.ManifestStatuses, ids)
	if len(failed) > 0 {
		msg := fmt.Sprintf("%d of %d manifests failed in cluster %s: %s; fix the template or its overrides, or the member (permissions, admission, missing CRD); retried every %s",
			len(failed), len(manifests), cluster, strings.Join(failed, "; "), r.opts.ResyncPeriod)
		setApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonAppliedFailed, msg)
		r.recorder.Eventf(work, nil, "Warning", workv1alpha1.ReasonAppliedFailed, "Apply", "%s", msg)
		return ctrl.Result{}, errors.New(msg)
	}
	setApplied(work, metav1.ConditionTrue, workv1alpha1.ReasonAppliedSuccessful,
		fmt.Sprintf("all %d manifests applied to cluster %s", len(manifests), cluster))
	return resync, nil
}

// applyOne applies one manifest unless the member already holds what it
// describes. It reports whether it called the member.
func (r *Reconciler) applyOne(ctx context.Context, cluster string, dyn dynamic.Interface, mapper meta.ResettableRESTMapper, m manifest) (bool, error) {
	obj := m.obj
	gvk := obj.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// The kind may have been installed since discovery was cached.
		mapper.Reset()
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return false, fmt.Errorf("%s %s: cluster does not serve %s: %v", gvk.Kind, obj.GetName(), gvk.GroupVersion(), err)
	}
	namespaced := mapping.Scope.Name() == meta.RESTScopeNameNamespace
	if namespaced && obj.GetNamespace() == "" {
		obj.SetNamespace(metav1.NamespaceDefault)
	}
	if !namespaced {
		obj.SetNamespace("")
	}
	key := objectKey{cluster: cluster, gvr: mapping.Resource, namespace: obj.GetNamespace(), name: obj.GetName()}
	if err := r.opts.Watcher.Ensure(ctx, cluster, mapping.Resource); err != nil {
		return false, fmt.Errorf("watch %s: %v", mapping.Resource.Resource, err)
	}
	if r.unchanged(key, m.hash) {
		return false, nil
	}

	var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if namespaced {
		ri = dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	got, err := ri.Apply(ctx, obj.GetName(), obj, opts)
	if namespaced && apierrors.IsNotFound(err) {
		if nerr := ensureNamespace(ctx, dyn, obj.GetNamespace()); nerr != nil {
			return true, fmt.Errorf("create namespace %s: %v", obj.GetNamespace(), nerr)
		}
		got, err = ri.Apply(ctx, obj.GetName(), obj, opts)
	}
	if err != nil {
		r.forget(key)
		return true, fmt.Errorf("apply %s %s: %v", gvk.Kind, namespacedName(obj), err)
	}
	r.remember(key, appliedState{hash: m.hash, generation: got.GetGeneration(), resourceVersion: got.GetResourceVersion()})
	return true, nil
}

// unchanged reports whether the watched member object still is what the last
// apply of the same manifest produced. Any doubt (no synced watch, no record,
// object gone) means apply.
func (r *Reconciler) unchanged(key objectKey, hash string) bool {
	r.mu.Lock()
	last, ok := r.applied[key]
	r.mu.Unlock()
	if !ok || last.hash != hash {
		return false
	}
	live, synced := r.opts.Watcher.Get(key.cluster, key.gvr, key.namespace, key.name)
	if !synced || live == nil || live.GetAnnotations()[memberwatch.ManifestHashAnnotation] != hash {
		return false
	}
	if live.GetGeneration() != 0 || last.generation != 0 {
		return live.GetGeneration() == last.generation
	}
	return live.GetResourceVersion() == last.resourceVersion
}

func (r *Reconciler) remember(key objectKey, s appliedState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied[key] = s
}

func (r *Reconciler) forget(key objectKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.applied, key)
}

// ensureNamespace creates a namespace in the member. It is not labelled as
// Kurator's, so deleting the Work leaves it.
func ensureNamespace(ctx context.Context, dyn dynamic.Interface, name string) error {
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	_, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
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
	manifests, err := decodeManifests(client.ObjectKeyFromObject(work), work.Spec.Workload.Manifests)
	if err != nil {
		return nil // nothing could have been applied
	}
	dyn, err := r.opts.Clients.Dynamic(ctx, cluster)
	if err != nil {
		return err
	}
	mapper, err := r.opts.Clients.RESTMapper(ctx, cluster)
	if err != nil {
		return err
	}
	owner := client.ObjectKeyFromObject(work).String()
	var errs []error
	for i := len(manifests) - 1; i >= 0; i-- {
		if isNamespace(manifests[i].obj) {
			continue
		}
		if err := r.deleteOwned(ctx, cluster, dyn, mapper, owner, identifier(manifests[i])); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteOwned deletes the member object id names if owner (the Work's
// "namespace/name") still owns it; another Work may have taken it over.
func (r *Reconciler) deleteOwned(ctx context.Context, cluster string, dyn dynamic.Interface, mapper meta.RESTMapper, owner string, id workv1alpha1.ResourceIdentifier) error {
	mapping, err := mapper.RESTMapping(schema.GroupKind{Group: id.Group, Kind: id.Kind}, id.Version)
	if meta.IsNoMatchError(err) {
		return nil // never served, never applied
	}
	if err != nil {
		// Discovery failed (the member is unreachable, or was when this
		// manager started): the object may well be there. Releasing the Work
		// now would leave it behind for good; retry with fresh discovery.
		if rm, ok := mapper.(meta.ResettableRESTMapper); ok {
			rm.Reset()
		}
		return fmt.Errorf("look up %s %s in %s: %w", id.Kind, id.Name, cluster, err)
	}
	var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := id.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = dyn.Resource(mapping.Resource).Namespace(ns)
	}
	live, err := ri.Get(ctx, id.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s %s: %w", id.Kind, id.Name, err)
	}
	if live.GetAnnotations()[memberwatch.WorkAnnotation] != owner {
		return nil
	}
	bg := metav1.DeletePropagationBackground
	pre := metav1.Preconditions{UID: ptrUID(live.GetUID())}
	if err := ri.Delete(ctx, id.Name, metav1.DeleteOptions{PropagationPolicy: &bg, Preconditions: &pre}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete %s %s: %w", id.Kind, namespacedName(live), err)
	}
	r.forget(objectKey{cluster: cluster, gvr: mapping.Resource, namespace: live.GetNamespace(), name: live.GetName()})
	return nil
}

// pruneDropped deletes the objects a previous version of the Work applied
// that its manifests no longer list.
func (r *Reconciler) pruneDropped(ctx context.Context, cluster string, dyn dynamic.Interface, mapper meta.RESTMapper, work *workv1alpha1.Work, old []workv1alpha1.ManifestStatus, ids []workv1alpha1.ResourceIdentifier) []string {
	var failed []string
	owner := client.ObjectKeyFromObject(work).String()
	for _, o := range old {
		if o.Kind == "" || (o.Kind == "Namespace" && o.Group == "") {
			continue // released by us already, or a namespace others may use
		}
		if listed(ids, o.ResourceIdentifier) {
			continue
		}
		if err := r.deleteOwned(ctx, cluster, dyn, mapper, owner, o.ResourceIdentifier); err != nil {
			failed = append(failed, err.Error())
		}
	}
	return failed
}

// listed reports whether ids names the same object as id (ordinals may move).
func listed(ids []workv1alpha1.ResourceIdentifier, id workv1alpha1.ResourceIdentifier) bool {
	for _, x := range ids {
		if x.Group == id.Group && x.Kind == id.Kind && x.Namespace == id.Namespace && x.Name == id.Name {
			return true
		}
	}
	return false
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
	meta.SetStatusCondition(&work.Status.Conditions, metav1.Condition{
		Type:               workv1alpha1.ConditionApplied,
		Status:             status,
		Reason:             reason,
		Message:            msg,
		ObservedGeneration: work.Generation,
	})
}

func namespacedName(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return obj.GetNamespace() + "/" + obj.GetName()
}

func ptrUID(u types.UID) *types.UID { return &u }

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
