package analysis

import (
	"bytes"
	"context"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	promserver "github.com/kurator-go/kurator/internal/prometheus"
	core "github.com/kurator-go/kurator/pkg/analysis"
)

// istioExporter serves Istio-shaped request metrics. Every scrape adds a
// fixed batch of requests per workload, so ratios and quantiles are exact
// whatever the scrape timing.
type istioExporter struct {
	mu       sync.Mutex
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	batches  []batch
}

type batch struct {
	cluster, namespace, workload string
	ok, failed                   int     // requests per scrape answering 200 and 503
	latencyMS                    float64 // every request's duration
}

func newIstioExporter(batches ...batch) (*istioExporter, http.Handler) {
	labels := []string{"reporter", "destination_workload_namespace", "destination_workload", "destination_cluster", "response_code"}
	e := &istioExporter{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "istio_requests_total"}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "istio_request_duration_milliseconds",
			// Istio's default buckets.
			Buckets: []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}}, labels),
		batches: batches,
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.requests, e.duration)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.add()
		metrics.ServeHTTP(w, r)
	})
}

func (e *istioExporter) add() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.batches {
		for code, n := range map[string]int{"200": b.ok, "503": b.failed} {
			if n == 0 {
				continue
			}
			// The source side reports too; the built-ins must ignore it.
			e.requests.WithLabelValues("source", b.namespace, b.workload, b.cluster, code).Add(1000)
			e.requests.WithLabelValues("destination", b.namespace, b.workload, b.cluster, code).Add(float64(n))
			h := e.duration.WithLabelValues("destination", b.namespace, b.workload, b.cluster, code)
			for range n {
				h.Observe(b.latencyMS)
			}
		}
	}
}

// startPrometheus runs Debian's Prometheus (internal/prometheus) scraping
// target every second, and returns its URL once it is ready. It is stopped
// when the test ends, and its log shown if the test failed.
func startPrometheus(t testing.TB, target string) string {
	t.Helper()
	var logs syncBuffer
	srv, err := promserver.Start(context.Background(), promserver.Options{
		Binary: os.Getenv("PROMETHEUS"), Dir: t.TempDir(), Targets: []string{target}, Log: &logs})
	if err != nil {
		t.Fatalf("start prometheus: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		_ = srv.Stop()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	return srv.URL
}

// syncBuffer is a bytes.Buffer the process's output can be written to
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddress(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitForData polls until the query has data and returns its result.
func waitForData(t testing.TB, p *Prometheus, promql string) core.Result {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := p.Query(context.Background(), promql, time.Time{})
		if r.Err == nil && r.Found && !math.IsNaN(r.Value) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no data within 60s for %s (last result %+v)", promql, r)
		}
		time.Sleep(200 * time.Millisecond) // poll interval
	}
}

func TestPrometheusBuiltinsAgainstARealPrometheus(t *testing.T) {
	_, handler := newIstioExporter(
		batch{cluster: "cluster-hangzhou", namespace: "bookinfo", workload: "reviews", ok: 8, failed: 2, latencyMS: 300},
		batch{cluster: "cluster-shanghai", namespace: "bookinfo", workload: "reviews", ok: 10, latencyMS: 40},
		batch{cluster: "cluster-hangzhou", namespace: "bookinfo", workload: "broken", failed: 5, latencyMS: 3},
	)
	exporter := httptest.NewServer(handler)
	defer exporter.Close()
	base := startPrometheus(t, strings.TrimPrefix(exporter.URL, "http://"))
	p, err := NewPrometheus(base, PrometheusOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	render := func(name, cluster, target string) string {
		t.Helper()
		q, err := core.Render(core.Metric{Name: name, Interval: 10 * time.Second},
			core.Vars{Cluster: cluster, Namespace: "bookinfo", Target: target})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	// Two scrapes are needed for a rate; wait for the slowest series.
	waitForData(t, p, render(core.RequestSuccessRate, "cluster-hangzhou", "broken"))
	waitForData(t, p, render(core.RequestSuccessRate, "cluster-shanghai", "reviews"))

	min99, max500 := 99.0, 500.0
	rate := core.Metric{Name: core.RequestSuccessRate, Min: &min99}
	duration := core.Metric{Name: core.RequestDuration, Max: &max500}
	cases := []struct {
		name       string
		m          core.Metric
		cluster    string
		target     string
		lo, hi     float64
		wantReason string
	}{
		{name: "hangzhou's 8 of 10 requests succeed: 80%, below min 99",
			m: rate, cluster: "cluster-hangzhou", target: "reviews", lo: 79, hi: 81, wantReason: core.ReasonBelowMin},
		{name: "shanghai's requests all succeed: 100%, passes",
			m: rate, cluster: "cluster-shanghai", target: "reviews", lo: 99.9, hi: 100.1, wantReason: core.ReasonPassed},
		{name: "a workload answering only 5xx reads 0%, not no data",
			m: rate, cluster: "cluster-hangzhou", target: "broken", lo: 0, hi: 0, wantReason: core.ReasonBelowMin},
		{name: "without a cluster the fleet's reviews are 18 of 20: 90%",
			m: rate, target: "reviews", lo: 89, hi: 91, wantReason: core.ReasonBelowMin},
		{name: "the target is a regular expression over workloads",
			m: rate, cluster: "cluster-hangzhou", target: "reviews|broken", lo: 52, hi: 54, wantReason: core.ReasonBelowMin}, // 8 of 15
		{name: "hangzhou's p99 of 300ms requests lies in Istio's 250-500 bucket",
			m: duration, cluster: "cluster-hangzhou", target: "reviews", lo: 250, hi: 500, wantReason: core.ReasonPassed},
		{name: "shanghai's p99 of 40ms requests lies in the 25-50 bucket",
			m: duration, cluster: "cluster-shanghai", target: "reviews", lo: 25, hi: 50, wantReason: core.ReasonPassed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := core.Render(c.m, core.Vars{Cluster: c.cluster, Namespace: "bookinfo", Target: c.target, Interval: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := p.Query(context.Background(), q, time.Time{})
			if r.Err != nil || !r.Found {
				t.Fatalf("Query(%s) = %+v, want a value", q, r)
			}
			if r.Value < c.lo || r.Value > c.hi {
				t.Errorf("value = %v, want within [%v, %v] (query %s)", r.Value, c.lo, c.hi, q)
			}
			if v := core.Judge(c.m, c.cluster, r, true); v.Reason != c.wantReason {
				t.Errorf("Judge = %s (%s), want %s", v.Reason, v.Message, c.wantReason)
			}
		})
	}

	t.Run("Check renders, queries and judges in one call", func(t *testing.T) {
		v, promql := Check(context.Background(), p, rate,
			core.Vars{Cluster: "cluster-hangzhou", Namespace: "bookinfo", Target: "reviews", Interval: 10 * time.Second}, true, time.Time{})
		if v.Reason != core.ReasonBelowMin || v.Message != "request-success-rate 80.00 < min 99 in cluster-hangzhou" {
			t.Errorf("Check = %+v", v)
		}
		if !strings.Contains(promql, `destination_cluster="cluster-hangzhou"`) {
			t.Errorf("Check ran %s", promql)
		}
		v, promql = Check(context.Background(), p, core.Metric{Name: "latency"}, core.Vars{Cluster: "c1"}, false, time.Time{})
		if v.Reason != core.ReasonQueryFailed || promql != "" || !strings.Contains(v.Message, "set customMetric") {
			t.Errorf("Check of a metric without a query = %+v, %q; want QueryFailed with the fix", v, promql)
		}
	})

	t.Run("an unknown workload gives no data: WarmingUp, then NoData", func(t *testing.T) {
		for _, name := range []string{core.RequestSuccessRate, core.RequestDuration} {
			q := render(name, "cluster-hangzhou", "ratings")
			r := p.Query(context.Background(), q, time.Time{})
			if r.Err != nil {
				t.Fatalf("%s: %v", name, r.Err)
			}
			if r.Found && !math.IsNaN(r.Value) {
				t.Fatalf("%s: Query = %+v, want no data", name, r)
			}
			m := core.Metric{Name: name}
			if v := core.Judge(m, "cluster-hangzhou", r, false); v.Reason != core.ReasonWarmingUp {
				t.Errorf("%s during warm-up: %s, want WarmingUp", name, v.Reason)
			}
			if v := core.Judge(m, "cluster-hangzhou", r, true); v.Reason != core.ReasonNoData || !v.Failed() {
				t.Errorf("%s after warm-up: %s, want a failed NoData", name, v.Reason)
			}
		}
	})

	t.Run("an unknown workload's success rate is an empty vector: Found is false", func(t *testing.T) {
		if r := p.Query(context.Background(), render(core.RequestSuccessRate, "cluster-hangzhou", "ratings"), time.Time{}); r.Found {
			t.Fatalf("Found = true with value %v", r.Value)
		}
	})

	t.Run("bad PromQL is QueryFailed naming the address and the parse error", func(t *testing.T) {
		r := p.Query(context.Background(), `sum(rate(istio_requests_total[1m]`, time.Time{})
		if r.Err == nil {
			t.Fatalf("Query = %+v, want an error", r)
		}
		for _, want := range []string{base, "not valid PromQL"} {
			if !strings.Contains(r.Err.Error(), want) {
				t.Errorf("error %q does not contain %q", r.Err, want)
			}
		}
		if v := core.Judge(rate, "cluster-hangzhou", r, false); v.Reason != core.ReasonQueryFailed || !v.Failed() {
			t.Errorf("Judge = %s, want a failed QueryFailed", v.Reason)
		}
	})

	t.Run("a scalar answer is a value", func(t *testing.T) {
		if r := p.Query(context.Background(), `scalar(vector(42))`, time.Time{}); r.Err != nil || !r.Found || r.Value != 42 {
			t.Fatalf("Query = %+v, want 42", r)
		}
	})

	t.Run("several series: the last wins, with a warning", func(t *testing.T) {
		r := p.Query(context.Background(), `sort(vector(1) or label_replace(vector(2), "x", "y", "", ""))`, time.Time{})
		if r.Err != nil || !r.Found || r.Value != 2 {
			t.Fatalf("Query = %+v, want 2", r)
		}
		if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[len(r.Warnings)-1], "2 series") {
			t.Errorf("Warnings = %q, want one about 2 series", r.Warnings)
		}
	})

	t.Run("a range vector is an error with the fix", func(t *testing.T) {
		r := p.Query(context.Background(), `istio_requests_total[10s]`, time.Time{})
		if r.Err == nil || !strings.Contains(r.Err.Error(), "instant query") {
			t.Fatalf("Query = %+v, want an error asking for an instant query", r)
		}
	})

	t.Run("a query at a time before any data has none", func(t *testing.T) {
		r := p.Query(context.Background(), render(core.RequestSuccessRate, "cluster-hangzhou", "reviews"), time.Now().Add(-time.Hour))
		if r.Err != nil || r.Found {
			t.Fatalf("Query an hour ago = %+v, want no data", r)
		}
	})

	t.Run("every query is counted, failures too", func(t *testing.T) {
		before := p.Stats()
		p.Query(context.Background(), `vector(1)`, time.Time{})
		p.Query(context.Background(), `vector(`, time.Time{})
		after := p.Stats()
		if after.Queries-before.Queries != 2 || after.Failed-before.Failed != 1 {
			t.Fatalf("Stats went from %+v to %+v, want +2 queries, +1 failed", before, after)
		}
	})

	t.Run("credentials reach Prometheus through an authenticating proxy", func(t *testing.T) {
		target, _ := url.Parse(base)
		proxy := httputil.NewSingleHostReverseProxy(target)
		check := func(ok func(*http.Request) bool) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !ok(r) {
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
				proxy.ServeHTTP(w, r)
			})
		}
		bearer := httptest.NewServer(check(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer s3cret" }))
		defer bearer.Close()
		basic := httptest.NewUnstartedServer(check(func(r *http.Request) bool {
			u, pw, ok := r.BasicAuth()
			return ok && u == "kurator" && pw == "pw"
		}))
		basic.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
		basic.StartTLS()
		defer basic.Close()
		cases := []struct {
			name    string
			address string
			opts    PrometheusOptions
			wantErr string
		}{
			{name: "the bearer token is sent", address: bearer.URL, opts: PrometheusOptions{BearerToken: "s3cret"}},
			{name: "without the token the proxy refuses", address: bearer.URL, wantErr: "401"},
			{name: "basic auth over TLS with InsecureSkipVerify", address: basic.URL,
				opts: PrometheusOptions{Username: "kurator", Password: "pw", InsecureSkipVerify: true}},
			{name: "TLS without InsecureSkipVerify refuses the test certificate", address: basic.URL,
				opts: PrometheusOptions{Username: "kurator", Password: "pw"}, wantErr: "certificate"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				q, err := NewPrometheus(c.address, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				r := q.Query(context.Background(), `vector(7)`, time.Time{})
				if c.wantErr != "" {
					if r.Err == nil || !strings.Contains(r.Err.Error(), c.wantErr) {
						t.Fatalf("Query = %+v, want an error containing %q", r, c.wantErr)
					}
					return
				}
				if r.Err != nil || r.Value != 7 {
					t.Fatalf("Query = %+v, want 7", r)
				}
			})
		}
	})
}

func TestPrometheusUnreachableAndTimeouts(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer slow.Close()
	defer close(release) // before Close, which waits for the handler
	cases := []struct {
		name    string
		address string
		timeout time.Duration
		wantErr string
	}{
		{name: "nothing listening is a query error naming the address", address: "http://" + freeAddress(t), wantErr: "connection refused"},
		{name: "a server slower than the timeout is a query error naming the timeout", address: slow.URL, timeout: 200 * time.Millisecond, wantErr: "no answer within 200ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPrometheus(c.address, PrometheusOptions{Timeout: c.timeout})
			if err != nil {
				t.Fatal(err)
			}
			r := p.Query(context.Background(), `vector(1)`, time.Time{})
			if r.Err == nil || !strings.Contains(r.Err.Error(), c.wantErr) || !strings.Contains(r.Err.Error(), c.address) {
				t.Fatalf("Query = %+v, want an error naming %s and containing %q", r, c.address, c.wantErr)
			}
		})
	}
}

func TestNewPrometheusRefusesAddressesThatAreNotURLs(t *testing.T) {
	for _, address := range []string{"", "prometheus:9090", "ftp://prometheus", "http://"} {
		if _, err := NewPrometheus(address, PrometheusOptions{}); err == nil || !strings.Contains(err.Error(), "http://prometheus.monitoring:9090") {
			t.Errorf("NewPrometheus(%q) = %v, want an error with an example address", address, err)
		}
	}
}
