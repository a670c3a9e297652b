package fleetmetrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/internal/fleetmetrics"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/pkg/autoscale"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// The figures of docs/autoscaling-metrics.md, measured on the fleet, only
// with KURATOR_E2E_MEASURE=1 (they take about ten minutes and restart a
// kwok):
//
//	KURATOR_E2E_MEASURE=1 go test -p 1 -count=1 -v -run Measure -timeout 30m ./test/e2e/fleetmetrics/
//
// They log, and assert only that the measurement itself worked.

func needMeasure(t *testing.T) {
	t.Helper()
	if ok, _ := strconv.ParseBool(os.Getenv("KURATOR_E2E_MEASURE")); !ok {
		t.Skip("a measurement: set KURATOR_E2E_MEASURE=1 to run it")
	}
}

// TestMeasureUsageLatency: how long after SetPodUsage kwok serves the new
// value, and Prometheus answers it, over several changes of a memory gauge.
func TestMeasureUsageLatency(t *testing.T) {
	needMeasure(t)
	ctx := context.Background()
	const ns, name = "latency", "probe"
	pods := deployment(t, north, ns, name, 1, "100m", "128Mi")
	pod, err := fleettest.Client(t, fleet, north).CoreV1().Pods(ns).Get(ctx, pods[0], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kwok, ok := fleet.KwokAddress(north)
	if !ok {
		t.Fatal("north has no kwok process recorded")
	}
	nodeURL := "http://" + kwok + strings.ReplaceAll(localfleet.KwokMetricsPath, "{nodeName}", pod.Spec.NodeName)
	t.Cleanup(func() { fleettest.ClearPodUsage(t, fleet, north, ns, name+"-") })
	var toKwok, toProm []time.Duration
	for i := range 8 {
		mib := 40 + i
		want := float64(mib << 20)
		set := time.Now()
		fleettest.SetPodUsage(t, fleet, north, ns, name+"-", "10m", strconv.Itoa(mib)+"Mi")
		fleettest.Eventually(t, 30*time.Second, "kwok serves the new working set", func() error {
			if !servesPodMemory(nodeURL, pods[0], want) {
				return fmt.Errorf("not yet %.0f bytes", want)
			}
			return nil
		})
		toKwok = append(toKwok, time.Since(set))
		fleettest.Eventually(t, 30*time.Second, "Prometheus answers the new working set", func() error {
			got, err := prom.PodUsage(ctx, fleetmetrics.Memory, ns, map[string][]string{north: pods})
			if err != nil {
				return err
			}
			if got[north][pods[0]] != want {
				return fmt.Errorf("%v, want %.0f", got, want)
			}
			return nil
		})
		toProm = append(toProm, time.Since(set))
	}
	t.Logf("SetPodUsage -> kwok serves it: %s", spread(toKwok))
	t.Logf("SetPodUsage -> Prometheus answers it: %s", spread(toProm))
}

func servesPodMemory(url, pod string, want float64) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, fleetmetrics.PodMemoryBytes+"{") && strings.Contains(line, `pod="`+pod+`"`) {
			f := strings.Fields(line)
			if len(f) != 2 {
				return false
			}
			got, err := strconv.ParseFloat(f[1], 64)
			return err == nil && got == want
		}
	}
	return false
}

func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("min %s, median %s, max %s over %d changes",
		s[0].Round(time.Millisecond), s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), len(s))
}

// TestMeasureKwokCost: kwok's RSS and CPU in a member running 30 pods, as
// the fleet starts it (usage emulation on, scraped every second by
// Prometheus) and restarted without the usage arguments.
func TestMeasureKwokCost(t *testing.T) {
	needMeasure(t)
	const ns, name = "cost", "load"
	deployment(t, north, ns, name, 30, "10m", "16Mi")
	fleettest.SetPodUsage(t, fleet, north, ns, name+"-", "5m", "8Mi")
	t.Cleanup(func() { fleettest.ClearPodUsage(t, fleet, north, ns, name+"-") })
	const window = 60 * time.Second
	proc := north + "/kwok"

	with := sampleProcess(t, proc, window)

	i := slices.IndexFunc(fleet.Processes, func(p localfleet.Process) bool { return p.Name == proc })
	args := fleet.Processes[i].Args
	plain := slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return strings.HasPrefix(a, "--enable-crds=") || strings.HasSuffix(a, localfleet.KwokMetricsFile)
	})
	restart := func(a []string) {
		t.Helper()
		if err := fleet.Stop(proc); err != nil {
			t.Fatal(err)
		}
		fleet.Processes[i].Args = a
		if err := fleet.Restart(context.Background(), proc, true); err != nil {
			t.Fatal(err)
		}
	}
	restart(plain)
	t.Cleanup(func() { restart(args) })
	// Let the new kwok take over the nodes' leases and pods first (a
	// measurement settling, nothing synchronised on it).
	time.Sleep(45 * time.Second)
	without := sampleProcess(t, proc, window)
	t.Logf("north/kwok, 30 pods, 2 nodes, over %s: with usage emulation scraped at 1s: RSS %.1f MiB, CPU %.1f%% of a core; without: RSS %.1f MiB, CPU %.1f%%",
		window, with.rssMiB, with.cpuPercent, without.rssMiB, without.cpuPercent)
}

type processCost struct{ rssMiB, cpuPercent float64 }

// sampleProcess reads a fleet process' CPU time before and after window
// and its RSS at the end, from /proc.
func sampleProcess(t *testing.T, name string, window time.Duration) processCost {
	t.Helper()
	p, ok := fleet.Process(name)
	if !ok {
		t.Fatalf("no process %s", name)
	}
	cpu0 := cpuSeconds(t, p.PID)
	begin := time.Now()
	time.Sleep(window) // the measured window
	cpu1 := cpuSeconds(t, p.PID)
	return processCost{rssMiB: rssMiB(t, p.PID), cpuPercent: 100 * (cpu1 - cpu0) / time.Since(begin).Seconds()}
}

func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

func rssMiB(t *testing.T, pid int) float64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

// TestMeasureRangeQueryRate: how many range queries of a workload's cpu
// utilisation (pkg/autoscale's query) over 5m at a 1s step Prometheus
// answers per second, one client and two at once, once 5 minutes of data
// exist.
func TestMeasureRangeQueryRate(t *testing.T) {
	needMeasure(t)
	ctx := context.Background()
	const ns, name = "rangeq", "order-service"
	deployment(t, north, ns, name, 20, "100m", "128Mi")
	fleettest.SetPodUsage(t, fleet, north, ns, name+"-", "70m", "64Mi")
	t.Cleanup(func() { fleettest.ClearPodUsage(t, fleet, north, ns, name+"-") })
	query := autoscale.WorkloadQueryRate("cpu", ns, "Deployment", name, 0.1, prom.RateWindow())
	history := 5 * time.Minute
	// Wait (polling every 5 s, with a deadline) until the range holds
	// 5 minutes of the workload's data.
	deadline := time.Now().Add(history + time.Minute)
	for {
		end := time.Now()
		got, err := prom.Range(ctx, query, end.Add(-history), end, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if s := got[north]; len(s) > 0 && !s[0].T.After(end.Add(-history+15*time.Second)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 5 minutes of %s after %s", query, history+time.Minute)
		}
		time.Sleep(5 * time.Second)
	}
	for _, clients := range []int{1, 2} {
		const run = 10 * time.Second
		var mu sync.Mutex
		n, samples := 0, 0
		var wg sync.WaitGroup
		begin := time.Now()
		for range clients {
			wg.Go(func() {
				for time.Since(begin) < run {
					end := time.Now()
					got, err := prom.Range(ctx, query, end.Add(-history), end, time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					n++
					samples = len(got[north])
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(begin).Seconds()
		t.Logf("%d client(s): %d range queries (5m at 1s, 20 pods, %d samples each) in %.1fs: %.1f queries/s, %.0f ms each",
			clients, n, samples, elapsed, float64(n)/elapsed, 1000*elapsed*float64(clients)/float64(n))
	}
}
