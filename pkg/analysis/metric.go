// Package analysis holds the pure parts of rollout analysis: the metrics a
// rollout checks (built-in Istio queries and custom PromQL templates), how
// a query is rendered for one cluster, how a query result is judged against
// a threshold range, and the shapes of Flagger-compatible webhooks.
//
// Nothing here does I/O or reads a clock: internal/analysis runs the queries
// against Prometheus and calls the webhooks; the rollout state machine
// decides what a verdict means for the rollout.
package analysis

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Built-in metric names (Flagger's Istio built-ins).
const (
	// RequestSuccessRate is the percentage (0-100) of requests to the
	// target that did not answer 5xx.
	RequestSuccessRate = "request-success-rate"
	// RequestDuration is the 99th percentile of the target's request
	// duration, in milliseconds.
	RequestDuration = "request-duration"
)

// DefaultInterval is the range a metric query looks back over when neither
// the metric nor the caller sets one (Flagger's default).
const DefaultInterval = time.Minute

// MinInterval is the shortest metric interval accepted: below it Istio's
// counters (and a 1s-15s scrape interval) give rates from too few samples.
const MinInterval = 10 * time.Second

// Metric is one check of a rollout's analysis.
type Metric struct {
	// Name is a built-in name (RequestSuccessRate, RequestDuration) or the
	// user's name for a custom query.
	Name string
	// Query is a custom PromQL template (see Render). When set it is used
	// even if Name is a built-in name: the user wrote it on purpose.
	Query string
	// Interval is the range the query looks back over ({{ interval }});
	// 0 means the caller's Vars.Interval, then DefaultInterval.
	Interval time.Duration
	// Min and Max bound the accepted values (inclusive); nil is unbounded.
	// Neither set means any value passes once data exists.
	Min, Max *float64
}

// Vars are the values a query template can use.
type Vars struct {
	// Name is the rollout's name ({{ name }}).
	Name string
	// Cluster is the member cluster the check is for ({{ cluster }}). With
	// one global Prometheus for the fleet every series carries the cluster
	// in a label, and the built-ins filter on destination_cluster.
	Cluster string
	// Namespace is the target workload's namespace ({{ namespace }}).
	Namespace string
	// Target is the workload whose pods are checked, usually the canary
	// ({{ target }}); the built-ins use it as a regular expression.
	Target string
	// Service is the target's Service ({{ service }}).
	Service string
	// Interval is the look-back range when the metric does not set one.
	Interval time.Duration
	// Extra are user variables ({{ variables.key }}).
	Extra map[string]string
}

// IsBuiltin reports whether name is a built-in metric.
func IsBuiltin(name string) bool {
	return name == RequestSuccessRate || name == RequestDuration
}

// Istio's request metrics, as seen by the receiving side (the target's own
// sidecar), of the target's pods only.
const (
	istioSelector = `reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"`
	// The cluster filter is added only when a cluster is set, so the same
	// built-ins work against a Prometheus per cluster (no cluster label).
	istioClusterSelector = `{{ if cluster }},destination_cluster="{{ cluster }}"{{ end }}`

	// The non-5xx side falls back to 0 so that a target answering only 5xx
	// reads 0% (a failed check with a value), not "no data". Without any
	// request the denominator is empty, and so is the result: no data.
	successRateQuery = `(sum(rate(istio_requests_total{` + istioSelector + istioClusterSelector + `,response_code!~"5.*"}[{{ interval }}])) or vector(0))` +
		` / sum(rate(istio_requests_total{` + istioSelector + istioClusterSelector + `}[{{ interval }}])) * 100`

	// Without requests every bucket's rate is 0 and histogram_quantile
	// answers NaN: no data.
	durationQuery = `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{` +
		istioSelector + istioClusterSelector + `}[{{ interval }}])))`
)

// QueryTemplate returns the template a metric runs: its own query, or the
// built-in one. It is empty for a metric that is neither.
func QueryTemplate(m Metric) string {
	if m.Query != "" {
		return m.Query
	}
	switch m.Name {
	case RequestSuccessRate:
		return successRateQuery
	case RequestDuration:
		return durationQuery
	}
	return ""
}

// templateFuncs are the functions a query template can call, in Flagger's
// style ({{ namespace }}), so Flagger MetricTemplate queries carry over.
// Parsing needs the names only; Render binds them to the values.
func templateFuncs(v Vars, interval time.Duration) template.FuncMap {
	return template.FuncMap{
		"name":      func() string { return v.Name },
		"cluster":   func() string { return v.Cluster },
		"namespace": func() string { return v.Namespace },
		"target":    func() string { return v.Target },
		"service":   func() string { return v.Service },
		"interval":  func() string { return PromDuration(interval) },
		"variables": func() map[string]string { return v.Extra },
	}
}

// TemplateFunctions lists the functions a query template can call.
func TemplateFunctions() []string {
	names := make([]string, 0, 7)
	for n := range templateFuncs(Vars{}, 0) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// templateData is the template's dot, so {{ .Namespace }} works as well as
// {{ namespace }}. Variables is a map: a missing key is an error.
type templateData struct {
	Name, Cluster, Namespace, Target, Service, Interval string
	Variables                                           map[string]string
}

func parse(m Metric, funcs template.FuncMap) (*template.Template, error) {
	text := QueryTemplate(m)
	t, err := template.New(m.Name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("metric %q: query template does not parse: %w (functions are %s, called as {{ namespace }})",
			m.Name, err, strings.Join(TemplateFunctions(), ", "))
	}
	return t, nil
}

// Render returns the PromQL the metric runs for the given values. The query
// is a Go text/template; see TemplateFunctions for the functions. A user
// variable that is not set is an error, not an empty string.
func Render(m Metric, v Vars) (string, error) {
	if QueryTemplate(m) == "" {
		return "", notDefined(m)
	}
	interval := m.Interval
	if interval <= 0 {
		interval = v.Interval
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	funcs := templateFuncs(v, interval)
	t, err := parse(m, funcs)
	if err != nil {
		return "", err
	}
	extra := v.Extra
	if extra == nil {
		extra = map[string]string{}
	}
	data := templateData{Name: v.Name, Cluster: v.Cluster, Namespace: v.Namespace, Target: v.Target,
		Service: v.Service, Interval: PromDuration(interval), Variables: extra}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("metric %q: render query: %w (set the variable in the metric's templateVariables, or remove it from the query)", m.Name, err)
	}
	return b.String(), nil
}

func notDefined(m Metric) error {
	return fmt.Errorf("metric %q is neither built in (%s, %s) nor has a query: set customMetric to a PromQL query or use a built-in name",
		m.Name, RequestSuccessRate, RequestDuration)
}

// Validate checks a metric as admission does: a name, a query or a built-in
// name, min <= max, an interval of at least MinInterval (or 0 for the
// default), and a query template that parses.
func Validate(m Metric) error {
	var errs []error
	if m.Name == "" {
		errs = append(errs, errors.New("metric has no name: set name to a built-in metric or a name of your own"))
	}
	if QueryTemplate(m) == "" && m.Name != "" {
		errs = append(errs, notDefined(m))
	}
	if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
		errs = append(errs, fmt.Errorf("metric %q: thresholdRange min %s is above max %s: swap them or drop one",
			m.Name, formatFloat(*m.Min), formatFloat(*m.Max)))
	}
	if m.Interval != 0 && m.Interval < MinInterval {
		errs = append(errs, fmt.Errorf("metric %q: interval %s is below %s: set intervalSeconds to 10 or more",
			m.Name, m.Interval, MinInterval))
	}
	if QueryTemplate(m) != "" {
		if _, err := parse(m, templateFuncs(Vars{}, 0)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PromDuration formats d as a Prometheus duration: 30s, 1m, 1m30s, 1h,
// 500ms. Anything below a millisecond is dropped; 0 is "0s".
func PromDuration(d time.Duration) string {
	ms := d.Milliseconds()
	if ms <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit string
		ms   int64
	}{{"h", 3600_000}, {"m", 60_000}, {"s", 1000}, {"ms", 1}} {
		if n := ms / u.ms; n > 0 {
			b.WriteString(strconv.FormatInt(n, 10))
			b.WriteString(u.unit)
			ms -= n * u.ms
		}
	}
	return b.String()
}

// formatFloat writes a threshold as the user wrote it: 99, 99.5, 0.001.
func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
