// Package fleet reconciles Fleets: it labels each listed AttachedCluster with
// fleet.kurator.dev/fleet-name and the labels the fleet gives it, removes them
// when a cluster leaves, and summarises the members' readiness.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/pkg/failover"
	"github.com/kurator-go/kurator/pkg/fleetview"
)

// Finalizer holds a Fleet until its labels are removed from its clusters.
const Finalizer = "fleet.kurator.dev/member-labels"

// Options configure the Fleet reconciler.
type Options struct {
	// PauseShare is the failover controller's pause threshold (the share of
	// the hub's clusters that may be not Ready before evictions stop); the
	// FailoverPaused condition reports against it. 0 leaves the condition out.
	PauseShare float64
}

// Reconciler keeps fleets' member labels and status.
type Reconciler struct {
	client.Client
	opts     Options
	recorder events.EventRecorder
}

// SetupWithManager registers the Fleet reconciler.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	r := &Reconciler{Client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("kurator-fleet")}
	return ctrl.NewControllerManagedBy(mgr).
		Named("fleet").
		For(&fleetv1alpha1.Fleet{}).
		// Another Fleet of the namespace changed: it may now claim, or
		// release, a cluster this one lists too.
		Watches(&fleetv1alpha1.Fleet{}, handler.EnqueueRequestsFromMapFunc(r.fleetsOfNamespace), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A member's readiness or labels changed, or it was created/deleted.
		// Its capacity (every probe of a busy cluster) changes nothing here.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.fleetsOfCluster), builder.WithPredicates(memberChanged{})).
		Complete(r)
}

// memberChanged passes AttachedCluster updates that change what a Fleet
// shows or decides: spec, labels, the Ready condition.
type memberChanged struct{ predicate.Funcs }

func (memberChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	if !ok1 || !ok2 {
		return true
	}
	if o.Generation != n.Generation || !maps.Equal(o.Labels, n.Labels) {
		return true
	}
	oc, nc := o.ReadyCondition(), n.ReadyCondition()
	if oc == nil || nc == nil {
		return oc != nc
	}
	return oc.Status != nc.Status || oc.Reason != nc.Reason || oc.Message != nc.Message
}

// fleetsOfCluster maps an AttachedCluster to the fleets of its namespace that
// list it, and to the fleet its label names (which may have dropped it).
func (r *Reconciler) fleetsOfCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	var list fleetv1alpha1.FleetList
	if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "list Fleets for AttachedCluster", "cluster", obj.GetName())
		return nil
	}
	labelled := obj.GetLabels()[fleetv1alpha1.FleetNameLabel]
	var out []reconcile.Request
	for i := range list.Items {
		f := &list.Items[i]
		if f.Member(obj.GetName()) != nil || f.Name == labelled {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(f)})
		}
	}
	return out
}

// fleetsOfNamespace maps a Fleet to every other Fleet of its namespace.
func (r *Reconciler) fleetsOfNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	var list fleetv1alpha1.FleetList
	if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "list Fleets", "namespace", obj.GetNamespace())
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if list.Items[i].Name != obj.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// Reconcile labels the fleet's members and records their readiness.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	var f fleetv1alpha1.Fleet
	if err := r.Get(ctx, req.NamespacedName, &f); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !f.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, &f)
	}
	if !controllerutil.ContainsFinalizer(&f, Finalizer) {
		base := f.DeepCopy()
		controllerutil.AddFinalizer(&f, Finalizer)
		if err := r.Patch(ctx, &f, client.MergeFrom(base)); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer to Fleet %s: %w", f.Name, err)
		}
	}
	before := f.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(before.Status, f.Status) {
			return
		}
		if err := r.Status().Patch(ctx, &f, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, fmt.Errorf("patch status of Fleet %s: %w", f.Name, err))
		}
	}()
	return ctrl.Result{}, r.reconcileNormal(ctx, &f)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, f *fleetv1alpha1.Fleet) error {
	clusters, view, err := r.view(ctx, f.Namespace)
	if err != nil {
		return err
	}
	byName := make(map[string]*clusterv1alpha1.AttachedCluster, len(clusters))
	for i := range clusters {
		byName[clusters[i].Name] = &clusters[i]
	}
	members := make([]memberState, 0, len(f.Spec.Clusters))
	var label []func() error
	for i := range f.Spec.Clusters {
		m := &f.Spec.Clusters[i]
		st := memberState{name: m.Name, cluster: byName[m.Name]}
		// The scheduler's view decides which Fleet a cluster listed twice
		// belongs to (its label, else the first Fleet by name), so the
		// labels and the scheduling never disagree.
		switch owner := view.FleetOf[f.Namespace+"/"+m.Name]; {
		case st.cluster == nil:
		case owner != "" && owner != f.Name:
			st.otherFleet = owner
		default:
			label = append(label, func() error { return r.setMemberLabels(ctx, st.cluster, f.Name, m) })
		}
		members = append(members, st)
	}
	errs := inParallel(label, labelWorkers)
	if err := r.releaseFormerMembers(ctx, f, false); err != nil {
		errs = append(errs, err)
	}

	phase, ready, notReady, cond := summarize(members, f.Generation)
	old := meta.FindStatusCondition(f.Status.Conditions, fleetv1alpha1.ConditionReady)
	f.Status.Phase, f.Status.ReadyClusters, f.Status.NotReadyClusters = phase, ready, notReady
	meta.SetStatusCondition(&f.Status.Conditions, cond)
	if old == nil || old.Status != cond.Status || old.Reason != cond.Reason {
		typ := "Normal"
		if cond.Status != "True" {
			typ = "Warning"
		}
		r.recorder.Eventf(f, nil, typ, cond.Reason, "Summarize", "%s", cond.Message)
	}
	r.setFailoverPaused(f, clusters)
	r.setValid(f, view)
	return errors.Join(errs...)
}

// view is the namespace's AttachedClusters and the scheduler's view of
// them and its Fleets.
func (r *Reconciler) view(ctx context.Context, ns string) ([]clusterv1alpha1.AttachedCluster, *fleetview.View, error) {
	// Read-only: the cache's objects, not a copy of every cluster per
	// reconcile (a 1,000-cluster Fleet reconciles on each member's Ready
	// change); setMemberLabels copies the one it changes.
	var clusters clusterv1alpha1.AttachedClusterList
	if err := r.List(ctx, &clusters, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, err
	}
	var fleets fleetv1alpha1.FleetList
	if err := r.List(ctx, &fleets, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, err
	}
	return clusters.Items, fleetview.Build(clusters.Items, fleets.Items, fleetview.Options{}), nil
}

// setValid reports what the scheduler's view leaves out of this Fleet: the
// same fleetview.Build the scheduler uses decides it, so the condition says
// exactly what scheduling does with the Fleet.
func (r *Reconciler) setValid(f *fleetv1alpha1.Fleet, view *fleetview.View) {
	c := metav1.Condition{Type: fleetv1alpha1.ConditionValid, Status: metav1.ConditionTrue, Reason: fleetv1alpha1.ReasonValid,
		Message: "the hub schedules with this fleet as written", ObservedGeneration: f.Generation}
	if problems := view.ProblemsOf(f.Namespace, f.Name); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
		}
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, problems[0].Reason, strings.Join(msgs, "; ")
	}
	if old := meta.FindStatusCondition(f.Status.Conditions, c.Type); c.Status == metav1.ConditionFalse && (old == nil || old.Message != c.Message) {
		r.recorder.Eventf(f, nil, corev1.EventTypeWarning, c.Reason, "Validate", "%s", c.Message)
	}
	meta.SetStatusCondition(&f.Status.Conditions, c)
}

// setFailoverPaused records whether failover is paused: the share counts
// every cluster of the namespace, as the failover controller does.
func (r *Reconciler) setFailoverPaused(f *fleetv1alpha1.Fleet, clusters []clusterv1alpha1.AttachedCluster) {
	if r.opts.PauseShare <= 0 {
		return
	}
	notReady := 0
	for i := range clusters {
		if !clusters[i].IsReady() {
			notReady++
		}
	}
	c := metav1.Condition{Type: fleetv1alpha1.ConditionFailoverPaused, ObservedGeneration: f.Generation,
		Status: metav1.ConditionFalse, Reason: fleetv1alpha1.ReasonFailoverActive,
		Message: fmt.Sprintf("%d of %d clusters are not Ready; failover pauses when more than %.0f%% are", notReady, len(clusters), 100*r.opts.PauseShare)}
	if failover.Paused(notReady, len(clusters), r.opts.PauseShare) {
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, fleetv1alpha1.ReasonTooManyClustersNotReady, failover.PausedMessage(notReady, len(clusters), r.opts.PauseShare)
	}
	old := meta.FindStatusCondition(f.Status.Conditions, c.Type)
	if old != nil && old.Status != c.Status {
		typ := corev1.EventTypeNormal
		if c.Status == metav1.ConditionTrue {
			typ = corev1.EventTypeWarning
		}
		r.recorder.Eventf(f, nil, typ, c.Reason, "Failover", "%s", c.Message)
	}
	meta.SetStatusCondition(&f.Status.Conditions, c)
}

// setMemberLabels labels c as a member of fleet (m nil: removes the labels).
// c is the cache's object and is not modified.
func (r *Reconciler) setMemberLabels(ctx context.Context, c *clusterv1alpha1.AttachedCluster, fleet string, m *fleetv1alpha1.FleetCluster) error {
	labels, ann, changed := memberLabels(c.Labels, c.Annotations, fleet, m)
	if !changed {
		return nil
	}
	base := c
	c = c.DeepCopy()
	c.Labels, c.Annotations = labels, ann
	// A merge patch of the fleet's own keys only, without a lock: the
	// cluster controller writes every cluster's status meanwhile, and a
	// lock made a 1,000-cluster Fleet's labelling answer 632 409s.
	if err := r.Patch(ctx, c, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("label AttachedCluster %s for fleet %s: %w", c.Name, fleet, err)
	}
	return nil
}

// releaseFormerMembers strips the fleet's labels from clusters that carry
// its name label but are no longer listed (all of them when all is set).
func (r *Reconciler) releaseFormerMembers(ctx context.Context, f *fleetv1alpha1.Fleet, all bool) error {
	var list clusterv1alpha1.AttachedClusterList
	if err := r.List(ctx, &list, client.InNamespace(f.Namespace), client.MatchingLabels{fleetv1alpha1.FleetNameLabel: f.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list members of Fleet %s: %w", f.Name, err)
	}
	var errs []error
	for i := range list.Items {
		c := &list.Items[i]
		if !all && f.Member(c.Name) != nil {
			continue
		}
		if err := r.setMemberLabels(ctx, c, f.Name, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		r.recorder.Eventf(f, c, "Normal", "ClusterLeft", "Unlabel", "cluster %s left the fleet; its fleet labels were removed", c.Name)
	}
	return errors.Join(errs...)
}

func (r *Reconciler) reconcileDelete(ctx context.Context, f *fleetv1alpha1.Fleet) error {
	if !controllerutil.ContainsFinalizer(f, Finalizer) {
		return nil
	}
	if f.Status.Phase != fleetv1alpha1.FleetTerminating {
		base := f.DeepCopy()
		f.Status.Phase = fleetv1alpha1.FleetTerminating
		if err := r.Status().Patch(ctx, f, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	if err := r.releaseFormerMembers(ctx, f, true); err != nil {
		return err
	}
	base := f.DeepCopy()
	controllerutil.RemoveFinalizer(f, Finalizer)
	if err := r.Patch(ctx, f, client.MergeFrom(base)); err != nil {
		return client.IgnoreNotFound(err)
	}
	return nil
}

// labelWorkers is how many member label patches a Fleet sends at once: one
// at a time, a new Fleet of 1,000 clusters took minutes to label on a busy
// hub, and each label reaching the scheduler late moved workloads again.
const labelWorkers = 16

// inParallel runs tasks with at most n at once and returns their errors.
func inParallel(tasks []func() error, n int) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan func() error)
	for range min(n, len(tasks)) {
		wg.Go(func() {
			for t := range next {
				if err := t(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, t := range tasks {
		next <- t
	}
	close(next)
	wg.Wait()
	return errs
}
