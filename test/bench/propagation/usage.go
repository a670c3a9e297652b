package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kurator-go/kurator/internal/localfleet"
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

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100
// on every Linux this runs on).
const clockTick = 10 * time.Millisecond

func measureUsage(ctx context.Context, st *localfleet.State, hub kubernetes.Interface, members map[string]kubernetes.Interface) usage {
	u := usage{at: time.Now(), cpu: map[string]time.Duration{}, writes: map[string]float64{}, conflicts: map[string]float64{}, memberRequests: map[string]float64{}}
	for _, p := range st.Processes {
		u.cpu[processGroup(p.Name)] += processCPU(p.PID)
	}
	u.cpu["bench (this command)"] += processCPU(os.Getpid())
	requests(ctx, hub, func(what, verb, code string, v float64) {
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
		requests(ctx, m, func(what, verb, _ string, v float64) { u.memberRequests[what+" "+verb] += v })
	}
	return u
}

// requests reads an apiserver's apiserver_request_total and calls add for
// each series with its resource[/subresource], verb, code and value.
func requests(ctx context.Context, cs kubernetes.Interface, add func(what, verb, code string, v float64)) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		what := labelValue(line, "resource")
		if sub := labelValue(line, "subresource"); sub != "" {
			what += "/" + sub
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		add(what, labelValue(line, "verb"), labelValue(line, "code"), v)
	}
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

// processCPU is the user plus system CPU time pid has used so far.
func processCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
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
