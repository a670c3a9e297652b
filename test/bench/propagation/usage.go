package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
)

// usage is what the fleet spent up to a moment: CPU time per process group
// and the hub apiserver's write requests. The difference of two usages tells
// where a phase's time and hub writes went.
type usage struct {
	at  time.Time
	cpu map[string]time.Duration
	// writes counts hub write requests by "resource[/subresource] VERB" and
	// conflicts the ones of them answered 409.
	writes, conflicts map[string]float64
	// memberRequests counts the member apiservers' requests of every verb,
	// summed over the members, by "resource[/subresource] VERB".
	memberRequests map[string]float64
}

func measureUsage(ctx context.Context, st *localfleet.State, hub kubernetes.Interface, members map[string]kubernetes.Interface) usage {
	u := usage{at: time.Now(), cpu: map[string]time.Duration{}, writes: map[string]float64{}, conflicts: map[string]float64{}, memberRequests: map[string]float64{}}
	for _, p := range st.Processes {
		u.cpu[processGroup(p.Name)] += measure.ProcessCPU(p.PID)
	}
	u.cpu["bench (this command)"] += measure.ProcessCPU(os.Getpid())
	measure.Requests(ctx, hub, func(what, verb, code string, v float64) {
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
	for _, m := range members {
		measure.Requests(ctx, m, func(what, verb, _ string, v float64) { u.memberRequests[what+" "+verb] += v })
	}
	return u
}

// processGroup folds the members' processes together: "members
// kube-apiserver" is the three member apiservers.
func processGroup(name string) string {
	cluster, component, ok := strings.Cut(name, "/")
	if !ok {
		return name
	}
	if cluster == localfleet.HubName {
		return "hub " + component
	}
	return "members " + component
}

// printUsage shows the CPU each process group used between from and to
// against what the machine's cores offered, and the hub writes, per
// workload when workloads > 0.
func printUsage(from, to usage, workloads int) {
	wall := to.at.Sub(from.at)
	type share struct {
		name string
		d    time.Duration
	}
	var shares []share
	var total time.Duration
	for name, d := range to.cpu {
		d -= from.cpu[name]
		total += d
		if d >= time.Second {
			shares = append(shares, share{name, d})
		}
	}
	slices.SortFunc(shares, func(a, b share) int { return int(b.d - a.d) })
	var parts []string
	for _, s := range shares {
		parts = append(parts, fmt.Sprintf("%s %.0fs", s.name, s.d.Seconds()))
	}
	fmt.Printf("  cpu: %.0fs used of %.0fs (%d cores x %s): %s\n", total.Seconds(), wall.Seconds()*float64(runtime.NumCPU()),
		runtime.NumCPU(), wall.Round(time.Second), strings.Join(parts, ", "))

	type count struct {
		what      string
		n, errors float64
	}
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
	slices.SortFunc(counts, func(a, b count) int { return int(b.n - a.n) })
	per := ""
	if workloads > 0 {
		per = fmt.Sprintf(" (%.1f per workload)", sum/float64(workloads))
	}
	fmt.Printf("  hub writes: %.0f%s, %.0f answered 409 Conflict\n", sum, per, conflicts)
	for i, c := range counts {
		if i == 8 {
			break
		}
		fmt.Printf("    %-40s %6.0f  409: %.0f\n", c.what, c.n, c.errors)
	}

	counts, sum = counts[:0], 0
	for what, n := range to.memberRequests {
		if n -= from.memberRequests[what]; n > 0 {
			sum += n
			counts = append(counts, count{what: what, n: n})
		}
	}
	slices.SortFunc(counts, func(a, b count) int { return int(b.n - a.n) })
	fmt.Printf("  member apiserver requests (all members, every verb): %.0f\n", sum)
	for i, c := range counts {
		if i == 8 {
			break
		}
		fmt.Printf("    %-40s %6.0f\n", c.what, c.n)
	}
}
