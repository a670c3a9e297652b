// Package status brings member status back to the hub: each applied object's
// status and health into its Work (manifestStatuses), the Works of a binding
// into the binding's aggregatedStatus and FullyApplied condition, and the sum
// into the hub resource template's status, so `kubectl get deploy` on the hub
// shows the fleet-wide ready count.
package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

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
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/internal/objectstatus"
)

// Clients gives clients for a member cluster by name; member.Registry
// satisfies it.
type Clients interface {
	Dynamic(ctx context.Context, cluster string) (dynamic.Interface, error)
	RESTMapper(ctx context.Context, cluster string) (meta.ResettableRESTMapper, error)
}

// Options configure the status controllers.
type Options struct {
	// Clients reach the members (required).
	Clients Clients
	// Watcher is the member watch shared with execution (required).
	Watcher *memberwatch.Watcher
	// MaxConcurrentReconciles per controller (default 10).
	MaxConcurrentReconciles int
	// WriteInterval is the least time between two status writes of one
	// Work, binding or template (default DefaultWriteInterval).
	WriteInterval time.Duration
	// ClusterNamespace is where AttachedClusters live (default kurator-system).
	ClusterNamespace string
}

// SetupWithManager registers the Work status collector and the
// ResourceBinding and ClusterResourceBinding aggregators.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.Clients == nil || opts.Watcher == nil {
		return errors.New("status: Options.Clients and Options.Watcher are required")
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 10
	}
	if opts.WriteInterval <= 0 {
		opts.WriteInterval = DefaultWriteInterval
	}
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	w := &WorkReconciler{Client: mgr.GetClient(), opts: opts, writes: newPacer(opts.WriteInterval)}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("work-status").
		// Execution records which objects a Work applied.
		For(&workv1alpha1.Work{}).
		// A member object's status changed.
		WatchesRawSource(source.Channel(opts.Watcher.Subscribe(), &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(w); err != nil {
		return err
	}
	return setupBindings(mgr, opts)
}

// WorkReconciler collects the member status of each applied object of a Work.
type WorkReconciler struct {
	client.Client
	opts   Options
	writes *pacer
}

// Reconcile refreshes status.manifestStatuses[].status and .health.
func (r *WorkReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var work workv1alpha1.Work
	if err := r.Get(ctx, req.NamespacedName, &work); err != nil {
		if apierrors.IsNotFound(err) {
			r.writes.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	cluster, ok := workv1alpha1.ClusterOfExecutionNamespace(work.Namespace)
	if !ok || !work.DeletionTimestamp.IsZero() || len(work.Status.ManifestStatuses) == 0 {
		return ctrl.Result{}, nil
	}
	if r.pullCluster(ctx, cluster) {
		return ctrl.Result{}, nil // its agent reports the status
	}
	before := work.DeepCopy()
	var errs []error
	if err := objectstatus.Refresh(ctx, &work, func(ctx context.Context, id workv1alpha1.ResourceIdentifier) (*unstructured.Unstructured, error) {
		return r.live(ctx, cluster, id)
	}); err != nil {
		errs = append(errs, err)
	}
	if reflect.DeepEqual(before.Status, work.Status) {
		return ctrl.Result{}, errors.Join(errs...)
	}
	if wait := r.writes.wait(req.NamespacedName); wait > 0 {
		if len(errs) == 0 {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
		return ctrl.Result{}, errors.Join(errs...) // the error requeues
	}
	// Server-side apply of only each entry's status and health: execution
	// owns the identifying fields and the conditions, so neither writer
	// needs the other's latest version and a stale cache cannot conflict.
	err := r.Status().Patch(ctx, collectedStatus(&work), client.Apply, client.FieldOwner(workv1alpha1.FieldManagerStatus), client.ForceOwnership)
	switch {
	case err == nil:
		r.writes.wrote(req.NamespacedName)
	case apierrors.IsNotFound(err):
	case apierrors.IsInvalid(err):
		// An entry execution just removed would be created without its
		// identifying fields; the Work's update brings it back here.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	default:
		errs = append(errs, fmt.Errorf("apply Work %s status: %w", req.NamespacedName, err))
	}
	return ctrl.Result{}, errors.Join(errs...)
}

// pullCluster reports whether cluster is joined in Pull mode: its agent
// collects its Works' status (internal/agent/sync). A cluster that cannot be
// read is not skipped: reading its objects reports the problem.
func (r *WorkReconciler) pullCluster(ctx context.Context, cluster string) bool {
	var ac clusterv1alpha1.AttachedCluster
	if err := r.Get(ctx, types.NamespacedName{Namespace: r.opts.ClusterNamespace, Name: cluster}, &ac); err != nil {
		return false
	}
	return ac.IsPull()
}

// collectedStatus is the part of a Work's status the status collector
// owns, as a server-side apply request: each entry's status and health,
// keyed by ordinal.
func collectedStatus(work *workv1alpha1.Work) *unstructured.Unstructured {
	entries := make([]any, 0, len(work.Status.ManifestStatuses))
	for _, ms := range work.Status.ManifestStatuses {
		if ms.Kind == "" {
			continue // execution dropped this manifest: let go of it too
		}
		e := map[string]any{"ordinal": int64(ms.Ordinal)}
		if ms.Health != "" {
			e["health"] = string(ms.Health)
		}
		if ms.Status != nil && len(ms.Status.Raw) > 0 {
			var st map[string]any
			if json.Unmarshal(ms.Status.Raw, &st) == nil {
				e["status"] = st
			}
		}
		entries = append(entries, e)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": workv1alpha1.GroupVersion.String(),
		"kind":       "Work",
		"metadata":   map[string]any{"name": work.Name, "namespace": work.Namespace},
		"status":     map[string]any{"manifestStatuses": entries},
	}}
}

// live reads the member object from the watch cache, or from the member
// when the watch has not synced yet. nil means it does not exist.
func (r *WorkReconciler) live(ctx context.Context, cluster string, id workv1alpha1.ResourceIdentifier) (*unstructured.Unstructured, error) {
	mapper, err := r.opts.Clients.RESTMapper(ctx, cluster)
	if err != nil {
		return nil, err
	}
	mapping, err := mapper.RESTMapping(schema.GroupKind{Group: id.Group, Kind: id.Kind}, id.Version)
	if err != nil {
		return nil, nil // not served: nothing there to report
	}
	if obj, synced := r.opts.Watcher.Get(cluster, mapping.Resource, id.Namespace, id.Name); synced {
		return obj, nil
	}
	dyn, err := r.opts.Clients.Dynamic(ctx, cluster)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if id.Namespace != "" {
		ri = dyn.Resource(mapping.Resource).Namespace(id.Namespace)
	}
	obj, err := ri.Get(ctx, id.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s/%s in %s: %w", id.Kind, id.Namespace, id.Name, cluster, err)
	}
	return obj, nil
}

// conflictRetry is how soon a reconcile that lost a write race runs again.
const conflictRetry = 10 * time.Millisecond
