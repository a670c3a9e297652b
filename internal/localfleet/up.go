package localfleet

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/prometheus"
	"github.com/kurator-go/kurator/internal/registry"
)

//go:embed stages.yaml
var kwokStages []byte

// SystemNamespace is the hub namespace of Kurator's own objects (clusters, fleets).
const SystemNamespace = workv1alpha1.SystemNamespace

// ErrAlreadyRunning is returned by Up when the fleet already runs.
var ErrAlreadyRunning = errors.New("fleet is already running")

// Components each member runs, in start order; the binaries they need.
var requiredBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// hubBinaries are what a hub-only fleet runs.
var hubBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// launcher starts the processes of one Up call and remembers them.
type launcher struct {
	cfg      Config
	state    *State
	pki      *pki
	prober   *prober
	progress *progress

	mu     sync.Mutex
	exited map[string]<-chan struct{}
}

// Up starts the fleet described by cfg and waits until every member has Ready
// nodes. It writes progress lines to out. On a running fleet it returns the
// state and ErrAlreadyRunning; stale state (dead processes) is cleaned first.
func Up(ctx context.Context, cfg Config, out io.Writer) (*State, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	cfg.StateDir = abs
	need := requiredBinaries
	if cfg.HubOnly {
		need = hubBinaries
	}
	if err := checkBinaries(cfg.BinDir, need); err != nil {
		return nil, err
	}
	if cfg.Registries {
		if err := registry.CheckBin(cfg.RegistryBinary); err != nil {
			return nil, err
		}
	}
	if cfg.ManagerBinary != "" {
		if _, err := os.Stat(cfg.ManagerBinary); err != nil {
			return nil, fmt.Errorf("kurator-manager binary: %w; build it with `make build`", err)
		}
	}
	if len(cfg.PullMembers) > 0 {
		if _, err := os.Stat(cfg.AgentBinary); err != nil {
			return nil, fmt.Errorf("kurator-agent binary: %w; build it with `make build`", err)
		}
	}
	if old, err := LoadState(cfg.StateDir); err == nil {
		if old.Running() {
			return old, ErrAlreadyRunning
		}
		fmt.Fprintf(out, "found stale state of fleet %s (some processes are gone); cleaning up\n", old.Name)
		if err := Down(old.StateDir, false, io.Discard); err != nil {
			return nil, fmt.Errorf("clean stale fleet in %s: %w", cfg.StateDir, err)
		}
	} else if !errors.Is(err, ErrNoFleet) {
		return nil, err
	}

	l := &launcher{
		cfg:      cfg,
		state:    &State{Name: cfg.Name, StateDir: cfg.StateDir, Started: time.Now(), Members: cfg.Members, PullMembers: cfg.PullMembers},
		progress: newProgress(out),
		exited:   map[string]<-chan struct{}{},
	}
	if err := l.up(ctx); err != nil {
		// Leave nothing half-started behind: stop what runs, keep the logs.
		_ = Down(cfg.StateDir, true, io.Discard)
		return nil, err
	}
	return l.state, nil
}

func (l *launcher) up(ctx context.Context) error {
	dir := l.cfg.StateDir
	for _, d := range []string{"pki", "logs", "etcd", "kubeconfigs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "kwok-stages.yaml"), kwokStages, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, KwokMetricsFile), kwokMetrics, 0o600); err != nil {
		return err
	}
	l.progress.step("generating certificates")
	p, err := newPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return fmt.Errorf("generate certificates: %w", err)
	}
	l.pki = p
	adminCert, adminKey, err := p.clientCert("admin", "kurator-admin", "system:masters")
	if err != nil {
		return err
	}
	creds := adminCreds{ca: p.caCertFile(), cert: adminCert, key: adminKey}
	if l.prober, err = newProber(adminCert, adminKey); err != nil {
		return err
	}

	// One port per etcd listener, apiserver, controller-manager, scheduler and kwok.
	// Plus two for the manager's metrics and health endpoints.
	// Plus one for the dashboard when 127.0.0.1:8443 is taken.
	// Plus one each for Prometheus and the traffic generator.
	// Plus one registry per cluster (hub included) when asked for.
	// Plus one for the hub's controller-manager.
	registryPorts := 0
	if l.cfg.Registries {
		registryPorts = 1 + len(l.cfg.Members)
	}
	ports, err := freePorts(2 + 1 + 4*len(l.cfg.Members) + 2 + 1 + 2 + registryPorts + 1)
	if err != nil {
		return err
	}
	next := func() int { p := ports[0]; ports = ports[1:]; return p }

	etcdURL, err := l.startEtcd(ctx, next(), next())
	if err != nil {
		return err
	}

	clusters := append([]Cluster{{Name: HubName, Hub: true}}, make([]Cluster, len(l.cfg.Members))...)
	for i, m := range l.cfg.Members {
		clusters[i+1].Name = m.Name
	}
	for i := range clusters {
		port := next()
		clusters[i].Server = "https://127.0.0.1:" + strconv.Itoa(port)
		clusters[i].Kubeconfig = filepath.Join(dir, "kubeconfigs", clusters[i].Name+".kubeconfig")
		if err := writeKubeconfig(kubeconfigFor(clusters[i:i+1], creds, l.cfg.Name), clusters[i].Kubeconfig); err != nil {
			return err
		}
	}
	l.state.Clusters = clusters
	l.state.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfigFor(clusters, creds, l.cfg.Name), l.state.Kubeconfig); err != nil {
		return err
	}

	// The apiservers start together: each takes a few seconds of CPU.
	if err := l.parallel(clusters, func(c Cluster) error { return l.startAPIServer(ctx, c, etcdURL) }); err != nil {
		return err
	}

	hubConfig, err := l.state.RESTConfig(HubName)
	if err != nil {
		return err
	}
	begin := time.Now()
	if err := InstallCRDs(ctx, hubConfig); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := InstallIstioCRDs(ctx, hubConfig); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	hubClient, err := kubernetes.NewForConfig(hubConfig)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace}}
	if _, err := hubClient.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("hub: create namespace %s: %w", SystemNamespace, err)
	}
	l.progress.step("%s: Kurator and Istio CRDs and namespace %s installed (%.1fs)", HubName, SystemNamespace, time.Since(begin).Seconds())

	if l.cfg.Registries {
		regPorts := make([]int, len(clusters))
		for i := range regPorts {
			regPorts[i] = next()
		}
		if err := l.startRegistries(ctx, hubClient, regPorts); err != nil {
			return err
		}
	}

	memberPorts := make(map[string][3]int, len(l.cfg.Members))
	for _, m := range l.cfg.Members {
		memberPorts[m.Name] = [3]int{next(), next(), next()}
	}
	members := clusters[1:]
	// The hub's controller-manager (it signs pull agents' certificates)
	// starts while the members do.
	hubKCMPort := next()
	if err := l.parallel(clusters, func(c Cluster) error {
		if c.Hub {
			return l.startHubControllerManager(ctx, c, hubKCMPort)
		}
		m := l.member(c.Name)
		return l.startMember(ctx, c, m, memberPorts[c.Name])
	}); err != nil {
		return err
	}

	metricsPort, healthPort, dashboardPort := next(), next(), next()
	promPort, trafficPort := next(), next()
	var scrape []string
	if l.cfg.TrafficGen {
		if err := l.startTrafficGen(ctx, trafficPort); err != nil {
			return err
		}
		scrape = append(scrape, "127.0.0.1:"+strconv.Itoa(trafficPort))
	}
	if l.cfg.ManagerBinary != "" {
		scrape = append(scrape, "127.0.0.1:"+strconv.Itoa(metricsPort))
	}
	if l.cfg.Prometheus {
		kwoks := make([]prometheus.Kwok, 0, len(members))
		for _, c := range members {
			kwoks = append(kwoks, prometheus.Kwok{Cluster: c.Name, Address: "127.0.0.1:" + strconv.Itoa(memberPorts[c.Name][2])})
		}
		if err := l.startPrometheus(ctx, promPort, prometheus.Scrape{Targets: scrape, Kwoks: kwoks}); err != nil {
			return err
		}
	}
	if l.cfg.ManagerBinary != "" {
		if err := l.setupHub(ctx, metricsPort, healthPort); err != nil {
			return err
		}
		if l.cfg.DashboardBinary != "" {
			if err := l.startDashboard(ctx, dashboardPort); err != nil {
				return err
			}
		}
	}

	if l.cfg.MergeKubeconfig {
		path := UserKubeconfigPath()
		if err := mergeInto(path, kubeconfigFor(clusters, creds, l.cfg.Name)); err != nil {
			return fmt.Errorf("add contexts to %s: %w", path, err)
		}
		l.state.MergedInto = path
		if err := l.save(); err != nil {
			return err
		}
	}
	if l.cfg.HubOnly {
		l.progress.step("fleet %s ready: hub only", l.cfg.Name)
		return nil
	}
	l.progress.step("fleet %s ready: hub and %d members", l.cfg.Name, len(members))
	return nil
}

func (l *launcher) member(name string) Member {
	for _, m := range l.cfg.Members {
		if m.Name == name {
			return m
		}
	}
	return Member{Name: name}
}

// parallel runs fn for every cluster at once and returns the first error.
func (l *launcher) parallel(clusters []Cluster, fn func(Cluster) error) error {
	errs := make([]error, len(clusters))
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Go(func() { errs[i] = fn(c) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (l *launcher) save() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.save()
}

// start launches one component, records it in the state file, and waits until
// its health URL answers.
func (l *launcher) start(ctx context.Context, name, bin string, args []string, port int, health string, timeout time.Duration) error {
	return l.startEnv(ctx, name, bin, args, nil, port, health, timeout)
}

// startEnv is start with env added to the component's environment.
func (l *launcher) startEnv(ctx context.Context, name, bin string, args, env []string, port int, health string, timeout time.Duration) error {
	logFile := filepath.Join(l.cfg.StateDir, "logs", strings.ReplaceAll(name, "/", "_")+".log")
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(l.cfg.BinDir, bin)
	}
	cmd, exited, err := startProcess(bin, args, env, logFile, l.cfg.StopWithParent)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	l.mu.Lock()
	l.exited[name] = exited
	l.state.Processes = append(l.state.Processes, Process{
		Name: name, PID: cmd.Process.Pid, Port: port, Health: health, Log: logFile, Bin: bin, Args: args, Env: env,
	})
	l.mu.Unlock()
	if err := l.save(); err != nil {
		return err
	}
	begin := time.Now()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := l.prober.waitHealthy(wctx, health, exited); err != nil {
		return fmt.Errorf("%s did not become healthy: %w\n--- last lines of %s ---\n%s", name, err, logFile, tail(logFile, 15))
	}
	l.progress.step("%s healthy (%.1fs)", name, time.Since(begin).Seconds())
	return nil
}

func (l *launcher) startEtcd(ctx context.Context, clientPort, peerPort int) (string, error) {
	url := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	args := []string{
		"--data-dir=" + filepath.Join(l.cfg.StateDir, "etcd"),
		"--listen-client-url=" + url,
		"--listen-peer-url=http://127.0.0.1:" + strconv.Itoa(peerPort),
	}
	l.progress.step("starting etcd")
	return url, l.start(ctx, "etcd", "etcd", args, clientPort, url+"/health", 30*time.Second)
}

func (l *launcher) startAPIServer(ctx context.Context, c Cluster, etcdURL string) error {
	port := c.Server[strings.LastIndexByte(c.Server, ':')+1:]
	cert, key, err := l.pki.servingCert(c.Name + "-apiserver")
	if err != nil {
		return err
	}
	args := []string{
		"--etcd-servers=" + etcdURL,
		// Every cluster of every fleet has its own key space in the shared etcd.
		"--etcd-prefix=/kurator/" + l.cfg.Name + "/" + c.Name,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The kubernetes Service endpoints may not point at loopback, and no
		// pod needs to reach the apiserver through them here.
		"--endpoint-reconciler-type=none",
		"--secure-port=" + port,
		"--tls-cert-file=" + cert,
		"--tls-private-key-file=" + key,
		"--client-ca-file=" + l.pki.caCertFile(),
		"--service-account-key-file=" + l.pki.saPubFile(),
		"--service-account-signing-key-file=" + l.pki.saKeyFile(),
		"--service-account-issuer=https://kubernetes.default.svc." + c.Name,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		"--cert-dir=" + filepath.Join(l.cfg.StateDir, "pki", c.Name+"-apiserver-certs"),
	}
	if c.Hub {
		// Pull agents register with bootstrap tokens (kurator token create).
		args = append(args, "--enable-bootstrap-token-auth")
	} else {
		// After the playground's own, so a later flag of the caller wins.
		args = append(args, l.cfg.MemberAPIServerArgs...)
	}
	l.progress.step("starting %s/kube-apiserver", c.Name)
	return l.start(ctx, c.Name+"/kube-apiserver", "kube-apiserver", args, atoi(port), c.Server+"/readyz", 90*time.Second)
}

// startMember starts a member's controller-manager, scheduler and kwok, creates
// its fake nodes, and waits until they are Ready.
func (l *launcher) startMember(ctx context.Context, c Cluster, m Member, ports [3]int) error {
	kc := c.Kubeconfig
	delegated := []string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
	}
	kcm := append(append([]string{}, delegated...),
		"--secure-port="+strconv.Itoa(ports[0]),
		"--cert-dir="+filepath.Join(l.cfg.StateDir, "pki", c.Name+"-kcm-certs"),
		// nodeipam needs a pod CIDR per node, which fake nodes do not have;
		// nodelifecycle must stay: it lifts the not-ready taint from new nodes.
		"--controllers=*,-nodeipam",
		"--service-account-private-key-file="+l.pki.saKeyFile(),
		"--root-ca-file="+l.pki.caCertFile(),
		"--use-service-account-credentials=false",
		"--kube-api-qps=100",
		"--kube-api-burst=200",
	)
	if err := l.start(ctx, c.Name+"/kube-controller-manager", "kube-controller-manager", kcm, ports[0],
		"https://127.0.0.1:"+strconv.Itoa(ports[0])+"/healthz", 60*time.Second); err != nil {
		return err
	}
	sched := append(append([]string{}, delegated...),
		"--secure-port="+strconv.Itoa(ports[1]),
		"--cert-dir="+filepath.Join(l.cfg.StateDir, "pki", c.Name+"-scheduler-certs"),
	)
	if err := l.start(ctx, c.Name+"/kube-scheduler", "kube-scheduler", sched, ports[1],
		"https://127.0.0.1:"+strconv.Itoa(ports[1])+"/healthz", 60*time.Second); err != nil {
		return err
	}
	rc, err := l.state.RESTConfig(c.Name)
	if err != nil {
		return err
	}
	crdBegin := time.Now()
	// kwok watches the usage kinds from its start, so they exist first.
	if err := InstallKwokCRDs(ctx, rc); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	kwok := []string{
		"--kubeconfig=" + kc,
		"--config=" + filepath.Join(l.cfg.StateDir, "kwok-stages.yaml"),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + fakeNodeAnnotation + "=fake",
		"--server-address=127.0.0.1:" + strconv.Itoa(ports[2]),
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.1/16",
	}
	kwok = append(kwok, kwokUsageArgs(filepath.Join(l.cfg.StateDir, KwokMetricsFile))...)
	if err := l.start(ctx, c.Name+"/kwok", "kwok", kwok, ports[2],
		"http://127.0.0.1:"+strconv.Itoa(ports[2])+"/healthz", 60*time.Second); err != nil {
		return err
	}

	if err := InstallIstioCRDs(ctx, rc); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	l.progress.step("%s: kwok usage and Istio CRDs installed (%.1fs)", c.Name, time.Since(crdBegin).Seconds())
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	if err := createNodes(ctx, cs, m, l.cfg); err != nil {
		return err
	}
	begin := time.Now()
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := memberReady(ctx, cs, l.cfg.NodesPerMember)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: nodes not ready after 90s: %w (see logs in %s)", c.Name, err, filepath.Join(l.cfg.StateDir, "logs"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	l.progress.step("%s: %d nodes Ready (%.1fs)", c.Name, l.cfg.NodesPerMember, time.Since(begin).Seconds())
	return nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// progress prints timestamped steps of a long action.
type progress struct {
	mu    sync.Mutex
	out   io.Writer
	begin time.Time
}

func newProgress(out io.Writer) *progress { return &progress{out: out, begin: time.Now()} }

func (p *progress) step(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "[%5.1fs] %s\n", time.Since(p.begin).Seconds(), fmt.Sprintf(format, args...))
}
