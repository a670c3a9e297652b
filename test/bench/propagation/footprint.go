package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// printManagerFootprint shows the manager's resident memory and the CPU it
// spends over window while nothing changes: the steady cost of holding the
// fleet's state (informers, resyncs, cluster probes), which is what an
// installed manager's requests and limits must cover.
func printManagerFootprint(st *localfleet.State, what string, window time.Duration) {
	p, ok := st.Process(localfleet.HubName + "/kurator-manager")
	if !ok {
		fmt.Println("  (no kurator-manager process)")
		return
	}
	before := processCPU(p.PID)
	time.Sleep(window) // measuring a rate over a window, not waiting for a state
	used := processCPU(p.PID) - before
	fmt.Printf("  manager %s: RSS %s, CPU %.0f millicores over %s\n", what, rss(p.PID), 1000*used.Seconds()/window.Seconds(), window)
}

// rss is the resident set size of pid from /proc, e.g. "84 MiB".
func rss(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return fmt.Sprintf("%d MiB", kb/1024)
		}
	}
	return "unknown"
}
