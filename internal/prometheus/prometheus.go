// Package prometheus runs a real Prometheus server (Debian's `prometheus`
// package) with its own configuration, port and data directory, scraping a
// fixed list of /metrics endpoints and, through HTTP service discovery, the
// emulated usage every member's kwok serves per node. The local fleet runs it next to the hub so
// rollout analysis queries real data through the Prometheus HTTP API.
package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

// DebianBinary is where `apt-get install prometheus` puts the server.
const DebianBinary = "/usr/bin/prometheus"

// InstallHint says how to get the binary.
const InstallHint = "install it with `apt-get install prometheus` (or pass its path)"

// Options describe one Prometheus server.
type Options struct {
	// Binary is the prometheus executable; default: prometheus in PATH, then
	// DebianBinary.
	Binary string
	// Dir holds the configuration file and the TSDB (Dir/data). Required.
	Dir string
	// Port is the HTTP port on 127.0.0.1; 0 picks a free one.
	Port int
	// ScrapeInterval is how often every target is scraped (default 1s); it is
	// also the scrape timeout and the rule evaluation interval.
	ScrapeInterval time.Duration
	// Targets are host:port of /metrics endpoints, scraped as job "kurator".
	Targets []string
	// Kwoks are members' kwok servers to scrape usage from (see Kwok).
	Kwoks []Kwok
	// Log receives the server's output (default: discarded).
	Log io.Writer
	// ReadyTimeout bounds the wait for /-/ready (default 60s).
	ReadyTimeout time.Duration
	// Retention is how long samples are kept, counted back from the newest
	// (default 2h); a TSDB backfilled with days of history needs more.
	Retention time.Duration
}

// Job is the scrape job every target belongs to.
const Job = "kurator"

// Server is a running Prometheus.
type Server struct {
	// URL is the base of the HTTP API, e.g. http://127.0.0.1:9090.
	URL string
	// ConfigFile is the configuration Prometheus reads; SetTargets rewrites it.
	ConfigFile string

	opts Options
	cmd  *exec.Cmd
	done chan struct{}
}

// FindBinary returns explicit when set, else prometheus in PATH, else
// DebianBinary, or an error saying how to install it.
func FindBinary(explicit string) (string, error) {
	if explicit != "" {
		if st, err := os.Stat(explicit); err != nil || st.IsDir() {
			return "", fmt.Errorf("prometheus binary %s not found; %s", explicit, InstallHint)
		}
		return explicit, nil
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, nil
	}
	if st, err := os.Stat(DebianBinary); err == nil && !st.IsDir() {
		return DebianBinary, nil
	}
	return "", fmt.Errorf("prometheus not found in PATH nor at %s; %s", DebianBinary, InstallHint)
}

// withDefaults fills unset fields.
func (o Options) withDefaults() Options {
	if o.ScrapeInterval <= 0 {
		o.ScrapeInterval = time.Second
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// Scrape is what one Prometheus scrapes.
type Scrape struct {
	// Interval is how often every target is scraped (default 1s); it is
	// also the scrape timeout and the rule evaluation interval.
	Interval time.Duration
	// Targets are host:port of /metrics endpoints, scraped as job "kurator".
	Targets []string
	// Kwoks are members' kwok servers whose emulated node and pod usage is
	// scraped, one job each (KwokJobPrefix + cluster).
	Kwoks []Kwok
}

// Kwok is one member cluster's kwok server. Its targets come from kwok's
// own HTTP service discovery (one per node it manages, re-read every
// KwokRefresh so new nodes are scraped within seconds); every series gets
// the labels cluster=<Cluster> and node=<node name>, and instance
// <Cluster>/<node>.
type Kwok struct {
	Cluster string
	// Address is host:port of kwok's --server-address.
	Address string
}

// Labels and timings of the kwok scrape jobs.
const (
	KwokJobPrefix = "kwok-"
	ClusterLabel  = "cluster"
	NodeLabel     = "node"
	KwokRefresh   = 5 * time.Second
	// kwokDiscovery is kwok's service-discovery path; kwokNodePath matches
	// the per-node metrics paths it lists and captures the node's name.
	kwokDiscovery = "/discovery/prometheus"
	kwokNodePath  = "/metrics/nodes/([^/]+)/metrics/resource"
)

// Config is the configuration file for targets scraped every interval.
// honor_labels keeps the labels the targets emit (e.g. Istio's
// destination_cluster) over any Prometheus would attach.
func Config(interval time.Duration, targets []string) ([]byte, error) {
	return Scrape{Interval: interval, Targets: targets}.Config()
}

// Config is the configuration file of s.
func (s Scrape) Config() ([]byte, error) {
	interval := s.Interval
	if interval <= 0 {
		interval = time.Second
	}
	d := model(interval)
	type static struct {
		Targets []string `json:"targets"`
	}
	type httpSD struct {
		URL             string `json:"url"`
		RefreshInterval string `json:"refresh_interval"`
	}
	type relabel struct {
		SourceLabels []string `json:"source_labels,omitempty"`
		Regex        string   `json:"regex,omitempty"`
		TargetLabel  string   `json:"target_label,omitempty"`
		Replacement  string   `json:"replacement,omitempty"`
		Action       string   `json:"action,omitempty"`
	}
	type scrape struct {
		JobName        string    `json:"job_name"`
		HonorLabels    bool      `json:"honor_labels"`
		StaticConfigs  []static  `json:"static_configs,omitempty"`
		HTTPSDConfigs  []httpSD  `json:"http_sd_configs,omitempty"`
		RelabelConfigs []relabel `json:"relabel_configs,omitempty"`
	}
	cfg := struct {
		Global struct {
			ScrapeInterval     string `json:"scrape_interval"`
			ScrapeTimeout      string `json:"scrape_timeout"`
			EvaluationInterval string `json:"evaluation_interval"`
		} `json:"global"`
		ScrapeConfigs []scrape `json:"scrape_configs"`
	}{}
	cfg.Global.ScrapeInterval, cfg.Global.ScrapeTimeout, cfg.Global.EvaluationInterval = d, d, d
	targets := s.Targets
	if targets == nil {
		targets = []string{}
	}
	for _, t := range targets {
		if _, _, err := net.SplitHostPort(t); err != nil {
			return nil, fmt.Errorf("scrape target %q: want host:port of a /metrics endpoint: %w", t, err)
		}
	}
	// The static job always exists (with no targets too): SetTargets and
	// readers of the file expect it.
	cfg.ScrapeConfigs = []scrape{{JobName: Job, HonorLabels: true, StaticConfigs: []static{{Targets: targets}}}}
	seen := map[string]bool{}
	for _, k := range s.Kwoks {
		if k.Cluster == "" {
			return nil, fmt.Errorf("kwok scrape target %q has no cluster name: give the member cluster it serves", k.Address)
		}
		if seen[k.Cluster] {
			return nil, fmt.Errorf("kwok scrape target of cluster %s is given twice: give one kwok address per member", k.Cluster)
		}
		seen[k.Cluster] = true
		if _, _, err := net.SplitHostPort(k.Address); err != nil {
			return nil, fmt.Errorf("kwok scrape target of cluster %s: address %q: want host:port of kwok's --server-address: %w", k.Cluster, k.Address, err)
		}
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, scrape{
			JobName: KwokJobPrefix + k.Cluster,
			// kwok's series carry namespace, pod and container only; the
			// labels below are Prometheus' own, so nothing to honour.
			HTTPSDConfigs: []httpSD{{URL: "http://" + k.Address + kwokDiscovery, RefreshInterval: model(KwokRefresh)}},
			RelabelConfigs: []relabel{
				{TargetLabel: ClusterLabel, Replacement: k.Cluster},
				{SourceLabels: []string{"__metrics_path__"}, Regex: kwokNodePath, TargetLabel: NodeLabel, Replacement: "$1"},
				{SourceLabels: []string{"__metrics_path__"}, Regex: kwokNodePath, TargetLabel: "instance", Replacement: k.Cluster + "/$1"},
				{Regex: "metrics_name", Action: "labeldrop"},
			},
		})
	}
	return yaml.Marshal(cfg)
}

// model writes a duration the way Prometheus parses it (whole milliseconds).
func model(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// Args are the command-line arguments of a server reading configFile,
// keeping its data in dataDir and listening on listen (host:port).
// --web.enable-lifecycle lets SetTargets reload the configuration.
func Args(configFile, dataDir, listen string) []string {
	return []string{
		"--config.file=" + configFile,
		"--storage.tsdb.path=" + dataDir,
		"--storage.tsdb.retention.time=2h",
		"--web.listen-address=" + listen,
		"--web.enable-lifecycle",
	}
}

// Prepare writes the configuration file of s into dir and creates dir/data;
// it returns both paths. The local fleet uses it to run Prometheus as one of
// its own processes; Start uses it too.
func Prepare(dir string, s Scrape) (configFile, dataDir string, err error) {
	if dir == "" {
		return "", "", errors.New("prometheus: Options.Dir is empty; give a directory for its configuration and data")
	}
	dataDir = filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", err
	}
	cfg, err := s.Config()
	if err != nil {
		return "", "", err
	}
	configFile = filepath.Join(dir, "prometheus.yml")
	if err := writeAtomic(configFile, cfg); err != nil {
		return "", "", err
	}
	return configFile, dataDir, nil
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Start writes the configuration, starts Prometheus and waits until it
// answers /-/ready. The server runs until Stop (or until this process dies).
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	bin, err := FindBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	configFile, dataDir, err := Prepare(opts.Dir, Scrape{Interval: opts.ScrapeInterval, Targets: opts.Targets, Kwoks: opts.Kwoks})
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	args := Args(configFile, dataDir, listen)
	if opts.Retention > 0 {
		// Prometheus refuses a repeated flag: replace the default.
		for i, a := range args {
			if strings.HasPrefix(a, "--storage.tsdb.retention.time=") {
				args[i] = "--storage.tsdb.retention.time=" + model(opts.Retention)
			}
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = opts.Log, opts.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{URL: "http://" + listen, ConfigFile: configFile, opts: opts, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	wctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()
	if err := WaitReady(wctx, s.URL, s.done); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("prometheus on %s: %w", listen, err)
	}
	return s, nil
}

// WaitReady polls base/-/ready until it answers 200, ctx ends, or exited
// (may be nil) is closed.
func WaitReady(ctx context.Context, base string, exited <-chan struct{}) error {
	c := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/-/ready answered %s", resp.Status)
		}
		last = err
		select {
		case <-exited:
			return errors.New("the process exited before it was ready (see its log)")
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// SetTargets rewrites the configuration with new static targets (the kwok
// jobs stay) and makes the server reload it (POST /-/reload).
func (s *Server) SetTargets(ctx context.Context, targets []string) error {
	cfg, err := Scrape{Interval: s.opts.ScrapeInterval, Targets: targets, Kwoks: s.opts.Kwoks}.Config()
	if err != nil {
		return err
	}
	if err := writeAtomic(s.ConfigFile, cfg); err != nil {
		return err
	}
	return Reload(ctx, s.URL)
}

// Reload asks the server at base to re-read its configuration file.
func Reload(ctx context.Context, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/-/reload", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reload prometheus at %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("reload prometheus at %s: %s: %s (was it started with --web.enable-lifecycle?)", base, resp.Status, body)
	}
	return nil
}

// Stop terminates the server (SIGTERM, then SIGKILL after 10 s) and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return nil
}

// Exited is closed when the server process has exited.
func (s *Server) Exited() <-chan struct{} { return s.done }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitTargets polls base's /api/v1/targets until every job in want has at
// least that many active targets whose last scrape succeeded, or ctx ends.
// Prometheus hands newly discovered targets to its scrapers in batches (every
// 5 s), so a server that is ready may not scrape anything yet; a fleet that
// waits for this is ready to answer usage queries.
func WaitTargets(ctx context.Context, base string, want map[string]int) error {
	c := &http.Client{Timeout: 2 * time.Second}
	var last string
	for {
		up, err := upTargets(ctx, c, base)
		if err == nil {
			var missing []string
			for job, n := range want {
				if up[job] < n {
					missing = append(missing, fmt.Sprintf("%s %d/%d", job, up[job], n))
				}
			}
			if len(missing) == 0 {
				return nil
			}
			slices.Sort(missing)
			last = "targets up: " + strings.Join(missing, ", ")
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("prometheus %s: scrape targets not up: %w (%s); see its log and %s/targets", base, ctx.Err(), last, base)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// upTargets counts, per job, the active targets whose last scrape succeeded.
func upTargets(ctx context.Context, c *http.Client, base string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/targets?state=active", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/api/v1/targets answered %s", resp.Status)
	}
	var r struct {
		Data struct {
			ActiveTargets []struct {
				Labels map[string]string `json:"labels"`
				Health string            `json:"health"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode /api/v1/targets: %w", err)
	}
	up := map[string]int{}
	for _, t := range r.Data.ActiveTargets {
		if t.Health == "up" {
			up[t.Labels["job"]]++
		}
	}
	return up, nil
}
