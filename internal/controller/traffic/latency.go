package traffic

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/kurator-go/kurator/internal/analysis"
	core "github.com/kurator-go/kurator/pkg/analysis"
)

// prometheusLatency answers p99 queries with the built-in request-duration
// metric (Istio's histogram, filtered on destination_cluster), one client
// per Prometheus address.
type prometheusLatency struct {
	mu      sync.Mutex
	clients map[string]*analysis.Prometheus
}

func (p *prometheusLatency) P99(ctx context.Context, address, cluster, namespace, workload string, window time.Duration, at time.Time) (float64, bool, error) {
	prom, err := p.client(address)
	if err != nil {
		return 0, false, err
	}
	m := core.Metric{Name: core.RequestDuration, Interval: window}
	promql, err := core.Render(m, core.Vars{Cluster: cluster, Namespace: namespace, Target: workload, Interval: window})
	if err != nil {
		return 0, false, fmt.Errorf("render %s for %s: %w", core.RequestDuration, cluster, err)
	}
	res := prom.Query(ctx, promql, at)
	if res.Err != nil {
		return 0, false, res.Err
	}
	if !res.Found || math.IsNaN(res.Value) {
		return 0, false, nil
	}
	return res.Value, true, nil
}

func (p *prometheusLatency) client(address string) (*analysis.Prometheus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[address]; ok {
		return c, nil
	}
	c, err := analysis.NewPrometheus(address, analysis.PrometheusOptions{})
	if err != nil {
		return nil, err
	}
	if p.clients == nil {
		p.clients = map[string]*analysis.Prometheus{}
	}
	p.clients[address] = c
	return c, nil
}
