// Package status brings member status back to the hub: the Works of a
// binding into the binding's aggregatedStatus and FullyApplied condition,
// and their sum into the hub resource template's status, so `kubectl get
// deploy` on the hub shows the fleet-wide ready count. Each Work's own
// status (every applied object's health and status) is written by whoever
// applied it: the execution controller for a push cluster, the agent for a
// pull cluster.
package status

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the status controllers.
type Options struct {
	// MaxConcurrentReconciles per controller (default 10).
	MaxConcurrentReconciles int
}

// SetupWithManager registers the ResourceBinding and ClusterResourceBinding
// aggregators.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 10
	}
	return setupBindings(mgr, opts)
}

// conflictRetry is how soon a reconcile that lost a write race runs again.
const conflictRetry = 10 * time.Millisecond
