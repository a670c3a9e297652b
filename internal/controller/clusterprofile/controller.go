// Package clusterprofile publishes the fleet as SIG-Multicluster
// ClusterProfiles (multicluster.x-k8s.io/v1alpha1, KEP-4322): for every
// AttachedCluster it writes a ClusterProfile of the same name and namespace,
// labelled x-k8s.io/cluster-manager=kurator, whose ControlPlaneHealthy
// condition follows the cluster's Ready condition, whose version is the
// member's Kubernetes version and whose properties are the member's
// about.k8s.io ClusterProperty objects plus a few facts the hub knows
// (node count, provider, region, ...). Tools that read ClusterProfiles
// (Kueue's MultiKueue, Argo CD, multicluster-runtime) thus see the fleet
// without Kurator-specific glue. The profile is output only: nothing in
// Kurator reads it.
package clusterprofile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	multiclusterv1alpha1 "github.com/kurator-go/kurator/api/multicluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/member"
)

// DefaultManagerName is spec.clusterManager.name and the value of the
// x-k8s.io/cluster-manager label of the profiles Kurator writes.
const DefaultManagerName = "kurator"

// ClusterPropertyResource is KEP-2149's ClusterProperty (cluster-scoped,
// spec.value), read from each member when its CRD is installed there.
var ClusterPropertyResource = schema.GroupVersionResource{Group: "about.k8s.io", Version: "v1alpha1", Resource: "clusterproperties"}

// ReasonForeignProfile is the event reason when a ClusterProfile of another
// cluster manager already holds a cluster's name.
const ReasonForeignProfile = "ClusterProfileOwnedElsewhere"

// Clients gives the clients of a member cluster; *member.Registry satisfies it.
type Clients interface {
	ForCluster(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (member.Clients, error)
}

// Options configure the ClusterProfile reconciler.
type Options struct {
	// Clients reach the members; default member.NewRegistry(mgr.GetClient()).
	Clients Clients
	// ManagerName is spec.clusterManager.name and the cluster-manager
	// label's value (default "kurator").
	ManagerName string
	// ResyncPeriod is how often each member's ClusterProperties are read
	// again (default 30s); health and version follow the AttachedCluster
	// at once.
	ResyncPeriod time.Duration
	// ObservedRefresh is how old an unchanged property's lastObservedTime
	// may grow before it is written again (default 5m).
	ObservedRefresh time.Duration
	// ReadTimeout bounds the read of a member's ClusterProperties (default 5s).
	ReadTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.ManagerName == "" {
		o.ManagerName = DefaultManagerName
	}
	if o.ResyncPeriod <= 0 {
		o.ResyncPeriod = 30 * time.Second
	}
	if o.ObservedRefresh <= 0 {
		o.ObservedRefresh = 5 * time.Minute
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 5 * time.Second
	}
	return o
}

// Reconciler keeps one ClusterProfile per AttachedCluster.
type Reconciler struct {
	client.Client
	opts     Options
	recorder events.EventRecorder
	now      func() time.Time

	// lastRead is when each cluster's ClusterProperties were last read:
	// the AttachedCluster's status changes (pod counts) may trigger many
	// reconciles, and the member is asked at most once per resync period.
	mu       sync.Mutex
	lastRead map[types.NamespacedName]time.Time
}

// SetupWithManager registers the ClusterProfile reconciler.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	if opts.Clients == nil {
		opts.Clients = member.NewRegistry(mgr.GetClient())
	}
	r := &Reconciler{Client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("kurator-clusterprofile"), now: time.Now,
		lastRead: map[types.NamespacedName]time.Time{}}
	return ctrl.NewControllerManagedBy(mgr).
		Named("clusterprofile").
		// Every change of a cluster, its status included: the profile
		// mirrors health, version and node facts.
		For(&clusterv1alpha1.AttachedCluster{}).
		// A profile edited or deleted by someone else is put back.
		Owns(&multiclusterv1alpha1.ClusterProfile{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2}).
		Complete(r)
}

// Reconcile writes the profile of one AttachedCluster, or removes it when
// the cluster is gone.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ac clusterv1alpha1.AttachedCluster
	if err := r.Get(ctx, req.NamespacedName, &ac); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, r.reconcileDelete(ctx, req.NamespacedName, "")
		}
		return ctrl.Result{}, err
	}
	if !ac.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, req.NamespacedName, ac.UID)
	}
	return r.reconcileNormal(ctx, &ac)
}

// reconcileDelete removes the profile of a cluster that left. The owner
// reference would let a garbage collector do it, but a hub without
// kube-controller-manager (the local fleet's) has none. Only Kurator's own
// profile is removed: one of another manager, or one owned by a newer
// AttachedCluster of the same name (uid set and different), stays.
func (r *Reconciler) reconcileDelete(ctx context.Context, key types.NamespacedName, uid types.UID) error {
	r.mu.Lock()
	delete(r.lastRead, key)
	r.mu.Unlock()
	var cp multiclusterv1alpha1.ClusterProfile
	if err := r.Get(ctx, key, &cp); err != nil {
		return client.IgnoreNotFound(err)
	}
	if !r.ours(&cp) || !cp.DeletionTimestamp.IsZero() {
		return nil
	}
	if uid != "" {
		if owner := metav1.GetControllerOf(&cp); owner != nil && owner.UID != uid {
			return nil
		}
	}
	if err := r.Delete(ctx, &cp, client.Preconditions{UID: &cp.UID}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete ClusterProfile %s of the removed AttachedCluster: %w", key, err)
	}
	log.FromContext(ctx).Info("removed the ClusterProfile of a cluster that left", "clusterProfile", key)
	return nil
}

func (r *Reconciler) ours(cp *multiclusterv1alpha1.ClusterProfile) bool {
	return cp.Spec.ClusterManager.Name == r.opts.ManagerName
}

func (r *Reconciler) reconcileNormal(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(ac)
	cp, err := r.ensureProfile(ctx, ac)
	if err != nil || cp == nil {
		return ctrl.Result{}, err
	}
	obs := r.observe(ctx, ac)
	status := desiredStatus(ac, cp.Generation, obs, cp.Status)
	if equality.Semantic.DeepEqual(status, cp.Status) {
		return ctrl.Result{RequeueAfter: r.opts.ResyncPeriod}, nil
	}
	base := cp.DeepCopy()
	cp.Status = status
	if err := r.Status().Patch(ctx, cp, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, fmt.Errorf("write status of ClusterProfile %s: %w", key, err)
	}
	return ctrl.Result{RequeueAfter: r.opts.ResyncPeriod}, nil
}

// ensureProfile creates the profile, or puts back its label and owner
// reference. It returns nil (and no error) when another cluster manager's
// profile holds the name: that one is left alone and an event says so.
func (r *Reconciler) ensureProfile(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (*multiclusterv1alpha1.ClusterProfile, error) {
	key := client.ObjectKeyFromObject(ac)
	owner := metav1.OwnerReference{
		APIVersion: clusterv1alpha1.GroupVersion.String(), Kind: "AttachedCluster",
		Name: ac.Name, UID: ac.UID, Controller: ptr.To(true),
		// No blockOwnerDeletion: it would need update on
		// attachedclusters/finalizers where OwnerReferencesPermissionEnforcement
		// is on, and the profile need not outlive the cluster's deletion.
		BlockOwnerDeletion: ptr.To(false),
	}
	var cp multiclusterv1alpha1.ClusterProfile
	err := r.Get(ctx, key, &cp)
	if apierrors.IsNotFound(err) {
		cp = multiclusterv1alpha1.ClusterProfile{
			ObjectMeta: metav1.ObjectMeta{
				Name: ac.Name, Namespace: ac.Namespace,
				Labels:          map[string]string{multiclusterv1alpha1.LabelClusterManagerKey: r.opts.ManagerName},
				OwnerReferences: []metav1.OwnerReference{owner},
			},
			Spec: multiclusterv1alpha1.ClusterProfileSpec{
				DisplayName:    ac.Name,
				ClusterManager: multiclusterv1alpha1.ClusterManager{Name: r.opts.ManagerName},
			},
		}
		if err := r.Create(ctx, &cp); err != nil {
			return nil, fmt.Errorf("create ClusterProfile %s for AttachedCluster %s: %w", key, key, err)
		}
		log.FromContext(ctx).Info("created ClusterProfile", "clusterProfile", key)
		return &cp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ClusterProfile %s: %w", key, err)
	}
	if !r.ours(&cp) {
		r.recorder.Eventf(ac, &cp, corev1.EventTypeWarning, ReasonForeignProfile, "Publish",
			"ClusterProfile %s belongs to cluster manager %q, so Kurator does not publish this cluster: delete that profile or rename one of the clusters",
			key, cp.Spec.ClusterManager.Name)
		return nil, nil
	}
	if cp.Labels[multiclusterv1alpha1.LabelClusterManagerKey] == r.opts.ManagerName && hasOwner(&cp, ac.UID) {
		return &cp, nil
	}
	base := cp.DeepCopy()
	if cp.Labels == nil {
		cp.Labels = map[string]string{}
	}
	cp.Labels[multiclusterv1alpha1.LabelClusterManagerKey] = r.opts.ManagerName
	if !hasOwner(&cp, ac.UID) {
		// The owner of this name changed (the cluster was removed and
		// joined again): the profile follows the new one.
		refs := []metav1.OwnerReference{owner}
		for _, o := range cp.OwnerReferences {
			if o.Controller == nil || !*o.Controller {
				refs = append(refs, o)
			}
		}
		cp.OwnerReferences = refs
	}
	if err := r.Patch(ctx, &cp, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return nil, fmt.Errorf("restore the label and owner of ClusterProfile %s: %w", key, err)
	}
	return &cp, nil
}

func hasOwner(cp *multiclusterv1alpha1.ClusterProfile, uid types.UID) bool {
	o := metav1.GetControllerOf(cp)
	return o != nil && o.UID == uid
}

// observe reads what the profile needs from the member itself: its
// ClusterProperties and its API server address. A member that is not Ready
// is not asked (its last properties stay); one without the ClusterProperty
// CRD has none, which is normal.
func (r *Reconciler) observe(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) observation {
	obs := observation{now: r.now(), refresh: r.opts.ObservedRefresh}
	if !ac.IsReady() {
		return obs
	}
	logger := log.FromContext(ctx)
	c, err := r.opts.Clients.ForCluster(ctx, ac)
	if err != nil {
		logger.V(1).Info("no clients for the member; its ClusterProperties stay as last read", "error", err.Error())
		return obs
	}
	obs.server = c.Config
	if !r.dueForRead(client.ObjectKeyFromObject(ac), obs.now) {
		return obs
	}
	props, err := readClusterProperties(ctx, c, r.opts.ReadTimeout)
	if err != nil {
		logger.Info("cannot read the member's ClusterProperties; they stay as last read", "cluster", ac.Name, "error", err.Error())
		return obs
	}
	obs.memberProperties = props
	return obs
}

// dueForRead reports whether the cluster's ClusterProperties should be read
// now, and if so records the read. A read is due once the last one is
// nine tenths of a resync period old, so the periodic requeue always finds
// it due.
func (r *Reconciler) dueForRead(key types.NamespacedName, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastRead == nil {
		r.lastRead = map[types.NamespacedName]time.Time{}
	}
	if last, ok := r.lastRead[key]; ok && now.Sub(last) < r.opts.ResyncPeriod*9/10 {
		return false
	}
	r.lastRead[key] = now
	return true
}

// readClusterProperties lists the member's about.k8s.io ClusterProperties
// as name -> spec.value. A member without the CRD gives an empty map.
func readClusterProperties(ctx context.Context, c member.Clients, timeout time.Duration) (map[string]string, error) {
	if c.Dynamic == nil {
		return nil, errors.New("no dynamic client")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	list, err := c.Dynamic.Resource(ClusterPropertyResource).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", ClusterPropertyResource.GroupResource(), err)
	}
	out := make(map[string]string, len(list.Items))
	for _, item := range list.Items {
		v, _, _ := unstructured.NestedString(item.Object, "spec", "value")
		out[item.GetName()] = v
	}
	return out, nil
}
