// Package bindings holds what the controllers of (Cluster)ResourceBindings
// share: mapping events to the bindings they concern, and StatusWriter, the
// one writer of binding status.
package bindings

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Matching lists every ResourceBinding and ClusterResourceBinding through c
// (the manager's cache) and returns requests for those keep accepts.
// ClusterResourceBindings' requests have an empty namespace. A failed list
// is logged and yields no requests from that kind: a map function cannot
// return an error, and the next event or resync retries. keep must not
// modify what it is given: the list shares the cache's objects instead of
// copying every binding (a 1,000-cluster fleet calls this on each capacity
// change, so copies of 10,000 bindings would be most of the manager's CPU).
func Matching(ctx context.Context, c client.Reader, keep func(*workv1alpha1.ResourceBindingSpec, *workv1alpha1.ResourceBindingStatus) bool) []reconcile.Request {
	var out []reconcile.Request
	var rbs workv1alpha1.ResourceBindingList
	if err := c.List(ctx, &rbs, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list bindings")
	}
	for i := range rbs.Items {
		if keep(&rbs.Items[i].Spec, &rbs.Items[i].Status) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&rbs.Items[i])})
		}
	}
	var crbs workv1alpha1.ClusterResourceBindingList
	if err := c.List(ctx, &crbs, client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list cluster bindings")
	}
	for i := range crbs.Items {
		if keep(&crbs.Items[i].Spec, &crbs.Items[i].Status) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&crbs.Items[i])})
		}
	}
	return out
}

// NoCreate is a predicate that drops create events: for watches whose
// creates are the controller's own, or that a manager start would turn
// into a wake-up of every binding.
type NoCreate struct{ predicate.Funcs }

// Create drops the event.
func (NoCreate) Create(event.CreateEvent) bool { return false }
