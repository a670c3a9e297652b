package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestScrapeConfigWithKwoks(t *testing.T) {
	tests := []struct {
		name    string
		scrape  Scrape
		want    []string
		wantErr string
	}{
		{
			name: "each member's kwok is a job of its own found through kwok's discovery, refreshed every 5s, labelled with its cluster and node",
			scrape: Scrape{Targets: []string{"127.0.0.1:9101"}, Kwoks: []Kwok{
				{Cluster: "north", Address: "127.0.0.1:7001"},
				{Cluster: "south", Address: "127.0.0.1:7002"},
			}},
			want: []string{
				"job_name: kurator", "- 127.0.0.1:9101",
				"job_name: kwok-north", "url: http://127.0.0.1:7001/discovery/prometheus", "refresh_interval: 5s",
				"job_name: kwok-south", "url: http://127.0.0.1:7002/discovery/prometheus",
				"replacement: north", "replacement: north/$1", "target_label: cluster", "target_label: node",
				"regex: /metrics/nodes/([^/]+)/metrics/resource",
			},
		},
		{
			name:    "a kwok without a cluster name is refused with what to give",
			scrape:  Scrape{Kwoks: []Kwok{{Address: "127.0.0.1:7001"}}},
			wantErr: `kwok scrape target "127.0.0.1:7001" has no cluster name`,
		},
		{
			name:    "a kwok address without a port is refused naming the cluster",
			scrape:  Scrape{Kwoks: []Kwok{{Cluster: "north", Address: "localhost"}}},
			wantErr: `kwok scrape target of cluster north: address "localhost": want host:port`,
		},
		{
			name:    "one cluster given twice is refused",
			scrape:  Scrape{Kwoks: []Kwok{{Cluster: "north", Address: "127.0.0.1:1"}, {Cluster: "north", Address: "127.0.0.1:2"}}},
			wantErr: "kwok scrape target of cluster north is given twice",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.scrape.Config()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parsed map[string]any
			if err := yaml.Unmarshal(got, &parsed); err != nil {
				t.Fatalf("config is not YAML: %v\n%s", err, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			// Prometheus' own checker accepts it, when installed.
			if promtool, err := exec.LookPath("promtool"); err == nil {
				file := filepath.Join(t.TempDir(), "prometheus.yml")
				if err := os.WriteFile(file, got, 0o600); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(promtool, "check", "config", file).CombinedOutput(); err != nil {
					t.Fatalf("promtool check config: %v\n%s\n%s", err, out, got)
				}
			}
		})
	}
}

// fakeKwok serves kwok's discovery (one target per node, the node's path in
// __metrics_path__) and a usage gauge per node, on one address as kwok does.
type fakeKwok struct {
	mu    sync.Mutex
	nodes []string
}

func (f *fakeKwok) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	nodes := slices.Clone(f.nodes)
	f.mu.Unlock()
	if r.URL.Path == kwokDiscovery {
		type group struct {
			Targets []string          `json:"targets"`
			Labels  map[string]string `json:"labels"`
		}
		groups := []group{}
		for _, n := range nodes {
			groups = append(groups, group{Targets: []string{r.Host}, Labels: map[string]string{
				"metrics_name": "metrics-resource", "__scheme__": "http",
				"__metrics_path__": "/metrics/nodes/" + n + "/metrics/resource",
			}})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(groups)
		return
	}
	for _, n := range nodes {
		if r.URL.Path == "/metrics/nodes/"+n+"/metrics/resource" {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprintf(w, "# TYPE node_memory_working_set_bytes gauge\nnode_memory_working_set_bytes 42\n")
			return
		}
	}
	http.NotFound(w, r)
}

func (f *fakeKwok) add(node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes = append(f.nodes, node)
}

// TestKwokNodesAreScrapedWithClusterAndNode runs the real server against a
// kwok-like discovery: every node's series carries cluster and node (and no
// metrics_name), and a node kwok lists later is scraped after the next
// discovery refresh.
func TestKwokNodesAreScrapedWithClusterAndNode(t *testing.T) {
	needBinary(t)
	kwok := &fakeKwok{nodes: []string{"north-node-0", "north-node-1"}}
	srv := httptest.NewServer(kwok)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	s, err := Start(ctx, Options{Dir: dir, Kwoks: []Kwok{{Cluster: "north", Address: hostPort(srv.URL)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := WaitTargets(wctx, s.URL, map[string]int{KwokJobPrefix + "north": 2}); err != nil {
		t.Fatal(err)
	}
	// Once both targets are up their series are there: no polling.
	const query = `node_memory_working_set_bytes{cluster="north"}`
	if got, want := seriesLabels(ctx, s.URL, query), []string{"north/north-node-0/north-node-0/", "north/north-node-1/north-node-1/"}; !slices.Equal(got, want) {
		t.Fatalf("series %v right after the targets were up, want %v", got, want)
	}
	short, scancel := context.WithTimeout(ctx, time.Second)
	defer scancel()
	if err := WaitTargets(short, s.URL, map[string]int{KwokJobPrefix + "north": 3}); err == nil || !strings.Contains(err.Error(), "kwok-north 2/3") {
		t.Errorf("waiting for a third target: error %v, want one saying kwok-north 2/3", err)
	}
	kwok.add("north-node-2")
	// One discovery refresh (5s) and one scrape (1s), with slack.
	waitLabels(ctx, t, s.URL, query, []string{"north/north-node-0/north-node-0/", "north/north-node-1/north-node-1/", "north/north-node-2/north-node-2/"}, 3*KwokRefresh)
}

// waitLabels polls query until its series' "cluster/node/instance-node/metrics_name"
// strings are want.
func waitLabels(ctx context.Context, t *testing.T, base, query string, want []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last []string
	for time.Now().Before(deadline) {
		last = seriesLabels(ctx, base, query)
		if slices.Equal(last, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("query %s: series %v after %s, want %v", query, last, within, want)
}

func seriesLabels(ctx context.Context, base, query string) []string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(query), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return []string{err.Error()}
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, s := range r.Data.Result {
		m := s.Metric
		out = append(out, m["cluster"]+"/"+m["node"]+"/"+strings.TrimPrefix(m["instance"], m["cluster"]+"/")+"/"+m["metrics_name"])
	}
	slices.Sort(out)
	return out
}
