// Command kurator-trafficgen simulates the requests an Istio mesh would carry
// across the members of a fleet and serves them as Istio's standard metrics
// on /metrics, so Prometheus sees traffic follow the VirtualServices'
// weights. See docs/traffic-generator.md.
//
//	kurator-trafficgen --state-dir ~/.kurator/fleets/local --listen 127.0.0.1:9464
//	kurator-trafficgen --member cluster-a=a.kubeconfig --member cluster-b=b.kubeconfig
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/trafficgen"
)

// memberFlags collect repeated --member NAME=KUBECONFIG.
type memberFlags []string

func (m *memberFlags) String() string     { return strings.Join(*m, ",") }
func (m *memberFlags) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var (
		members    memberFlags
		stateDir   = flag.String("state-dir", "", "state dir of a local fleet (kurator up): its members are watched")
		listen     = flag.String("listen", "127.0.0.1:9464", "address of /metrics, /routes and /faults (port 0 picks a free one; the bound address is printed)")
		rps        = flag.Float64("rps", 20, "requests per second per VirtualService per source cluster")
		interval   = flag.Duration("interval", time.Second, "how often requests are emitted (and the objects read again from the caches)")
		matchShare = flag.Float64("match-share", 0.1, "share of requests carrying the header or cookie of each route with a match")
		seed       = flag.Uint64("seed", 1, "seed of the latency jitter")
	)
	flag.Var(&members, "member", "NAME=KUBECONFIG of a member cluster (repeatable)")
	flag.Parse()
	if err := run(members, *stateDir, *listen, *rps, *interval, *matchShare, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "kurator-trafficgen:", err)
		os.Exit(1)
	}
}

func run(memberArgs []string, stateDir, listen string, rps float64, interval time.Duration, matchShare float64, seed uint64) error {
	switch {
	case rps <= 0:
		return fmt.Errorf("--rps %v: give a positive number of requests per second", rps)
	case interval <= 0:
		return fmt.Errorf("--interval %v: give a positive duration, e.g. 1s", interval)
	case matchShare < 0 || matchShare > 1:
		return fmt.Errorf("--match-share %v: give a share from 0 to 1", matchShare)
	}
	members, err := loadMembers(memberArgs, stateDir)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	g := trafficgen.NewGenerator(trafficgen.Options{RPS: rps, MatchShare: matchShare}, seed)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", listen, err)
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.Name
	}
	fmt.Printf("kurator-trafficgen: listening on http://%s (members %s, %v rps per VirtualService, every %s)\n", ln.Addr(), strings.Join(names, ","), rps, interval)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	runErr := make(chan error, 1)
	go func() { runErr <- g.Run(ctx, members, interval) }()
	select {
	case err := <-errc:
		return err
	case err := <-runErr:
		if err != nil {
			return err
		}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadMembers reads --member NAME=KUBECONFIG flags, or the members of the
// local fleet in stateDir.
func loadMembers(args []string, stateDir string) ([]trafficgen.Member, error) {
	var out []trafficgen.Member
	if stateDir != "" {
		st, err := localfleet.LoadState(stateDir)
		if err != nil {
			return nil, err
		}
		for _, c := range st.Clusters {
			if c.Hub {
				continue
			}
			rc, err := st.RESTConfig(c.Name)
			if err != nil {
				return nil, fmt.Errorf("member %s of fleet %s: %w", c.Name, st.Name, err)
			}
			out = append(out, trafficgen.Member{Name: c.Name, Config: rc})
		}
	}
	for _, a := range args {
		name, path, ok := strings.Cut(a, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("--member %q: give NAME=KUBECONFIG, e.g. --member cluster-a=$HOME/.kube/a.yaml", a)
		}
		rc, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, fmt.Errorf("--member %s: kubeconfig %s: %w", name, path, err)
		}
		if slices.ContainsFunc(out, func(m trafficgen.Member) bool { return m.Name == name }) {
			return nil, fmt.Errorf("--member %s is given twice", name)
		}
		out = append(out, trafficgen.Member{Name: name, Config: rc})
	}
	if len(out) == 0 {
		return nil, errors.New("no members: pass --state-dir of a local fleet or --member NAME=KUBECONFIG")
	}
	for i := range out {
		out[i].Config.QPS, out[i].Config.Burst = 20, 40
	}
	return out, nil
}
