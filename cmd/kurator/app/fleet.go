package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// fleetFlags are the flags every local-fleet command shares.
type fleetFlags struct {
	name     string
	stateDir string
}

func (f *fleetFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.name, "name", "local", "name of the local fleet")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "directory holding the fleet's state (default ~/.kurator/fleets/NAME)")
}

func (f *fleetFlags) dir() string {
	if f.stateDir != "" {
		return f.stateDir
	}
	return localfleet.DefaultStateDir(f.name)
}

func newUpCommand() *cobra.Command {
	var (
		ff              fleetFlags
		members         []string
		nodes           int
		binDir          string
		noMerge         bool
		manager         string
		scaleDivisor    float64
		managerReplicas int

		noDashboard   bool
		dashboardAddr string

		noPrometheus bool
		trafficDemo  bool
		registries   bool

		pullMembers []string
		agent       string
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a local fleet: a hub and member clusters as local processes",
		Long: `Start a local fleet on this machine, without Docker: one etcd, a hub
kube-apiserver, and for each member a kube-apiserver, kube-controller-manager,
kube-scheduler and kwok with fake nodes whose pods really become Running and Ready.

The processes keep running after this command exits; their logs and pids live in
the state dir. The contexts kurator-hub and one per member are added to your
kubeconfig ($KUBECONFIG or ~/.kube/config). Running "up" on a running fleet does
nothing; on a fleet whose processes died, it cleans up and starts again.

Prometheus (Debian's package: apt-get install prometheus) runs next to the hub
and scrapes the manager; with --traffic-demo the traffic generator sends
simulated requests along the members' Istio VirtualServices, so a canary's
weights show up as Istio request metrics in Prometheus.

The Kubernetes components are built once from pinned Go modules by "make k8s".`,
		Example: `  # the three clusters of the seed Fleet example
  kurator up
  kubectl --context cluster-hangzhou get nodes

  # two small members
  kurator up --name dev --members east,west --nodes-per-member 1

  # with simulated Istio traffic; status shows the generator's URL, whose
  # /routes says where requests go
  kurator up --traffic-demo
  kurator status

  # with AppHub's registry and one per member (for kurator app push/deploy)
  kurator up --registries

  # cluster-frankfurt joined in Pull mode: its agent (bin/kurator-agent) runs
  # as a process, registers with a bootstrap token; the hub holds no
  # kubeconfig of it
  kurator up --pull-members cluster-frankfurt
  kurator get clusters`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := localfleet.Config{
				Name:            ff.name,
				StateDir:        ff.stateDir,
				NodesPerMember:  nodes,
				BinDir:          binDir,
				MergeKubeconfig: !noMerge,
				ManagerBinary:   manager,
			}
			if manager == "" {
				cfg.ManagerBinary = siblingBinary("kurator-manager")
			}
			if !noDashboard {
				if self, err := os.Executable(); err == nil {
					cfg.DashboardBinary = self
				}
				cfg.DashboardAddr = dashboardAddr
			}
			cfg.Prometheus = !noPrometheus
			cfg.Registries = registries
			if trafficDemo {
				cfg.TrafficGen = true
				cfg.TrafficGenBinary = siblingBinary("kurator-trafficgen")
			}
			if len(members) > 0 {
				cfg.Members = membersFromNames(members)
			}
			for _, p := range pullMembers {
				cfg.PullMembers = append(cfg.PullMembers, strings.TrimSpace(p))
			}
			if len(cfg.PullMembers) > 0 {
				cfg.AgentBinary = agent
				if agent == "" {
					cfg.AgentBinary = siblingBinary("kurator-agent")
				}
			}
			if managerReplicas < 1 {
				return fmt.Errorf("--manager-replicas %d: give 1 or more", managerReplicas)
			}
			cfg.ManagerReplicas = managerReplicas
			if scaleDivisor > 0 {
				cfg.ManagerArgs = append(cfg.ManagerArgs, fmt.Sprintf("--scale-time-divisor=%g", scaleDivisor))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			begin := time.Now()
			st, err := localfleet.Up(ctx, cfg, out)
			if errors.Is(err, localfleet.ErrAlreadyRunning) {
				fmt.Fprintf(out, "fleet %s is already running (state in %s); `kurator status --name %s` shows it\n", st.Name, st.StateDir, st.Name)
				if st.DashboardURL != "" {
					fmt.Fprintf(out, "dashboard: %s\n", st.DashboardURL)
				}
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nfleet %s is up in %.1fs\n", st.Name, time.Since(begin).Seconds())
			if st.MergedInto != "" {
				fmt.Fprintf(out, "contexts added to %s:", st.MergedInto)
			} else {
				fmt.Fprintf(out, "contexts in %s:", st.Kubeconfig)
			}
			for _, c := range st.Clusters {
				fmt.Fprintf(out, " %s", c.Name)
			}
			fmt.Fprintf(out, "\ntry: kubectl --context %s get nodes\n", st.Clusters[len(st.Clusters)-1].Name)
			if st.DashboardURL != "" {
				fmt.Fprintf(out, "dashboard: %s\n", st.DashboardURL)
			}
			printEndpoints(out, st)
			return nil
		},
	}
	ff.add(cmd)
	cmd.Flags().BoolVar(&noPrometheus, "no-prometheus", false, "do not start Prometheus (started by default when the prometheus binary exists: apt-get install prometheus)")
	cmd.Flags().BoolVar(&registries, "registries", false, "start a CNCF distribution registry for AppHub and one per member, on loopback (built once by `make registry`); each member's AttachedCluster names its own in spec.registry")
	cmd.Flags().BoolVar(&trafficDemo, "traffic-demo", false, "start the traffic generator: Istio request metrics from the members' VirtualServices, scraped by Prometheus")
	cmd.Flags().StringSliceVar(&members, "members", nil, "member cluster names (default cluster-hangzhou,cluster-shanghai,cluster-frankfurt)")
	cmd.Flags().IntVar(&nodes, "nodes-per-member", 3, "fake nodes per member (8 CPU, 32Gi, 110 pods each)")
	cmd.Flags().StringVar(&binDir, "bin-dir", "", "directory of the pinned Kubernetes binaries (default ~/.cache/kurator/k8s-v1.37.2/bin)")
	cmd.Flags().BoolVar(&noMerge, "no-kubeconfig-merge", false, "do not add the fleet's contexts to your kubeconfig")
	cmd.Flags().BoolVar(&noDashboard, "no-dashboard", false, "do not start the web dashboard")
	cmd.Flags().IntVar(&managerReplicas, "manager-replicas", 1, "kurator-manager processes; they elect one leader through the Lease kurator-system/kurator-manager, as installed replicas do (docs/ha.md)")
	cmd.Flags().StringVar(&dashboardAddr, "dashboard-addr", "", "host:port of the dashboard (default 127.0.0.1:8443, or a free port when taken)")
	cmd.Flags().Float64Var(&scaleDivisor, "scale-time-divisor", 0, "run ScalePolicy durations (windows, cooldowns, intervals, lead times; not cron schedules) this many times faster, for demos: 20 turns a 5m window into 15s")
	cmd.Flags().StringSliceVar(&pullMembers, "pull-members", nil, "members (among --members) joined in Pull mode: each runs kurator-agent as a process that registers with a bootstrap token; the hub gets no kubeconfig of theirs (docs/pull-agent-cli.md)")
	cmd.Flags().StringVar(&agent, "agent-binary", "", "kurator-agent binary for --pull-members (default: next to kurator; `make build` puts it there)")
	cmd.Flags().StringVar(&manager, "manager-binary", "", "kurator-manager binary to run on the hub (default: next to kurator; `make build` puts it there)")
	return cmd
}

// siblingBinary is the path of name next to the running kurator binary.
func siblingBinary(name string) string {
	self, err := os.Executable()
	if err != nil {
		return name
	}
	return filepath.Join(filepath.Dir(self), name)
}

// membersFromNames keeps the seed's topology for the seed's cluster names and
// puts any other member in region "local".
func membersFromNames(names []string) []localfleet.Member {
	known := map[string]localfleet.Member{}
	for _, m := range localfleet.DefaultMembers() {
		known[m.Name] = m
	}
	out := make([]localfleet.Member, 0, len(names))
	for i, n := range names {
		n = strings.TrimSpace(n)
		if m, ok := known[n]; ok {
			out = append(out, m)
			continue
		}
		out = append(out, localfleet.Member{Name: n, Region: "local", Zone: fmt.Sprintf("local-%c", 'a'+i%26), Provider: "kwok"})
	}
	return out
}

func newDownCommand() *cobra.Command {
	var (
		ff       fleetFlags
		keepData bool
	)
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop a local fleet and remove its state",
		Long: `Stop every process of a local fleet (only those: each is checked by pid and
command line), remove its contexts from your kubeconfig, and delete its state dir
unless --keep-data is given.`,
		Example: `  kurator down
  kurator down --name dev --keep-data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return localfleet.Down(ff.dir(), keepData, cmd.OutOrStdout())
		},
	}
	ff.add(cmd)
	cmd.Flags().BoolVar(&keepData, "keep-data", false, "keep the state dir (etcd data, certificates, logs)")
	return cmd
}

func newStatusCommand() *cobra.Command {
	var ff fleetFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each process of a local fleet: pid, port, health and memory",
		Example: `  kurator status
  kurator status --name dev`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := localfleet.LoadState(ff.dir())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			procs, err := localfleet.Status(ctx, st)
			if err != nil {
				return err
			}
			return printStatus(cmd, st, procs)
		},
	}
	ff.add(cmd)
	return cmd
}

func printStatus(cmd *cobra.Command, st *localfleet.State, procs []localfleet.ProcessStatus) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "fleet %s (state in %s, started %s)\n", st.Name, st.StateDir, st.Started.Format(time.RFC3339))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tPID\tPORT\tHEALTH\tRSS\tDETAIL")
	var total int64
	down := 0
	for _, p := range procs {
		health, detail := "ok", ""
		if !p.Healthy {
			health, detail = "down", p.Error
			down++
		}
		rss := "-"
		if p.RSS > 0 {
			rss = fmt.Sprintf("%dMi", p.RSS>>20)
			total += p.RSS
		}
		port := "-" // e.g. a pull agent serves nothing
		if p.Port > 0 {
			port = fmt.Sprint(p.Port)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", p.Name, p.PID, port, health, rss, truncate(detail, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d/%d healthy, total RSS %dMi\n", len(procs)-down, len(procs), total>>20)
	if st.DashboardURL != "" {
		fmt.Fprintf(out, "dashboard: %s\n", st.DashboardURL)
	}
	printEndpoints(out, st)
	return nil
}

// printEndpoints shows where the fleet's Prometheus and traffic generator answer.
func printEndpoints(out io.Writer, st *localfleet.State) {
	if st.PrometheusURL != "" {
		fmt.Fprintf(out, "prometheus: %s\n", st.PrometheusURL)
	}
	if st.TrafficGenURL != "" {
		fmt.Fprintf(out, "traffic generator: %s (/routes, /faults, /metrics)\n", st.TrafficGenURL)
	}
	if st.HubRegistry != "" {
		fmt.Fprintf(out, "registries (plain HTTP): AppHub %s", st.HubRegistry)
		for _, c := range st.Clusters {
			if !c.Hub && c.Registry != "" {
				fmt.Fprintf(out, ", %s %s", c.Name, c.Registry)
			}
		}
		fmt.Fprintln(out)
	}
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
