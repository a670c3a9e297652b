package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		targets  []string
		want     []string
		wantErr  string
	}{
		{
			name:     "one-second interval is also the timeout and evaluation interval",
			interval: time.Second,
			targets:  []string{"127.0.0.1:9101", "127.0.0.1:8080"},
			want:     []string{"scrape_interval: 1s", "scrape_timeout: 1s", "evaluation_interval: 1s", "honor_labels: true", "- 127.0.0.1:9101", "- 127.0.0.1:8080", "job_name: kurator"},
		},
		{
			name:     "sub-second interval in milliseconds",
			interval: 500 * time.Millisecond,
			want:     []string{"scrape_interval: 500ms", "targets: []"},
		},
		{
			name:     "zero interval defaults to 1s",
			interval: 0,
			want:     []string{"scrape_interval: 1s"},
		},
		{
			name:    "a target without a port is refused with what to give",
			targets: []string{"localhost"},
			wantErr: `scrape target "localhost": want host:port`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Config(tt.interval, tt.targets)
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
		})
	}
}

func TestFindBinaryMissingSaysHowToInstall(t *testing.T) {
	_, err := FindBinary(filepath.Join(t.TempDir(), "prometheus"))
	if err == nil || !strings.Contains(err.Error(), "apt-get install prometheus") {
		t.Fatalf("error %v, want it to say apt-get install prometheus", err)
	}
}

func TestPrepareWithoutDirIsRefused(t *testing.T) {
	if _, _, err := Prepare("", Scrape{Interval: time.Second}); err == nil || !strings.Contains(err.Error(), "Options.Dir") {
		t.Fatalf("error %v, want one naming Options.Dir", err)
	}
}

// needBinary skips without the binary, except in CI where it must be there.
func needBinary(t *testing.T) {
	t.Helper()
	if _, err := FindBinary(""); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// TestStartScrapesTargetsAndReloads runs the real server: it scrapes a
// target's counter with its labels kept, and a second target added by
// SetTargets shows up after the reload; Stop ends the process.
func TestStartScrapesTargetsAndReloads(t *testing.T) {
	needBinary(t)
	metrics := func(value string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprintf(w, "# TYPE probe_total counter\nprobe_total{job=\"own\",source=%q} 7\n", value)
		}))
	}
	a, b := metrics("a"), metrics("b")
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	s, err := Start(ctx, Options{Dir: dir, Targets: []string{hostPort(a.URL)}, Log: logFile})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	waitSeries(ctx, t, s.URL, `probe_total{job="own"}`, []string{"a"})
	if err := s.SetTargets(ctx, []string{hostPort(a.URL), hostPort(b.URL)}); err != nil {
		t.Fatal(err)
	}
	waitSeries(ctx, t, s.URL, `probe_total{job="own"}`, []string{"a", "b"})

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Exited():
	default:
		t.Fatal("Stop returned but the process runs")
	}
}

func hostPort(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Host
}

// waitSeries polls an instant query until its series' source labels are want.
func waitSeries(ctx context.Context, t *testing.T, base, query string, want []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		last = sources(ctx, base, query)
		if strings.Join(last, ",") == strings.Join(want, ",") {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("query %s: series from sources %v after 30s, want %v", query, last, want)
}

func sources(ctx context.Context, base, query string) []string {
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
		out = append(out, s.Metric["source"])
	}
	slices.Sort(out)
	return out
}
