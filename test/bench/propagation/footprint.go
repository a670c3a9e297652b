package main

import (
	"fmt"
	"time"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
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
	before := measure.ProcessCPU(p.PID)
	time.Sleep(window) // measuring a rate over a window, not waiting for a state
	used := measure.ProcessCPU(p.PID) - before
	fmt.Printf("  manager %s: RSS %s, CPU %.0f millicores over %s\n", what, measure.RSS(p.PID), 1000*used.Seconds()/window.Seconds(), window)
}
