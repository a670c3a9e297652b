// Package detector matches resource templates on the hub to propagation
// policies and keeps one (Cluster)ResourceBinding per claimed template: what
// the template is, how many replicas it wants and how large one is, and the
// winning policy's placement. The scheduler fills the binding's clusters.
//
// Templates of any kind are watched: the detector starts an informer for
// every apiVersion/kind some policy's resourceSelectors name, when the first
// such policy appears (informers are not stopped when the last one goes). A
// kind the hub does not serve yet is looked up again every 10 s.
//
// The winning policy is chosen afresh on every change (pkg/selector:
// priority, specificity, name); Karmada's preemption rules (a claimed
// template keeping its policy) are not implemented.
// Kurator's and Karmada's own groups, Events and Leases are never watched.
package detector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
	"github.com/kurator-go/kurator/pkg/selector"
	"github.com/kurator-go/kurator/pkg/workload"
)

// Labels the detector puts on a claimed template, naming the claiming policy
// (Karmada's label keys, so tools that read them keep working).
const (
	PolicyNamespaceLabel        = "propagationpolicy.karmada.io/namespace"
	PolicyNameLabel             = "propagationpolicy.karmada.io/name"
	ClusterPolicyNameLabel      = "clusterpropagationpolicy.karmada.io/name"
	defaultMaxConcurrentReconcs = 4
	// TemplateContentAnnotation on a binding is a digest of the template's
	// content (content: what reaches the members) when the binding was
	// last written, so a template whose status alone changed leaves its
	// binding alone.
	TemplateContentAnnotation = "work.kurator.dev/template-content"
)

// Options configure the detector.
type Options struct {
	// MaxConcurrentReconciles is how many templates are matched at once
	// (default 4).
	MaxConcurrentReconciles int
	// FirstPlacement, when set, places a binding before it is created
	// (scheduling.FirstPlacement: the scheduler's own decision), so a new
	// workload costs one write less and reaches its Works sooner.
	FirstPlacement func(ctx context.Context, b client.Object)
}

// templateKey names one resource template on the hub.
type templateKey struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

func (k templateKey) String() string {
	return fmt.Sprintf("%s %s", k.GVK.Kind, types.NamespacedName{Namespace: k.Namespace, Name: k.Name})
}

// Reconciler keeps bindings in step with templates and policies.
type Reconciler struct {
	client   client.Client
	cache    cache.Cache
	recorder events.EventRecorder
	ctrl     controller.TypedController[templateKey]
	hasKind  func(schema.GroupVersionKind) error
	// firstPlacement places a binding before its creation (Options).
	firstPlacement func(ctx context.Context, b client.Object)

	mu      sync.Mutex
	watched map[schema.GroupVersionKind]bool
	// pending are kinds policies name that the hub does not serve yet (a
	// CRD not installed); retried every pendingRetry.
	pending map[schema.GroupVersionKind]bool
}

// pendingRetry is how often kinds the hub did not serve are looked up again.
const pendingRetry = 10 * time.Second

// SetupWithManager registers the detector with mgr.
func SetupWithManager(mgr manager.Manager, opts Options) error {
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = defaultMaxConcurrentReconcs
	}
	r := &Reconciler{
		client:         mgr.GetClient(),
		cache:          mgr.GetCache(),
		recorder:       mgr.GetEventRecorder("kurator-detector"),
		firstPlacement: opts.FirstPlacement,
		watched:        map[schema.GroupVersionKind]bool{},
		pending:        map[schema.GroupVersionKind]bool{},
		hasKind: func(gvk schema.GroupVersionKind) error {
			_, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
			return err
		},
	}
	c, err := controller.NewTyped[templateKey]("detector", mgr, controller.TypedOptions[templateKey]{
		Reconciler:              r,
		MaxConcurrentReconciles: opts.MaxConcurrentReconciles,
		SkipNameValidation:      ptr.To(true),
	})
	if err != nil {
		return err
	}
	r.ctrl = c
	watches := []source.TypedSource[templateKey]{
		// A policy change re-matches every template of the kinds it names
		// and every template it claims. Its status (the policy status
		// controller's claimed counts) changes no match: re-matching on it
		// woke every template of a busy policy after each of its status
		// writes. Annotations are read (the cost weight goes to bindings).
		source.TypedKind(r.cache, &policyv1alpha1.PropagationPolicy{}, handler.TypedEnqueueRequestsFromMapFunc(r.templatesOfPropagationPolicy),
			predicate.Or[*policyv1alpha1.PropagationPolicy](predicate.TypedGenerationChangedPredicate[*policyv1alpha1.PropagationPolicy]{}, predicate.TypedAnnotationChangedPredicate[*policyv1alpha1.PropagationPolicy]{})),
		source.TypedKind(r.cache, &policyv1alpha1.ClusterPropagationPolicy{}, handler.TypedEnqueueRequestsFromMapFunc(r.templatesOfClusterPropagationPolicy),
			predicate.Or[*policyv1alpha1.ClusterPropagationPolicy](predicate.TypedGenerationChangedPredicate[*policyv1alpha1.ClusterPropagationPolicy]{}, predicate.TypedAnnotationChangedPredicate[*policyv1alpha1.ClusterPropagationPolicy]{})),
		// A binding deleted or edited by hand is put back.
		// Status updates (scheduling, aggregated status) are not its business,
		// nor creates: the detector made the binding (and at a manager start
		// the templates' own initial list reconciles every one of them). A
		// new binding matters only to the HPAs of its template.
		source.TypedKind(r.cache, &workv1alpha1.ResourceBinding{}, handler.TypedEnqueueRequestsFromMapFunc(r.templateAndHPAsOfBinding),
			predicate.TypedGenerationChangedPredicate[*workv1alpha1.ResourceBinding]{}, noCreate[*workv1alpha1.ResourceBinding]()),
		source.TypedKind(r.cache, &workv1alpha1.ResourceBinding{}, handler.TypedEnqueueRequestsFromMapFunc(r.hpasOfBinding),
			predicate.TypedFuncs[*workv1alpha1.ResourceBinding]{
				UpdateFunc: func(event.TypedUpdateEvent[*workv1alpha1.ResourceBinding]) bool { return false },
				DeleteFunc: func(event.TypedDeleteEvent[*workv1alpha1.ResourceBinding]) bool { return false },
			}),
		source.TypedKind(r.cache, &workv1alpha1.ClusterResourceBinding{}, handler.TypedEnqueueRequestsFromMapFunc(templateOfBinding[*workv1alpha1.ClusterResourceBinding]),
			predicate.TypedGenerationChangedPredicate[*workv1alpha1.ClusterResourceBinding]{}, noCreate[*workv1alpha1.ClusterResourceBinding]()),
	}
	for _, src := range watches {
		if err := c.Watch(src); err != nil {
			return err
		}
	}
	return mgr.Add(manager.RunnableFunc(r.retryPending))
}

// noCreate drops create events.
func noCreate[T client.Object]() predicate.TypedPredicate[T] {
	return predicate.TypedFuncs[T]{CreateFunc: func(event.TypedCreateEvent[T]) bool { return false }}
}

// retryPending starts the watches of kinds that were not served when a
// policy named them, once they are (a CRD installed after the policy). The
// watch's initial list then enqueues every template of the kind.
func (r *Reconciler) retryPending(ctx context.Context) error {
	tick := time.NewTicker(pendingRetry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		r.mu.Lock()
		var kinds []schema.GroupVersionKind
		for gvk := range r.pending {
			kinds = append(kinds, gvk)
		}
		r.mu.Unlock()
		for _, gvk := range kinds {
			if err := r.ensureWatch(gvk); err == nil {
				log.FromContext(ctx).Info("watching templates", "kind", gvk.String())
			}
		}
	}
}

// Reconcile matches one template to the policies. Write conflicts (and a
// binding created since the cache was read) are retried quietly.
func (r *Reconciler) Reconcile(ctx context.Context, key templateKey) (reconcile.Result, error) {
	res, err := r.reconcile(ctx, key)
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return reconcile.Result{RequeueAfter: conflictRetry}, nil
	}
	return res, err
}

// reconcile matches one template to the policies.
func (r *Reconciler) reconcile(ctx context.Context, key templateKey) (reconcile.Result, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(key.GVK)
	err := r.client.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: key.Name}, obj)
	if apierrors.IsNotFound(err) {
		return reconcile.Result{}, r.removeBinding(ctx, key)
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	if !obj.GetDeletionTimestamp().IsZero() || SkippedNamespace(key.Namespace) {
		return reconcile.Result{}, r.removeBinding(ctx, key)
	}
	if hub, err := r.hubEvaluatedHPA(ctx, obj); err != nil || hub {
		if err == nil {
			err = r.claim(ctx, obj, nil)
		}
		if err != nil {
			return reconcile.Result{}, err
		}
		return reconcile.Result{}, r.removeBinding(ctx, key)
	}

	var pps policyv1alpha1.PropagationPolicyList
	if key.Namespace != "" {
		if err := r.client.List(ctx, &pps, client.InNamespace(key.Namespace)); err != nil {
			return reconcile.Result{}, err
		}
	}
	var cpps policyv1alpha1.ClusterPropagationPolicyList
	if err := r.client.List(ctx, &cpps); err != nil {
		return reconcile.Result{}, err
	}
	pps.Items, cpps.Items = live(pps.Items), live(cpps.Items)
	choice, ok := selector.ChoosePropagationPolicy(selector.KeyOf(obj), pps.Items, cpps.Items)
	if !ok {
		if err := r.claim(ctx, obj, nil); err != nil {
			return reconcile.Result{}, err
		}
		return reconcile.Result{}, r.removeBinding(ctx, key)
	}
	var policy *policyv1alpha1.PropagationSpec
	var policyAnnotations map[string]string
	if choice.Kind == selector.KindPropagationPolicy {
		policy, policyAnnotations = &pps.Items[choice.Index].Spec, pps.Items[choice.Index].Annotations
	} else {
		policy, policyAnnotations = &cpps.Items[choice.Index].Spec, cpps.Items[choice.Index].Annotations
	}

	d, err := workload.DemandOf(obj)
	if err != nil {
		r.recorder.Eventf(obj, nil, "Warning", "InvalidTemplate", "Match", "cannot read replicas or resource requests: %v; fix the template", err)
		return reconcile.Result{}, nil
	}
	// The binding first: it is on the way to the members, the claim label
	// is not (the binding controller renders the claim from the binding,
	// and policy changes find their templates through bindings), so a new
	// workload does not wait for the label's write.
	if err := r.applyBinding(ctx, obj, &choice, policy, policyAnnotations, d); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, r.claim(ctx, obj, &choice)
}

// live drops policies being deleted: they claim nothing.
func live[T any, P interface {
	*T
	GetDeletionTimestamp() *metav1.Time
}](items []T) []T {
	out := items[:0:0]
	for i := range items {
		if P(&items[i]).GetDeletionTimestamp().IsZero() {
			out = append(out, items[i])
		}
	}
	return out
}

// applyBinding creates or updates the template's binding. spec.clusters,
// eviction tasks and reschedule requests belong to others and are kept.
func (r *Reconciler) applyBinding(ctx context.Context, obj *unstructured.Unstructured, choice *selector.Choice, policy *policyv1alpha1.PropagationSpec, policyAnnotations map[string]string, d workload.Demand) error {
	name := workv1alpha1.BindingName(obj.GetName(), obj.GetKind())
	var b client.Object = &workv1alpha1.ClusterResourceBinding{}
	if obj.GetNamespace() != "" {
		b = &workv1alpha1.ResourceBinding{}
	}
	err := r.client.Get(ctx, types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}, b)
	create := apierrors.IsNotFound(err)
	if err != nil && !create {
		return err
	}
	spec, _ := workv1alpha1.BindingParts(b)
	if !create && spec.Resource.Kind != "" && (spec.Resource.Kind != obj.GetKind() || spec.Resource.APIVersion != obj.GetAPIVersion()) {
		r.recorder.Eventf(obj, nil, "Warning", "BindingNameTaken", "Match", "binding %s already binds %s %s; rename one of the templates", name, spec.Resource.APIVersion, spec.Resource.Kind)
		return nil
	}
	before := spec.DeepCopy()
	desiredSpec(spec, obj, choice, policy, d)
	digest := contentDigest(obj)
	if !create && b.GetAnnotations()[TemplateContentAnnotation] == digest && sameTemplate(before.Resource, spec.Resource) {
		// Only the template's resourceVersion moved (its status, written
		// back by the hub, or the claim labels): nothing that reaches the
		// members changed, and a binding write would start a round of
		// scheduling, rendering and status writes for nothing.
		spec.Resource.ResourceVersion = before.Resource.ResourceVersion
	}
	annotated := carryPolicyAnnotations(b, policyAnnotations)
	if ann := b.GetAnnotations(); ann[TemplateContentAnnotation] != digest {
		if ann == nil {
			ann = map[string]string{}
		}
		ann[TemplateContentAnnotation] = digest
		b.SetAnnotations(ann)
		annotated = true
	}
	if create {
		b.SetNamespace(obj.GetNamespace())
		b.SetName(name)
		b.SetFinalizers([]string{workv1alpha1.BindingFinalizer})
		b.SetOwnerReferences([]metav1.OwnerReference{{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), UID: obj.GetUID(),
			BlockOwnerDeletion: ptr.To(false),
		}})
		if r.firstPlacement != nil {
			r.firstPlacement(ctx, b)
		}
		if err := r.client.Create(ctx, b); err != nil {
			return fmt.Errorf("create binding %s: %w", name, err)
		}
		log.FromContext(ctx).V(1).Info("created binding", "binding", name)
		return nil
	}
	if !annotated && equality.Semantic.DeepEqual(before, spec) {
		return nil
	}
	return r.client.Update(ctx, b)
}

// carriedAnnotations are the policy annotations a binding carries for the
// scheduler, as spec.placement carries the placement.
var carriedAnnotations = []string{scheduler.CostWeightAnnotation}

// carryPolicyAnnotations copies the carried annotations from the policy to
// the binding (removing those the policy no longer has) and reports whether
// the binding changed.
func carryPolicyAnnotations(b client.Object, policy map[string]string) bool {
	ann := b.GetAnnotations()
	changed := false
	for _, k := range carriedAnnotations {
		want, wanted := policy[k]
		have, had := ann[k]
		if wanted == had && want == have {
			continue
		}
		if ann == nil {
			ann = map[string]string{}
		}
		if wanted {
			ann[k] = want
		} else {
			delete(ann, k)
		}
		changed = true
	}
	if changed {
		b.SetAnnotations(ann)
	}
	return changed
}

// desiredSpec writes what the detector owns in a binding's spec.
func desiredSpec(spec *workv1alpha1.ResourceBindingSpec, obj *unstructured.Unstructured, choice *selector.Choice, policy *policyv1alpha1.PropagationSpec, d workload.Demand) {
	spec.Resource = workv1alpha1.ObjectReference{
		APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(),
		Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
		ResourceVersion: obj.GetResourceVersion(), Generation: obj.GetGeneration(),
	}
	spec.Replicas = d.Replicas
	spec.ReplicaRequirements = nil
	if len(d.PerReplica) > 0 {
		spec.ReplicaRequirements = &workv1alpha1.ReplicaRequirements{ResourceRequest: d.PerReplica}
	}
	spec.Placement = policy.Placement.DeepCopy()
	spec.Failover = policy.Failover.DeepCopy()
	spec.Policy = &workv1alpha1.PolicyReference{Kind: choice.Kind, Namespace: choice.Namespace, Name: choice.Name}
}

// ClaimLabels are the labels a template claimed by policy p carries (none
// for nil). The binding controller renders them from the binding too, so a
// Work does not depend on whether its cache has seen the claim yet.
func ClaimLabels(p *workv1alpha1.PolicyReference) map[string]string {
	switch {
	case p == nil:
		return map[string]string{}
	case p.Kind == selector.KindPropagationPolicy:
		return map[string]string{PolicyNamespaceLabel: p.Namespace, PolicyNameLabel: p.Name}
	default:
		return map[string]string{ClusterPolicyNameLabel: p.Name}
	}
}

// WithClaimLabels sets obj's claim labels to those of policy p.
func WithClaimLabels(obj *unstructured.Unstructured, p *workv1alpha1.PolicyReference) {
	labels := obj.GetLabels()
	for _, k := range []string{PolicyNamespaceLabel, PolicyNameLabel, ClusterPolicyNameLabel} {
		delete(labels, k)
	}
	want := ClaimLabels(p)
	if len(want) > 0 && labels == nil {
		labels = map[string]string{}
	}
	for k, v := range want {
		labels[k] = v
	}
	obj.SetLabels(labels)
}

// claim records the claiming policy in the template's labels (nil: none).
func (r *Reconciler) claim(ctx context.Context, obj *unstructured.Unstructured, choice *selector.Choice) error {
	var ref *workv1alpha1.PolicyReference
	if choice != nil {
		ref = &workv1alpha1.PolicyReference{Kind: choice.Kind, Namespace: choice.Namespace, Name: choice.Name}
	}
	want := ClaimLabels(ref)
	labels := obj.GetLabels()
	changed := false
	for _, k := range []string{PolicyNamespaceLabel, PolicyNameLabel, ClusterPolicyNameLabel} {
		have, ok := labels[k]
		w, wantIt := want[k]
		if ok == wantIt && have == w {
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		if wantIt {
			labels[k] = w
		} else {
			delete(labels, k)
		}
		changed = true
	}
	if !changed {
		return nil
	}
	before := obj.DeepCopy()
	obj.SetLabels(labels)
	return client.IgnoreNotFound(r.client.Patch(ctx, obj, client.MergeFrom(before)))
}

// removeBinding deletes the binding of a template that is gone or claimed by
// no policy.
func (r *Reconciler) removeBinding(ctx context.Context, key templateKey) error {
	var b client.Object = &workv1alpha1.ClusterResourceBinding{}
	if key.Namespace != "" {
		b = &workv1alpha1.ResourceBinding{}
	}
	err := r.client.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: workv1alpha1.BindingName(key.Name, key.GVK.Kind)}, b)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	spec, _ := workv1alpha1.BindingParts(b)
	res := spec.Resource
	if res.Kind != key.GVK.Kind || res.Name != key.Name {
		return nil
	}
	if !b.GetDeletionTimestamp().IsZero() {
		return nil
	}
	log.FromContext(ctx).V(1).Info("deleting binding", "binding", b.GetName(), "template", key.String())
	return client.IgnoreNotFound(r.client.Delete(ctx, b))
}

// templateOfBinding maps a binding to its template.
func templateOfBinding[B client.Object](_ context.Context, b B) []templateKey {
	spec, _ := workv1alpha1.BindingParts(b)
	res := spec.Resource
	gv, err := schema.ParseGroupVersion(res.APIVersion)
	if err != nil || res.Kind == "" {
		return nil
	}
	return []templateKey{{GVK: gv.WithKind(res.Kind), Namespace: res.Namespace, Name: res.Name}}
}

func (r *Reconciler) templatesOfPropagationPolicy(ctx context.Context, pp *policyv1alpha1.PropagationPolicy) []templateKey {
	var claimed workv1alpha1.ResourceBindingList
	// Read-only: the cache's objects, not copies of every binding.
	if err := r.client.List(ctx, &claimed, client.InNamespace(pp.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "list bindings")
	}
	var out []templateKey
	for i := range claimed.Items {
		if p := claimed.Items[i].Spec.Policy; p != nil && p.Kind == selector.KindPropagationPolicy && p.Name == pp.Name {
			out = append(out, templateOfBinding(ctx, &claimed.Items[i])...)
		}
	}
	return append(out, r.templatesSelected(ctx, pp.Spec.ResourceSelectors, pp.Namespace)...)
}

func (r *Reconciler) templatesOfClusterPropagationPolicy(ctx context.Context, cpp *policyv1alpha1.ClusterPropagationPolicy) []templateKey {
	var out []templateKey
	var rbs workv1alpha1.ResourceBindingList
	if err := r.client.List(ctx, &rbs, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "list bindings")
	}
	for i := range rbs.Items {
		if p := rbs.Items[i].Spec.Policy; p != nil && p.Kind == selector.KindClusterPropagationPolicy && p.Name == cpp.Name {
			out = append(out, templateOfBinding(ctx, &rbs.Items[i])...)
		}
	}
	var crbs workv1alpha1.ClusterResourceBindingList
	if err := r.client.List(ctx, &crbs, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "list bindings")
	}
	for i := range crbs.Items {
		if p := crbs.Items[i].Spec.Policy; p != nil && p.Kind == selector.KindClusterPropagationPolicy && p.Name == cpp.Name {
			out = append(out, templateOfBinding(ctx, &crbs.Items[i])...)
		}
	}
	return append(out, r.templatesSelected(ctx, cpp.Spec.ResourceSelectors, "")...)
}

// templatesSelected lists the templates of every kind the selectors name, in
// namespace (all namespaces when ""), starting their watches as needed.
// Selection itself is left to Reconcile.
func (r *Reconciler) templatesSelected(ctx context.Context, selectors []policyv1alpha1.ResourceSelector, namespace string) []templateKey {
	var out []templateKey
	seen := map[schema.GroupVersionKind]bool{}
	for _, rs := range selectors {
		gvk, ok := gvkOf(rs)
		if !ok || seen[gvk] {
			continue
		}
		seen[gvk] = true
		if err := r.ensureWatch(gvk); err != nil {
			log.FromContext(ctx).Info("cannot watch templates yet; retrying", "kind", gvk.String(), "error", err.Error())
			continue
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		// Only names are read: the cache's objects, not copies of them.
		opts := []client.ListOption{client.UnsafeDisableDeepCopy}
		if namespace != "" {
			opts = append(opts, client.InNamespace(namespace))
		}
		if err := r.client.List(ctx, list, opts...); err != nil {
			log.FromContext(ctx).Error(err, "list templates", "kind", gvk.String())
			continue
		}
		for i := range list.Items {
			out = append(out, templateKey{GVK: gvk, Namespace: list.Items[i].GetNamespace(), Name: list.Items[i].GetName()})
		}
	}
	return out
}

// gvkOf is the kind a selector names, unless it is one never propagated.
func gvkOf(rs policyv1alpha1.ResourceSelector) (schema.GroupVersionKind, bool) {
	gv, err := schema.ParseGroupVersion(rs.APIVersion)
	if err != nil || rs.Kind == "" {
		return schema.GroupVersionKind{}, false
	}
	gvk := gv.WithKind(rs.Kind)
	return gvk, !Ignored(gvk)
}

// Ignored reports whether templates of this kind are never propagated:
// Kurator's and Karmada's own objects, Events and Leases.
func Ignored(gvk schema.GroupVersionKind) bool {
	g := gvk.Group
	switch {
	case g == "kurator.dev" || strings.HasSuffix(g, ".kurator.dev"):
		return true
	case g == "karmada.io" || strings.HasSuffix(g, ".karmada.io"):
		return true
	case g == "coordination.k8s.io" && gvk.Kind == "Lease":
		return true
	case g == "events.k8s.io", g == "" && gvk.Kind == "Event":
		return true
	}
	return false
}

// SkippedNamespace reports whether templates in the namespace are never
// propagated, whatever a policy selects: the hub's system namespaces, its
// Kurator namespace and the execution namespaces holding Works (as Karmada
// skips kube-system, kube-public and its own namespaces).
func SkippedNamespace(ns string) bool {
	switch ns {
	case "kube-system", "kube-public", "kube-node-lease", workv1alpha1.SystemNamespace:
		return true
	}
	return strings.HasPrefix(ns, workv1alpha1.ExecutionNamespacePrefix)
}

// ensureWatch starts watching templates of gvk once.
func (r *Reconciler) ensureWatch(gvk schema.GroupVersionKind) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.watched[gvk] {
		return nil
	}
	if err := r.hasKind(gvk); err != nil {
		r.pending[gvk] = true
		return err
	}
	delete(r.pending, gvk)
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	src := source.TypedKind(r.cache, u, handler.TypedEnqueueRequestsFromMapFunc(func(_ context.Context, o *unstructured.Unstructured) []templateKey {
		return []templateKey{{GVK: gvk, Namespace: o.GetNamespace(), Name: o.GetName()}}
	}), contentChanged())
	// Watch waits for the controller's start to finish, and the start waits
	// for the policy watches to sync, which wait for this event handler:
	// register from another goroutine. Until the watch runs, the templates
	// are enqueued by the caller's List; then by the watch's initial list.
	r.watched[gvk] = true
	go func() {
		if err := r.ctrl.Watch(src); err != nil {
			r.mu.Lock()
			delete(r.watched, gvk)
			r.mu.Unlock()
		}
	}()
	return nil
}

// conflictRetry is how soon a reconcile that lost a write race runs again;
// by then the cache holds the winner's version.
const conflictRetry = 20 * time.Millisecond
