package policystatus

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/writepace"
)

// The four policy kinds.
const (
	kindPP  = "PropagationPolicy"
	kindCPP = "ClusterPropagationPolicy"
	kindOP  = "OverridePolicy"
	kindCOP = "ClusterOverridePolicy"
)

// SetupWithManager registers one status reconciler per policy kind.
func SetupWithManager(mgr ctrl.Manager) error {
	for _, kind := range []string{kindPP, kindCPP, kindOP, kindCOP} {
		r := &Reconciler{client: mgr.GetClient(), kind: kind, pace: writepace.New(0, 0)}
		// A binding's claim, applied overrides or outcome changed: the
		// policies it names (before and after) are counted again.
		toPolicies := handler.EnqueueRequestsFromMapFunc(r.policiesOf)
		err := ctrl.NewControllerManagedBy(mgr).
			Named("policystatus-"+strings.ToLower(kind)).
			For(r.newObject(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
			Watches(&workv1alpha1.ResourceBinding{}, toPolicies, builder.WithPredicates(bindingOutcomeChanged{})).
			Watches(&workv1alpha1.ClusterResourceBinding{}, toPolicies, builder.WithPredicates(bindingOutcomeChanged{})).
			Complete(r)
		if err != nil {
			return fmt.Errorf("policy status controller for %s: %w", kind, err)
		}
	}
	return nil
}

// Reconciler writes the status of one policy kind.
type Reconciler struct {
	client client.Client
	kind   string
	// pace holds a status that only counts differently (bindings claimed
	// during a bulk create), so a thousand new bindings cost a few writes;
	// a Ready condition that changes is written at once.
	pace *writepace.Pacer
}

func (r *Reconciler) newObject() client.Object {
	switch r.kind {
	case kindPP:
		return &policyv1alpha1.PropagationPolicy{}
	case kindCPP:
		return &policyv1alpha1.ClusterPropagationPolicy{}
	case kindOP:
		return &policyv1alpha1.OverridePolicy{}
	default:
		return &policyv1alpha1.ClusterOverridePolicy{}
	}
}

// parts returns the object's status and its propagation or override spec.
func parts(obj client.Object) (*policyv1alpha1.PolicyStatus, *policyv1alpha1.PropagationSpec, *policyv1alpha1.OverrideSpec) {
	switch p := obj.(type) {
	case *policyv1alpha1.PropagationPolicy:
		return &p.Status, &p.Spec, nil
	case *policyv1alpha1.ClusterPropagationPolicy:
		return &p.Status, &p.Spec, nil
	case *policyv1alpha1.OverridePolicy:
		return &p.Status, nil, &p.Spec
	case *policyv1alpha1.ClusterOverridePolicy:
		return &p.Status, nil, &p.Spec
	}
	panic(fmt.Sprintf("policystatus: unexpected %T", obj))
}

// Reconcile counts what the policy claims and writes its status.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	obj := r.newObject()
	if err := r.client.Get(ctx, req.NamespacedName, obj); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return reconcile.Result{}, nil
	}
	before := obj.DeepCopyObject().(client.Object)
	status, pspec, ospec := parts(obj)

	all, err := r.bindings(ctx, obj.GetNamespace())
	if err != nil {
		return reconcile.Result{}, err
	}
	var problems []string
	var claimed []Binding
	var failed func(Binding) string
	if pspec != nil {
		problems = CheckPropagation(pspec)
		for _, b := range all {
			if p := b.policy; p != nil && p.Kind == r.kind && p.Namespace == obj.GetNamespace() && p.Name == obj.GetName() {
				claimed = append(claimed, b.Binding)
			}
		}
		failed = scheduleFailure
	} else {
		problems = CheckOverride(ospec)
		ref := workv1alpha1.OverrideReference{Kind: r.kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
		for _, b := range all {
			if slices.Contains(b.Status.AppliedOverrides, ref) {
				claimed = append(claimed, b.Binding)
			}
		}
		failed = overrideFailure(ref)
	}
	next := Compute(obj.GetGeneration(), problems, claimed, failed)
	conds := status.Conditions
	meta.SetStatusCondition(&conds, next.Conditions[0])
	next.Conditions = conds
	*status = next

	oldStatus, _, _ := parts(before)
	if equality.Semantic.DeepEqual(oldStatus, status) {
		r.pace.Settle(req.NamespacedName)
		return reconcile.Result{}, nil
	}
	if wait := r.pace.Wait(req.NamespacedName, readyChanged(oldStatus.Conditions, status.Conditions)); wait > 0 {
		return reconcile.Result{RequeueAfter: wait}, nil
	}
	err = r.client.Status().Patch(ctx, obj, client.MergeFrom(before))
	if apierrors.IsNotFound(err) {
		r.pace.Forget(req.NamespacedName)
		return reconcile.Result{}, nil
	}
	if err == nil {
		r.pace.Wrote(req.NamespacedName)
	}
	return reconcile.Result{}, err
}

// readyChanged reports whether the Ready condition's status or reason
// differs between two condition lists.
func readyChanged(old, now []metav1.Condition) bool {
	a, b := meta.FindStatusCondition(old, policyv1alpha1.PolicyConditionReady), meta.FindStatusCondition(now, policyv1alpha1.PolicyConditionReady)
	return (a == nil) != (b == nil) || (a != nil && (a.Status != b.Status || a.Reason != b.Reason))
}

type boundBinding struct {
	Binding
	policy *workv1alpha1.PolicyReference
}

// bindings lists the bindings a policy of namespace ns can concern:
// ResourceBindings of ns for namespaced policies, every binding for
// cluster-scoped ones. They are the cache's own objects, not copies: read
// them only.
func (r *Reconciler) bindings(ctx context.Context, ns string) ([]boundBinding, error) {
	var out []boundBinding
	var rbs workv1alpha1.ResourceBindingList
	if err := r.client.List(ctx, &rbs, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list ResourceBindings: %w", err)
	}
	for i := range rbs.Items {
		b := &rbs.Items[i]
		out = append(out, boundBinding{Binding{Resource: b.Spec.Resource, Status: &b.Status}, b.Spec.Policy})
	}
	if ns != "" {
		return out, nil
	}
	var crbs workv1alpha1.ClusterResourceBindingList
	if err := r.client.List(ctx, &crbs, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list ClusterResourceBindings: %w", err)
	}
	for i := range crbs.Items {
		b := &crbs.Items[i]
		out = append(out, boundBinding{Binding{Resource: b.Spec.Resource, Status: &b.Status}, b.Spec.Policy})
	}
	return out, nil
}

// scheduleFailure: the binding could not be scheduled (its message already
// points at the policy's placement).
func scheduleFailure(b Binding) string {
	if c := meta.FindStatusCondition(b.Status.Conditions, workv1alpha1.ConditionScheduled); c != nil && c.Status == "False" {
		return c.Message
	}
	return ""
}

// overrideFailure: rendering failed in this policy (the override engine's
// error starts with the policy's kind and name).
func overrideFailure(ref workv1alpha1.OverrideReference) func(Binding) string {
	prefix := ref.Kind + " " + objectName(ref.Namespace, ref.Name) + " "
	return func(b Binding) string {
		c := meta.FindStatusCondition(b.Status.Conditions, workv1alpha1.ConditionWorksRendered)
		if c != nil && c.Status == "False" && c.Reason == workv1alpha1.ReasonOverrideFailed && strings.Contains(c.Message, prefix) {
			return c.Message
		}
		return ""
	}
}

// policiesOf maps a binding to the policies of r's kind it names.
func (r *Reconciler) policiesOf(_ context.Context, obj client.Object) []reconcile.Request {
	spec, status := workv1alpha1.BindingParts(obj)
	var out []reconcile.Request
	if p := spec.Policy; p != nil && p.Kind == r.kind {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: p.Namespace, Name: p.Name}})
	}
	for _, o := range status.AppliedOverrides {
		if o.Kind == r.kind {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.Namespace, Name: o.Name}})
		}
	}
	return out
}

// bindingOutcomeChanged passes creates, deletes and updates that change
// what a policy status reports: the claim, the overrides applied, or the
// Scheduled and WorksRendered outcomes.
type bindingOutcomeChanged struct{ predicate.Funcs }

func (bindingOutcomeChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return true
	}
	os, ost := workv1alpha1.BindingParts(e.ObjectOld)
	ns, nst := workv1alpha1.BindingParts(e.ObjectNew)
	if !equality.Semantic.DeepEqual(os.Policy, ns.Policy) || !equality.Semantic.DeepEqual(ost.AppliedOverrides, nst.AppliedOverrides) {
		return true
	}
	for _, t := range []string{workv1alpha1.ConditionScheduled, workv1alpha1.ConditionWorksRendered} {
		a, b := meta.FindStatusCondition(ost.Conditions, t), meta.FindStatusCondition(nst.Conditions, t)
		if (a == nil) != (b == nil) || (a != nil && (a.Status != b.Status || a.Message != b.Message)) {
			return true
		}
	}
	return false
}
