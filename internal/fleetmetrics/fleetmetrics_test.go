package fleetmetrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI answers /api/v1/query and /api/v1/query_range with body and
// records the queries it got.
type fakeAPI struct {
	mu      sync.Mutex
	status  int
	body    string
	queries []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.queries = append(f.queries, r.Form.Get("query"))
	status, body := f.status, f.body
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func (f *fakeAPI) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) == 0 {
		return ""
	}
	return f.queries[len(f.queries)-1]
}

func serve(t *testing.T, f *fakeAPI) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const matrixTwoClusters = `{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"cluster":"north"},"values":[[1700000000,"0.5"],[1700000001,"0.75"]]},
 {"metric":{"cluster":"south"},"values":[[1700000000,"0.25"]]}]}}`

func TestRange(t *testing.T) {
	start := time.Unix(1700000000, 0)
	tests := []struct {
		name    string
		status  int
		body    string
		step    time.Duration
		end     time.Time
		want    map[string][]Sample
		wantErr []string
	}{
		{
			name: "series are keyed by cluster with their samples in order",
			body: matrixTwoClusters, step: time.Second, end: start.Add(time.Second),
			want: map[string][]Sample{
				"north": {{T: start, V: 0.5}, {T: start.Add(time.Second), V: 0.75}},
				"south": {{T: start, V: 0.25}},
			},
		},
		{
			name: "no series is an empty answer, not an error",
			body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`, step: time.Second, end: start,
			want: map[string][]Sample{},
		},
		{
			name: "two series of one cluster are refused: aggregate by cluster",
			body: `{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"cluster":"north","pod":"a"},"values":[[1700000000,"1"]]},
 {"metric":{"cluster":"north","pod":"b"},"values":[[1700000000,"2"]]}]}}`,
			step: time.Second, end: start,
			wantErr: []string{`several series for cluster "north"`, "sum by (cluster)", "up"},
		},
		{
			name:   "bad PromQL names the query and says it is not valid",
			status: http.StatusBadRequest,
			body:   `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
			step:   time.Second, end: start,
			wantErr: []string{"query up on prometheus http://", "not valid PromQL: parse error at char 3"},
		},
		{
			name: "a zero step is refused before any query",
			step: 0, end: start,
			wantErr: []string{"give a positive step"},
		},
		{
			name: "an end before the start is refused",
			step: time.Second, end: start.Add(-time.Second),
			wantErr: []string{"is before start"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, &fakeAPI{status: tt.status, body: tt.body})
			got, err := c.Range(context.Background(), "up", start, tt.end, tt.step)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one with %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for cluster, want := range tt.want {
				g := got[cluster]
				if len(g) != len(want) {
					t.Fatalf("%s: got %v, want %v", cluster, g, want)
				}
				for i := range want {
					if !g[i].T.Equal(want[i].T) || g[i].V != want[i].V {
						t.Errorf("%s[%d] = %v, want %v", cluster, i, g[i], want[i])
					}
				}
			}
		})
	}
}

func TestInstantKeysVectorByClusterAndScalarByEmpty(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]float64
	}{
		{
			name: "vector by cluster",
			body: `{"status":"success","data":{"resultType":"vector","result":[
 {"metric":{"cluster":"north"},"value":[1700000000,"0.8"]},
 {"metric":{"cluster":"south"},"value":[1700000000,"0.4"]}]}}`,
			want: map[string]float64{"north": 0.8, "south": 0.4},
		},
		{
			name: "scalar under the empty key",
			body: `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}}`,
			want: map[string]float64{"": 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, &fakeAPI{body: tt.body})
			got, err := c.Instant(context.Background(), "x", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%q = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestUnreachablePrometheusIsAnErrorNamingAddressAndQuery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := New(addr, Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Instant(context.Background(), "sum(up)", time.Time{})
	if err == nil {
		t.Fatal("no error from a Prometheus nobody runs")
	}
	for _, w := range []string{addr, "sum(up)", "unreachable"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if s := c.Stats(); s.Queries != 1 || s.Failed != 1 {
		t.Errorf("stats %+v, want 1 query, 1 failed", s)
	}
}

func TestNewRefusesAddressThatIsNotHTTP(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:9090", "ftp://x"} {
		if _, err := New(addr, Options{}); err == nil || !strings.Contains(err.Error(), "http(s) URL") {
			t.Errorf("New(%q) error %v, want one asking for an http(s) URL", addr, err)
		}
	}
}

func TestCountQueriesCountsPerContextAndNested(t *testing.T) {
	c := serve(t, &fakeAPI{body: `{"status":"success","data":{"resultType":"vector","result":[]}}`})
	outer, all := CountQueries(context.Background())
	inner, one := CountQueries(outer)
	for range 2 {
		if _, err := c.Instant(inner, "a", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Instant(outer, "b", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Instant(context.Background(), "c", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if one.Queries() != 2 || all.Queries() != 3 || c.Stats().Queries != 4 {
		t.Errorf("inner %d, outer %d, client %d; want 2, 3, 4", one.Queries(), all.Queries(), c.Stats().Queries)
	}
}

func TestPodUsageKeepsThePodsAskedFor(t *testing.T) {
	f := &fakeAPI{body: `{"status":"success","data":{"resultType":"vector","result":[
 {"metric":{"cluster":"north","pod":"web-1"},"value":[1700000000,"0.08"]},
 {"metric":{"cluster":"north","pod":"web-2"},"value":[1700000000,"0.07"]},
 {"metric":{"cluster":"south","pod":"web-1"},"value":[1700000000,"0.5"]},
 {"metric":{"cluster":"south","pod":"web-3"},"value":[1700000000,"0.06"]}]}}`}
	c := serve(t, f)
	ctx, n := CountQueries(context.Background())
	got, err := c.PodUsage(ctx, CPU, "shop", map[string][]string{"north": {"web-1", "web-2"}, "south": {"web-3"}})
	if err != nil {
		t.Fatal(err)
	}
	// south/web-1 matched the selector (its name is asked for in north)
	// but was not asked for in south.
	want := map[string]map[string]float64{"north": {"web-1": 0.08, "web-2": 0.07}, "south": {"web-3": 0.06}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if n.Queries() != 1 {
		t.Errorf("%d queries, want one for all clusters", n.Queries())
	}
	wantQuery := `sum by (cluster, pod) (rate(pod_cpu_usage_seconds_total{namespace="shop",cluster=~"north|south",pod=~"web-1|web-2|web-3"}[20s]))`
	if f.last() != wantQuery {
		t.Errorf("query\n%s\nwant\n%s", f.last(), wantQuery)
	}
}

func TestPodUsageRefusesBadInputWithoutQuerying(t *testing.T) {
	f := &fakeAPI{}
	c := serve(t, f)
	tests := []struct {
		name      string
		resource  Resource
		namespace string
		wantErr   string
	}{
		{name: "unknown resource", resource: "gpu", namespace: "shop", wantErr: `resource "gpu": give cpu or memory`},
		{name: "empty namespace", resource: CPU, wantErr: "namespace is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PodUsage(context.Background(), tt.resource, tt.namespace, map[string][]string{"north": {"a"}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	if got, err := c.PodUsage(context.Background(), Memory, "shop", nil); err != nil || len(got) != 0 {
		t.Errorf("no pods: got %v, %v; want an empty answer", got, err)
	}
	if f.last() != "" {
		t.Errorf("sent %q, want no query", f.last())
	}
}

func TestPodUsageQuery(t *testing.T) {
	tests := []struct {
		name     string
		resource Resource
		pods     map[string][]string
		window   time.Duration
		want     string
	}{
		{
			name: "memory is the working set, no rate", resource: Memory,
			pods: map[string][]string{"b": {"p"}, "a": {"p"}}, window: time.Minute,
			want: `sum by (cluster, pod) (pod_memory_working_set_bytes{namespace="ns",cluster=~"a|b",pod=~"p"})`,
		},
		{
			name: "cpu is a rate over the window; dots in names are escaped; clusters without pods are left out", resource: CPU,
			pods: map[string][]string{"a": {"x.y"}, "b": nil}, window: 90 * time.Second,
			want: `sum by (cluster, pod) (rate(pod_cpu_usage_seconds_total{namespace="ns",cluster=~"a",pod=~"x\\.y"}[1m30s]))`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PodUsageQuery(tt.resource, "ns", tt.pods, tt.window); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
