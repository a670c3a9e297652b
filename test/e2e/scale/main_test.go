// Package scale drives the real hub (kube-apiserver, etcd, kurator-manager)
// with 50 simulated clusters (test/simfleet) through the scale bench's own
// harness and mix (test/bench/scale), so the harness `make bench-scale`
// measures with cannot rot: every binding must be placed as its policy
// says, every Work applied and present in its simulated cluster, every
// template ready, and after 5 clusters fail, nothing may stay on them and
// every replica must be placed again.
package scale

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/scale/harness"
	"github.com/kurator-go/kurator/test/bench/scale/mix"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
	"github.com/kurator-go/kurator/test/simfleet"
)

const (
	clusters  = 50
	workloads = 99 // a third of each kind
	failing   = 5
)

var (
	fleet   *localfleet.State
	hub     client.Client
	hubRC   *rest.Config
	sim     *simfleet.Fleet
	plan    *mix.Mix
	tracker *harness.Tracker
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name: "e2e-scale", HubOnly: true,
		// The playground's fast probes (1 s, thresholds 3 s) and eviction
		// rate (one cluster a second) stay; 5 of 50 failing is below its
		// pause share (0.5), so failover goes ahead.
	}, true, &fleet, setup))
}

// setup starts the simulated fleet and the tracker's watches of the hub.
func setup(ctx context.Context, st *localfleet.State) (func(), error) {
	var err error
	if plan, err = mix.New(mix.Options{Clusters: clusters, Workloads: workloads, PoliciesPerKind: 4}); err != nil {
		return nil, err
	}
	names := make([]string, len(plan.Clusters))
	for i, c := range plan.Clusters {
		names[i] = c.Name
	}
	if sim, err = simfleet.Start(ctx, simfleet.Options{Clusters: names, ReadyDelay: 200 * time.Millisecond}); err != nil {
		return nil, err
	}
	if hubRC, err = st.RESTConfig(localfleet.HubName); err != nil {
		return nil, err
	}
	hubRC.QPS, hubRC.Burst = 500, 1000
	if hub, err = fleettest.HubClient(st); err != nil {
		return nil, err
	}
	if tracker, err = harness.NewTracker(ctx, hubRC, plan); err != nil {
		return nil, fmt.Errorf("tracker: %w", err)
	}
	return func() { sim.Close() }, nil
}
