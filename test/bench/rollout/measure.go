package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
)

// usage is what the fleet had spent up to a moment; the difference of two
// is what a phase cost. (processCPU, the apiserver_request_total reader and
// labelValue are small copies of test/bench/propagation's.)
type usage struct {
	at time.Time
	// cpu per process ("kurator-hub/kurator-manager", ...).
	cpu map[string]time.Duration
	// writes are the hub apiserver's POST, PUT, PATCH, APPLY and DELETE
	// requests by resource[/subresource].
	writes map[string]float64
	// queries are Prometheus's own count of /api/v1/query requests.
	queries float64
	// reconciles are the manager's controller_runtime_reconcile_total of
	// the rollout controller, and reconcileSeconds their summed time.
	reconciles, reconcileSeconds float64
	// queueWaits and queueSeconds are the rollout work queue's
	// workqueue_queue_duration_seconds count and sum: how long a Rollout
	// waited for the controller's worker.
	queueWaits, queueSeconds float64
	// queryCount and querySeconds are Prometheus's own
	// prometheus_http_request_duration_seconds of /api/v1/query.
	queryCount, querySeconds float64
}

const managerProcess = localfleet.HubName + "/kurator-manager"

type meter struct {
	fleet *localfleet.State
	hub   kubernetes.Interface
}

func (m meter) measure(ctx context.Context) usage {
	u := usage{at: time.Now(), cpu: map[string]time.Duration{}, writes: map[string]float64{}}
	for _, p := range m.fleet.Processes {
		u.cpu[p.Name] = measure.ProcessCPU(p.PID)
	}
	if raw, err := m.hub.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx); err == nil {
		eachSample(bytes.NewReader(raw), "apiserver_request_total{", func(line string, v float64) {
			switch measure.LabelValue(line, "verb") {
			case "POST", "PUT", "PATCH", "APPLY", "DELETE":
			default:
				return
			}
			what := measure.LabelValue(line, "resource")
			if sub := measure.LabelValue(line, "subresource"); sub != "" {
				what += "/" + sub
			}
			u.writes[what] += v
		})
	}
	if m.fleet.PrometheusURL != "" {
		scrape(m.fleet.PrometheusURL+"/metrics", "prometheus_http_requests_total{", func(line string, v float64) {
			if measure.LabelValue(line, "handler") == "/api/v1/query" {
				u.queries += v
			}
		})
		scrape(m.fleet.PrometheusURL+"/metrics", "prometheus_http_request_duration_seconds_", func(line string, v float64) {
			if measure.LabelValue(line, "handler") != "/api/v1/query" {
				return
			}
			switch {
			case strings.HasPrefix(line, "prometheus_http_request_duration_seconds_count{"):
				u.queryCount += v
			case strings.HasPrefix(line, "prometheus_http_request_duration_seconds_sum{"):
				u.querySeconds += v
			}
		})
	}
	if p, ok := m.fleet.Process(managerProcess); ok && p.Port > 0 {
		scrape(fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Port), "", func(line string, v float64) {
			if measure.LabelValue(line, "controller") != "rollout" && measure.LabelValue(line, "name") != "rollout" {
				return
			}
			switch {
			case strings.HasPrefix(line, "workqueue_queue_duration_seconds_count{"):
				u.queueWaits += v
			case strings.HasPrefix(line, "workqueue_queue_duration_seconds_sum{"):
				u.queueSeconds += v
			case strings.HasPrefix(line, "controller_runtime_reconcile_total{"):
				u.reconciles += v
			case strings.HasPrefix(line, "controller_runtime_reconcile_time_seconds_sum{"):
				u.reconcileSeconds += v
			}
		})
	}
	return u
}

// cost is the difference of two usages.
type cost struct {
	wall                         time.Duration
	cpu                          map[string]time.Duration
	writes                       map[string]float64
	totalWrites                  float64
	queries                      float64
	reconciles, reconcileSeconds float64
	queueWaits, queueSeconds     float64
	queryCount, querySeconds     float64
}

func costOf(from, to usage) cost {
	c := cost{
		wall: to.at.Sub(from.at), cpu: map[string]time.Duration{}, writes: map[string]float64{},
		queries: to.queries - from.queries, reconciles: to.reconciles - from.reconciles,
		reconcileSeconds: to.reconcileSeconds - from.reconcileSeconds,
		queueWaits:       to.queueWaits - from.queueWaits, queueSeconds: to.queueSeconds - from.queueSeconds,
		queryCount: to.queryCount - from.queryCount, querySeconds: to.querySeconds - from.querySeconds,
	}
	for name, d := range to.cpu {
		c.cpu[name] = d - from.cpu[name]
	}
	for what, n := range to.writes {
		if n -= from.writes[what]; n > 0 {
			c.writes[what] = n
			c.totalWrites += n
		}
	}
	return c
}

// perSecond scales a cost to one second of its window: the background a
// quiet fleet spends, to compare a run against.
func (c cost) perSecond() (writes, queries float64, managerCPU time.Duration) {
	s := c.wall.Seconds()
	if s <= 0 {
		return 0, 0, 0
	}
	return c.totalWrites / s, c.queries / s, time.Duration(float64(c.cpu[managerProcess]) / s)
}

// background is what the quiet fleet bg spends in c's wall time: lease
// renewals, cluster status, the manager's own periodic work.
func (c cost) background(bg cost) (writes map[string]float64, total float64, managerCPU time.Duration) {
	writes = map[string]float64{}
	if bg.wall <= 0 {
		return writes, 0, 0
	}
	scale := c.wall.Seconds() / bg.wall.Seconds()
	for what, n := range bg.writes {
		writes[what] = n * scale
		total += n * scale
	}
	return writes, total, time.Duration(float64(bg.cpu[managerProcess]) * scale)
}

// printWrites lists the hub writes by resource, most first, per step,
// and per step less the background bg would have written meanwhile.
func (c cost) printWrites(steps int, bg cost) {
	base, _, _ := c.background(bg)
	type count struct {
		what string
		n    float64
	}
	var counts []count
	for what, n := range c.writes {
		counts = append(counts, count{what, n})
	}
	slices.SortFunc(counts, func(a, b count) int {
		if a.n != b.n {
			return int(b.n - a.n)
		}
		return strings.Compare(a.what, b.what)
	})
	for _, x := range counts {
		fmt.Printf("    %-36s %7.0f  %6.2f per step  %6.2f less background\n", x.what, x.n, x.n/float64(steps), (x.n-base[x.what])/float64(steps))
	}
}

// printCPU shows the CPU of the processes that used at least 0.5 s.
func (c cost) printCPU() {
	type share struct {
		name string
		d    time.Duration
	}
	var shares []share
	var total time.Duration
	for name, d := range c.cpu {
		total += d
		if d >= 500*time.Millisecond {
			shares = append(shares, share{name, d})
		}
	}
	slices.SortFunc(shares, func(a, b share) int { return int(b.d - a.d) })
	var parts []string
	for _, s := range shares {
		parts = append(parts, fmt.Sprintf("%s %.1fs", s.name, s.d.Seconds()))
	}
	fmt.Printf("  fleet cpu %.1fs in %s wall: %s\n", total.Seconds(), c.wall.Round(100*time.Millisecond), strings.Join(parts, ", "))
}

func scrape(url, prefix string, add func(line string, v float64)) {
	resp, err := http.Get(url)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	eachSample(resp.Body, prefix, add)
}

// eachSample calls add for every sample line of a Prometheus text
// exposition that starts with prefix.
func eachSample(r io.Reader, prefix string, add func(line string, v float64)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		add(line, v)
	}
}

// loadavg is the machine's 1-minute load average, to tell a run made on a
// busy machine.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
