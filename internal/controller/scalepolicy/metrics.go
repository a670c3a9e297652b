package scalepolicy

import (
	"context"
	"sync"
	"time"

	"github.com/kurator-go/kurator/internal/fleetmetrics"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// metricsReader is what an evaluation asks of a Prometheus: a range of
// samples per cluster.
type metricsReader interface {
	Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (map[string][]autoscale.Sample, error)
}

// metricsClients holds one client per Prometheus address: the manager's,
// and any a trigger names.
type metricsClients struct {
	fallback string
	mu       sync.Mutex
	byAddr   map[string]*promReader
}

func newMetricsClients(fallback string) *metricsClients {
	return &metricsClients{fallback: fallback, byAddr: map[string]*promReader{}}
}

// For returns the reader of address (the manager's when empty), nil when
// there is none.
func (m *metricsClients) For(address string) metricsReader {
	if address == "" {
		address = m.fallback
	}
	if address == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.byAddr[address]; ok {
		return r
	}
	c, err := fleetmetrics.New(address, fleetmetrics.Options{})
	r := &promReader{c: c, err: err}
	m.byAddr[address] = r
	return r
}

// promReader is a client, or the error that made one impossible (an
// address that is not a URL), reported on every query.
type promReader struct {
	c   *fleetmetrics.Client
	err error
}

func (r *promReader) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (map[string][]autoscale.Sample, error) {
	if r.err != nil {
		return nil, r.err
	}
	return r.c.Range(ctx, query, start, end, step)
}
