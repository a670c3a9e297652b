package status

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/bindings"
	"github.com/kurator-go/kurator/internal/controller/works"
	"github.com/kurator-go/kurator/internal/writepace"
)

func setupBindings(mgr ctrl.Manager, opts Options) error {
	hub, err := dynamic.NewForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("status: hub dynamic client: %w", err)
	}
	w, err := bindings.StatusWriterFor(mgr)
	if err != nil {
		return err
	}
	if err := works.IndexByBinding(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	base := bindingReconciler{Client: mgr.GetClient(), hub: hub, mapper: mgr.GetRESTMapper(), status: w}
	rb := &BindingReconciler{bindingReconciler: base}
	rb.pace = writepace.New(0, 0)
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("resourcebinding-status").
		For(&workv1alpha1.ResourceBinding{}).
		// A Work's status changed: its binding aggregates again.
		Watches(&workv1alpha1.Work{}, handler.EnqueueRequestsFromMapFunc(resourceBindingOfWork)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(rb); err != nil {
		return err
	}
	crb := &ClusterBindingReconciler{bindingReconciler: base}
	crb.pace = writepace.New(0, 0)
	return ctrl.NewControllerManagedBy(mgr).
		Named("clusterresourcebinding-status").
		For(&workv1alpha1.ClusterResourceBinding{}).
		Watches(&workv1alpha1.Work{}, handler.EnqueueRequestsFromMapFunc(clusterResourceBindingOfWork)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(crb)
}

// resourceBindingOfWork maps a Work to the ResourceBinding its labels name.
func resourceBindingOfWork(_ context.Context, obj client.Object) []reconcile.Request {
	if key, ok := works.BindingOf(obj.GetLabels()); ok && key.Namespace != "" {
		return []reconcile.Request{{NamespacedName: key}}
	}
	return nil
}

// clusterResourceBindingOfWork maps a Work to its ClusterResourceBinding.
func clusterResourceBindingOfWork(_ context.Context, obj client.Object) []reconcile.Request {
	if key, ok := works.BindingOf(obj.GetLabels()); ok && key.Namespace == "" {
		return []reconcile.Request{{NamespacedName: key}}
	}
	return nil
}

type bindingReconciler struct {
	client.Client
	hub    dynamic.Interface
	mapper meta.RESTMapper
	// status writes the aggregate into the binding (with the scheduler's
	// and the binding controller's parts, in one write); it paces them.
	status *bindings.StatusWriter
	// pace holds template status progress (a cluster still rolling out) so
	// one write shows what a burst of Work changes did; a settled status
	// goes at once.
	pace *writepace.Pacer
}

// BindingReconciler aggregates a ResourceBinding's Works.
type BindingReconciler struct{ bindingReconciler }

// ClusterBindingReconciler aggregates a ClusterResourceBinding's Works.
type ClusterBindingReconciler struct{ bindingReconciler }

// Reconcile aggregates one ResourceBinding.
func (r *BindingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var b workv1alpha1.ResourceBinding
	if err := r.Get(ctx, req.NamespacedName, &b); err != nil {
		if apierrors.IsNotFound(err) {
			r.status.Forget(req.NamespacedName)
			r.pace.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !b.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	r.status.Overlay(&b)
	return r.aggregate(ctx, &b, &b.Spec, &b.Status)
}

// Reconcile aggregates one ClusterResourceBinding.
func (r *ClusterBindingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var b workv1alpha1.ClusterResourceBinding
	if err := r.Get(ctx, req.NamespacedName, &b); err != nil {
		if apierrors.IsNotFound(err) {
			r.status.Forget(req.NamespacedName)
			r.pace.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !b.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	r.status.Overlay(&b)
	return r.aggregate(ctx, &b, &b.Spec, &b.Status)
}

// aggregate writes the binding's aggregatedStatus and FullyApplied
// condition, then the template's status. spec and status point into obj.
func (r *bindingReconciler) aggregate(ctx context.Context, obj client.Object, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus) (ctrl.Result, error) {
	var list workv1alpha1.WorkList
	if err := r.List(ctx, &list, works.OfBinding(client.ObjectKeyFromObject(obj))); err != nil {
		return ctrl.Result{}, err
	}
	if len(list.Items) == 0 && len(status.AggregatedStatus) == 0 && meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionFullyApplied) == nil {
		// Nothing applied and nothing reported yet: the Scheduled condition
		// says what the binding waits for, and an empty aggregate adds
		// nothing to it.
		return ctrl.Result{}, nil
	}
	items := Items(spec, list.Items)
	oldStatus := *status.DeepCopy()
	status.AggregatedStatus = items
	meta.SetStatusCondition(&status.Conditions, FullyApplied(items, obj.GetGeneration()))
	r.status.Set(obj, bindings.PartStatus, &oldStatus, status, Settled(items))
	return r.updateTemplate(ctx, client.ObjectKeyFromObject(obj), spec, items, bindingSide(obj, spec, status, list.Items))
}

// bindingSide is what aggregation needs of the binding and its Works.
func bindingSide(obj client.Object, spec *workv1alpha1.ResourceBindingSpec, status *workv1alpha1.ResourceBindingStatus, works []workv1alpha1.Work) Template {
	rendered := meta.FindStatusCondition(status.Conditions, workv1alpha1.ConditionWorksRendered)
	t := Template{
		BindingGeneration: spec.Resource.Generation,
		Duplicated:        Duplicated(spec.Placement),
		WorksStale:        rendered == nil || rendered.Status != metav1.ConditionTrue || rendered.ObservedGeneration != obj.GetGeneration(),
		Works:             make(map[string]WorkState, len(works)),
	}
	for i := range works {
		if c, ok := workv1alpha1.ClusterOfExecutionNamespace(works[i].Namespace); ok && works[i].DeletionTimestamp.IsZero() {
			t.Works[c] = WorkStateOf(&works[i])
		}
	}
	return t
}

// updateTemplate writes the aggregate into the hub template's status; bt
// holds what bindingSide read. Progress is paced under the binding's key.
func (r *bindingReconciler) updateTemplate(ctx context.Context, key types.NamespacedName, spec *workv1alpha1.ResourceBindingSpec, items []workv1alpha1.AggregatedStatusItem, bt Template) (ctrl.Result, error) {
	ref := spec.Resource
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return ctrl.Result{}, nil
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
	if !Aggregated(gk) {
		return ctrl.Result{}, nil // a kind without status aggregation
	}
	mapping, err := r.mapper.RESTMapping(gk, gv.Version)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("template %s: %w", ref.Kind, err)
	}
	// The cached template (the detector watches every selected kind) tells
	// whether its status needs writing; most reconciles end there. A write
	// reads it from the hub first: the cache may lag the detector's labels.
	cached := &unstructured.Unstructured{}
	cached.SetGroupVersionKind(gv.WithKind(ref.Kind))
	if err := r.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, cached); err == nil {
		if _, changed := templateStatus(cached, gk, spec.Resource, items, bt); !changed {
			r.pace.Settle(key)
			return ctrl.Result{}, nil
		}
	}
	if wait := r.pace.Wait(key, Settled(items)); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	var ri dynamic.ResourceInterface = r.hub.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = r.hub.Resource(mapping.Resource).Namespace(ref.Namespace)
	}
	tmpl, err := ri.Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	next, changed := templateStatus(tmpl, gk, spec.Resource, items, bt)
	if !changed {
		return ctrl.Result{}, nil
	}
	if err := unstructured.SetNestedMap(tmpl.Object, next, "status"); err != nil {
		return ctrl.Result{}, err
	}
	if _, err := ri.UpdateStatus(ctx, tmpl, metav1.UpdateOptions{FieldManager: workv1alpha1.FieldManagerStatus}); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return ctrl.Result{}, fmt.Errorf("update status of %s %s/%s: %w", ref.Kind, ref.Namespace, ref.Name, err)
	}
	r.pace.Wrote(key)
	return ctrl.Result{}, nil
}

// templateStatus is the status the template gets from items, and whether
// that changes it. A template recreated since the binding was built
// (another UID) is left to its own binding.
func templateStatus(tmpl *unstructured.Unstructured, gk schema.GroupKind, ref workv1alpha1.ObjectReference, items []workv1alpha1.AggregatedStatusItem, bt Template) (map[string]any, bool) {
	if ref.UID != "" && tmpl.GetUID() != ref.UID {
		return nil, false
	}
	t := bt
	t.Kind, t.Generation, t.Now = gk, tmpl.GetGeneration(), metav1.Now()
	t.Status, _, _ = unstructured.NestedMap(tmpl.Object, "status")
	t.Spec, _, _ = unstructured.NestedMap(tmpl.Object, "spec")
	old := t.Status
	next, _ := Aggregate(t, items)
	return next, !equality.Semantic.DeepEqual(old, next)
}
