// Package apply takes a Work's manifests to a member cluster, the one way
// both the hub's execution controller (push clusters) and the pull agent
// (internal/agent/sync) do it: decode, strip the fields the member owns,
// hash, mark ownership (label work.kurator.dev/managed-by, annotations with
// the owning Work and the manifest hash), create a missing namespace,
// server-side apply with field manager "kurator" (forced), skip objects whose
// watched state is what the last apply of the same manifest produced, prune
// the objects a previous version of the Work listed, and on deletion remove
// the objects the Work still owns.
//
// API:
//
//	a := apply.New(watch)                  // watch: memberwatch.Watcher (Ensure+Get)
//	m := apply.Member{Name, Dynamic, Mapper} // or apply.MemberFromConfig(name, restConfig)
//	res, err := a.Apply(ctx, m, work)      // err: *DecodeError only; per-manifest failures in res.Failed
//	apply.Report(work, m.Name, res, retry) // sets work.Status: manifestStatuses + Applied; returns the failure message
//	apply.SetApplied(work, status, reason, msg)
//	apply.DecodeFailedMessage(err)         // the Applied message for a *DecodeError
//	err = a.Delete(ctx, m, work)           // owned objects, reverse order, namespaces kept
//	obj, synced := a.Get(cluster, gvr, ns, name) // the watch, "not synced" while it lags our last apply
//	apply.ExecutionStatus(work)            // execution's server-side apply request for Work status
package apply

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

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/memberwatch"
)

// FieldManager is the server-side apply field manager in members.
const FieldManager = "kurator"

// Watch is a watch of the applied objects in members: memberwatch.Watcher
// satisfies it. Ensure starts watching a resource of a cluster; Get reads
// the watch cache (synced false: it cannot answer yet).
type Watch interface {
	Ensure(ctx context.Context, cluster string, gvr schema.GroupVersionResource) error
	Get(cluster string, gvr schema.GroupVersionResource, namespace, name string) (obj *unstructured.Unstructured, synced bool)
}

// Member is one member cluster's clients.
type Member struct {
	// Name is the cluster's name (the Watch's cluster key).
	Name string
	// Dynamic reaches the member's API.
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources; it is Reset when a kind is not found
	// (it may have been installed since discovery was cached).
	Mapper meta.ResettableRESTMapper
}

// Applier applies Works. It remembers, per member object, what the last
// apply returned, so an object whose manifest did not change and whose
// watched state is still what that apply produced is not applied again. One
// Applier serves any number of clusters; it is safe for concurrent use.
type Applier struct {
	watch Watch

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

// New returns an Applier that watches applied objects with watch.
func New(watch Watch) *Applier {
	return &Applier{watch: watch, applied: map[objectKey]appliedState{}}
}

// Result is what one Apply did.
type Result struct {
	// Manifests is how many manifests the Work lists.
	Manifests int
	// Applies is how many server-side applies the member accepted
	// (manifests found unchanged cost none).
	Applies int
	// Failed holds one message per manifest that could not be applied and
	// per dropped object that could not be pruned.
	Failed []string
	// ManifestStatuses are the Work's status entries after the apply: one per
	// manifest in ordinal order, keeping the collected status and health of
	// entries that name the same object as before.
	ManifestStatuses []workv1alpha1.ManifestStatus
}

// DecodeError says a Work's manifests cannot be decoded: nothing was applied.
type DecodeError struct {
	Work types.NamespacedName
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("Work %s: cannot decode the manifests: %v", e.Work, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeFailedMessage is the Applied condition's message for a Work whose
// manifests cannot be decoded.
func DecodeFailedMessage(err error) string {
	var de *DecodeError
	if errors.As(err, &de) {
		err = de.Err
	}
	return fmt.Sprintf("cannot decode the Work's manifests: %v: fix the resource template or override that produced it", err)
}

// Apply applies work's manifests to m, then deletes the objects that
// work.Status.ManifestStatuses lists but the manifests no longer do (when
// this Work still owns them). The error is a *DecodeError when the manifests
// cannot be decoded; every other failure is in Result.Failed. work is not
// modified.
func (a *Applier) Apply(ctx context.Context, m Member, work *workv1alpha1.Work) (Result, error) {
	key := types.NamespacedName{Namespace: work.Namespace, Name: work.Name}
	manifests, err := decodeManifests(key, work.Spec.Workload.Manifests)
	if err != nil {
		return Result{}, &DecodeError{Work: key, Err: err}
	}
	res := Result{Manifests: len(manifests)}
	ids := make([]workv1alpha1.ResourceIdentifier, 0, len(manifests))
	for _, mf := range manifests {
		did, err := a.applyOne(ctx, m, mf)
		ids = append(ids, identifier(mf)) // after applyOne defaulted the namespace
		if err != nil {
			res.Failed = append(res.Failed, err.Error())
			continue
		}
		if did {
			res.Applies++
		}
	}
	res.Failed = append(res.Failed, a.pruneDropped(ctx, m, key.String(), work.Status.ManifestStatuses, ids)...)
	res.ManifestStatuses = mergeIdentifiers(work.Status.ManifestStatuses, ids)
	return res, nil
}

// Report records res in work's status: the manifest entries and the Applied
// condition. It returns the failure message ("" when every manifest was
// applied); retry says when the caller tries again.
func Report(work *workv1alpha1.Work, cluster string, res Result, retry time.Duration) string {
	work.Status.ManifestStatuses = res.ManifestStatuses
	if len(res.Failed) > 0 {
		msg := fmt.Sprintf("%d of %d manifests failed in cluster %s: %s; fix the template or its overrides, or the member (permissions, admission, missing CRD); retried every %s",
			len(res.Failed), res.Manifests, cluster, strings.Join(res.Failed, "; "), retry)
		SetApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonAppliedFailed, msg)
		return msg
	}
	SetApplied(work, metav1.ConditionTrue, workv1alpha1.ReasonAppliedSuccessful,
		fmt.Sprintf("all %d manifests applied to cluster %s", res.Manifests, cluster))
	return ""
}

// SetApplied sets work's Applied condition at its current generation.
func SetApplied(work *workv1alpha1.Work, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&work.Status.Conditions, metav1.Condition{
		Type:               workv1alpha1.ConditionApplied,
		Status:             status,
		Reason:             reason,
		Message:            msg,
		ObservedGeneration: work.Generation,
	})
}

// applyOne applies one manifest unless the member already holds what it
// describes. It reports whether it called the member.
func (a *Applier) applyOne(ctx context.Context, m Member, mf manifest) (bool, error) {
	obj := mf.obj
	gvk := obj.GroupVersionKind()
	mapping, err := m.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// The kind may have been installed since discovery was cached.
		m.Mapper.Reset()
		mapping, err = m.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
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
	key := objectKey{cluster: m.Name, gvr: mapping.Resource, namespace: obj.GetNamespace(), name: obj.GetName()}
	if err := a.watch.Ensure(ctx, m.Name, mapping.Resource); err != nil {
		return false, fmt.Errorf("watch %s: %v", mapping.Resource.Resource, err)
	}
	if a.unchanged(key, mf.hash) {
		return false, nil
	}

	var ri dynamic.ResourceInterface = m.Dynamic.Resource(mapping.Resource)
	if namespaced {
		ri = m.Dynamic.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	got, err := ri.Apply(ctx, obj.GetName(), obj, opts)
	if namespaced && apierrors.IsNotFound(err) {
		if nerr := ensureNamespace(ctx, m.Dynamic, obj.GetNamespace()); nerr != nil {
			return true, fmt.Errorf("create namespace %s: %v", obj.GetNamespace(), nerr)
		}
		got, err = ri.Apply(ctx, obj.GetName(), obj, opts)
	}
	if err != nil {
		a.forget(key)
		return true, fmt.Errorf("apply %s %s: %v", gvk.Kind, namespacedName(obj), err)
	}
	a.remember(key, appliedState{hash: mf.hash, generation: got.GetGeneration(), resourceVersion: got.GetResourceVersion()})
	return true, nil
}

// unchanged reports whether the watched member object still is what the last
// apply of the same manifest produced. Any doubt (no synced watch, no record,
// object gone) means apply.
func (a *Applier) unchanged(key objectKey, hash string) bool {
	a.mu.Lock()
	last, ok := a.applied[key]
	a.mu.Unlock()
	if !ok || last.hash != hash {
		return false
	}
	live, synced := a.watch.Get(key.cluster, key.gvr, key.namespace, key.name)
	if !synced || live == nil || live.GetAnnotations()[memberwatch.ManifestHashAnnotation] != hash {
		return false
	}
	if live.GetGeneration() != 0 || last.generation != 0 {
		return live.GetGeneration() == last.generation
	}
	return live.GetResourceVersion() == last.resourceVersion
}

// Get reads a member object from the watch, like Watch.Get, but answers
// "not synced" while the watch still holds an object older than this
// Applier's last apply of it (the watch event has not arrived yet), so the
// caller reads the member instead. Without it, a status collected just
// after an apply could be the previous spec's, judged healthy with the new
// Work's generation stamped on it.
func (a *Applier) Get(cluster string, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool) {
	live, synced := a.watch.Get(cluster, gvr, namespace, name)
	if !synced {
		return nil, false
	}
	a.mu.Lock()
	last, ok := a.applied[objectKey{cluster: cluster, gvr: gvr, namespace: namespace, name: name}]
	a.mu.Unlock()
	if ok && (live == nil || live.GetGeneration() < last.generation) {
		return nil, false
	}
	return live, true
}

func (a *Applier) remember(key objectKey, s appliedState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.applied[key] = s
}

func (a *Applier) forget(key objectKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.applied, key)
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

// Delete removes from m the objects of work's manifests that work still owns,
// in reverse manifest order. Namespaces are kept: other Works' objects may
// live in them. A Work whose manifests cannot be decoded applied nothing, so
// there is nothing to delete. The caller decides about
// spec.preserveResourcesOnDeletion.
func (a *Applier) Delete(ctx context.Context, m Member, work *workv1alpha1.Work) error {
	key := types.NamespacedName{Namespace: work.Namespace, Name: work.Name}
	manifests, err := decodeManifests(key, work.Spec.Workload.Manifests)
	if err != nil {
		return nil // nothing could have been applied
	}
	owner := key.String()
	var errs []error
	for i := len(manifests) - 1; i >= 0; i-- {
		if isNamespace(manifests[i].obj) {
			continue
		}
		if err := a.deleteOwned(ctx, m, owner, identifier(manifests[i])); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteOwned deletes the member object id names if owner (the Work's
// "namespace/name") still owns it; another Work may have taken it over.
func (a *Applier) deleteOwned(ctx context.Context, m Member, owner string, id workv1alpha1.ResourceIdentifier) error {
	mapping, err := m.Mapper.RESTMapping(schema.GroupKind{Group: id.Group, Kind: id.Kind}, id.Version)
	if meta.IsNoMatchError(err) {
		return nil // never served, never applied
	}
	if err != nil {
		// Discovery failed (the member is unreachable, or was when the
		// mapper was built): the object may well be there. Releasing the
		// Work now would leave it behind for good; retry with fresh
		// discovery.
		m.Mapper.Reset()
		return fmt.Errorf("look up %s %s in %s: %w", id.Kind, id.Name, m.Name, err)
	}
	var ri dynamic.ResourceInterface = m.Dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := id.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = m.Dynamic.Resource(mapping.Resource).Namespace(ns)
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
	uid := live.GetUID()
	pre := metav1.Preconditions{UID: &uid}
	if err := ri.Delete(ctx, id.Name, metav1.DeleteOptions{PropagationPolicy: &bg, Preconditions: &pre}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete %s %s: %w", id.Kind, namespacedName(live), err)
	}
	a.forget(objectKey{cluster: m.Name, gvr: mapping.Resource, namespace: live.GetNamespace(), name: live.GetName()})
	return nil
}

// pruneDropped deletes the objects a previous version of the Work applied
// (old) that its manifests (ids) no longer list.
func (a *Applier) pruneDropped(ctx context.Context, m Member, owner string, old []workv1alpha1.ManifestStatus, ids []workv1alpha1.ResourceIdentifier) []string {
	var failed []string
	for _, o := range old {
		if o.Kind == "" || (o.Kind == "Namespace" && o.Group == "") {
			continue // released by us already, or a namespace others may use
		}
		if listed(ids, o.ResourceIdentifier) {
			continue
		}
		if err := a.deleteOwned(ctx, m, owner, o.ResourceIdentifier); err != nil {
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

func namespacedName(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return obj.GetNamespace() + "/" + obj.GetName()
}
