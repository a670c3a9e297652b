package trafficgen

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

func canary(cluster string, v1, v2 int32) Cluster {
	c := reviews(cluster, 1, 1)
	c.VirtualServices = []*networkingv1.VirtualService{virtualService("default", "reviews-route", route{dests: []dest{{"reviews", "v1", v1}, {"reviews", "v2", v2}}})}
	return c
}

func labelsFor(workload, code string) prometheus.Labels {
	version := "v1"
	if strings.HasSuffix(workload, "v2") {
		version = "v2"
	}
	return prometheus.Labels{
		"reporter": "destination", "source_cluster": "a", "destination_cluster": "a",
		"destination_workload": workload, "destination_workload_namespace": "default",
		"destination_service": "reviews.default.svc.cluster.local", "destination_service_name": "reviews",
		"destination_service_namespace": "default", "destination_version": version,
		"response_code": code, "request_protocol": "http",
	}
}

func TestTickEmitsRequestsInProportionToWeightsWithFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []Fault
		ticks  int
		every  time.Duration
		// want: requests per workload and code after the ticks.
		want map[[2]string]float64
		// latency: mean observed duration (ms) of reviews-v1.
		latency float64
	}{
		{
			name:  "10 one-second ticks at 20 rps and 80/20 give 160 and 40 requests, all 200 at 20 ms",
			ticks: 10, every: time.Second,
			want:    map[[2]string]float64{{"reviews-v1", "200"}: 160, {"reviews-v2", "200"}: 40, {"reviews-v2", "500"}: 0},
			latency: 20,
		},
		{
			name:   "errorRate 0.2 on reviews-v2 answers exactly a fifth of its requests 500",
			faults: []Fault{{Cluster: "a", Namespace: "default", Workload: "reviews-v2", ErrorRate: 0.2}},
			ticks:  10, every: time.Second,
			want:    map[[2]string]float64{{"reviews-v1", "200"}: 160, {"reviews-v2", "200"}: 32, {"reviews-v2", "500"}: 8},
			latency: 20,
		},
		{
			name:   "latency 300 ms on reviews-v1 is observed within the 10% jitter",
			faults: []Fault{{Workload: "reviews-v1", LatencyMs: 300}},
			ticks:  5, every: time.Second,
			want:    map[[2]string]float64{{"reviews-v1", "200"}: 80},
			latency: 300,
		},
		{
			name:   "a fault for another cluster does not apply",
			faults: []Fault{{Cluster: "b", Workload: "reviews-v2", ErrorRate: 1}},
			ticks:  10, every: time.Second,
			want:    map[[2]string]float64{{"reviews-v2", "200"}: 40, {"reviews-v2", "500"}: 0},
			latency: 20,
		},
		{
			name:  "forty quarter-second ticks carry fractions over: 2 rps of 20% is 40 requests in 10 s",
			ticks: 40, every: 250 * time.Millisecond,
			want:    map[[2]string]float64{{"reviews-v1", "200"}: 160, {"reviews-v2", "200"}: 40},
			latency: 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGenerator(Options{RPS: 20, MatchShare: 0.1}, 1)
			if err := g.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			now := time.Unix(0, 0)
			for range tt.ticks {
				now = now.Add(tt.every)
				g.Tick([]Cluster{canary("a", 80, 20)}, nil, tt.every, now)
			}
			for k, want := range tt.want {
				var c dto.Metric
				if err := g.requests.With(labelsFor(k[0], k[1])).Write(&c); err != nil {
					t.Fatal(err)
				}
				got := c.GetCounter().GetValue()
				if got != want {
					t.Errorf("istio_requests_total %s %s = %v, want %v", k[0], k[1], got, want)
				}
			}
			var m dto.Metric
			if err := g.duration.With(labelsFor("reviews-v1", "200")).(prometheus.Histogram).Write(&m); err != nil {
				t.Fatal(err)
			}
			h := m.GetHistogram()
			mean := h.GetSampleSum() / float64(h.GetSampleCount())
			if math.Abs(mean-tt.latency) > tt.latency*0.1 {
				t.Errorf("mean duration %v ms, want %v ±10%%", mean, tt.latency)
			}
			if got := len(h.GetBucket()); got != len(DurationBuckets) {
				t.Errorf("%d buckets, want Istio's %d", got, len(DurationBuckets))
			}
		})
	}
}

func TestValidateFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []Fault
		want   string
	}{
		{"no faults are valid", nil, ""},
		{"a full fault is valid", []Fault{{Cluster: "a", Namespace: "default", Workload: "w", ErrorRate: 0.2, LatencyMs: 300}}, ""},
		{"a missing workload is named", []Fault{{ErrorRate: 0.2}}, "faults[0].workload is empty"},
		{"an error rate above 1 is named", []Fault{{Workload: "w"}, {Workload: "w", ErrorRate: 20}}, "faults[1].errorRate 20: give a share from 0 to 1"},
		{"a negative latency is named", []Fault{{Workload: "w", LatencyMs: -1}}, "faults[0].latencyMs -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFaults(tt.faults)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	g := NewGenerator(Options{RPS: 20, MatchShare: 0.1}, 1)
	g.Tick([]Cluster{canary("a", 90, 10)}, []MemberStatus{{Name: "a", Synced: true}}, time.Second, time.Unix(1, 0))
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()

	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("PUT", "/faults", `[{"workload":"reviews-v2","errorRate":2}]`); code != 400 || !strings.Contains(body, "faults[0].errorRate 2") {
		t.Errorf("PUT an error rate of 2: %d %q, want 400 naming faults[0].errorRate", code, body)
	}
	if code, body := do("PUT", "/faults", `[{"workload":"reviews-v2","rate":0.2}]`); code != 400 || !strings.Contains(body, `unknown field "rate"`) {
		t.Errorf("PUT an unknown field: %d %q, want 400 naming it", code, body)
	}
	if code, body := do("PUT", "/faults", `[{"cluster":"a","namespace":"default","workload":"reviews-v2","errorRate":0.2,"latencyMs":300}]`); code != 200 {
		t.Errorf("PUT a valid fault: %d %q", code, body)
	}
	code, body := do("GET", "/faults", "")
	var faults []Fault
	if err := json.Unmarshal([]byte(body), &faults); code != 200 || err != nil || len(faults) != 1 || faults[0].ErrorRate != 0.2 || faults[0].LatencyMs != 300 {
		t.Errorf("GET /faults after PUT: %d %s (%v)", code, body, err)
	}
	if code, body := do("PUT", "/faults", `[]`); code != 200 || len(g.Faults()) != 0 {
		t.Errorf("PUT [] clears the faults: %d %q, %d left", code, body, len(g.Faults()))
	}

	code, body = do("GET", "/routes", "")
	var routes Routes
	if err := json.Unmarshal([]byte(body), &routes); code != 200 || err != nil {
		t.Fatalf("GET /routes: %d %v\n%s", code, err, body)
	}
	if len(routes.Flows) != 2 || routes.Flows[0].Workload != "reviews-v1" || routes.Flows[0].RPS != 18 || routes.Flows[1].Weight != 10 {
		t.Errorf("routes %+v, want reviews-v1 at 18 rps and reviews-v2 with weight 10", routes.Flows)
	}
	if len(routes.Members) != 1 || !routes.Members[0].Synced {
		t.Errorf("members %+v, want a synced", routes.Members)
	}

	code, body = do("GET", "/metrics", "")
	for _, want := range []string{
		`istio_requests_total{destination_cluster="a",destination_service="reviews.default.svc.cluster.local",destination_service_name="reviews",destination_service_namespace="default",destination_version="v1",destination_workload="reviews-v1",destination_workload_namespace="default",reporter="destination",request_protocol="http",response_code="200",source_cluster="a"} 18`,
		`istio_request_duration_milliseconds_bucket{`,
		`le="3.6e+06"`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	if code, _ := do("GET", "/healthz", ""); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
}
