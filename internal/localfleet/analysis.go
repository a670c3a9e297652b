package localfleet

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kurator-go/kurator/internal/prometheus"
)

// startPrometheus runs Prometheus as kurator-hub/prometheus on port,
// scraping every second the static targets and every member's kwok usage
// endpoints (found through kwok's service discovery), with its configuration and TSDB in the
// state dir. Without the binary it says how to install it and returns nil:
// the fleet runs without metrics.
func (l *launcher) startPrometheus(ctx context.Context, port int, scrape prometheus.Scrape) error {
	bin, err := prometheus.FindBinary(l.cfg.PrometheusBinary)
	if err != nil {
		l.progress.step("no Prometheus: %v; the fleet runs without it (rollout analysis has no data)", err)
		return nil
	}
	scrape.Interval = time.Second
	configFile, dataDir, err := prometheus.Prepare(filepath.Join(l.cfg.StateDir, "prometheus"), scrape)
	if err != nil {
		return fmt.Errorf("prepare Prometheus: %w", err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	url := "http://" + listen
	l.progress.step("starting %s/prometheus", HubName)
	if err := l.start(ctx, HubName+"/prometheus", bin, prometheus.Args(configFile, dataDir, listen), port, url+"/-/ready", 90*time.Second); err != nil {
		return err
	}
	// Ready is not yet scraping: wait until every member's nodes are, so
	// usage set right after Up reads back within a scrape.
	want := make(map[string]int, len(scrape.Kwoks))
	for _, k := range scrape.Kwoks {
		want[prometheus.KwokJobPrefix+k.Cluster] = l.cfg.NodesPerMember
	}
	begin := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := prometheus.WaitTargets(wctx, url, want); err != nil {
		p, _ := l.state.Process(HubName + "/prometheus")
		return fmt.Errorf("%w\n--- last lines of %s ---\n%s", err, p.Log, tail(p.Log, 15))
	}
	if len(want) > 0 {
		l.progress.step("%s/prometheus scrapes the %d nodes of %d members (%.1fs)", HubName, l.cfg.NodesPerMember*len(want), len(want), time.Since(begin).Seconds())
	}
	l.state.PrometheusURL = url
	return l.save()
}

// startTrafficGen runs the traffic generator as kurator-hub/trafficgen on
// port; it finds the members through the state file.
func (l *launcher) startTrafficGen(ctx context.Context, port int) error {
	listen := "127.0.0.1:" + strconv.Itoa(port)
	url := "http://" + listen
	args := []string{"--state-dir=" + l.cfg.StateDir, "--listen=" + listen}
	l.progress.step("starting %s/trafficgen", HubName)
	if err := l.start(ctx, HubName+"/trafficgen", l.cfg.TrafficGenBinary, args, port, url+"/healthz", 60*time.Second); err != nil {
		return err
	}
	l.state.TrafficGenURL = url
	return l.save()
}
