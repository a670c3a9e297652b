// Package fleetmetrics reads the fleet's resource usage from Prometheus'
// HTTP API: range queries for the windows and history scaling decisions
// need, instant queries for the latest values, and the per-pod usage a
// fleet-wide HPA averages. Every series is keyed by its cluster label (the
// local fleet's Prometheus adds cluster="<member>" to every member's kwok
// series; any Prometheus that labels members the same way works).
//
// A Client counts the queries it sends, in total and per context
// (CountQueries), so a controller can report the queries one evaluation
// cost.
package fleetmetrics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/kurator-go/kurator/pkg/autoscale"
)

// ClusterLabel is the label that names a series' member cluster.
const ClusterLabel = "cluster"

// DefaultTimeout bounds one query when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultRateWindow is the window of rate() over CPU counters when
// Options.RateWindow is 0: 20 samples at the local fleet's 1 s scrape.
const DefaultRateWindow = 20 * time.Second

// Sample is one value of a series at one time: pkg/autoscale's, so range
// answers go to its window judgement and forecasts unconverted.
type Sample = autoscale.Sample

// Options say how to reach a Prometheus and how to read usage.
type Options struct {
	// Timeout bounds each query (client side and Prometheus' own query
	// timeout); 0 is DefaultTimeout.
	Timeout time.Duration
	// RateWindow is the window of rate() over CPU counters (PodUsage and
	// the query builders); 0 is DefaultRateWindow. Give at least four
	// scrape intervals of the Prometheus (1m for one scraping every 15s).
	RateWindow time.Duration
	// BearerToken, when set, is sent as "Authorization: Bearer ...".
	BearerToken string
	// InsecureSkipVerify accepts any server certificate (https only).
	InsecureSkipVerify bool
}

// Client queries one Prometheus. It is safe for concurrent use.
type Client struct {
	address string
	timeout time.Duration
	window  time.Duration
	api     promv1.API
	queries atomic.Int64
	failed  atomic.Int64
}

// New returns a client of the Prometheus at address (an http or https URL,
// e.g. http://127.0.0.1:9090). It sends nothing yet.
func New(address string, opts Options) (*Client, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus address %q is not an http(s) URL: give it like http://prometheus.monitoring:9090", address)
	}
	transport := api.DefaultRoundTripper.(*http.Transport).Clone()
	if opts.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for
	}
	var rt http.RoundTripper = transport
	if opts.BearerToken != "" {
		rt = bearer{next: rt, token: opts.BearerToken}
	}
	client, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", address, err)
	}
	c := &Client{address: address, timeout: opts.Timeout, window: opts.RateWindow, api: promv1.NewAPI(client)}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.window <= 0 {
		c.window = DefaultRateWindow
	}
	return c, nil
}

type bearer struct {
	next  http.RoundTripper
	token string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// Address is the Prometheus URL this client talks to.
func (c *Client) Address() string { return c.address }

// RateWindow is the window of rate() this client's usage queries use.
func (c *Client) RateWindow() time.Duration { return c.window }

// Stats counts the queries a client sent since it was created.
type Stats struct {
	Queries int64 // every query sent
	Failed  int64 // queries that returned an error
}

// Stats returns how many queries were sent and how many failed.
func (c *Client) Stats() Stats {
	return Stats{Queries: c.queries.Load(), Failed: c.failed.Load()}
}

// Counter counts the queries sent with a context from CountQueries.
type Counter struct{ n atomic.Int64 }

// Queries is how many queries were sent so far.
func (q *Counter) Queries() int64 { return q.n.Load() }

type counterKey struct{}

// CountQueries returns a context whose queries (through any Client) are
// counted by the returned Counter, e.g. for one policy evaluation. Nested
// calls count into every enclosing Counter.
func CountQueries(ctx context.Context) (context.Context, *Counter) {
	q := &Counter{}
	parents, _ := ctx.Value(counterKey{}).([]*Counter)
	all := append(append(make([]*Counter, 0, len(parents)+1), parents...), q)
	return context.WithValue(ctx, counterKey{}, all), q
}

func (c *Client) count(ctx context.Context) {
	c.queries.Add(1)
	counters, _ := ctx.Value(counterKey{}).([]*Counter)
	for _, q := range counters {
		q.n.Add(1)
	}
}

// Range runs a range query from start to end every step and returns each
// series' samples keyed by its cluster label ("" for a series without one).
// Two series with one cluster are an error: aggregate the query by
// (cluster). An empty map means Prometheus answered with no series (no
// data, not zero); an unreachable Prometheus or a bad query is an error
// that names the address and the query.
func (c *Client) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (map[string][]Sample, error) {
	if step <= 0 {
		return nil, fmt.Errorf("range query %s on prometheus %s: step %s: give a positive step (e.g. the scrape interval)", query, c.address, step)
	}
	if end.Before(start) {
		return nil, fmt.Errorf("range query %s on prometheus %s: end %s is before start %s", query, c.address, end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	value, err := c.do(ctx, query, func(ctx context.Context) (model.Value, promv1.Warnings, error) {
		return c.api.QueryRange(ctx, query, promv1.Range{Start: start, End: end, Step: step}, promv1.WithTimeout(c.timeout))
	})
	if err != nil {
		return nil, err
	}
	matrix, ok := value.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query %s on prometheus %s returned a %s, not a matrix", query, c.address, value.Type())
	}
	out := make(map[string][]Sample, len(matrix))
	for _, s := range matrix {
		cluster := string(s.Metric[ClusterLabel])
		if _, dup := out[cluster]; dup {
			return nil, c.duplicate(query, cluster, s.Metric)
		}
		samples := make([]Sample, len(s.Values))
		for i, p := range s.Values {
			samples[i] = Sample{T: p.Timestamp.Time(), V: float64(p.Value)}
		}
		out[cluster] = samples
	}
	return out, nil
}

// Instant runs an instant query at time at (zero: Prometheus' now) and
// returns each series' value keyed by its cluster label, with the same
// rules as Range. A scalar answer is keyed "".
func (c *Client) Instant(ctx context.Context, query string, at time.Time) (map[string]float64, error) {
	vector, err := c.vector(ctx, query, at)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(vector))
	for _, s := range vector {
		cluster := string(s.Metric[ClusterLabel])
		if _, dup := out[cluster]; dup {
			return nil, c.duplicate(query, cluster, s.Metric)
		}
		out[cluster] = float64(s.Value)
	}
	return out, nil
}

// vector runs an instant query and returns its series; a scalar is one
// series without labels.
func (c *Client) vector(ctx context.Context, query string, at time.Time) (model.Vector, error) {
	value, err := c.do(ctx, query, func(ctx context.Context) (model.Value, promv1.Warnings, error) {
		return c.api.Query(ctx, query, at, promv1.WithTimeout(c.timeout))
	})
	if err != nil {
		return nil, err
	}
	switch v := value.(type) {
	case model.Vector:
		return v, nil
	case *model.Scalar:
		return model.Vector{{Metric: model.Metric{}, Value: v.Value, Timestamp: v.Timestamp}}, nil
	default:
		return nil, fmt.Errorf("instant query %s on prometheus %s returned a %s, not a vector: write a query without a [range] at the top level", query, c.address, value.Type())
	}
}

func (c *Client) duplicate(query, cluster string, m model.Metric) error {
	return fmt.Errorf("query %s on prometheus %s returned several series for cluster %q (one is %s): aggregate it, e.g. sum by (%s) (...)", query, c.address, cluster, m, ClusterLabel)
}

// do sends one query, counted, bounded by the timeout, and turns its
// failure into an error that names the address and the query.
func (c *Client) do(ctx context.Context, query string, send func(context.Context) (model.Value, promv1.Warnings, error)) (model.Value, error) {
	c.count(ctx)
	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	value, _, err := send(qctx)
	if err != nil {
		c.failed.Add(1)
		return nil, fmt.Errorf("query %s on prometheus %s: %w", query, c.address, describe(err, c.timeout))
	}
	return value, nil
}

// describe says what a query error means for the user.
func describe(err error, timeout time.Duration) error {
	var apiErr *promv1.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Type == promv1.ErrBadData:
		return fmt.Errorf("not valid PromQL: %s", apiErr.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	case errors.As(err, new(*url.Error)):
		return fmt.Errorf("prometheus is unreachable (is it running, and is the address right?): %w", err)
	}
	return err
}
