package main

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kurator-go/kurator/internal/controller/agentcsr"
	"github.com/kurator-go/kurator/internal/controller/agentlease"
	"github.com/kurator-go/kurator/internal/controller/application"
	"github.com/kurator-go/kurator/internal/controller/binding"
	"github.com/kurator-go/kurator/internal/controller/cluster"
	"github.com/kurator-go/kurator/internal/controller/clusterprofile"
	"github.com/kurator-go/kurator/internal/controller/detector"
	"github.com/kurator-go/kurator/internal/controller/eviction"
	"github.com/kurator-go/kurator/internal/controller/execution"
	"github.com/kurator-go/kurator/internal/controller/fleet"
	"github.com/kurator-go/kurator/internal/controller/fleethpa"
	"github.com/kurator-go/kurator/internal/controller/nodepool"
	"github.com/kurator-go/kurator/internal/controller/policystatus"
	"github.com/kurator-go/kurator/internal/controller/rollout"
	"github.com/kurator-go/kurator/internal/controller/scalepolicy"
	"github.com/kurator-go/kurator/internal/controller/scheduling"
	"github.com/kurator-go/kurator/internal/controller/status"
	"github.com/kurator-go/kurator/internal/controller/traffic"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// setupControllers registers every reconciler of the hub with the manager, in
// the order of the workload flow: clusters (Push probes; Pull agents'
// certificates, RBAC and heartbeats) and fleets, detector, scheduler,
// binding, execution, status, and failover, which feeds back into the
// scheduler; last the policies' own status.
func setupControllers(mgr ctrl.Manager, o options) error {
	// One registry of member clients and one watch of member objects serve
	// health, execution and status alike.
	clients := member.NewRegistry(mgr.GetClient())
	watcher := memberwatch.New(clients)
	if err := mgr.Add(watcher); err != nil {
		return fmt.Errorf("member watch: %w", err)
	}
	// One view of the fleet, rebuilt when a cluster or Fleet changes, for
	// the scheduler and failover's dry runs.
	snapshots, err := scheduling.NewSnapshotSource(mgr, "")
	if err != nil {
		return err
	}
	fleetSnapshot := func(ctx context.Context) (*scheduler.Snapshot, error) {
		snap, _, err := snapshots.Get(ctx)
		return snap, err
	}
	steps := []struct {
		name  string
		setup func() error
	}{
		{"cluster", func() error {
			return cluster.SetupWithManager(mgr, cluster.Options{
				Clients:          clients,
				ProbeInterval:    o.probeInterval,
				FailureThreshold: o.failureThreshold,
				SuccessThreshold: o.successThreshold,
			})
		}},
		{"agent CSR", func() error { return agentcsr.SetupWithManager(mgr, agentcsr.Options{}) }},
		{"agent heartbeat", func() error {
			return agentlease.SetupWithManager(mgr, agentlease.Options{Grace: o.agentHeartbeatGrace})
		}},
		{"cluster profile", func() error { return clusterprofile.SetupWithManager(mgr, clusterprofile.Options{Clients: clients}) }},
		{"fleet", func() error {
			opts := fleet.Options{}
			if o.failover {
				opts.PauseShare = o.failoverPauseShare
			}
			return fleet.SetupWithManager(mgr, opts)
		}},
		{"detector", func() error {
			return detector.SetupWithManager(mgr, detector.Options{MaxConcurrentReconciles: o.workConcurrency,
				FirstPlacement: scheduling.FirstPlacement(snapshots)})
		}},
		{"scheduling", func() error {
			return scheduling.SetupWithManager(mgr, scheduling.Options{MaxConcurrentReconciles: o.workConcurrency, Snapshot: snapshots})
		}},
		{"binding", func() error {
			return binding.SetupWithManager(mgr, binding.Options{MaxConcurrentReconciles: o.workConcurrency, Snapshot: snapshots})
		}},
		{"execution", func() error {
			return execution.SetupWithManager(mgr, execution.Options{
				Clients: clients, Watcher: watcher,
				MaxConcurrentReconciles: o.workConcurrency, ResyncPeriod: o.resyncPeriod,
			})
		}},
		{"status", func() error {
			return status.SetupWithManager(mgr, status.Options{MaxConcurrentReconciles: o.workConcurrency})
		}},
		{"traffic", func() error {
			return traffic.SetupWithManager(mgr, traffic.Options{PrometheusAddress: o.prometheusAddr})
		}},
		{"rollout", func() error {
			return rollout.SetupWithManager(mgr, rollout.Options{PrometheusAddress: o.prometheusAddr, MaxConcurrentReconciles: o.workConcurrency})
		}},
		{"application", func() error {
			return application.SetupWithManager(mgr, application.Options{PrometheusAddress: o.prometheusAddr, MaxConcurrentReconciles: o.workConcurrency})
		}},
		{"node pool", func() error {
			return nodepool.SetupWithManager(mgr, nodepool.Options{Clients: clients})
		}},
		{"scale policy", func() error {
			return scalepolicy.SetupWithManager(mgr, scalepolicy.Options{PrometheusAddress: o.prometheusAddr, TimeDivisor: o.scaleTimeDivisor, Clients: clients})
		}},
		{"fleet-wide HPA", func() error {
			return fleethpa.SetupWithManager(mgr, fleethpa.Options{PrometheusAddress: o.prometheusAddr, Clients: clients,
				TimeDivisor: o.scaleTimeDivisor, SyncPeriod: o.hpaSyncPeriod, MaxConcurrentReconciles: o.workConcurrency})
		}},
		{"failover", func() error {
			if !o.failover {
				return nil
			}
			return eviction.SetupWithManager(mgr, eviction.Options{
				PauseShare: o.failoverPauseShare, EvictionRate: o.failoverEvictionRate, GracePeriod: o.gracefulEviction,
				Snapshot: fleetSnapshot, MaxConcurrentReconciles: o.workConcurrency,
			})
		}},
		{"policy status", func() error { return policystatus.SetupWithManager(mgr) }},
	}
	for _, s := range steps {
		if err := s.setup(); err != nil {
			return fmt.Errorf("set up %s controller: %w", s.name, err)
		}
	}
	return nil
}
