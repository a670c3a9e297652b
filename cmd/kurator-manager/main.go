// Command kurator-manager runs the hub's controllers: cluster health (probes
// of Push clusters, heartbeats of Pull clusters' agents, whose certificate
// requests it approves), fleets, the detector, the scheduler, the binding
// controller, execution and status.
// Several replicas may run; leader election on the hub picks the active one.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/agentlease"
)

// options are the manager's flags.
type options struct {
	kubeconfig      string
	leaderElect     bool
	leaderNamespace string
	// leaderIdentity names this replica in the Lease's holderIdentity.
	leaderIdentity string
	// leaseDuration, renewDeadline and retryPeriod time the election as in
	// client-go's LeaderElector: a crashed leader is replaced after at most
	// leaseDuration + retryPeriod; a leader that cannot renew within
	// renewDeadline steps down (and the process exits).
	leaseDuration    time.Duration
	renewDeadline    time.Duration
	retryPeriod      time.Duration
	metricsAddr      string
	profiling        bool
	healthAddr       string
	probeInterval    time.Duration
	failureThreshold time.Duration
	successThreshold time.Duration
	resyncPeriod     time.Duration
	workConcurrency  int

	failover             bool
	failoverPauseShare   float64
	failoverEvictionRate float64
	gracefulEviction     time.Duration

	// prometheusAddr is the Prometheus HTTP API that rollout analysis queries.
	prometheusAddr string
	// scaleTimeDivisor shortens every scale-policy duration but cron's.
	scaleTimeDivisor float64
	// hpaSyncPeriod is how often the fleet-wide HPAs are evaluated.
	hpaSyncPeriod time.Duration
	// agentHeartbeatGrace is how long a Pull cluster stays Ready after its
	// agent's last heartbeat.
	agentHeartbeatGrace time.Duration
}

func main() {
	var o options
	flag.BoolVar(&o.leaderElect, "leader-elect", true, "elect one active manager among replicas through a Lease on the hub")
	flag.StringVar(&o.leaderNamespace, "leader-election-namespace", workv1alpha1.SystemNamespace, "namespace of the leader election Lease")
	flag.StringVar(&o.leaderIdentity, "leader-elect-identity", "", "this replica's name in the Lease's holderIdentity (default <hostname>_<pid>; in a Pod the hostname is the Pod's name)")
	flag.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "how long the other replicas wait after the leader's last renewal before they take the Lease over")
	flag.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew the Lease before it steps down (shorter than the lease duration)")
	flag.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "how often replicas try to acquire or renew the Lease")
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "address of /metrics (0 disables)")
	flag.BoolVar(&o.profiling, "profiling", false, "serve Go's profiles at /debug/pprof/ on the metrics address (what bench-scale reads to say where the manager's CPU went)")
	flag.StringVar(&o.healthAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz (0 disables)")
	flag.DurationVar(&o.probeInterval, "cluster-probe-interval", 10*time.Second, "how often each member cluster's /readyz is probed")
	flag.DurationVar(&o.failureThreshold, "cluster-failure-threshold", 30*time.Second, "how long probes must fail before a cluster turns Ready=False")
	flag.DurationVar(&o.successThreshold, "cluster-success-threshold", 30*time.Second, "how long probes must succeed before a cluster turns Ready=True again")
	flag.DurationVar(&o.resyncPeriod, "resync-period", 30*time.Second, "how often applied objects are re-checked against their Work (drift correction)")
	flag.IntVar(&o.workConcurrency, "concurrency", 10, "objects each workload controller (detector, scheduler, binding, execution, status, failover) handles in parallel")
	flag.BoolVar(&o.failover, "enable-failover", true, "evict workloads from clusters with NoExecute taints they do not tolerate, and from clusters where their application failover says they failed")
	flag.Float64Var(&o.failoverPauseShare, "failover-pause-share", 0.55, "evict nothing while more than this share of the clusters is not Ready (a fault that wide is likely on the hub's side); 1 never pauses")
	flag.Float64Var(&o.failoverEvictionRate, "failover-eviction-rate", 0.1, "clusters per second whose workloads may start to be evicted, fleet-wide (the first one at once)")
	flag.DurationVar(&o.gracefulEviction, "graceful-eviction-timeout", 10*time.Minute, "longest a cluster left with purgeMode Gracefully keeps its objects when the policy sets no gracePeriodSeconds")
	flag.StringVar(&o.prometheusAddr, "prometheus-address", "", "base URL of the Prometheus HTTP API rollout analysis queries, e.g. http://127.0.0.1:9090 (kurator up passes its own)")
	flag.Float64Var(&o.scaleTimeDivisor, "scale-time-divisor", 1, "divide every ScalePolicy duration (window, cooldown, evaluation interval, lead time, season, history) but cron schedules by this, for demos and tests (20 runs a 5m window in 15s)")
	flag.DurationVar(&o.hpaSyncPeriod, "hpa-sync-period", 0, "how often hub HorizontalPodAutoscalers and FederatedHPAs are evaluated over their members' pods (0: 15s, divided by --scale-time-divisor)")
	flag.DurationVar(&o.agentHeartbeatGrace, "agent-heartbeat-grace", agentlease.DefaultGrace, "how long a Pull cluster stays Ready after its agent's last heartbeat (Lease renewal); then it is Unknown and failover applies as for an unreachable Push cluster")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := validateLeaderElection(o); err != nil {
		fmt.Fprintln(os.Stderr, "kurator-manager:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "kurator-manager:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	cfg, err := hubConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	var lock resourcelock.Interface
	if o.leaderElect {
		if lock, err = leaderLock(cfg, o); err != nil {
			return err
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                              scheme.Scheme,
		LeaderElection:                      o.leaderElect,
		LeaderElectionID:                    LeaseName,
		LeaderElectionNamespace:             o.leaderNamespace,
		LeaderElectionResourceLockInterface: lock,
		LeaseDuration:                       &o.leaseDuration,
		RenewDeadline:                       &o.renewDeadline,
		RetryPeriod:                         &o.retryPeriod,
		// Let a successor take over at once when this replica stops cleanly:
		// the Lease is released after every controller has stopped, and the
		// process exits right after, as this setting requires.
		LeaderElectionReleaseOnCancel: true,
		Metrics:                       metricsServer(o),
		HealthProbeBindAddress:        o.healthAddr,
		// Templates are read as unstructured objects; the detector already
		// watches every selected kind, so reads come from that cache instead
		// of the hub on every reconcile.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	if err := setupControllers(mgr, o); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	// A replica that waits for the Lease is ready (it serves probes and
	// metrics, and its caches sync) but runs no controller: every
	// reconciler and runnable of setupControllers needs the election.
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if o.leaderElect {
		id := lock.Identity()
		if err := mgr.Add(leaderLog{identity: id, lease: o.leaderNamespace + "/" + LeaseName}); err != nil {
			return err
		}
		ctrl.Log.WithName("leader-election").Info("waiting to become leader", "identity", id, "lease", o.leaderNamespace+"/"+LeaseName)
	}
	return mgr.Start(ctrl.SetupSignalHandler())
}

// hubConfig reads the hub's client configuration from controller-runtime's
// --kubeconfig flag, $KUBECONFIG, in-cluster config or ~/.kube/config.
func hubConfig() (*rest.Config, error) {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("find the hub: %w (pass --kubeconfig)", err)
	}
	return cfg, nil
}

// metricsServer serves /metrics and, with --profiling, Go's profiles.
func metricsServer(o options) metricsserver.Options {
	opts := metricsserver.Options{BindAddress: o.metricsAddr}
	if o.profiling {
		opts.ExtraHandlers = map[string]http.Handler{
			"/debug/pprof/":        http.HandlerFunc(pprof.Index),
			"/debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
			"/debug/pprof/profile": http.HandlerFunc(pprof.Profile),
			"/debug/pprof/symbol":  http.HandlerFunc(pprof.Symbol),
			"/debug/pprof/trace":   http.HandlerFunc(pprof.Trace),
		}
	}
	return opts
}
