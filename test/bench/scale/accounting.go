package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
	"github.com/kurator-go/kurator/test/simfleet"
)

// The process groups CPU is counted for, in print order.
var groups = []string{"manager", "hub apiserver", "etcd", "hub controller-manager", "bench process"}

// groupOf maps a fleet process to its group.
var groupOf = map[string]string{
	localfleet.ManagerProcess(1):           "manager",
	localfleet.HubName + "/kube-apiserver": "hub apiserver",
	"etcd":                                 "etcd",
	localfleet.HubName + "/kube-controller-manager": "hub controller-manager",
}

// usage is what the fleet had spent up to a moment: CPU per process group,
// the hub's write requests, the manager's controller and failover counters
// and the simulated clusters' requests. Two usages bracket a phase.
type usage struct {
	at                time.Time
	cpu               map[string]time.Duration
	writes, conflicts map[string]float64
	ctrl              map[string]measure.Controller
	failover          map[string]float64 // "evicted <reason>", "held back <reason>"
	sim               simfleet.Stats
}

type phase struct {
	name     string
	from, to usage
}

// accounting measures phases. The manager's CPU spans its restart: the
// CPU of the process that was stopped is kept in deadManagerCPU.
type accounting struct {
	b              *bench
	deadManagerCPU time.Duration
	current        *phase
	phases         []phase
}

func newAccounting(b *bench) *accounting { return &accounting{b: b} }

func (a *accounting) take(ctx context.Context) usage {
	u := usage{at: time.Now(), cpu: map[string]time.Duration{}, writes: map[string]float64{}, conflicts: map[string]float64{}, failover: map[string]float64{}}
	for _, p := range a.b.st.Processes {
		if g, ok := groupOf[p.Name]; ok {
			u.cpu[g] += measure.ProcessCPU(p.PID)
		}
	}
	u.cpu["manager"] += a.deadManagerCPU
	u.cpu["bench process"] = measure.ProcessCPU(os.Getpid())
	measure.Requests(ctx, a.b.hubCS, func(what, verb, code string, v float64) {
		switch verb {
		case "POST", "PUT", "PATCH", "APPLY", "DELETE":
		default:
			return
		}
		u.writes[what+" "+verb] += v
		if code == "409" {
			u.conflicts[what+" "+verb] += v
		}
	})
	if fams, err := measure.Families(ctx, a.b.managerMetricsURL(), nil); err == nil {
		u.ctrl = measure.Controllers(fams)
		for _, f := range []struct{ metric, what string }{
			{"kurator_failover_evictions_total", "evicted"}, {"kurator_failover_held_back_total", "held back"},
		} {
			for _, m := range fams[f.metric].GetMetric() {
				u.failover[f.what+" "+measure.Label(m, "reason")] += measure.Value(m)
			}
		}
	}
	u.sim = a.b.sim.Stats()
	return u
}

// start begins a phase; end closes it and prints what it cost.
func (a *accounting) start(name string) {
	u := a.take(context.Background())
	a.current = &phase{name: name, from: u}
	a.b.sampler.Reset()
}

func (a *accounting) end() {
	p := a.current
	p.to = a.take(context.Background())
	a.phases = append(a.phases, *p)
	a.current = nil
	printCPU(p.from, p.to)
	printWrites(p.from, p.to)
	fmt.Println("  manager controllers in this phase (busy: reconcile time summed over workers):")
	measure.PrintControllers(os.Stdout, p.from.ctrl, p.to.ctrl, a.b.sampler.MaxDepth())
	printSim(p.from.sim, p.to.sim)
}

// managerStopped records the CPU of the manager process about to stop.
func (a *accounting) managerStopped(pid int) { a.deadManagerCPU += measure.ProcessCPU(pid) }

func printCPU(from, to usage) {
	wall := to.at.Sub(from.at)
	var parts []string
	var total time.Duration
	for _, g := range groups {
		d := to.cpu[g] - from.cpu[g]
		total += d
		parts = append(parts, fmt.Sprintf("%s %.1fs", g, d.Seconds()))
	}
	fmt.Printf("  cpu: %.0fs used of %.0fs (%d cores x %s): %s\n", total.Seconds(), wall.Seconds()*float64(runtime.NumCPU()),
		runtime.NumCPU(), wall.Round(time.Second), strings.Join(parts, ", "))
}

type count struct {
	what      string
	n, errors float64
}

func printWrites(from, to usage) {
	var counts []count
	var sum, conflicts float64
	for what, n := range to.writes {
		n -= from.writes[what]
		c := to.conflicts[what] - from.conflicts[what]
		sum, conflicts = sum+n, conflicts+c
		if n > 0 {
			counts = append(counts, count{what, n, c})
		}
	}
	slices.SortFunc(counts, func(a, b count) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.what, b.what)) })
	fmt.Printf("  hub writes: %.0f (%.0f/s), %.0f answered 409 Conflict\n", sum, sum/to.at.Sub(from.at).Seconds(), conflicts)
	for i, c := range counts {
		if i == 10 {
			break
		}
		fmt.Printf("    %-42s %8.0f  409: %.0f\n", c.what, c.n, c.errors)
	}
}

func printSim(from, to simfleet.Stats) {
	var counts []count
	var sum float64
	for what, n := range to.Requests {
		d := float64(n - from.Requests[what])
		sum += d
		if d > 0 {
			counts = append(counts, count{what: what, n: d})
		}
	}
	slices.SortFunc(counts, func(a, b count) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.what, b.what)) })
	fmt.Printf("  simulated clusters: %.0f requests, %d applies (%d changed nothing), %d turned ready, %d watch events, %d refused while down, %d injected errors; %d watches open\n",
		sum, to.Applies-from.Applies, to.NoopWrites-from.NoopWrites, to.ReadyWrites-from.ReadyWrites,
		to.WatchEvents-from.WatchEvents, to.DownRefused-from.DownRefused, to.InjectedErrors-from.InjectedErrors, to.WatchesOpen)
	for i, c := range counts {
		if i == 8 {
			break
		}
		fmt.Printf("    %-42s %8.0f\n", c.what, c.n)
	}
}

// printPhases is the closing table: wall time and CPU of every phase.
func (a *accounting) printPhases() {
	if a.current != nil {
		// A phase that ended in an error still shows what it cost.
		fmt.Printf("  (phase %q ended early)\n", a.current.name)
		a.end()
	}
	fmt.Printf("\n== where the time and CPU went, per phase (CPU seconds; %d cores)\n", runtime.NumCPU())
	fmt.Printf("  %-22s %8s", "phase", "wall")
	for _, g := range groups {
		fmt.Printf(" %11s", strings.Fields(g)[len(strings.Fields(g))-1])
	}
	fmt.Printf(" %8s\n", "busy")
	for _, p := range a.phases {
		wall := p.to.at.Sub(p.from.at)
		fmt.Printf("  %-22s %7.0fs", p.name, wall.Seconds())
		var total time.Duration
		for _, g := range groups {
			d := p.to.cpu[g] - p.from.cpu[g]
			total += d
			fmt.Printf(" %10.1fs", d.Seconds())
		}
		fmt.Printf(" %7.0f%%\n", 100*total.Seconds()/(wall.Seconds()*float64(runtime.NumCPU())))
	}
	fmt.Printf("  (columns: %s; busy: their CPU over what the cores offered)\n", strings.Join(groups, ", "))
}

// hubFamilies reads the hub apiserver's /metrics.
func (b *bench) hubFamilies(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	return measure.Families(ctx, "/metrics", func(ctx context.Context, url string) (io.ReadCloser, error) {
		return b.hubCS.CoreV1().RESTClient().Get().AbsPath(url).Stream(ctx)
	})
}
