// Package snapshot keeps the scheduler's view of the hub's fleet: one
// scheduler.Snapshot built from the AttachedClusters and Fleets of the
// cluster namespace, rebuilt only after one of them changed, and shared by
// every binding the scheduling controller schedules and every dry run of the
// eviction controller. Building it per binding made a bulk of N workloads
// cost N snapshots of the same fleet.
package snapshot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/pkg/fleetview"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// Source hands out the current snapshot. Its zero value is not usable; use
// New.
type Source struct {
	reader    client.Reader
	namespace string

	// changes counts cluster and Fleet events; a snapshot built after
	// reading changes == n is current until it moves.
	changes atomic.Uint64

	mu    sync.Mutex
	built uint64 // changes when snap was built; 0: never
	snap  *scheduler.Snapshot
	view  *fleetview.View
}

// New returns a Source that reads through reader (the manager's cache) and
// learns of changes from informers' event handlers.
func New(ctx context.Context, informers cache.Informers, reader client.Reader, namespace string) (*Source, error) {
	s := &Source{reader: reader, namespace: namespace}
	s.changes.Store(1)
	bump := toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.changes.Add(1) },
		UpdateFunc: func(any, any) { s.changes.Add(1) },
		DeleteFunc: func(any) { s.changes.Add(1) },
	}
	for _, obj := range []client.Object{&clusterv1alpha1.AttachedCluster{}, &fleetv1alpha1.Fleet{}} {
		inf, err := informers.GetInformer(ctx, obj)
		if err != nil {
			return nil, fmt.Errorf("watch %T for the scheduling snapshot: %w", obj, err)
		}
		if _, err := inf.AddEventHandler(bump); err != nil {
			return nil, fmt.Errorf("watch %T for the scheduling snapshot: %w", obj, err)
		}
	}
	return s, nil
}

// Get returns the snapshot and the view it was built from (whose Problems
// name the Fleets left out). Both are shared and must not be modified.
func (s *Source) Get(ctx context.Context) (*scheduler.Snapshot, *fleetview.View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.changes.Load()
	if s.built == n && s.snap != nil {
		return s.snap, s.view, nil
	}
	snap, view, err := Load(ctx, s.reader, s.namespace)
	if err != nil {
		return nil, nil, err
	}
	s.snap, s.view, s.built = snap, view, n
	return snap, view, nil
}

// Load builds a snapshot from what reader holds now, without sharing.
// Only a failed read fails it: a bad Fleet is left out (see fleetview.Build).
func Load(ctx context.Context, reader client.Reader, namespace string) (*scheduler.Snapshot, *fleetview.View, error) {
	var clusters clusterv1alpha1.AttachedClusterList
	// Read-only (the snapshot copies what it keeps): no copy of every
	// cluster on each rebuild.
	if err := reader.List(ctx, &clusters, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("list AttachedClusters in %s: %w", namespace, err)
	}
	var fleets fleetv1alpha1.FleetList
	if err := reader.List(ctx, &fleets, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("list Fleets in %s: %w", namespace, err)
	}
	view := fleetview.Build(clusters.Items, fleets.Items, fleetview.Options{})
	snap, err := scheduler.NewSnapshot(view.Clusters, view.Preferences)
	if err != nil {
		// fleetview leaves out what NewSnapshot refuses; reaching this is a
		// bug in one of the two, not something a user can fix.
		return nil, nil, fmt.Errorf("scheduling snapshot of %s: %w", namespace, err)
	}
	return snap, view, nil
}
