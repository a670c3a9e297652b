package analysis

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	core "github.com/kurator-go/kurator/pkg/analysis"
)

// BenchmarkPrometheusCheck is one built-in check (render, instant query to
// a real local Prometheus with a few series, judge), end to end.
func BenchmarkPrometheusCheck(b *testing.B) {
	_, handler := newIstioExporter(
		batch{cluster: "cluster-hangzhou", namespace: "bookinfo", workload: "reviews", ok: 8, failed: 2, latencyMS: 300})
	exporter := httptest.NewServer(handler)
	defer exporter.Close()
	base := startPrometheus(b, strings.TrimPrefix(exporter.URL, "http://"))
	p, err := NewPrometheus(base, PrometheusOptions{})
	if err != nil {
		b.Fatal(err)
	}
	v := core.Vars{Cluster: "cluster-hangzhou", Namespace: "bookinfo", Target: "reviews", Interval: 10 * time.Second}
	for _, name := range []string{core.RequestSuccessRate, core.RequestDuration} {
		q, _ := core.Render(core.Metric{Name: name}, v)
		waitForData(b, p, q)
	}
	for _, name := range []string{core.RequestSuccessRate, core.RequestDuration} {
		b.Run(name, func(b *testing.B) {
			m := core.Metric{Name: name}
			for b.Loop() {
				if verdict, _ := Check(context.Background(), p, m, v, true, time.Time{}); !verdict.Passed {
					b.Fatal(verdict.Message)
				}
			}
		})
	}
}
