// Package analysis is the I/O side of rollout analysis: it runs the queries
// pkg/analysis renders against Prometheus's HTTP API and calls webhooks.
// Judging what came back stays in pkg/analysis.
package analysis

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

	core "github.com/kurator-go/kurator/pkg/analysis"
)

// DefaultQueryTimeout bounds one query when PrometheusOptions.Timeout is 0.
const DefaultQueryTimeout = 10 * time.Second

// PrometheusOptions say how to reach a Prometheus.
type PrometheusOptions struct {
	// Timeout bounds each query (client side and Prometheus's own query
	// timeout); 0 is DefaultQueryTimeout.
	Timeout time.Duration
	// BearerToken, when set, is sent as "Authorization: Bearer ...".
	BearerToken string
	// Username and Password, when Username is set, are sent as basic auth.
	// BearerToken wins when both are set.
	Username, Password string
	// InsecureSkipVerify accepts any server certificate (https only).
	InsecureSkipVerify bool
}

// QueryStats counts the queries a Prometheus answered or failed, since it
// was created.
type QueryStats struct {
	Queries int64 // every query sent
	Failed  int64 // queries that returned an error (Result.Err set)
}

// Prometheus runs instant queries against one Prometheus server. It is safe
// for concurrent use.
type Prometheus struct {
	address string
	timeout time.Duration
	api     promv1.API
	queries atomic.Int64
	failed  atomic.Int64
}

// NewPrometheus returns a querier for the Prometheus at address (an http
// or https URL, e.g. http://127.0.0.1:9090).
func NewPrometheus(address string, opts PrometheusOptions) (*Prometheus, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus address %q is not an http(s) URL: set it like http://prometheus.monitoring:9090", address)
	}
	transport := api.DefaultRoundTripper.(*http.Transport).Clone()
	if opts.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	var rt http.RoundTripper = transport
	switch {
	case opts.BearerToken != "":
		rt = authRoundTripper{next: rt, set: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+opts.BearerToken) }}
	case opts.Username != "":
		rt = authRoundTripper{next: rt, set: func(r *http.Request) { r.SetBasicAuth(opts.Username, opts.Password) }}
	}
	client, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", address, err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}
	return &Prometheus{address: address, timeout: timeout, api: promv1.NewAPI(client)}, nil
}

// authRoundTripper sets credentials on a copy of each request (a
// RoundTripper must not change the caller's request).
type authRoundTripper struct {
	next http.RoundTripper
	set  func(*http.Request)
}

func (a authRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	a.set(r)
	return a.next.RoundTrip(r)
}

// Address is the Prometheus URL this querier talks to.
func (p *Prometheus) Address() string { return p.address }

// Stats returns how many queries were sent and how many failed.
func (p *Prometheus) Stats() QueryStats {
	return QueryStats{Queries: p.queries.Load(), Failed: p.failed.Load()}
}

// Query runs an instant query at time at (zero: Prometheus's now).
//
//   - A vector answer gives its sample's value; an empty vector gives
//     Found=false. With several series the last one wins, as in Flagger,
//     and a warning says so: aggregate the query (sum, max) to choose.
//   - A scalar answer gives its value.
//   - Anything else (a range vector, a string) is an error.
//   - NaN is returned as is, with Found=true: pkg/analysis.Judge treats it
//     as no data.
//
// Prometheus's warnings are returned in Result.Warnings and do not fail the
// query.
func (p *Prometheus) Query(ctx context.Context, promql string, at time.Time) core.Result {
	p.queries.Add(1)
	r := p.query(ctx, promql, at)
	if r.Err != nil {
		p.failed.Add(1)
	}
	return r
}

func (p *Prometheus) query(ctx context.Context, promql string, at time.Time) core.Result {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	value, warnings, err := p.api.Query(ctx, promql, at, promv1.WithTimeout(p.timeout))
	r := core.Result{Warnings: append([]string(nil), warnings...)}
	if err != nil {
		r.Err = fmt.Errorf("prometheus %s: %w", p.address, describe(err, p.timeout))
		return r
	}
	switch v := value.(type) {
	case model.Vector:
		if len(v) == 0 {
			return r
		}
		if len(v) > 1 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("query returned %d series; the last (%s) was used: aggregate it (sum, max) to choose", len(v), v[len(v)-1].Metric))
		}
		r.Found, r.Value = true, float64(v[len(v)-1].Value)
	case *model.Scalar:
		r.Found, r.Value = true, float64(v.Value)
	default:
		r.Err = fmt.Errorf("prometheus %s: query returned a %s, not a number: write an instant query (no [range] at the top level) that gives one series", p.address, value.Type())
	}
	return r
}

// describe says what a query error means for the user.
func describe(err error, timeout time.Duration) error {
	var apiErr *promv1.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Type == promv1.ErrBadData:
		return fmt.Errorf("the query is not valid PromQL: %s", apiErr.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return err
}
