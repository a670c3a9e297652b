// Command scale measures the hub at scale against simulated clusters: it
// starts a hub-only local fleet with the real kurator-manager and, in this
// process, a simulated fleet (test/simfleet) of many clusters; joins them;
// creates Deployments under a mix of policies (test/bench/scale/mix:
// Duplicated to a label group, static weights, dynamic weights with spread
// constraints); and prints the time until every binding is scheduled, every
// Work applied and every template ready on the hub, with what it cost (CPU
// and memory of the manager, the hub apiserver and etcd, etcd's size, the
// hub's writes, per-controller reconciles and queues, the simulated
// clusters' requests). Then clusters fail, twice: with the failover pause
// off (evictions paced by the eviction rate, until every replica is placed
// again away from the failed clusters) and, after a manager restart, on
// (nothing evicted, the Fleet says why).
//
// The simulated clusters stand in for real members only for these
// figures; docs/scale.md says what they leave out.
//
//	go run ./test/bench/scale [-clusters 1000] [-workloads 10000] [-fail 100] [-ready-delay 1s] [-latency 0]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
	"github.com/kurator-go/kurator/test/bench/scale/harness"
	"github.com/kurator-go/kurator/test/bench/scale/mix"
	"github.com/kurator-go/kurator/test/fleetup"
	"github.com/kurator-go/kurator/test/simfleet"
)

type options struct {
	clusters, workloads, fail, workers, nodes int
	namespaces, policiesPerKind, groupSize    int
	readyDelay, latency                       time.Duration
	errorRate                                 float64

	probeInterval, failureThreshold, successThreshold, resync time.Duration
	evictionRate                                              float64
	concurrency                                               int
	toleration                                                time.Duration
	pauseShare                                                float64
	pauseWindow, phaseTimeout                                 time.Duration
	keep                                                      bool
	leaseDuration, budget                                     time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.clusters, "clusters", 1000, "simulated clusters joined to the hub")
	flag.IntVar(&o.workloads, "workloads", 2000, "Deployments created on the hub (10000 does not finish within the budget on 2 cores)")
	flag.IntVar(&o.fail, "fail", 100, "clusters that fail at once in each failure round (0: no failure rounds)")
	flag.DurationVar(&o.readyDelay, "ready-delay", time.Second, "how long after an apply a simulated workload turns ready")
	flag.DurationVar(&o.latency, "latency", 0, "latency the simulated clusters add to every request")
	flag.Float64Var(&o.errorRate, "error-rate", 0, "share of mutating requests the simulated clusters answer 500")
	flag.IntVar(&o.workers, "workers", 50, "parallel clients creating clusters and Deployments")
	flag.IntVar(&o.nodes, "nodes-per-cluster", 3, "nodes each simulated cluster reports (110 pods, 8 CPUs each)")
	flag.IntVar(&o.namespaces, "namespaces", 4, "namespaces the Deployments and policies are spread over")
	flag.IntVar(&o.policiesPerKind, "policies-per-kind", 20, "PropagationPolicies of each kind (Duplicated, static weights, dynamic weights)")
	flag.IntVar(&o.groupSize, "group-size", 3, "clusters per group label (a Duplicated workload's targets)")
	flag.DurationVar(&o.probeInterval, "cluster-probe-interval", 10*time.Second, "manager flag: how often each cluster is probed")
	flag.DurationVar(&o.failureThreshold, "cluster-failure-threshold", 5*time.Second, "manager flag: how long probes fail before a cluster is not Ready")
	flag.DurationVar(&o.successThreshold, "cluster-success-threshold", 5*time.Second, "manager flag: how long probes succeed before a cluster is Ready again")
	flag.DurationVar(&o.resync, "resync-period", 30*time.Second, "manager flag: how often every Work is re-checked against its cluster")
	flag.Float64Var(&o.evictionRate, "failover-eviction-rate", 2.5, "manager flag: clusters per second whose workloads may start to be evicted (100 clusters drain in about 40 s at 2.5)")
	flag.IntVar(&o.concurrency, "concurrency", 10, "manager flag: workers of each workload controller")
	flag.DurationVar(&o.toleration, "toleration", 15*time.Second, "how long the policies tolerate a failed cluster's NoExecute taints (longer than the spread of failure detection, so the pause sees every failed cluster before any eviction is due)")
	flag.Float64Var(&o.pauseShare, "pause-share", 0.05, "manager flag --failover-pause-share in the protected round (the other round runs with 1, never pausing)")
	flag.DurationVar(&o.pauseWindow, "pause-window", 30*time.Second, "how long the protected round watches for evictions after they would be due")
	flag.DurationVar(&o.phaseTimeout, "phase-timeout", 8*time.Minute, "longest wait of one phase")
	flag.DurationVar(&o.budget, "budget", 14*time.Minute, "the whole run's time: waits end when it does, and a failure round is not started with less than 2 minutes left")
	flag.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 60*time.Second, "manager flag (the renew deadline is two thirds of it): how long a stalled Lease renewal is survived")
	flag.BoolVar(&o.keep, "keep", false, "keep the hub's state directory (logs of every process) after the run; its path is printed")
	flag.Parse()
	// The bench's own clients log nothing worth reading.
	ctrllog.SetLogger(logr.Discard())
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-scale:", err)
		os.Exit(1)
	}
}

// managerArgs are the manager's flags for the bench (after the
// playground's own, so these win); the failure rounds add the pause share.
func (o options) managerArgs(pauseShare float64) []string {
	return []string{
		"--cluster-probe-interval=" + o.probeInterval.String(),
		"--cluster-failure-threshold=" + o.failureThreshold.String(),
		"--cluster-success-threshold=" + o.successThreshold.String(),
		"--resync-period=" + o.resync.String(),
		fmt.Sprintf("--failover-eviction-rate=%g", o.evictionRate),
		fmt.Sprintf("--concurrency=%d", o.concurrency),
		fmt.Sprintf("--failover-pause-share=%g", pauseShare),
		// /debug/pprof/ on the metrics port: where the manager's CPU went.
		"--profiling",
		// A manager whose Lease renewal takes longer than the renew
		// deadline exits. On two saturated cores a hub request can take
		// that long (seen twice at 15 s/10 s in 100-cluster runs), which
		// would end the bench, not measure it; the defaults are for
		// real hubs.
		"--leader-elect-lease-duration=" + o.leaseDuration.String(),
		"--leader-elect-renew-deadline=" + (o.leaseDuration * 2 / 3).String(),
		"--leader-elect-retry-period=5s",
	}
}

// bench is one run's fleet, clients and bookkeeping.
type bench struct {
	o       options
	m       *mix.Mix
	st      *localfleet.State
	sim     *simfleet.Fleet
	hub     client.Client
	hubCS   kubernetes.Interface
	tracker *harness.Tracker
	sampler *measure.Sampler
	acct    *accounting
	// begin is when the run started, deadline when its budget ends.
	begin, deadline time.Time
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &bench{o: o, begin: time.Now()}
	b.deadline = b.begin.Add(o.budget)
	var err error
	b.m, err = mix.New(mix.Options{Clusters: o.clusters, Workloads: o.workloads, Namespaces: o.namespaces,
		PoliciesPerKind: o.policiesPerKind, GroupSize: o.groupSize, TolerationSeconds: int64(o.toleration / time.Second)})
	if err != nil {
		return err
	}
	b.printPlan()

	fmt.Printf("\n== hub: etcd, kube-apiserver, kube-controller-manager and kurator-manager (no member)\n")
	args := o.managerArgs(1)
	fmt.Printf("  manager flags: %s\n", strings.Join(args, " "))
	fmt.Printf("  (the first failure round runs with --failover-pause-share=1, the second after a restart with %g)\n", o.pauseShare)
	st, stop, err := fleetup.Start(ctx, localfleet.Config{Name: "bench-scale", HubOnly: true, ManagerArgs: args}, indent{os.Stdout})
	if err != nil {
		return err
	}
	defer func() {
		if !o.keep {
			stop()
			return
		}
		_ = localfleet.Down(st.StateDir, true, io.Discard)
		fmt.Printf("kept the hub's state and logs in %s\n", st.StateDir)
	}()
	b.st = st

	names := make([]string, len(b.m.Clusters))
	for i, c := range b.m.Clusters {
		names[i] = c.Name
	}
	b.sim, err = simfleet.Start(ctx, simfleet.Options{Clusters: names, NodesPerCluster: o.nodes,
		ReadyDelay: o.readyDelay, Latency: o.latency, ErrorRate: o.errorRate})
	if err != nil {
		return err
	}
	defer b.sim.Close()
	fmt.Printf("  simulated fleet: %d clusters served by this process at %s (ready delay %s, latency %s, error rate %g)\n",
		len(names), b.sim.URL("<name>"), o.readyDelay, o.latency, o.errorRate)

	rc, err := st.RESTConfig(localfleet.HubName)
	if err != nil {
		return err
	}
	// The bench's own clients must not be what limits the hub.
	rc.QPS, rc.Burst = 5000, 10000
	if b.hub, err = client.New(rc, client.Options{Scheme: scheme.Scheme}); err != nil {
		return err
	}
	if b.hubCS, err = kubernetes.NewForConfig(rc); err != nil {
		return err
	}
	if b.tracker, err = harness.NewTracker(ctx, rc, b.m); err != nil {
		return err
	}
	b.sampler = measure.NewSampler(ctx, b.managerMetricsURL(), time.Second)
	b.acct = newAccounting(b)

	err = b.phases(ctx)
	b.acct.printPhases()
	fmt.Printf("\nbench-scale done in %s (budget %s)\n", time.Since(b.begin).Round(time.Second), o.budget)
	return err
}

// phases runs the bench's phases in order; a phase that cannot go on ends
// the run (the phases table is printed either way).
func (b *bench) phases(ctx context.Context) error {
	if err := b.join(ctx); err != nil {
		return err
	}
	complete, err := b.propagate(ctx)
	if err != nil {
		return err
	}
	if !b.st.Alive(localfleet.ManagerProcess(1)) {
		return fmt.Errorf("the kurator-manager exited during the workloads phase (see above)")
	}
	b.figures(ctx)
	switch {
	case b.o.fail <= 0:
		fmt.Println("\n== failure rounds: skipped (-fail 0)")
		return nil
	case !complete:
		fmt.Println("\n== failure rounds: skipped, the workloads did not all reach their clusters (see above)")
		return nil
	}
	for _, step := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"failure with the pause off", b.failureOff},
		{"manager restart", b.restartManager},
		{"failure with the pause on", b.failureOn},
	} {
		// A round started with too little time left would be cut off
		// midway and measure nothing.
		if left := time.Until(b.deadline); left < 2*time.Minute {
			fmt.Printf("\n== %s: skipped, %s of the %s budget left (-budget)\n", step.name, left.Round(time.Second), b.o.budget)
			continue
		}
		if err := step.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return nil
}

func (b *bench) printPlan() {
	c := b.m.Count()
	o := b.m.Options
	fmt.Printf("scale bench: %d simulated clusters, %d Deployments, %d clusters failing per round; %d CPUs\n",
		len(b.m.Clusters), len(b.m.Workloads), b.o.fail, runtime.NumCPU())
	groups := (len(b.m.Clusters) + o.GroupSize - 1) / o.GroupSize
	fmt.Printf("  clusters: labels region (%d regions), zone, provider (3), group (%d groups of %d)\n", mix.Regions, groups, o.GroupSize)
	fmt.Printf("  workloads: replicas 2-6, in %d namespaces; %d policies in all, each tolerating a failed cluster for %s\n",
		o.Namespaces, len(b.m.Policies), b.o.toleration)
	total := 0
	for _, k := range mix.Kinds {
		what := map[mix.Kind]string{
			mix.Duplicated: "Duplicated to one group",
			mix.Static:     "static weights over 3-4 named clusters",
			mix.Dynamic:    "dynamic weights, region spread 2-3, cluster spread 2-3 (at most 3 targets)",
		}[k]
		fmt.Printf("    %-15s %3d policies, %5d workloads, %6d targets: %s\n", k, c.Policies[k], c.Workloads[k], c.Targets[k], what)
		total += c.Targets[k]
	}
	fmt.Printf("  expected Works: at most %d (%.2f per workload)\n", total, float64(total)/float64(max(len(b.m.Workloads), 1)))
}

func (b *bench) managerMetricsURL() string {
	p, _ := b.st.Process(localfleet.ManagerProcess(1))
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Port)
}

// join joins every simulated cluster and waits until all are Ready.
func (b *bench) join(ctx context.Context) error {
	n := len(b.m.Clusters)
	fmt.Printf("\n== join %d clusters: a kubeconfig Secret and an AttachedCluster each, %d clients at once, then Fleet %s over all\n", n, b.o.workers, harness.FleetName)
	b.acct.start("join")
	begin := time.Now()
	if err := harness.Join(ctx, b.hub, b.sim, b.m, b.o.workers); err != nil {
		return err
	}
	created := time.Since(begin)
	if err := harness.CreateFleet(ctx, b.hub, b.m); err != nil {
		return err
	}
	fmt.Printf("  %d Secrets and AttachedClusters created in %s\n", n, created.Round(time.Millisecond))
	// The join ends when the Fleet has labelled every member too: labels
	// that arrive later would wake the scheduler in the workloads phase.
	_, _, err := b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, nil, false,
		func(s harness.Summary) bool { return s.ClustersReady == n && s.FleetMembers == n },
		func(d time.Duration, s harness.Summary) {
			fmt.Printf("  [%5.0fs] clusters Ready %d/%d, labelled members of Fleet %s %d/%d\n", time.Since(begin).Seconds(), s.ClustersReady, n, harness.FleetName, s.FleetMembers, n)
		})
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	fmt.Printf("  all %d clusters Ready and labelled Fleet members %s after the first join\n", n, time.Since(begin).Round(time.Millisecond))
	b.acct.end()
	return nil
}

// propagate creates the policies and Deployments and waits until every
// binding is scheduled, every Work applied and every template ready. It
// reports false when the phase timed out.
func (b *bench) propagate(ctx context.Context) (bool, error) {
	w := len(b.m.Workloads)
	fmt.Printf("\n== %d Deployments under %d policies, created by %d clients at once\n", w, len(b.m.Policies), b.o.workers)
	if err := harness.CreatePolicies(ctx, b.hub, b.m); err != nil {
		return false, err
	}
	b.acct.start("workloads")
	b.sampler.Reset()
	begin := time.Now()
	var created atomic.Int64
	createErr := make(chan error, 1)
	var createdIn atomic.Int64
	go func() {
		err := harness.CreateWorkloads(ctx, b.hub, b.m, b.o.workers, func(int) { created.Add(1) })
		createdIn.Store(int64(time.Since(begin)))
		createErr <- err
	}()
	var sched, applied, ready time.Duration
	s, _, err := b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, nil, false,
		func(s harness.Summary) bool {
			at := time.Since(begin)
			if sched == 0 && s.Scheduled == w {
				sched = at
			}
			if applied == 0 && s.Scheduled == w && s.Applied == s.Targets {
				applied = at
			}
			if ready == 0 && s.TemplatesReady == w {
				ready = at
			}
			return sched > 0 && applied > 0 && ready > 0
		},
		func(d time.Duration, s harness.Summary) {
			fmt.Printf("  [%5.0fs] created %d/%d, %s; manager RSS %s\n", d.Seconds(), created.Load(), w, s, measure.RSS(b.managerPID()))
		})
	if cerr := <-createErr; cerr != nil {
		return false, cerr
	}
	fmt.Printf("  %d Deployments created in %s\n", w, time.Duration(createdIn.Load()).Round(time.Millisecond))
	for _, m := range []struct {
		what string
		d    time.Duration
	}{{"every ResourceBinding Scheduled", sched}, {"every Work Applied", applied}, {"every template ready on the hub (aggregated readyReplicas == replicas)", ready}} {
		if m.d == 0 {
			fmt.Printf("  %-72s NOT reached\n", m.what+":")
			continue
		}
		fmt.Printf("  %-72s %s after the first create\n", m.what+":", m.d.Round(time.Millisecond))
	}
	fmt.Printf("  %d Works on the hub for %d targets\n", s.Works, s.Targets)
	b.acct.end()
	if err != nil {
		fmt.Printf("  the phase ended: %v\n", err)
		return false, nil
	}
	check := b.tracker.Summary(nil, true)
	if check.Misplaced > 0 {
		fmt.Printf("  %d bindings are not placed as their policy says; the first: %v\n", check.Misplaced, check.FirstMisplaced)
	} else {
		fmt.Printf("  every binding placed as its policy says (Duplicated: the whole group; static: the exact Webster division; dynamic: 1-3 clusters in the policy's regions, replicas summing up)\n")
	}
	return true, nil
}

// waitFor is the tracker's WaitFor that also gives up when the manager
// exits, with the end of its log: nothing will change any more.
func (b *bench) waitFor(ctx context.Context, timeout, every time.Duration, down map[string]bool, checkPlacement bool,
	done func(harness.Summary) bool, progress func(time.Duration, harness.Summary)) (harness.Summary, time.Duration, error) {
	name := localfleet.ManagerProcess(1)
	dead := false
	budget := false
	if left := time.Until(b.deadline); left < timeout {
		timeout, budget = max(left, 0), true
	}
	s, d, err := b.tracker.WaitFor(ctx, timeout, every, down, checkPlacement, func(s harness.Summary) bool {
		if !b.st.Alive(name) {
			dead = true
			return true
		}
		return done(s)
	}, progress)
	if dead {
		p, _ := b.st.Process(name)
		return s, d, fmt.Errorf("the kurator-manager exited; the end of its log %s:\n%s", p.Log, tail(p.Log, 40))
	}
	if err != nil && budget {
		err = fmt.Errorf("%w (the run's %s budget ran out, -budget)", err, b.o.budget)
	}
	return s, d, err
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

func (b *bench) managerPID() int {
	p, _ := b.st.Process(localfleet.ManagerProcess(1))
	return p.PID
}

// indent prefixes every line written through it, for the fleet's own
// progress lines.
type indent struct{ w *os.File }

func (i indent) Write(p []byte) (int, error) {
	lines := strings.SplitAfter(string(p), "\n")
	var sb strings.Builder
	for _, l := range lines {
		if l != "" {
			sb.WriteString("  | " + l)
		}
	}
	_, err := i.w.WriteString(sb.String())
	return len(p), err
}
