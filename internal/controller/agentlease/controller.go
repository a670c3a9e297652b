// Package agentlease judges the health of Pull clusters from their agents'
// heartbeats: the agent renews Lease kurator-agent in its cluster's
// execution namespace; the cluster is Ready=True while the hub heard a
// renewal within the grace period and Unknown after, with the readiness
// taints the push cluster controller uses, so the scheduler and failover
// treat Pull and Push clusters alike. The push cluster controller does not
// probe Pull clusters (the hub cannot reach them).
package agentlease

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/clusterstatus"
)

// DefaultGrace is how long after its agent's last heartbeat a Pull cluster
// stays Ready: one missed renewal of the default 30s interval is tolerated
// for 10s.
const DefaultGrace = 40 * time.Second

// Options configure the Lease reconciler.
type Options struct {
	// Grace is how long a heartbeat keeps the cluster Ready (default 40s).
	Grace time.Duration
	// Clock tells the time (default the real clock).
	Clock clock.PassiveClock
	// MaxConcurrentReconciles (default 5).
	MaxConcurrentReconciles int
}

// Reconciler sets Pull clusters' Ready condition and readiness taints.
type Reconciler struct {
	client.Client
	grace    time.Duration
	clock    clock.PassiveClock
	recorder events.EventRecorder

	mu    sync.Mutex
	heard map[string]heard
}

// New returns a Reconciler (SetupWithManager registers one).
func New(c client.Client, recorder events.EventRecorder, opts Options) *Reconciler {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Reconciler{Client: c, grace: opts.Grace, clock: opts.Clock, recorder: recorder, heard: map[string]heard{}}
}

// SetupWithManager registers the Lease reconciler.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 5
	}
	r := New(mgr.GetClient(), mgr.GetEventRecorder("kurator-agentlease"), opts)
	return ctrl.NewControllerManagedBy(mgr).
		Named("agentlease").
		// A new cluster, or one switched to Pull; status writes (the
		// agent's and this controller's) need no reconcile.
		For(&clusterv1alpha1.AttachedCluster{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Every renewal of an agent's Lease.
		Watches(&coordinationv1.Lease{}, handler.EnqueueRequestsFromMapFunc(clusterOfLease)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// clusterOfLease maps an agent's Lease to its cluster's AttachedCluster.
func clusterOfLease(_ context.Context, obj client.Object) []reconcile.Request {
	if obj.GetName() != clusterv1alpha1.AgentLeaseName {
		return nil
	}
	cluster, ok := workv1alpha1.ClusterOfExecutionNamespace(obj.GetNamespace())
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: cluster}}}
}

// Reconcile judges one Pull cluster from its Lease, and looks again when
// the verdict would expire.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	var ac clusterv1alpha1.AttachedCluster
	if err := r.Get(ctx, req.NamespacedName, &ac); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !ac.IsPull() || !ac.DeletionTimestamp.IsZero() {
		r.forget(ac.Name)
		return ctrl.Result{}, nil
	}
	var lease coordinationv1.Lease
	err := r.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(ac.Name), Name: clusterv1alpha1.AgentLeaseName}, &lease)
	switch {
	case apierrors.IsNotFound(err):
		lease = coordinationv1.Lease{}
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("read the heartbeat Lease of cluster %s: %w", ac.Name, err)
	}

	now := r.clock.Now()
	at := r.hear(ac.Name, renewTime(&lease), now)
	v := Judge(ac.Name, at, now, r.grace)

	before := ac.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(before.Status, ac.Status) {
			return
		}
		if err := r.Status().Patch(ctx, &ac, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, fmt.Errorf("patch status of AttachedCluster %s: %w", ac.Name, err))
		}
	}()
	if rt := lease.Spec.RenewTime; rt != nil {
		if ac.Status.Agent == nil {
			ac.Status.Agent = &clusterv1alpha1.AgentStatus{}
		}
		if last := ac.Status.Agent.LastHeartbeatTime; last == nil || !last.Time.Equal(rt.Time) {
			ac.Status.Agent.LastHeartbeatTime = &metav1.Time{Time: rt.Time}
		}
	}
	var old *metav1.Condition
	if c := ac.ReadyCondition(); c != nil {
		// A copy: SetStatusCondition changes the condition in place.
		old = c.DeepCopy()
	}
	// The message of a standing verdict is not rewritten (its age would
	// change it on every look): only a new status or reason is recorded.
	if old == nil || old.Status != v.Status || old.Reason != v.Reason {
		meta.SetStatusCondition(&ac.Status.Conditions, metav1.Condition{
			Type: clusterv1alpha1.ConditionReady, Status: v.Status, Reason: v.Reason, Message: v.Message,
			ObservedGeneration: ac.Generation, LastTransitionTime: metav1.NewTime(now),
		})
		r.emitTransition(&ac, old, v)
	}
	if err := clusterstatus.SyncReadinessTaints(ctx, r.Client, &ac, v.Status, now); err != nil {
		return ctrl.Result{}, err
	}
	if v.Expires > 0 {
		return ctrl.Result{RequeueAfter: v.Expires}, nil
	}
	return ctrl.Result{}, nil
}

// hear records renew as seen now and returns when the hub counts it heard.
func (r *Reconciler) hear(cluster string, renew, now time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, known := r.heard[cluster]
	h := hearing(prev, known, renew, now)
	r.heard[cluster] = h
	return h.at
}

func (r *Reconciler) forget(cluster string) {
	r.mu.Lock()
	delete(r.heard, cluster)
	r.mu.Unlock()
}

func (r *Reconciler) emitTransition(ac *clusterv1alpha1.AttachedCluster, old *metav1.Condition, v Verdict) {
	from := "unset"
	if old != nil {
		from = string(old.Status)
	}
	typ := corev1.EventTypeWarning
	if v.Status == metav1.ConditionTrue {
		typ = corev1.EventTypeNormal
	}
	r.recorder.Eventf(ac, nil, typ, v.Reason, "Heartbeat", "Ready %s -> %s: %s", from, v.Status, strings.TrimSpace(v.Message))
}
