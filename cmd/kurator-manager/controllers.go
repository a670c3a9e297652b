package main

import (
	ctrl "sigs.k8s.io/controller-runtime"
)

// setupControllers registers every reconciler of the hub with the manager.
func setupControllers(mgr ctrl.Manager, o options) error {
	return nil
}
