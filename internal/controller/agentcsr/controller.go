// Package agentcsr registers pull-mode agents on the hub. Its approver
// judges the CertificateSigningRequests agents make (signer
// kubernetes.io/kube-apiserver-client, common name
// system:kurator:agent:<cluster>): it approves one only when the requester
// is a live bootstrap token of `kurator token create` or the cluster's own
// agent renewing, the request asks a client certificate of that one cluster,
// and no other cluster (Push, or another cluster ID) holds the name; else it
// denies it with a reason and a message that says what to do. Before it
// approves it creates the cluster's AttachedCluster (mode Pull) when absent,
// its execution namespace and its agent's hub RBAC. The hub's
// kube-controller-manager signs approved requests.
//
// Its access controller keeps each Pull cluster's agent RBAC as it must be
// and deletes it when the AttachedCluster goes (unregister): the
// certificate then authenticates but is authorised for nothing.
package agentcsr

import (
	"context"
	"fmt"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Event reasons on the AttachedCluster (or, when it does not exist, the CSR).
const (
	EventApproved = "AgentCertificateApproved"
	EventDenied   = "AgentCertificateDenied"
)

// Options configure the approver and the access controller.
type Options struct {
	// Reader reads the bootstrap token Secrets and the AttachedClusters an
	// approval depends on, uncached so a token or cluster of a moment ago
	// counts (default: the manager's APIReader).
	Reader client.Reader
	// Now is the clock the token expiry is judged by (default time.Now).
	Now func() time.Time
}

// Approver judges agent CSRs.
type Approver struct {
	client.Client
	reader   client.Reader
	recorder events.EventRecorder
	now      func() time.Time
}

// AccessReconciler keeps the hub RBAC of Pull clusters' agents.
type AccessReconciler struct {
	client.Client
}

// SetupWithManager registers the approver and the access controller.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.Reader == nil {
		opts.Reader = mgr.GetAPIReader()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &Approver{Client: mgr.GetClient(), reader: opts.Reader, recorder: mgr.GetEventRecorder("kurator-agentcsr"), now: opts.Now}
	err := ctrl.NewControllerManagedBy(mgr).
		Named("agentcsr").
		// Only agent CSRs still waiting for a decision.
		For(&certificatesv1.CertificateSigningRequest{}, builder.WithPredicates(predicate.NewPredicateFuncs(isPendingAgentCSR))).
		Complete(a)
	if err != nil {
		return err
	}
	acc := &AccessReconciler{Client: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		Named("agentaccess").
		// A Pull cluster created, deleted or switched mode; status writes
		// (every heartbeat) change nothing here.
		For(&clusterv1alpha1.AttachedCluster{}, builder.WithPredicates(
			predicate.GenerationChangedPredicate{},
			predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetNamespace() == workv1alpha1.SystemNamespace }))).
		// An agent's RBAC object changed or deleted by hand is made again;
		// one left behind (the AttachedCluster went while the manager was
		// down) is found when the cache lists it at start, and deleted.
		Watches(&rbacv1.ClusterRole{}, handler.EnqueueRequestsFromMapFunc(clusterOfAgentObject), builder.WithPredicates(hasAgentLabel)).
		Watches(&rbacv1.ClusterRoleBinding{}, handler.EnqueueRequestsFromMapFunc(clusterOfAgentObject), builder.WithPredicates(hasAgentLabel)).
		Watches(&rbacv1.RoleBinding{}, handler.EnqueueRequestsFromMapFunc(clusterOfAgentObject), builder.WithPredicates(hasAgentLabel)).
		Complete(acc)
}

var hasAgentLabel = predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[AgentOfLabel] != "" })

// clusterOfAgentObject maps an agent RBAC object to its cluster's AttachedCluster.
func clusterOfAgentObject(_ context.Context, obj client.Object) []reconcile.Request {
	c := obj.GetLabels()[AgentOfLabel]
	if c == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: c}}}
}

func isPendingAgentCSR(obj client.Object) bool {
	csr, ok := obj.(*certificatesv1.CertificateSigningRequest)
	if !ok || decided(csr) {
		return false
	}
	_, ours := ClusterOfCSR(csr)
	return ours
}

// decided: the CSR is approved, denied or failed already (decisions are final).
func decided(csr *certificatesv1.CertificateSigningRequest) bool {
	return slices.ContainsFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
		return c.Type == certificatesv1.CertificateApproved || c.Type == certificatesv1.CertificateDenied || c.Type == certificatesv1.CertificateFailed
	})
}

// Reconcile judges one pending agent CSR and approves or denies it.
func (a *Approver) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var csr certificatesv1.CertificateSigningRequest
	if err := a.Get(ctx, req.NamespacedName, &csr); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if decided(&csr) {
		return ctrl.Result{}, nil
	}
	if _, ours := ClusterOfCSR(&csr); !ours {
		return ctrl.Result{}, nil
	}
	in, err := a.inputs(ctx, &csr)
	if err != nil {
		return ctrl.Result{}, err
	}
	v := Judge(in)
	logger := log.FromContext(ctx).WithValues("cluster", v.Cluster, "requester", csr.Spec.Username)
	if !v.Approve {
		logger.Info("denied an agent CSR", "reason", v.Reason, "message", v.Message)
		return ctrl.Result{}, a.decide(ctx, &csr, in.Cluster, v)
	}
	ac, err := a.register(ctx, in.Cluster, v)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := ensureAgentAccess(ctx, a.Client, v.Cluster); err != nil {
		return ctrl.Result{}, err
	}
	if err := a.joinTokenFleet(ctx, in.Token, ac); err != nil {
		return ctrl.Result{}, err
	}
	logger.Info("approved an agent CSR", "reason", v.Reason, "clusterID", v.ClusterID)
	return ctrl.Result{}, a.decide(ctx, &csr, ac, v)
}

// inputs reads what Judge needs: the requester's token Secret and the
// AttachedCluster of the CSR's cluster, uncached.
func (a *Approver) inputs(ctx context.Context, csr *certificatesv1.CertificateSigningRequest) (Input, error) {
	in := Input{CSR: csr, Now: a.now()}
	if id, ok := bootstrapTokenID(csr.Spec.Username); ok {
		var s corev1.Secret
		err := a.reader.Get(ctx, types.NamespacedName{Namespace: tokenNamespace, Name: tokenSecretName(id)}, &s)
		switch {
		case err == nil:
			in.Token = &s
		case !apierrors.IsNotFound(err):
			return in, fmt.Errorf("CSR %s: read bootstrap token Secret %s/%s: %w", csr.Name, tokenNamespace, tokenSecretName(id), err)
		}
	}
	if cluster, ok := ClusterOfCSR(csr); ok && cluster != "" {
		var ac clusterv1alpha1.AttachedCluster
		err := a.reader.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: cluster}, &ac)
		switch {
		case err == nil:
			in.Cluster = &ac
		case !apierrors.IsNotFound(err):
			return in, fmt.Errorf("CSR %s: read AttachedCluster %s/%s: %w", csr.Name, workv1alpha1.SystemNamespace, cluster, err)
		}
	}
	return in, nil
}

// register creates the Pull cluster's AttachedCluster, or records what a
// registration with a new token changes on it: the token id, and the
// cluster ID when none was recorded.
func (a *Approver) register(ctx context.Context, ac *clusterv1alpha1.AttachedCluster, v Verdict) (*clusterv1alpha1.AttachedCluster, error) {
	if v.Create {
		ac = &clusterv1alpha1.AttachedCluster{
			ObjectMeta: metav1.ObjectMeta{
				Name: v.Cluster, Namespace: workv1alpha1.SystemNamespace,
				Annotations: map[string]string{clusterv1alpha1.BootstrapTokenIDAnnotation: v.TokenID},
			},
			Spec: clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
		}
		if err := a.Create(ctx, ac); err != nil {
			// AlreadyExists: registered at the same moment by another CSR;
			// the retry judges this one against it.
			return nil, fmt.Errorf("create AttachedCluster %s/%s for its agent: %w", ac.Namespace, ac.Name, err)
		}
	} else if v.TokenID != "" && ac.Annotations[clusterv1alpha1.BootstrapTokenIDAnnotation] != v.TokenID {
		base := ac.DeepCopy()
		if ac.Annotations == nil {
			ac.Annotations = map[string]string{}
		}
		ac.Annotations[clusterv1alpha1.BootstrapTokenIDAnnotation] = v.TokenID
		if err := a.Patch(ctx, ac, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return nil, fmt.Errorf("record bootstrap token %s on AttachedCluster %s/%s: %w", v.TokenID, ac.Namespace, ac.Name, err)
		}
	}
	if recordedClusterID(ac) == "" {
		base := ac.DeepCopy()
		if ac.Status.Agent == nil {
			ac.Status.Agent = &clusterv1alpha1.AgentStatus{}
		}
		ac.Status.Agent.ClusterID = v.ClusterID
		// The optimistic lock: an agent of another cluster ID that wrote
		// first wins, and this CSR is judged again against it.
		if err := a.Status().Patch(ctx, ac, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return nil, fmt.Errorf("record cluster ID %s in AttachedCluster %s/%s status.agent.clusterID: %w", v.ClusterID, ac.Namespace, ac.Name, err)
		}
	}
	return ac, nil
}

// joinTokenFleet adds the cluster to the Fleet its bootstrap token names
// (`kurator token create --fleet F`), as `kurator join --fleet` does for a
// Push cluster. A Fleet that does not exist is not created: the event says
// so, and the registration goes on.
func (a *Approver) joinTokenFleet(ctx context.Context, token *corev1.Secret, ac *clusterv1alpha1.AttachedCluster) error {
	if token == nil || token.Labels[FleetLabel] == "" {
		return nil
	}
	key := types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: token.Labels[FleetLabel]}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var f fleetv1alpha1.Fleet
		if err := a.Get(ctx, key, &f); err != nil {
			if apierrors.IsNotFound(err) {
				a.recorder.Eventf(ac, nil, corev1.EventTypeWarning, "FleetNotFound", "JoinFleet",
					"bootstrap token %s names Fleet %s, which does not exist: create it, or add %s to a Fleet's spec.clusters", token.Name, key, ac.Name)
				return nil
			}
			return fmt.Errorf("read Fleet %s of bootstrap token %s: %w", key, token.Name, err)
		}
		if slices.ContainsFunc(f.Spec.Clusters, func(c fleetv1alpha1.FleetCluster) bool { return c.Name == ac.Name }) {
			return nil
		}
		base := f.DeepCopy()
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: ac.Name})
		return a.Patch(ctx, &f, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	})
}

// decide writes the verdict as the CSR's Approved or Denied condition and
// an event on the AttachedCluster (on the CSR when there is none).
func (a *Approver) decide(ctx context.Context, csr *certificatesv1.CertificateSigningRequest, ac *clusterv1alpha1.AttachedCluster, v Verdict) error {
	cond := certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue,
		Reason: v.Reason, Message: v.Message, LastUpdateTime: metav1.NewTime(a.now()),
	}
	typ, reason, action := corev1.EventTypeWarning, EventDenied, "Deny"
	if v.Approve {
		cond.Type = certificatesv1.CertificateApproved
		typ, reason, action = corev1.EventTypeNormal, EventApproved, "Approve"
	}
	csr.Status.Conditions = append(csr.Status.Conditions, cond)
	if err := a.SubResource("approval").Update(ctx, csr); err != nil {
		return fmt.Errorf("%s CSR %s of cluster %s: %w", action, csr.Name, v.Cluster, err)
	}
	var regarding runtime.Object = csr
	if ac != nil {
		regarding = ac
	}
	a.recorder.Eventf(regarding, csr, typ, reason, action, "CSR %s: %s", csr.Name, v.Message)
	return nil
}

// Reconcile makes or removes the agent RBAC of one cluster.
func (r *AccessReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ac clusterv1alpha1.AttachedCluster
	err := r.Get(ctx, req.NamespacedName, &ac)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	if apierrors.IsNotFound(err) || !ac.IsPull() || !ac.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, removeAgentAccess(ctx, r.Client, req.Name)
	}
	return ctrl.Result{}, ensureAgentAccess(ctx, r.Client, ac.Name)
}
