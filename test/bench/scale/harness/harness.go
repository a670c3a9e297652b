// Package harness drives the hub with a simulated fleet for the scale bench
// (test/bench/scale) and its e2e test (test/e2e/scale): it joins the
// simulated clusters, creates the policies and Deployments of a mix, and
// follows what the hub does with them through informers (watches, never a
// list in a loop): clusters Ready, bindings scheduled, Works applied,
// templates ready, and which bindings left which clusters when.
package harness

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/test/bench/scale/mix"
	"github.com/kurator-go/kurator/test/simfleet"
)

// FleetName is the Fleet every simulated cluster joins: its status is where
// the hub says why failover pauses.
const FleetName = "scale"

// Parallel calls fn(i) for i in [0, n) with workers goroutines and returns
// the first error (the others keep going: a create that failed is reported,
// not retried).
func Parallel(n, workers int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// Join joins every cluster of the mix, served by sim, to the hub: its
// kubeconfig Secret and AttachedCluster with region, zone, provider and
// group labels, written by workers clients at once.
func Join(ctx context.Context, hub client.Client, sim *simfleet.Fleet, m *mix.Mix, workers int) error {
	return Parallel(len(m.Clusters), workers, func(i int) error {
		c := m.Clusters[i]
		return join.Join(ctx, hub, join.Options{
			Name: c.Name, Kubeconfig: sim.Kubeconfig(c.Name),
			Region: c.Region, Zone: c.Zone, Provider: c.Provider, Labels: c.Labels(),
		})
	})
}

// CreateFleet creates the Fleet FleetName over every cluster of the mix. It
// sets no placement, so scheduling is the policies' alone.
func CreateFleet(ctx context.Context, hub client.Client, m *mix.Mix) error {
	f := &fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: FleetName, Namespace: join.Namespace}}
	for _, c := range m.Clusters {
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: c.Name})
	}
	if err := hub.Create(ctx, f); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Fleet %s/%s of %d clusters: %w", join.Namespace, FleetName, len(f.Spec.Clusters), err)
	}
	return nil
}

// CreatePolicies creates the mix's namespaces and PropagationPolicies.
func CreatePolicies(ctx context.Context, hub client.Client, m *mix.Mix) error {
	for _, ns := range m.NamespaceObjects() {
		if err := hub.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", ns.Name, err)
		}
	}
	for i := range m.Policies {
		pp := m.PropagationPolicy(i)
		if err := hub.Create(ctx, pp); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create PropagationPolicy %s/%s: %w", pp.Namespace, pp.Name, err)
		}
	}
	return nil
}

// CreateWorkloads creates the mix's Deployments with workers clients at
// once; created, when set, is called after each create.
func CreateWorkloads(ctx context.Context, hub client.Client, m *mix.Mix, workers int, created func(i int)) error {
	return Parallel(len(m.Workloads), workers, func(i int) error {
		d := m.Deployment(i)
		if err := hub.Create(ctx, d); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create Deployment %s/%s: %w", d.Namespace, d.Name, err)
		}
		if created != nil {
			created(i)
		}
		return nil
	})
}
