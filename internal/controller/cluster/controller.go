// Package cluster probes member clusters: the AttachedCluster reconciler asks
// each member's API server for /readyz every interval, records the Ready
// condition once a change has persisted for its threshold, keeps the
// cluster's version, served APIs, node and resource summaries up to date, and
// taints clusters that are not Ready: NoSchedule so the scheduler avoids them,
// NoExecute so the failover controller moves away what does not tolerate it.
// It probes Push clusters only: a Pull cluster's agent reports its status
// (internal/clusterstatus, the same collection) and its heartbeat Lease
// decides Ready.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/clusterstatus"
	"github.com/kurator-go/kurator/internal/member"
)

// Ready reasons set by this controller besides clusterv1alpha1.ReasonClusterReady
// and clusterv1alpha1.ReasonKubeconfigInvalid.
const (
	// ReasonClusterNotReachable: the probe got no HTTP answer.
	ReasonClusterNotReachable = "ClusterNotReachable"
	// ReasonClusterNotHealthy: the API server answered with a status other than 200.
	ReasonClusterNotHealthy = "ClusterNotHealthy"
	// ReasonForbidden: the kubeconfig's user may not read what the probe needs.
	ReasonForbidden = "Forbidden"
)

// Clients gives the clients of a member cluster; *member.Registry satisfies it.
type Clients interface {
	ForCluster(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (member.Clients, error)
	Invalidate(name string)
}

// Options configure the AttachedCluster reconciler.
type Options struct {
	// Clients reach the members; default member.NewRegistry(mgr.GetClient()).
	Clients Clients
	// ProbeInterval is how often each cluster is probed (default 10s).
	ProbeInterval time.Duration
	// ProbeTimeout bounds each request to a member (default 5s).
	ProbeTimeout time.Duration
	// FailureThreshold is how long failures must persist before Ready turns
	// from True to False/Unknown (default 30s).
	FailureThreshold time.Duration
	// SuccessThreshold is how long successes must persist before Ready turns
	// True again (default 30s).
	SuccessThreshold time.Duration
	// MaxConcurrentReconciles is how many clusters are probed at once
	// (default 20). A probe mostly waits on its member: 1,000 clusters
	// probed every 10 s at 60-80 ms each keep 6-8 workers busy, and with 5
	// the probes fell behind and a failure took 50-60 s to be seen.
	MaxConcurrentReconciles int
	// DiscoveryInterval is how often a cluster's served APIs are discovered
	// again (default 5m); in between, a probe reuses them unless the
	// cluster's Kubernetes version changed. A new CRD in a member shows in
	// its status within this interval (applying a kind it does not list yet
	// resets the member's RESTMapper at once).
	DiscoveryInterval time.Duration
}

func (o Options) withDefaults() Options {
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 10 * time.Second
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 5 * time.Second
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 30 * time.Second
	}
	if o.SuccessThreshold <= 0 {
		o.SuccessThreshold = 30 * time.Second
	}
	if o.DiscoveryInterval <= 0 {
		o.DiscoveryInterval = 5 * time.Minute
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 20
	}
	return o
}

// Reconciler keeps AttachedClusters' health and facts up to date.
type Reconciler struct {
	client.Client
	opts     Options
	recorder events.EventRecorder
	now      func() time.Time

	mu      sync.Mutex
	pending map[types.NamespacedName]pending
	// discovered is when each cluster's APIs were last discovered.
	discovered map[types.NamespacedName]time.Time
}

// SetupWithManager registers the AttachedCluster reconciler.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	if opts.Clients == nil {
		opts.Clients = member.NewRegistry(mgr.GetClient())
	}
	registerMetrics()
	r := &Reconciler{
		Client:     mgr.GetClient(),
		opts:       opts,
		recorder:   mgr.GetEventRecorder("kurator-cluster"),
		now:        time.Now,
		pending:    map[types.NamespacedName]pending{},
		discovered: map[types.NamespacedName]time.Time{},
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("attachedcluster").
		// Spec edits (a new kubeconfig reference) probe at once; status
		// writes do not (the periodic requeue covers them).
		For(&clusterv1alpha1.AttachedCluster{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A created or rotated kubeconfig Secret re-probes the clusters using it.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.clustersUsingSecret)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// clustersUsingSecret maps a Secret to the AttachedClusters of its namespace
// whose kubeconfig reference names it.
func (r *Reconciler) clustersUsingSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	var list clusterv1alpha1.AttachedClusterList
	if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "list AttachedClusters for Secret", "secret", obj.GetName())
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if list.Items[i].KubeconfigSecretRef().Name == obj.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// Reconcile probes one cluster and records what it saw.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	var ac clusterv1alpha1.AttachedCluster
	if err := r.Get(ctx, req.NamespacedName, &ac); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !ac.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(&ac)
	}
	if ac.IsPull() {
		// The hub holds no credentials of a Pull cluster: its agent reports
		// the status and the agentlease controller sets Ready and the taints
		// from the agent's heartbeat Lease.
		r.forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	before := ac.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(before.Status, ac.Status) {
			return
		}
		if err := r.Status().Patch(ctx, &ac, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, fmt.Errorf("patch status of AttachedCluster %s: %w", ac.Name, err))
		}
	}()
	return r.reconcileNormal(ctx, &ac)
}

func (r *Reconciler) reconcileDelete(ac *clusterv1alpha1.AttachedCluster) (ctrl.Result, error) {
	r.forget(client.ObjectKeyFromObject(ac))
	return ctrl.Result{}, nil
}

func (r *Reconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.pending, key)
	delete(r.discovered, key)
	r.mu.Unlock()
	r.opts.Clients.Invalidate(key.Name)
	forgetMetrics(key.Name)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	requeue := ctrl.Result{RequeueAfter: r.opts.ProbeInterval}

	obs, f, err := r.observe(ctx, ac)
	if err != nil {
		return ctrl.Result{}, err
	}
	if f != nil {
		f.Into(&ac.Status)
	}

	key := client.ObjectKeyFromObject(ac)
	old := ac.ReadyCondition()
	var recorded metav1.ConditionStatus
	if old != nil {
		recorded = old.Status
	}
	r.mu.Lock()
	record, p := decide(recorded, r.pending[key], obs, r.now(), Thresholds{Failure: r.opts.FailureThreshold, Success: r.opts.SuccessThreshold})
	r.pending[key] = p
	r.mu.Unlock()

	if record {
		meta.SetStatusCondition(&ac.Status.Conditions, metav1.Condition{
			Type: clusterv1alpha1.ConditionReady, Status: obs.Status, Reason: obs.Reason, Message: obs.Message,
			ObservedGeneration: ac.Generation,
		})
		if recorded != obs.Status {
			r.emitTransition(ac, recorded, obs)
		}
	} else {
		logger.V(1).Info("probe result held back until it persists", "observed", obs.Status, "reason", obs.Reason, "since", p.since)
	}

	ready := ac.ReadyCondition()
	gauge := 0.0
	if ready.Status == metav1.ConditionTrue {
		gauge = 1
	}
	clusterReady.WithLabelValues(ac.Name).Set(gauge)

	if err := clusterstatus.SyncReadinessTaints(ctx, r.Client, ac, ready.Status, r.now()); err != nil {
		return ctrl.Result{}, err
	}
	return requeue, nil
}

// observe probes the cluster and, when it is healthy, collects its facts.
func (r *Reconciler) observe(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (Observation, *clusterstatus.Status, error) {
	c, err := r.opts.Clients.ForCluster(ctx, ac)
	if errors.Is(err, member.ErrKubeconfigInvalid) {
		return Observation{Status: metav1.ConditionUnknown, Reason: clusterv1alpha1.ReasonKubeconfigInvalid, Message: err.Error()}, nil, nil
	}
	if err != nil {
		return Observation{}, nil, err
	}
	start := time.Now()
	obs := probeHealth(ctx, c.Kubernetes.Discovery().RESTClient(), ac.Name, r.opts.ProbeTimeout)
	probeDuration.WithLabelValues(ac.Name).Set(time.Since(start).Seconds())
	if obs.Status != metav1.ConditionTrue {
		return obs, nil, nil
	}
	f, err := clusterstatus.CollectReusing(ctx, c.Kubernetes, r.opts.ProbeTimeout, r.knownAPIs(ac))
	var refused *clusterstatus.RefusedError
	if errors.As(err, &refused) {
		return forbidden(ac.Name, refused.What, refused.Err), nil, nil
	}
	if err != nil {
		return Observation{Status: metav1.ConditionFalse, Reason: ReasonClusterNotReachable,
			Message: fmt.Sprintf("cluster %s answers its health probe but %v: check the API server and the hub's network path to it", ac.Name, err)}, nil, nil
	}
	return obs, &f, nil
}

// knownAPIs is what a probe of ac may reuse instead of discovering its
// APIs again: nil when they were discovered DiscoveryInterval ago or never
// by this manager (which then records now as the time of discovery).
func (r *Reconciler) knownAPIs(ac *clusterv1alpha1.AttachedCluster) *clusterstatus.Status {
	key := client.ObjectKeyFromObject(ac)
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.discovered[key]; ok && now.Sub(at) < r.opts.DiscoveryInterval && len(ac.Status.APIEnablements) > 0 {
		return &clusterstatus.Status{KubernetesVersion: ac.Status.KubernetesVersion, APIEnablements: ac.Status.APIEnablements}
	}
	r.discovered[key] = now
	return nil
}

func (r *Reconciler) emitTransition(ac *clusterv1alpha1.AttachedCluster, from metav1.ConditionStatus, obs Observation) {
	typ := corev1.EventTypeWarning
	if obs.Status == metav1.ConditionTrue {
		typ = corev1.EventTypeNormal
	}
	if from == "" {
		from = "unset"
	}
	r.recorder.Eventf(ac, nil, typ, obs.Reason, "Probe", "Ready %s -> %s: %s", from, obs.Status, obs.Message)
}
