// Command kurator-agent joins a member cluster to a Kurator hub in pull
// mode: it runs in the member (or next to it, with --kubeconfig), connects
// out to the hub, registers with a bootstrap token, heartbeats, reports the
// cluster's status and applies the cluster's Works. The hub holds no
// credentials of the member and needs no route to it.
//
//	kurator-agent --cluster-name edge-1 --hub-url https://hub:6443 \
//	    --hub-ca-file hub-ca.crt --token abcdef.0123456789abcdef \
//	    --kubeconfig member.kubeconfig --credentials-dir /var/lib/kurator-agent
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kurator-go/kurator/internal/agent"
	"github.com/kurator-go/kurator/internal/agent/bootstrap"
	"github.com/kurator-go/kurator/internal/agent/heartbeat"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// options are the agent's flags.
type options struct {
	clusterName       string
	hubURL            string
	hubCAFile         string
	hubTLSServerName  string
	token             string
	tokenFile         string
	kubeconfig        string
	credentialsDir    string
	heartbeatInterval time.Duration
	statusEvery       int
	certificateTTL    time.Duration
	resyncPeriod      time.Duration
	statusInterval    time.Duration
	logFile           string
	trafficLog        time.Duration
	version           bool
	zap               zap.Options
}

func (o *options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.clusterName, "cluster-name", "", "the name the cluster registers as on the hub (its AttachedCluster kurator-system/<name>)")
	fs.StringVar(&o.hubURL, "hub-url", "", "the hub API server's URL, e.g. https://hub.example.com:6443 (kurator token create prints it)")
	fs.StringVar(&o.hubCAFile, "hub-ca-file", "", "CA bundle that verifies the hub's serving certificate (default: the system's roots)")
	fs.StringVar(&o.hubTLSServerName, "hub-tls-server-name", "", "name to check the hub's serving certificate against when it differs from the URL's host (a relay)")
	fs.StringVar(&o.token, "token", "", "bootstrap token <id>.<secret> from `kurator token create`; needed for the first registration only")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the bootstrap token (instead of --token)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the member cluster (default: in-cluster, the Pod's ServiceAccount)")
	fs.StringVar(&o.credentialsDir, "credentials-dir", "/var/lib/kurator-agent", "directory keeping the agent's key and certificate ("+bootstrap.CredentialsFile+", mode 0600); in a Pod they are also kept in Secret kurator-system/"+bootstrap.DefaultSecretName)
	fs.DurationVar(&o.heartbeatInterval, "heartbeat-interval", heartbeat.DefaultInterval, "how often the agent renews its Lease on the hub (the hub marks the cluster Unknown after its --agent-heartbeat-grace)")
	fs.IntVar(&o.statusEvery, "status-every", heartbeat.DefaultStatusEvery, "write the cluster status at least every this many heartbeats even when unchanged (changes are written on the next heartbeat)")
	fs.DurationVar(&o.certificateTTL, "certificate-ttl", 24*time.Hour, "lifetime of the agent's client certificates (at least 10m); each is renewed at 80% of it")
	fs.DurationVar(&o.resyncPeriod, "resync-period", 30*time.Second, "how often every Work is re-checked against the member (drift the member watch misses is reverted within it)")
	fs.DurationVar(&o.statusInterval, "status-interval", 2*time.Second, "least time between two status writes of one Work (a burst of changes is one write)")
	fs.StringVar(&o.logFile, "log-file", "", "also append the logs to this file, e.g. /var/log/kurator/agent.log")
	fs.DurationVar(&o.trafficLog, "traffic-log-interval", 10*time.Minute, "how often to log the hub traffic (requests and body bytes per minute); 0 never")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	// --zap-log-level (info, debug, or a number: 2 shows V(2)), --zap-encoder, ...
	o.zap.BindFlags(fs)
}

func main() {
	var o options
	// An own flag set: controller-runtime registers --kubeconfig on the
	// global one.
	fs := flag.NewFlagSet("kurator-agent", flag.ExitOnError)
	o.bind(fs)
	// Errors are logged with their fix, not a stack trace (a heartbeat
	// failing on a lossy link would print one every interval).
	_ = fs.Set("zap-stacktrace-level", "panic")
	_ = fs.Parse(os.Args[1:])
	if o.version {
		fmt.Printf("kurator-agent %s\n", Version)
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "kurator-agent: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	out := io.Writer(os.Stdout)
	if o.logFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.logFile), 0o755); err != nil {
			return fmt.Errorf("--log-file %s: %w", o.logFile, err)
		}
		f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--log-file %s: %w", o.logFile, err)
		}
		defer f.Close()
		out = io.MultiWriter(os.Stdout, f)
	}
	logger := zap.New(zap.UseFlagOptions(&o.zap), zap.WriteTo(out), zap.ConsoleEncoder())
	ctrllog.SetLogger(logger)
	klog.SetLogger(logger.WithName("client-go"))
	logger = logger.WithName("kurator-agent")

	token, err := o.bootstrapToken()
	if err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	member, inCluster, err := memberConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("starting", "version", Version, "cluster", o.clusterName, "hub", o.hubURL, "member", member.Host,
		"heartbeatInterval", o.heartbeatInterval.String(), "credentialsDir", o.credentialsDir)
	err = agent.Run(ctx, agent.Options{
		ClusterName:        o.clusterName,
		Hub:                bootstrap.Hub{URL: o.hubURL, CAFile: o.hubCAFile, TLSServerName: o.hubTLSServerName},
		Token:              token,
		Member:             member,
		InCluster:          inCluster,
		CredentialsDir:     o.credentialsDir,
		HeartbeatInterval:  o.heartbeatInterval,
		StatusEvery:        o.statusEvery,
		CertificateTTL:     o.certificateTTL,
		ResyncPeriod:       o.resyncPeriod,
		StatusInterval:     o.statusInterval,
		Version:            Version,
		TrafficLogInterval: trafficLogInterval(o.trafficLog),
		Log:                logger,
	})
	if err != nil {
		logger.Error(err, "the agent stops")
	}
	return err
}

// trafficLogInterval maps the flag's 0 (never) to agent.Options' negative.
func trafficLogInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

func (o *options) bootstrapToken() (string, error) {
	if o.token != "" && o.tokenFile != "" {
		return "", errors.New("pass --token or --token-file, not both")
	}
	if o.tokenFile == "" {
		return strings.TrimSpace(o.token), nil
	}
	raw, err := os.ReadFile(o.tokenFile)
	if errors.Is(err, os.ErrNotExist) {
		// A Pod restarted after registration may have no token mounted any
		// more: stored credentials suffice.
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	return strings.TrimSpace(string(raw)), nil
}

func (o *options) check() error {
	switch {
	case o.clusterName == "":
		return errors.New("--cluster-name is required: the name the cluster registers as on the hub")
	case o.hubURL == "":
		return errors.New("--hub-url is required: the hub API server's URL (kurator token create prints the register command with it)")
	case !strings.HasPrefix(o.hubURL, "https://"):
		return fmt.Errorf("--hub-url %q: the hub is reached over TLS, use an https:// URL", o.hubURL)
	case o.credentialsDir == "":
		return errors.New("--credentials-dir is required: the directory that keeps the agent's key and certificate")
	case o.heartbeatInterval < time.Second:
		return fmt.Errorf("--heartbeat-interval %s is below 1s", o.heartbeatInterval)
	case o.certificateTTL < bootstrap.MinCertificateTTL:
		return fmt.Errorf("--certificate-ttl %s is below the CertificateSigningRequest API's minimum %s", o.certificateTTL, bootstrap.MinCertificateTTL)
	}
	return nil
}

// memberConfig is the member's rest.Config: the kubeconfig's, or the Pod's
// own (inCluster).
func memberConfig(kubeconfig string) (cfg *rest.Config, inCluster bool, err error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, false, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, false, nil
	}
	cfg, err = rest.InClusterConfig()
	if err != nil {
		return nil, false, fmt.Errorf("not running in a Pod (%v): pass --kubeconfig of the member cluster", err)
	}
	return cfg, true, nil
}
