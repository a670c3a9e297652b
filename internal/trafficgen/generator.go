package trafficgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DurationBuckets are Istio's default buckets of
// istio_request_duration_milliseconds.
var DurationBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// labelNames are the labels of both metrics, as Istio's standard metrics
// carry them (reporter="destination", the destination's view).
var labelNames = []string{
	"reporter", "source_cluster", "destination_cluster", "destination_workload", "destination_workload_namespace",
	"destination_service", "destination_service_name", "destination_service_namespace", "destination_version",
	"response_code", "request_protocol",
}

// DefaultLatency is how long a request takes without a fault.
const DefaultLatency = 20 * time.Millisecond

// noUpstreamLatency is how long Envoy takes to answer 503 on its own.
const noUpstreamLatency = time.Millisecond

// Generator turns flows into request metrics. Tick is the whole loop body;
// Run (members.go) calls it every interval with what the members hold.
type Generator struct {
	opts     Options
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	registry *prometheus.Registry

	mu     sync.Mutex
	faults []Fault
	flows  []Flow
	// carry holds, per flow, the fraction of a request not yet sent and the
	// fraction of an error not yet answered, so rates are exact over time.
	carry    map[string]float64
	errCarry map[string]float64
	rng      *rand.Rand
	updated  time.Time
	members  []MemberStatus
}

// MemberStatus says whether a member's objects are listed yet.
type MemberStatus struct {
	Name   string `json:"name"`
	Synced bool   `json:"synced"`
}

// NewGenerator makes a generator with its own metrics registry; seed makes
// the latency jitter repeatable.
func NewGenerator(opts Options, seed uint64) *Generator {
	g := &Generator{
		opts: opts,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "istio_requests_total",
			Help: "Requests served, simulated by kurator-trafficgen along the members' VirtualServices (Istio's standard metric).",
		}, labelNames),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "istio_request_duration_milliseconds",
			Help:    "Request duration in milliseconds, simulated by kurator-trafficgen (Istio's standard metric and buckets).",
			Buckets: DurationBuckets,
		}, labelNames),
		registry: prometheus.NewRegistry(),
		carry:    map[string]float64{},
		errCarry: map[string]float64{},
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	g.registry.MustRegister(g.requests, g.duration)
	return g
}

// Registry is where the generator's metrics live.
func (g *Generator) Registry() *prometheus.Registry { return g.registry }

// Tick resolves the flows of clusters and emits the requests of elapsed
// time along them: RPS × elapsed requests per flow (fractions carry over to
// the next tick), each answered 503 when the flow has no ready workload,
// else 500 at its fault's error rate and 200 otherwise, with the fault's
// latency (±10% jitter) observed.
func (g *Generator) Tick(clusters []Cluster, members []MemberStatus, elapsed time.Duration, now time.Time) {
	flows := Resolve(clusters, g.opts)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.flows, g.members, g.updated = flows, members, now
	live := make(map[string]bool, len(flows))
	for _, f := range flows {
		key := f.Key()
		live[key] = true
		want := f.RPS*elapsed.Seconds() + g.carry[key]
		n := int(want)
		g.carry[key] = want - float64(n)
		if n == 0 {
			continue
		}
		if f.ResponseCode != 0 {
			g.emit(f, f.ResponseCode, n, noUpstreamLatency, false)
			continue
		}
		fault := g.faultFor(f)
		// Errors come at exactly the fault's rate over time, not by chance.
		wantErr := float64(n)*fault.ErrorRate + g.errCarry[key]
		errs := min(int(wantErr), n)
		g.errCarry[key] = wantErr - float64(errs)
		latency := DefaultLatency
		if fault.LatencyMs > 0 {
			latency = time.Duration(fault.LatencyMs * float64(time.Millisecond))
		}
		g.emit(f, 500, errs, latency, true)
		g.emit(f, 200, n-errs, latency, true)
	}
	for key := range g.carry {
		if !live[key] {
			delete(g.carry, key)
			delete(g.errCarry, key)
		}
	}
}

// emit records n requests of flow f answered with code.
func (g *Generator) emit(f Flow, code, n int, latency time.Duration, jitter bool) {
	if n <= 0 {
		return
	}
	labels := prometheus.Labels{
		"reporter":                       "destination",
		"source_cluster":                 f.SourceCluster,
		"destination_cluster":            f.Cluster,
		"destination_workload":           f.Workload,
		"destination_workload_namespace": f.WorkloadNamespace,
		"destination_service":            orUnknown(f.Service),
		"destination_service_name":       orUnknown(f.ServiceName),
		"destination_service_namespace":  orUnknown(f.ServiceNamespace),
		"destination_version":            f.Version,
		"response_code":                  strconv.Itoa(code),
		"request_protocol":               "http",
	}
	g.requests.With(labels).Add(float64(n))
	h := g.duration.With(labels)
	ms := float64(latency) / float64(time.Millisecond)
	for range n {
		v := ms
		if jitter {
			v *= 0.9 + 0.2*g.rng.Float64()
		}
		h.Observe(v)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}

// Fault makes one workload answer errors and slowly.
type Fault struct {
	// Cluster, Namespace: where the workload runs; empty matches any.
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// Workload is the Deployment's name (Istio's destination_workload).
	Workload string `json:"workload"`
	// ErrorRate is the share of requests answered 500, from 0 to 1.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// LatencyMs is each request's duration; 0 keeps the default 20 ms.
	LatencyMs float64 `json:"latencyMs,omitempty"`
}

// ValidateFaults names the first fault field that is wrong and how to fix it.
func ValidateFaults(faults []Fault) error {
	for i, f := range faults {
		switch {
		case f.Workload == "":
			return fmt.Errorf("faults[%d].workload is empty: name the Deployment whose requests fail", i)
		case f.ErrorRate < 0 || f.ErrorRate > 1:
			return fmt.Errorf("faults[%d].errorRate %v: give a share from 0 to 1 (0.2 = one request in five fails)", i, f.ErrorRate)
		case f.LatencyMs < 0:
			return fmt.Errorf("faults[%d].latencyMs %v: give a duration of 0 or more milliseconds", i, f.LatencyMs)
		}
	}
	return nil
}

// SetFaults replaces the set of faults.
func (g *Generator) SetFaults(faults []Fault) error {
	if err := ValidateFaults(faults); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append([]Fault(nil), faults...)
	return nil
}

// Faults returns the current faults.
func (g *Generator) Faults() []Fault {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Fault{}, g.faults...)
}

// faultFor is the first fault matching the flow's workload (none: zero).
func (g *Generator) faultFor(f Flow) Fault {
	for _, x := range g.faults {
		if x.Workload == f.Workload && (x.Cluster == "" || x.Cluster == f.Cluster) && (x.Namespace == "" || x.Namespace == f.WorkloadNamespace) {
			return x
		}
	}
	return Fault{}
}

// Routes is what /routes answers.
type Routes struct {
	Updated time.Time      `json:"updated"`
	Members []MemberStatus `json:"members"`
	Flows   []Flow         `json:"flows"`
}

// Routes returns the flows of the last tick.
func (g *Generator) Routes() Routes {
	g.mu.Lock()
	defer g.mu.Unlock()
	flows := g.flows
	if flows == nil {
		flows = []Flow{}
	}
	members := g.members
	if members == nil {
		members = []MemberStatus{}
	}
	return Routes{Updated: g.updated, Members: members, Flows: flows}
}
