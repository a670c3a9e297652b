// Command rollout measures fleet-wide canary rollouts on a local fleet with
// the real kurator-manager, Debian's Prometheus and the traffic generator,
// so every step runs weights -> traffic -> metrics -> decision. Every app is
// a Deployment of one replica duplicated to two of the three members, with
// a Rollout 25 -> 50 by 25, a check every 10 s, judged on
// request-success-rate >= 99.
//
//  1. One rollout alone, polled every 20 ms: the decision latency (how long
//     after the previous step, beyond the 10 s interval, each cluster's next
//     weight or its promotion is seen), the time to Succeeded, Prometheus
//     queries and hub writes per step.
//  2. -n rollouts at once, watched: the manager's CPU per rollout and per
//     step, the wall time, p50/p99 decision latency, hub writes and
//     Prometheus queries per step.
//
// A step is one cluster's weight increase or its promotion: three per
// cluster (25, 50, promote), six per rollout. Before each run a 10 s window
// of the quiet fleet is measured and printed as background.
//
//	go run ./test/bench/rollout [-n 100]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/prometheus"
	"github.com/kurator-go/kurator/test/fleetup"
)

const (
	interval = 10 // checkIntervalSeconds of every bench Rollout
	poll     = 20 * time.Millisecond
	// baselineWindow is how long the quiet fleet is measured before a run
	// (a measurement window, not a wait for anything).
	baselineWindow = 10 * time.Second
)

func main() {
	n := flag.Int("n", 100, "rollouts run at once in the second phase")
	nodes := flag.Int("nodes-per-member", 4, "fake nodes per member (110 pods each; each app runs a primary and a canary pod per member)")
	timeout := flag.Duration("timeout", 15*time.Minute, "how long the concurrent rollouts may take to succeed")
	flag.Parse()
	if err := run(*n, *nodes, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// figures are one phase's results, for the closing table.
type figures struct {
	rollouts, steps     int
	res                 result
	cost                cost
	background          cost
	failed              int
	loadBefore, loadEnd string
}

func run(n, nodes int, timeout time.Duration) error {
	ctx := context.Background()
	if _, err := prometheus.FindBinary(""); err != nil {
		return fmt.Errorf("%w: the bench needs Prometheus; install it with `sudo apt-get install prometheus`", err)
	}
	dir, err := os.MkdirTemp("", "kurator-bench-rollout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tg, err := buildTrafficGen(dir)
	if err != nil {
		return err
	}
	fmt.Printf("starting a local fleet: hub + 3 members x %d nodes, real kurator-manager, Prometheus, traffic generator\n", nodes)
	st, stop, err := fleetup.Start(ctx, localfleet.Config{Name: "bench-rollout", NodesPerMember: nodes, Prometheus: true, TrafficGen: true, TrafficGenBinary: tg}, os.Stderr)
	if err != nil {
		return err
	}
	defer stop()
	if st.PrometheusURL == "" || st.TrafficGenURL == "" {
		return fmt.Errorf("the fleet runs without Prometheus (%q) or the traffic generator (%q); see the fleet's progress above", st.PrometheusURL, st.TrafficGenURL)
	}
	rc, err := st.RESTConfig(localfleet.HubName)
	if err != nil {
		return err
	}
	hub, err := client.New(rc, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return err
	}
	m := meter{fleet: st, hub: kubernetes.NewForConfigOrDie(rc)}

	single, err := runSingle(ctx, hub, m)
	if err != nil {
		return err
	}
	many, err := runMany(ctx, hub, m, n, timeout)
	if err != nil {
		return err
	}
	printTable(single, many)
	return nil
}

func buildTrafficGen(dir string) (string, error) {
	bin := filepath.Join(dir, "kurator-trafficgen")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kurator-go/kurator/cmd/kurator-trafficgen").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kurator-trafficgen: %v\n%s", err, out)
	}
	return bin, nil
}

// runSingle is one rollout alone, polled every 20 ms.
func runSingle(ctx context.Context, hub client.Client, m meter) (figures, error) {
	const ns, name = "bench-single", "single"
	key := ns + "/" + name
	fmt.Printf("\nsingle: one rollout, 2 clusters, canary 25 -> 50 by 25, interval %d s\n", interval)
	tr := newTracker()
	if err := createApps(ctx, hub, ns, []string{name}, interval); err != nil {
		return figures{}, err
	}
	observe := func() error {
		var ro appsv1alpha1.Rollout
		if err := hub.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ro); err != nil {
			return err
		}
		tr.observe(&ro, time.Now())
		return nil
	}
	if err := until(3*time.Minute, "Rollout "+key+" Initialized", func() (bool, error) {
		err := observe()
		init, _, _, _ := tr.count([]string{key})
		return init == 1, err
	}); err != nil {
		return figures{}, err
	}
	f := figures{rollouts: 1, loadBefore: loadavg()}
	f.background = backgroundOf(ctx, m)

	from := m.measure(ctx)
	tr.started(key, time.Now())
	if err := setImage(ctx, hub, ns, name); err != nil {
		return figures{}, err
	}
	err := until(5*time.Minute, "Rollout "+key+" Succeeded", func() (bool, error) {
		if err := observe(); err != nil {
			return false, err
		}
		_, done, failed, failure := tr.count([]string{key})
		if failed > 0 {
			return false, fmt.Errorf("rollout failed: %s", failure)
		}
		return done == 1, nil
	})
	if err != nil {
		return figures{}, err
	}
	f.cost = costOf(from, m.measure(ctx))
	f.res = tr.result([]string{key}, interval*time.Second)
	f.steps, f.loadEnd = f.res.steps, loadavg()
	report(f)
	return f, nil
}

// runMany runs n rollouts at once, watched through an informer.
func runMany(ctx context.Context, hub client.Client, m meter, n int, timeout time.Duration) (figures, error) {
	const ns = "bench-many"
	fmt.Printf("\nconcurrent: %d rollouts at once, each 2 clusters, canary 25 -> 50 by 25, interval %d s\n", n, interval)
	names := make([]string, n)
	keys := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("app-%03d", i)
		keys[i] = ns + "/" + names[i]
	}
	tr := newTracker()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := watchRollouts(ctx, m, ns, tr); err != nil {
		return figures{}, err
	}
	begin := time.Now()
	if err := createApps(ctx, hub, ns, names, interval); err != nil {
		return figures{}, err
	}
	progress := newTicker(15 * time.Second)
	if err := until(10*time.Minute, fmt.Sprintf("%d Rollouts Initialized", n), func() (bool, error) {
		init, _, _, _ := tr.count(keys)
		progress.say("  %d/%d Initialized after %s", init, n, time.Since(begin).Round(time.Second))
		return init == n, nil
	}); err != nil {
		return figures{}, err
	}
	fmt.Printf("  all %d Initialized %s after the first create\n", n, time.Since(begin).Round(100*time.Millisecond))
	f := figures{rollouts: n, loadBefore: loadavg()}
	f.background = backgroundOf(ctx, m)

	from := m.measure(ctx)
	if err := parallel(names, 20, func(name string) error {
		tr.started(ns+"/"+name, time.Now())
		return setImage(ctx, hub, ns, name)
	}); err != nil {
		return figures{}, err
	}
	begin = time.Now()
	var failure string
	err := until(timeout, fmt.Sprintf("%d Rollouts Succeeded", n), func() (bool, error) {
		_, done, failed, last := tr.count(keys)
		f.failed, failure = failed, last
		progress.say("  %d/%d Succeeded, %d Failed, %s after the updates", done, n, failed, time.Since(begin).Round(time.Second))
		return done+failed == n, nil
	})
	if err != nil {
		return figures{}, err
	}
	f.cost = costOf(from, m.measure(ctx))
	f.res = tr.result(keys, interval*time.Second)
	f.steps, f.loadEnd = f.res.steps, loadavg()
	if f.failed > 0 {
		fmt.Printf("  %d of %d rollouts FAILED; e.g. %s\n", f.failed, n, failure)
	}
	report(f)
	return f, nil
}

// watchRollouts feeds every Rollout change in ns to the tracker.
func watchRollouts(ctx context.Context, m meter, ns string, tr *tracker) error {
	rc, err := m.fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		return err
	}
	c, err := crcache.New(rc, crcache.Options{Scheme: scheme.Scheme, DefaultNamespaces: map[string]crcache.Config{ns: {}}})
	if err != nil {
		return err
	}
	inf, err := c.GetInformer(ctx, &appsv1alpha1.Rollout{})
	if err != nil {
		return err
	}
	seen := func(obj any) {
		if ro, ok := obj.(*appsv1alpha1.Rollout); ok {
			tr.observe(ro, time.Now())
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    seen,
		UpdateFunc: func(_, obj any) { seen(obj) },
	}); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("the watch of Rollouts in %s did not sync", ns)
	}
	return nil
}

// backgroundOf measures the quiet fleet for baselineWindow.
func backgroundOf(ctx context.Context, m meter) cost {
	from := m.measure(ctx)
	time.Sleep(baselineWindow)
	return costOf(from, m.measure(ctx))
}

// until polls cond every 20 ms until it holds, fails or timeout passes.
func until(timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
			if strings.HasPrefix(err.Error(), "rollout failed") {
				return err
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not reached after %s (last error: %v)", what, timeout, last)
		}
		time.Sleep(poll)
	}
}

// ticker prints a progress line at most once per period.
type ticker struct {
	every time.Duration
	next  time.Time
}

func newTicker(every time.Duration) *ticker {
	return &ticker{every: every, next: time.Now().Add(every)}
}

func (t *ticker) say(format string, args ...any) {
	if time.Now().Before(t.next) {
		return
	}
	t.next = time.Now().Add(t.every)
	fmt.Printf(format+"\n", args...)
}

func report(f figures) {
	r, c := f.res, f.cost
	steps := max(f.steps, 1)
	mgr := c.cpu[managerProcess]
	bw, bq, bcpu := f.background.perSecond()
	fmt.Printf("  load average %s before, %s after\n", f.loadBefore, f.loadEnd)
	fmt.Printf("  background (quiet fleet, %s): %.1f hub writes/s, %.2f Prometheus queries/s, manager cpu %.0f ms/s, %.1f rollout reconciles/s\n",
		f.background.wall.Round(100*time.Millisecond), bw, bq, float64(bcpu.Milliseconds()), f.background.reconciles/max(f.background.wall.Seconds(), 1))
	fmt.Printf("  %d rollouts, %d steps (%.1f per rollout), %d gated steps measured\n", f.rollouts, f.steps, float64(f.steps)/float64(f.rollouts), len(r.latencies))
	fmt.Printf("  decision latency, step seen after its check fell due (previous lastCheckTime + %d s): p50 %s  p99 %s  max %s\n", interval, ms(pct(r.latencies, 50)), ms(pct(r.latencies, 99)), ms(pct(r.latencies, 100)))
	fmt.Printf("  time between two steps seen, beyond the %d s interval: p50 %s  p99 %s  max %s\n", interval, ms(pct(r.gaps, 50)), ms(pct(r.gaps, 99)), ms(pct(r.gaps, 100)))
	fmt.Printf("  image update -> first canary weight: p50 %s  p99 %s; Promoting -> Succeeded: p50 %s  p99 %s\n",
		secs(pct(r.toFirst, 50)), secs(pct(r.toFirst, 99)), secs(pct(r.promotion, 50)), secs(pct(r.promotion, 99)))
	fmt.Printf("  image update -> Rollout Succeeded: p50 %s  p99 %s  max %s; first update to last Succeeded %s\n",
		secs(pct(r.toSucceeded, 50)), secs(pct(r.toSucceeded, 99)), secs(pct(r.toSucceeded, 100)), secs(r.end.Sub(r.begin)))
	_, bgWrites, bgCPU := c.background(f.background)
	net := mgr - bgCPU
	fmt.Printf("  manager cpu %.2f s: %.3f s per rollout, %.0f ms per step; less background (%.2f s): %.3f s per rollout, %.0f ms per step\n",
		mgr.Seconds(), mgr.Seconds()/float64(f.rollouts), mgr.Seconds()*1000/float64(steps),
		bgCPU.Seconds(), net.Seconds()/float64(f.rollouts), net.Seconds()*1000/float64(steps))
	if c.reconciles > 0 {
		fmt.Printf("  rollout reconciles %.0f (%.1f per step), mean %.1f ms; busy %.0f%% of the wall time (one worker)\n",
			c.reconciles, c.reconciles/float64(steps), c.reconcileSeconds*1000/c.reconciles, 100*c.reconcileSeconds/c.wall.Seconds())
	}
	if c.queueWaits > 0 {
		fmt.Printf("  rollout work queue: mean wait %.0f ms over %.0f items\n", c.queueSeconds*1000/c.queueWaits, c.queueWaits)
	}
	if c.queryCount > 0 {
		fmt.Printf("  Prometheus answers a query in %.1f ms on average\n", c.querySeconds*1000/c.queryCount)
	}
	fmt.Printf("  Prometheus /api/v1/query requests %.0f: %.2f per step\n", c.queries, c.queries/float64(steps))
	fmt.Printf("  hub writes %.0f: %.2f per step; less background (%.0f): %.2f per step; by resource:\n",
		c.totalWrites, c.totalWrites/float64(steps), bgWrites, (c.totalWrites-bgWrites)/float64(steps))
	c.printWrites(steps, f.background)
	c.printCPU()
}

// printTable prints the rows for the README's figures table.
func printTable(single, many figures) {
	perStep := func(f figures) (writes, netWrites float64) {
		_, bg, _ := f.cost.background(f.background)
		n := float64(max(f.steps, 1))
		return f.cost.totalWrites / n, (f.cost.totalWrites - bg) / n
	}
	sw, swNet := perStep(single)
	mw, mwNet := perStep(many)
	mgr := many.cost.cpu[managerProcess].Seconds()
	_, _, bgCPU := many.cost.background(many.background)
	mgrNet := mgr - bgCPU.Seconds()
	fmt.Printf("\nfigures (a step is one cluster's weight increase or promotion; 2 clusters, 25 -> 50 by 25, interval %d s):\n\n", interval)
	fmt.Println("| what | figure | command |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| one rollout: decision latency (step seen after its check fell due) / time between steps beyond the %d s interval | p50 %s, max %s / p50 %s, max %s (%d steps) | `make bench-rollout` |\n",
		interval, ms(pct(single.res.latencies, 50)), ms(pct(single.res.latencies, 100)), ms(pct(single.res.gaps, 50)), ms(pct(single.res.gaps, 100)), len(single.res.latencies))
	fmt.Printf("| one rollout: image update to Succeeded | %s | same |\n", secs(pct(single.res.toSucceeded, 100)))
	fmt.Printf("| one rollout: Prometheus queries / hub writes per step | %.2f / %.1f (%.1f less the quiet fleet's) | same |\n", single.cost.queries/float64(max(single.steps, 1)), sw, swNet)
	fmt.Printf("| %d concurrent rollouts: manager CPU | %.1f s in all, %.2f s per rollout, %.0f ms per step (less the quiet fleet's: %.2f s, %.0f ms) | same |\n",
		many.rollouts, mgr, mgr/float64(many.rollouts), mgr*1000/float64(max(many.steps, 1)), mgrNet/float64(many.rollouts), mgrNet*1000/float64(max(many.steps, 1)))
	fmt.Printf("| %d concurrent rollouts: updates to all Succeeded | %s wall | same |\n", many.rollouts, secs(many.res.end.Sub(many.res.begin)))
	fmt.Printf("| %d concurrent rollouts: decision latency / time between steps beyond the interval | p50 %s, p99 %s / p50 %s, p99 %s | same |\n", many.rollouts,
		ms(pct(many.res.latencies, 50)), ms(pct(many.res.latencies, 99)), ms(pct(many.res.gaps, 50)), ms(pct(many.res.gaps, 99)))
	fmt.Printf("| %d concurrent rollouts: Prometheus queries / hub writes per step | %.2f / %.1f (%.1f less the quiet fleet's) | same |\n", many.rollouts, many.cost.queries/float64(max(many.steps, 1)), mw, mwNet)
}
