// Package binding turns a scheduled (Cluster)ResourceBinding into Works: for
// every target cluster it copies the template, sets the cluster's share of
// the replicas, applies the override policies that select it and then the
// StorageAdaptations (pkg/workload, pkg/overrides and pkg/storageadapt, as
// `kurator plan --render` does) and writes a Work in
// the cluster's execution namespace on the hub. Works of clusters no longer
// targeted (and not being left gracefully, see spec.gracefulEvictionTasks),
// and of bindings that are gone, are deleted.
//
// Namespaces: a namespaced template's Work carries its Namespace as the first
// manifest, so the namespace exists in the member before the object. The
// execution controller never deletes Namespaces it applied (other Works'
// objects may live in them), so deleting a Work leaves the namespace.
package binding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/bindings"
	"github.com/kurator-go/kurator/internal/controller/detector"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/internal/controller/works"
	"github.com/kurator-go/kurator/pkg/failover"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/rollout"
	"github.com/kurator-go/kurator/pkg/selector"
	"github.com/kurator-go/kurator/pkg/storageadapt"
	"github.com/kurator-go/kurator/pkg/workload"
)

const (
	// Finalizer holds a binding until its Works are deleted.
	Finalizer = workv1alpha1.BindingFinalizer
)

// Options configure the binding controller.
type Options struct {
	// ClusterNamespace is where AttachedClusters and Fleets live (default
	// kurator-system).
	ClusterNamespace string
	// MaxConcurrentReconciles is how many bindings are rendered at once
	// (default 4).
	MaxConcurrentReconciles int
	// Snapshot is the shared view of the fleet (default: one of its own).
	Snapshot *snapshot.Source
}

// Reconciler renders bindings into Works. Requests with an empty namespace
// are ClusterResourceBindings.
type Reconciler struct {
	client   client.Client
	opts     Options
	recorder events.EventRecorder
	// status writes the binding controller's part of binding status (with
	// the scheduler's and the status controller's, in one write).
	status *bindings.StatusWriter

	namespaces works.Namespaces
}

// SetupWithManager registers the binding controller with mgr.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 4
	}
	if opts.Snapshot == nil {
		src, err := snapshot.New(context.Background(), mgr.GetCache(), mgr.GetClient(), opts.ClusterNamespace)
		if err != nil {
			return err
		}
		opts.Snapshot = src
	}
	w, err := bindings.StatusWriterFor(mgr)
	if err != nil {
		return err
	}
	if err := works.IndexByBinding(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	r := &Reconciler{client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("kurator-binding"), status: w}
	specChanged := builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, deleting{}))
	return ctrl.NewControllerManagedBy(mgr).
		Named("binding").
		For(&workv1alpha1.ResourceBinding{}, specChanged).
		Watches(&workv1alpha1.ClusterResourceBinding{}, &handler.EnqueueRequestForObject{}, specChanged).
		// A Work edited or deleted by hand is rendered again. Creates are
		// this controller's own: reconciling on each woke a new binding once
		// per Work, before the cache held the others, and created those
		// again (answered 409 AlreadyExists).
		Watches(&workv1alpha1.Work{}, handler.EnqueueRequestsFromMapFunc(bindingOfWork), builder.WithPredicates(predicate.GenerationChangedPredicate{}, bindings.NoCreate{})).
		// Override policies change what clusters receive.
		Watches(&policyv1alpha1.OverridePolicy{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfOverridePolicy)).
		Watches(&policyv1alpha1.ClusterOverridePolicy{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfClusterOverridePolicy)).
		// Storage adaptations set the claims' classes per cluster.
		Watches(&appsv1alpha1.StorageAdaptation{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfClaims)).
		// Override rules match cluster labels, provider, region, zones.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.bindingsTargetingCluster),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		// A Rollout's status sets its workload's replicas per cluster.
		Watches(&appsv1alpha1.Rollout{}, handler.EnqueueRequestsFromMapFunc(bindingOfRollout)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// deleting passes updates that set the deletion timestamp.
type deleting struct{ predicate.Funcs }

func (deleting) Update(e event.UpdateEvent) bool {
	return e.ObjectNew.GetDeletionTimestamp() != nil && e.ObjectOld.GetDeletionTimestamp() == nil
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

// reconcile renders one binding.
func (r *Reconciler) reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var b client.Object = &workv1alpha1.ResourceBinding{}
	if req.Namespace == "" {
		b = &workv1alpha1.ClusterResourceBinding{}
	}
	if err := r.client.Get(ctx, req.NamespacedName, b); err != nil {
		if apierrors.IsNotFound(err) {
			// Gone without our finalizer (or before it was added).
			return reconcile.Result{}, r.deleteWorks(ctx, req.NamespacedName, nil)
		}
		return reconcile.Result{}, err
	}
	if !b.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, b)
	}
	r.status.Overlay(b)
	spec, status := workv1alpha1.BindingParts(b)
	if len(spec.Clusters) == 0 && meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionScheduled) == nil {
		// Not scheduled yet: no Works to write or clean up, and writing
		// now would only race the scheduler's first write.
		return reconcile.Result{}, r.deleteWorks(ctx, req.NamespacedName, nil)
	}
	if controllerutil.AddFinalizer(b, Finalizer) {
		if err := r.client.Update(ctx, b); err != nil {
			return reconcile.Result{}, err
		}
	}
	before := b.DeepCopyObject().(client.Object)
	defer r.patchStatus(before, b)
	return r.reconcileNormal(ctx, b)
}

func (r *Reconciler) reconcileDelete(ctx context.Context, b client.Object) (reconcile.Result, error) {
	if err := r.deleteWorks(ctx, client.ObjectKeyFromObject(b), nil); err != nil {
		return reconcile.Result{}, err
	}
	if controllerutil.RemoveFinalizer(b, Finalizer) {
		if err := r.client.Update(ctx, b); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
	}
	return reconcile.Result{}, nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, b client.Object) (reconcile.Result, error) {
	spec, status := workv1alpha1.BindingParts(b)
	key := client.ObjectKeyFromObject(b)
	targets := spec.TargetClusterNames()
	// Clusters being left gracefully (or with purgeMode Never) keep their
	// Works, unchanged, until the failover controller ends their eviction
	// tasks; with Directly the Work goes at once.
	keep := slices.Clip(targets)
	for i := range spec.GracefulEvictionTasks {
		if failover.KeepsObjects(&spec.GracefulEvictionTasks[i]) {
			keep = append(keep, spec.GracefulEvictionTasks[i].FromCluster)
		}
	}
	if len(targets) == 0 {
		setRendered(status, b, metav1.ConditionFalse, workv1alpha1.ReasonNotScheduled, "the binding has no target clusters yet; see the Scheduled condition")
		return reconcile.Result{}, r.deleteWorks(ctx, key, keep)
	}

	tmpl := &unstructured.Unstructured{}
	gv, err := schema.ParseGroupVersion(spec.Resource.APIVersion)
	if err != nil {
		return reconcile.Result{}, nil
	}
	tmpl.SetGroupVersionKind(gv.WithKind(spec.Resource.Kind))
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: spec.Resource.Namespace, Name: spec.Resource.Name}, tmpl); err != nil {
		if apierrors.IsNotFound(err) {
			setRendered(status, b, metav1.ConditionFalse, workv1alpha1.ReasonTemplateMissing, fmt.Sprintf("%s %s not found on the hub; the detector deletes this binding", spec.Resource.Kind, spec.Resource.Name))
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}

	// The claim labels come from the binding, not from the cached template:
	// the detector writes them right after it creates the binding, and a
	// template read before that write would render the Works twice.
	detector.WithClaimLabels(tmpl, spec.Policy)
	rendered, applied, err := r.render(ctx, spec, tmpl)
	status.AppliedOverrides = applied
	if err != nil {
		var oe *overrides.Error
		if !errors.As(err, &oe) {
			return reconcile.Result{}, err
		}
		msg := err.Error() + "; fix the override policy (clusters keep their previous Works)"
		if c := meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionWorksRendered); c == nil || c.Message != msg {
			r.recorder.Eventf(b, nil, corev1.EventTypeWarning, workv1alpha1.ReasonOverrideFailed, "Render", "%s", msg)
		}
		setRendered(status, b, metav1.ConditionFalse, workv1alpha1.ReasonOverrideFailed, msg)
		return reconcile.Result{}, nil
	}

	// One write per cluster, all at once: under load each write to the hub
	// takes tens of milliseconds, and a binding may target many clusters.
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, cluster := range targets {
		wg.Go(func() { errs[i] = r.applyWork(ctx, b, cluster, manifestsFor(tmpl, rendered[cluster])) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return reconcile.Result{}, err
	}
	if err := r.deleteWorks(ctx, key, keep); err != nil {
		return reconcile.Result{}, err
	}
	setRendered(status, b, metav1.ConditionTrue, workv1alpha1.ReasonRendered, fmt.Sprintf("Works rendered for %d clusters", len(targets)))
	return reconcile.Result{}, nil
}

// render produces each target's object, the workload of a Rollout with
// the replicas its canary gets in each cluster.
// It also names the override policies applied, for the binding's status.
func (r *Reconciler) render(ctx context.Context, spec *workv1alpha1.ResourceBindingSpec, tmpl *unstructured.Unstructured) (map[string]*unstructured.Unstructured, []workv1alpha1.OverrideReference, error) {
	// The scheduler's shared view of the fleet: built once per fleet
	// change, not once per binding (that was most of the manager's CPU
	// with 1,000 clusters).
	_, view, err := r.opts.Snapshot.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	rendered, applied, err := Render(ctx, r.client, view.Info, spec, tmpl)
	if err != nil {
		return rendered, applied, err
	}
	return rendered, applied, r.applyRollout(ctx, spec, tmpl, rendered)
}

// applyRollout gives the workload of a Rollout, in each cluster, the
// replicas its canary gets there and the revision annotation the rollout
// controller judges status by.
func (r *Reconciler) applyRollout(ctx context.Context, spec *workv1alpha1.ResourceBindingSpec, tmpl *unstructured.Unstructured, rendered map[string]*unstructured.Unstructured) error {
	ro, err := rolloutOf(ctx, r.client, tmpl)
	if err != nil || ro == nil {
		return err
	}
	podTemplate, _, _ := unstructured.NestedMap(tmpl.Object, "spec", "template")
	rev := rollout.Revision(podTemplate)
	for _, c := range spec.Clusters {
		obj := rendered[c.Name]
		if obj == nil {
			continue
		}
		ann := obj.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[appsv1alpha1.RevisionAnnotation] = rev
		obj.SetAnnotations(ann)
		if err := unstructured.SetNestedField(obj.Object, int64(rollout.CanaryReplicas(&ro.Status, c.Name, c.Replicas)), "spec", "replicas"); err != nil {
			return err
		}
	}
	return nil
}

// rolloutOf is the Rollout whose workload tmpl is (nil if none).
func rolloutOf(ctx context.Context, c client.Reader, tmpl *unstructured.Unstructured) (*appsv1alpha1.Rollout, error) {
	if tmpl.GetNamespace() == "" || tmpl.GetKind() != "Deployment" {
		return nil, nil
	}
	// Every binding of the namespace renders through here, and a Rollout's
	// status is large: scan the cache without copying, copy the match.
	var list appsv1alpha1.RolloutList
	if err := c.List(ctx, &list, client.InNamespace(tmpl.GetNamespace()), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	for i := range list.Items {
		if list.Items[i].Spec.Workload.Name == tmpl.GetName() {
			return list.Items[i].DeepCopy(), nil
		}
	}
	return nil, nil
}

// Render produces each target's object as the binding controller writes
// it into Works: the template with the cluster's share of the replicas
// and the override policies that select the cluster applied, then the
// StorageAdaptations. It also names the override policies and adaptations
// applied, for the binding's status. clusters is what override rules match
// against (fleetview's Info; only read). Everything listed here is only
// read too: a cache shares its objects instead of copying them.
func Render(ctx context.Context, c client.Reader, clusters map[string]overrides.ClusterInfo, spec *workv1alpha1.ResourceBindingSpec, tmpl *unstructured.Unstructured) (map[string]*unstructured.Unstructured, []workv1alpha1.OverrideReference, error) {
	var ops policyv1alpha1.OverridePolicyList
	if tmpl.GetNamespace() != "" {
		if err := c.List(ctx, &ops, client.InNamespace(tmpl.GetNamespace()), client.UnsafeDisableDeepCopy); err != nil {
			return nil, nil, err
		}
	}
	var cops policyv1alpha1.ClusterOverridePolicyList
	if err := c.List(ctx, &cops, client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, err
	}
	policies := overrides.Select(selector.KeyOf(tmpl), cops.Items, ops.Items)
	// Storage adaptations come after the override policies: the class a
	// cluster's storage plugin needs has the last word.
	adaptations, err := storageAdaptationsFor(ctx, c, tmpl)
	if err != nil {
		return nil, nil, err
	}
	policies = append(policies, adaptations...)
	var applied []workv1alpha1.OverrideReference
	for _, p := range policies {
		ref := workv1alpha1.OverrideReference{Kind: p.Kind, Name: p.Name}
		if p.Kind == overrides.KindOverridePolicy {
			ref.Namespace = tmpl.GetNamespace()
		}
		applied = append(applied, ref)
	}

	d, err := workload.DemandOf(tmpl)
	if err != nil {
		d = workload.Demand{}
	}
	// The scheduled replicas divide the binding's count, which may lag the
	// template's by one detector round; render what was scheduled.
	d.Replicas = spec.Replicas
	targets := make([]workload.Target, 0, len(spec.Clusters))
	info := make(map[string]overrides.ClusterInfo, len(spec.Clusters))
	for _, tc := range spec.Clusters {
		targets = append(targets, workload.Target{Cluster: tc.Name, Replicas: tc.Replicas})
		ci, ok := clusters[tc.Name]
		if !ok {
			ci = overrides.ClusterInfo{Name: tc.Name}
		}
		info[tc.Name] = ci
	}
	rendered, err := workload.Render(tmpl, d, targets, info, policies)
	return rendered, applied, err
}

// storageAdaptationsFor returns the StorageAdaptations' rules for tmpl
// (nil for objects without claims). A hub without the StorageAdaptation
// CRD has none.
func storageAdaptationsFor(ctx context.Context, c client.Reader, tmpl *unstructured.Unstructured) ([]overrides.Selected, error) {
	if !storageadapt.Concerns(tmpl.GetAPIVersion(), tmpl.GetKind()) {
		return nil, nil
	}
	var sas appsv1alpha1.StorageAdaptationList
	if err := c.List(ctx, &sas); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil
		}
		return nil, err
	}
	return storageadapt.Select(sas.Items, tmpl), nil
}

// manifestsFor is a Work's manifests: the Namespace of a namespaced object
// first, then the object.
func manifestsFor(tmpl, obj *unstructured.Unstructured) []map[string]any {
	var out []map[string]any
	if ns := tmpl.GetNamespace(); ns != "" {
		out = append(out, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
	}
	return append(out, obj.Object)
}

// deleteWorks deletes the binding's Works except those of keep clusters.
func (r *Reconciler) deleteWorks(ctx context.Context, binding types.NamespacedName, keep []string) error {
	return works.DeleteExcept(ctx, r.client, works.OfBinding(binding), keep)
}

// applyWork creates or updates one cluster's Work.
func (r *Reconciler) applyWork(ctx context.Context, b client.Object, cluster string, manifests []map[string]any) error {
	key := client.ObjectKeyFromObject(b)
	ns := workv1alpha1.ExecutionNamespace(cluster)
	if err := r.namespaces.Ensure(ctx, r.client, ns); err != nil {
		return err
	}
	err := works.Apply(ctx, r.client, types.NamespacedName{Namespace: ns, Name: workv1alpha1.WorkName(key)}, workv1alpha1.WorkLabels(key, cluster), manifests)
	if ce := (*works.ConflictError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("Work %s belongs to another binding (%s=%s); rename the binding", ce.Work, ce.Label, ce.Value)
	}
	return err
}

func setRendered(status *workv1alpha1.ResourceBindingStatus, b client.Object, s metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: workv1alpha1.ConditionWorksRendered, Status: s, Reason: reason, Message: msg, ObservedGeneration: b.GetGeneration()})
}

// patchStatus hands the binding controller's status to the writer if it
// changed. A failure to render is written at once; rendered Works wait
// for their own status, which goes in the same write.
func (r *Reconciler) patchStatus(before, b client.Object) {
	_, old := workv1alpha1.BindingParts(before)
	_, now := workv1alpha1.BindingParts(b)
	if equality.Semantic.DeepEqual(old, now) {
		return
	}
	r.status.Set(b, bindings.PartBinding, old, now, !meta.IsStatusConditionTrue(now.Conditions, workv1alpha1.ConditionWorksRendered))
}

// bindingOfWork maps a Work to its binding by labels.
func bindingOfWork(_ context.Context, obj client.Object) []reconcile.Request {
	if key, ok := works.BindingOf(obj.GetLabels()); ok {
		return []reconcile.Request{{NamespacedName: key}}
	}
	return nil
}

// bindingsOfOverridePolicy: bindings in the policy's namespace whose resource
// kind one of its selectors names (labels are not checked: the binding does
// not carry the template's labels, and re-rendering an unaffected binding
// changes nothing). No selectors select every resource in the namespace.
func bindingOfRollout(_ context.Context, obj client.Object) []reconcile.Request {
	ro, ok := obj.(*appsv1alpha1.Rollout)
	if !ok {
		return nil
	}
	kind := ro.Spec.Workload.Kind
	if kind == "" {
		kind = "Deployment"
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ro.Namespace, Name: workv1alpha1.BindingName(ro.Spec.Workload.Name, kind)}}}
}

func (r *Reconciler) bindingsOfOverridePolicy(ctx context.Context, obj client.Object) []reconcile.Request {
	op := obj.(*policyv1alpha1.OverridePolicy)
	var rbs workv1alpha1.ResourceBindingList
	if err := r.client.List(ctx, &rbs, client.InNamespace(op.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list bindings")
		return nil
	}
	var out []reconcile.Request
	for i := range rbs.Items {
		if namesKind(op.Spec.ResourceSelectors, &rbs.Items[i].Spec.Resource) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&rbs.Items[i])})
		}
	}
	return out
}

func (r *Reconciler) bindingsOfClusterOverridePolicy(ctx context.Context, obj client.Object) []reconcile.Request {
	cop := obj.(*policyv1alpha1.ClusterOverridePolicy)
	return bindings.Matching(ctx, r.client, func(spec *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus) bool {
		return namesKind(cop.Spec.ResourceSelectors, &spec.Resource)
	})
}

// bindingsOfClaims: bindings of PersistentVolumeClaims and StatefulSets,
// the objects a StorageAdaptation can change. Its namespaces are not
// checked: an update may have just dropped a namespace, whose claims then
// need rendering without it, and an unaffected binding renders the same.
func (r *Reconciler) bindingsOfClaims(ctx context.Context, _ client.Object) []reconcile.Request {
	return bindings.Matching(ctx, r.client, func(spec *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus) bool {
		return storageadapt.Concerns(spec.Resource.APIVersion, spec.Resource.Kind)
	})
}

func (r *Reconciler) bindingsTargetingCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	return bindings.Matching(ctx, r.client, func(spec *workv1alpha1.ResourceBindingSpec, _ *workv1alpha1.ResourceBindingStatus) bool {
		return spec.TargetContains(obj.GetName())
	})
}

func namesKind(selectors []policyv1alpha1.ResourceSelector, res *workv1alpha1.ObjectReference) bool {
	if len(selectors) == 0 {
		return true
	}
	for _, s := range selectors {
		if s.APIVersion == res.APIVersion && s.Kind == res.Kind {
			return true
		}
	}
	return false
}

// conflictRetry is how soon a reconcile that lost a write race runs again;
// by then the cache holds the winner's version.
const conflictRetry = 20 * time.Millisecond
