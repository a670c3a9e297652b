// Package nodepool reconciles NodePools: it keeps a pool's node count at
// spec.replicas (within minNodes and maxNodes) through the pool's
// provider, and reports the nodes and their readiness in status.
//
//   - kwok creates fake nodes <cluster>-<pool>-<n> in the member (kwok
//     there makes them Ready), and removes nodes by cordoning them,
//     evicting their pods (PodDisruptionBudgets are honoured; Deployments
//     recreate the pods on the other nodes) and deleting them once empty.
//     Nodes that carry the pool label already are adopted.
//   - clusterAPI sets spec.replicas of a Cluster API MachineDeployment in
//     the hub (or the management cluster of kubeconfigSecretRef) and
//     mirrors its status; Cluster API's controllers create the machines.
//
// Which nodes to add or remove is decided by pkg/nodepool.
package nodepool

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/pkg/nodepool"
)

// Condition types and reasons of a NodePool.
const (
	// ConditionReady: every wanted node exists and is Ready.
	ConditionReady = "Ready"
	// ConditionScaling: nodes are being added or removed.
	ConditionScaling = "Scaling"

	ReasonNodesReady                = "NodesReady"
	ReasonNodesNotReady             = "NodesNotReady"
	ReasonClusterNotFound           = "ClusterNotFound"
	ReasonClusterUnreachable        = "ClusterUnreachable"
	ReasonNoProvider                = "NoProvider"
	ReasonScalingUp                 = "ScalingUp"
	ReasonScalingDown               = "ScalingDown"
	ReasonDrainBlocked              = "DrainBlocked"
	ReasonAtSize                    = "AtSize"
	ReasonReplicasOutOfBounds       = "ReplicasOutOfBounds"
	ReasonCRDNotInstalled           = "MachineDeploymentCRDNotInstalled"
	ReasonMachineDeploymentNotFound = "MachineDeploymentNotFound"
	ReasonManagementCluster         = "ManagementClusterUnreachable"
	ReasonProviderError             = "ProviderError"
)

// Provider names in status.provider.
const (
	ProviderKwok       = "kwok"
	ProviderClusterAPI = "clusterAPI"
)

// Options configure the NodePool controller.
type Options struct {
	// Clients gives member clients (default: a member.Registry over the
	// manager's client).
	Clients *member.Registry
	// ClusterAPIPollInterval is how often a clusterAPI pool at its size
	// reads its MachineDeployment again (default 15s); while it scales,
	// every 2s. kwok pools follow their nodes through a watch.
	ClusterAPIPollInterval time.Duration
	// MaxConcurrentReconciles defaults to 4.
	MaxConcurrentReconciles int
}

// Reconciler reconciles NodePools.
type Reconciler struct {
	client   client.Client
	hub      *rest.Config
	clients  *member.Registry
	nodes    *nodeWatch
	capi     *clusterAPIClients
	recorder events.EventRecorder
	opts     Options
}

// SetupWithManager registers the NodePool controller with mgr.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.Clients == nil {
		opts.Clients = member.NewRegistry(mgr.GetClient())
	}
	if opts.ClusterAPIPollInterval <= 0 {
		opts.ClusterAPIPollInterval = 15 * time.Second
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 4
	}
	r := &Reconciler{
		client:   mgr.GetClient(),
		hub:      mgr.GetConfig(),
		clients:  opts.Clients,
		capi:     newClusterAPIClients(mgr.GetConfig()),
		recorder: mgr.GetEventRecorder("kurator-nodepool"),
		opts:     opts,
	}
	r.nodes = newNodeWatch(r.poolsOfNode)
	if err := mgr.Add(r.nodes); err != nil {
		return fmt.Errorf("node watch: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("nodepool").
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		For(&autoscalingv1alpha1.NodePool{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A pool whose cluster was missing (or whose kubeconfig changed)
		// is retried when the AttachedCluster appears or changes.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.poolsOfCluster)).
		// A pool node created, Ready, cordoned or deleted in a member.
		WatchesRawSource(source.Channel(r.nodes.events, &handler.EnqueueRequestForObject{})).
		Complete(r)
}

// poolsOfCluster maps an AttachedCluster to the NodePools of its namespace
// that name it.
func (r *Reconciler) poolsOfCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	var list autoscalingv1alpha1.NodePoolList
	if err := r.client.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, np := range list.Items {
		if np.Spec.Cluster == obj.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&np)})
		}
	}
	return reqs
}

// poolsOfNode maps a member node (its cluster and pool label) to the kwok
// NodePools that own it.
func (r *Reconciler) poolsOfNode(ctx context.Context, cluster, pool string) []types.NamespacedName {
	var list autoscalingv1alpha1.NodePoolList
	if err := r.client.List(ctx, &list); err != nil {
		return nil
	}
	var keys []types.NamespacedName
	for _, np := range list.Items {
		if np.Spec.Cluster == cluster && np.Spec.PoolName == pool && np.Spec.Provider.Kwok != nil {
			keys = append(keys, client.ObjectKeyFromObject(&np))
		}
	}
	return keys
}

// Reconcile retries write conflicts quietly: the next round reads the
// winner's version.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := r.reconcile(ctx, req)
	if apierrors.IsConflict(err) {
		return reconcile.Result{RequeueAfter: 20 * time.Millisecond}, nil
	}
	return res, err
}

func (r *Reconciler) reconcile(ctx context.Context, req reconcile.Request) (_ reconcile.Result, reterr error) {
	np := &autoscalingv1alpha1.NodePool{}
	if err := r.client.Get(ctx, req.NamespacedName, np); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !np.DeletionTimestamp.IsZero() {
		// Deleting a pool leaves its nodes (or machines) as they are:
		// nothing outside the object needs cleaning, so no finalizer.
		return reconcile.Result{}, nil
	}
	before := np.DeepCopy()
	defer func() {
		np.Status.ObservedGeneration = np.Generation
		if equality.Semantic.DeepEqual(before.Status, np.Status) {
			return
		}
		err := r.client.Status().Patch(ctx, np, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if err = client.IgnoreNotFound(err); err != nil && reterr == nil {
			reterr = err
		}
	}()
	return r.reconcileNormal(ctx, np)
}

// outcome is what a provider found and did in one round.
type outcome struct {
	replicas, ready int32
	nodes           []autoscalingv1alpha1.PoolNode
	// scaling is empty at size, else ReasonScalingUp, ReasonScalingDown or
	// ReasonDrainBlocked, with scalingMessage.
	scaling, scalingMessage string
	// notReady, when set, is why the pool is not Ready although nodes
	// exist (a node not Ready).
	notReady string
	requeue  time.Duration
}

// problem stops a round before any node is touched: Ready turns False with
// reason and message.
type problem struct{ reason, message string }

func (p *problem) Error() string { return p.message }

func (r *Reconciler) reconcileNormal(ctx context.Context, np *autoscalingv1alpha1.NodePool) (reconcile.Result, error) {
	want, clamped := nodepool.Bound(np.Spec.Replicas, np.Spec.MinNodes, np.Spec.MaxNodes)
	var (
		out  outcome
		prob *problem
		err  error
	)
	switch {
	case np.Spec.Provider.Kwok != nil:
		np.Status.Provider = ProviderKwok
		out, prob, err = r.reconcileKwok(ctx, np, want)
	case np.Spec.Provider.ClusterAPI != nil:
		np.Status.Provider = ProviderClusterAPI
		out, prob, err = r.reconcileClusterAPI(ctx, np, want)
	default:
		np.Status.Provider = ""
		prob = &problem{ReasonNoProvider, fmt.Sprintf("NodePool %s/%s names no provider: set spec.provider.kwok: {} (local fleet) or spec.provider.clusterAPI {namespace, name} of a MachineDeployment", np.Namespace, np.Name)}
	}
	if err != nil {
		setCondition(np, ConditionReady, metav1.ConditionFalse, ReasonProviderError, err.Error())
		return reconcile.Result{}, err
	}
	if prob != nil {
		setCondition(np, ConditionReady, metav1.ConditionFalse, prob.reason, prob.message)
		setCondition(np, ConditionScaling, metav1.ConditionFalse, prob.reason, "not scaling: "+prob.message)
		// The watches (AttachedClusters) bring most fixes at once; a
		// CRD installed or a Secret fixed is found by this retry.
		return reconcile.Result{RequeueAfter: 10 * time.Second}, nil
	}
	np.Status.Replicas, np.Status.ReadyReplicas, np.Status.Nodes = out.replicas, out.ready, out.nodes

	switch {
	case out.scaling != "":
		setCondition(np, ConditionScaling, metav1.ConditionTrue, out.scaling, out.scalingMessage)
	case clamped:
		setCondition(np, ConditionScaling, metav1.ConditionFalse, ReasonReplicasOutOfBounds,
			fmt.Sprintf("spec.replicas %d lies outside [spec.minNodes %d, spec.maxNodes %d]: the pool is kept at %d; set spec.replicas within the bounds",
				np.Spec.Replicas, np.Spec.MinNodes, np.Spec.MaxNodes, want))
	default:
		setCondition(np, ConditionScaling, metav1.ConditionFalse, ReasonAtSize, fmt.Sprintf("%d nodes, as spec.replicas asks", want))
	}
	switch {
	case out.replicas == want && out.ready == want:
		setCondition(np, ConditionReady, metav1.ConditionTrue, ReasonNodesReady, fmt.Sprintf("all %d nodes are Ready", want))
	case out.scaling == ReasonScalingUp:
		setCondition(np, ConditionReady, metav1.ConditionFalse, ReasonScalingUp,
			fmt.Sprintf("%d of %d nodes Ready: the pool is growing; see the Scaling condition", out.ready, want))
	case out.scaling != "":
		setCondition(np, ConditionReady, metav1.ConditionFalse, out.scaling,
			fmt.Sprintf("%d nodes, %d wanted: the pool is shrinking; see the Scaling condition", out.replicas, want))
	default:
		msg := out.notReady
		if msg == "" {
			msg = fmt.Sprintf("%d of %d nodes Ready", out.ready, want)
		}
		setCondition(np, ConditionReady, metav1.ConditionFalse, ReasonNodesNotReady, msg)
	}
	return reconcile.Result{RequeueAfter: out.requeue}, nil
}

func setCondition(np *autoscalingv1alpha1.NodePool, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&np.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: np.Generation,
	})
}

// cluster reads the pool's AttachedCluster, or says how to fix its absence.
func (r *Reconciler) cluster(ctx context.Context, np *autoscalingv1alpha1.NodePool) (*clusterv1alpha1.AttachedCluster, *problem, error) {
	ac := &clusterv1alpha1.AttachedCluster{}
	err := r.client.Get(ctx, types.NamespacedName{Namespace: np.Namespace, Name: np.Spec.Cluster}, ac)
	if apierrors.IsNotFound(err) {
		return nil, &problem{ReasonClusterNotFound, fmt.Sprintf(
			"spec.cluster %s: no AttachedCluster %s/%s: join the cluster (kurator join %s --kubeconfig ...) or fix spec.cluster; the pool is retried when the cluster appears",
			np.Spec.Cluster, np.Namespace, np.Spec.Cluster, np.Spec.Cluster)}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("NodePool %s/%s: read AttachedCluster %s: %w", np.Namespace, np.Name, np.Spec.Cluster, err)
	}
	return ac, nil, nil
}
