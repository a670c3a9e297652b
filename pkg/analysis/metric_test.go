package analysis

import (
	"strings"
	"testing"
	"time"
)

func ptr(f float64) *float64 { return &f }

func TestRender(t *testing.T) {
	hz := Vars{Cluster: "cluster-hangzhou", Namespace: "bookinfo", Target: "reviews", Service: "reviews",
		Name: "reviews-rollout", Interval: 30 * time.Second}
	cases := []struct {
		name    string
		m       Metric
		v       Vars
		want    string
		wantErr string
	}{
		{name: "success rate for one cluster filters on destination_cluster and falls back to 0 for all-5xx",
			m: Metric{Name: RequestSuccessRate}, v: hz,
			want: `(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="bookinfo",destination_workload=~"reviews",destination_cluster="cluster-hangzhou",response_code!~"5.*"}[30s])) or vector(0))` +
				` / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="bookinfo",destination_workload=~"reviews",destination_cluster="cluster-hangzhou"}[30s])) * 100`},
		{name: "success rate without a cluster has no cluster filter and the default 1m interval",
			m: Metric{Name: RequestSuccessRate}, v: Vars{Namespace: "ns", Target: "app"},
			want: `(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="ns",destination_workload=~"app",response_code!~"5.*"}[1m])) or vector(0))` +
				` / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="ns",destination_workload=~"app"}[1m])) * 100`},
		{name: "request duration is the p99 of the cluster's buckets; the metric's interval beats the caller's",
			m: Metric{Name: RequestDuration, Interval: 90 * time.Second}, v: hz,
			want: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="bookinfo",destination_workload=~"reviews",destination_cluster="cluster-hangzhou"}[1m30s])))`},
		{name: "a Flagger MetricTemplate query in function style renders unchanged",
			m:    Metric{Name: "error-rate", Query: `sum(rate(http_requests_total{namespace="{{ namespace }}",pod=~"{{ target }}-.*",svc="{{ service }}",c="{{ cluster }}",r="{{ name }}"}[{{ interval }}]))`},
			v:    hz,
			want: `sum(rate(http_requests_total{namespace="bookinfo",pod=~"reviews-.*",svc="reviews",c="cluster-hangzhou",r="reviews-rollout"}[30s]))`},
		{name: "field style works too",
			m:    Metric{Name: "f", Query: `{{ .Namespace }}/{{ .Target }}/{{ .Cluster }}/{{ .Interval }}/{{ .Variables.code }}`},
			v:    Vars{Namespace: "a", Target: "b", Cluster: "c", Interval: time.Minute, Extra: map[string]string{"code": "404"}},
			want: `a/b/c/1m/404`},
		{name: "user variables are read with variables.key",
			m:    Metric{Name: "v", Query: `x{code="{{ variables.code }}"}`},
			v:    Vars{Extra: map[string]string{"code": "503"}},
			want: `x{code="503"}`},
		{name: "a custom query wins over a built-in name",
			m:    Metric{Name: RequestSuccessRate, Query: `vector(99)`},
			want: `vector(99)`},
		{name: "a variable that is not set is an error naming it",
			m:       Metric{Name: "v", Query: `x{code="{{ variables.code }}"}`},
			v:       Vars{Extra: map[string]string{"other": "1"}},
			wantErr: `"code"`},
		{name: "a variable with no variables at all is an error",
			m:       Metric{Name: "v", Query: `x{code="{{ variables.code }}"}`},
			wantErr: `"code"`},
		{name: "an unknown function is an error naming it and listing the known ones",
			m:       Metric{Name: "ing", Query: `x{i="{{ ingress }}"}`},
			wantErr: `function "ingress" not defined`},
		{name: "a metric with neither built-in name nor query is an error with the fix",
			m:       Metric{Name: "latency"},
			wantErr: "set customMetric",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Render(c.m, c.v)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Render error = %v, want one containing %q (output %q)", err, c.wantErr, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != c.want {
				t.Fatalf("Render =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestUnknownFunctionErrorListsKnownOnes(t *testing.T) {
	_, err := Render(Metric{Name: "x", Query: `{{ route }}`}, Vars{})
	if err == nil {
		t.Fatal("no error for an unknown function")
	}
	for _, f := range TemplateFunctions() {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not list function %q", err, f)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		m       Metric
		wantErr []string // every fragment must appear; none means valid
	}{
		{name: "a built-in without range is valid", m: Metric{Name: RequestSuccessRate}},
		{name: "a built-in with a 10s interval and min = max is valid", m: Metric{Name: RequestDuration, Interval: 10 * time.Second, Min: ptr(5), Max: ptr(5)}},
		{name: "a custom query is valid", m: Metric{Name: "errors", Query: `sum(x{ns="{{ namespace }}"})`, Max: ptr(1)}},
		{name: "no name is refused", m: Metric{Query: "vector(1)"}, wantErr: []string{"no name"}},
		{name: "neither built in nor a query is refused with the fix", m: Metric{Name: "latency"},
			wantErr: []string{`"latency"`, "neither built in", "set customMetric"}},
		{name: "min above max is refused naming both", m: Metric{Name: RequestSuccessRate, Min: ptr(99.5), Max: ptr(90)},
			wantErr: []string{"min 99.5 is above max 90"}},
		{name: "an interval of 5s is refused", m: Metric{Name: RequestSuccessRate, Interval: 5 * time.Second},
			wantErr: []string{"interval 5s is below 10s", "intervalSeconds"}},
		{name: "a template that does not parse is refused", m: Metric{Name: "bad", Query: `x{{ namespace `},
			wantErr: []string{`"bad"`, "does not parse"}},
		{name: "an unknown template function is refused", m: Metric{Name: "bad", Query: `x{{ ingress }}`},
			wantErr: []string{`function "ingress" not defined`}},
		{name: "every problem is reported at once", m: Metric{Name: "both", Min: ptr(2), Max: ptr(1), Interval: time.Second},
			wantErr: []string{"neither built in", "above max", "below 10s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.m)
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors containing %q", c.wantErr)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestIsBuiltin(t *testing.T) {
	for name, want := range map[string]bool{RequestSuccessRate: true, RequestDuration: true, "request-count": false, "": false} {
		if got := IsBuiltin(name); got != want {
			t.Errorf("IsBuiltin(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPromDuration(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {-time.Second, "0s"}, {30 * time.Second, "30s"}, {time.Minute, "1m"}, {90 * time.Second, "1m30s"},
		{time.Hour + time.Second, "1h1s"}, {1500 * time.Millisecond, "1s500ms"}, {time.Microsecond, "0s"},
	}
	for _, c := range cases {
		if got := PromDuration(c.d); got != c.want {
			t.Errorf("PromDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
