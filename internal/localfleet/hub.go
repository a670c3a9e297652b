package localfleet

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/dashboard"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/member"
)

// FleetName is the Fleet `kurator up` creates, as in seed 001.
const FleetName = "global-production"

// setupHub joins every member to the hub, creates the Fleet of seed 001 and
// starts the Kurator manager against the hub.
func (l *launcher) setupHub(ctx context.Context, metricsPort, healthPort int) error {
	rc, err := l.state.RESTConfig(HubName)
	if err != nil {
		return err
	}
	hub, err := client.New(rc, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return err
	}
	begin := time.Now()
	for _, m := range l.cfg.Members {
		if l.cfg.IsPull(m.Name) {
			continue // its agent registers it (startAgents)
		}
		c, _ := l.state.Cluster(m.Name)
		kc, err := member.FlattenKubeconfigFile(c.Kubeconfig, "")
		if err != nil {
			return err
		}
		opts := join.Options{Name: m.Name, Kubeconfig: kc, Region: m.Region, Zone: m.Zone, Provider: m.Provider}
		if c.Registry != "" {
			opts.Registry = &clusterv1alpha1.Registry{Host: c.Registry, Insecure: true}
		}
		if err := join.Join(ctx, hub, opts); err != nil {
			return fmt.Errorf("join %s: %w", m.Name, err)
		}
	}
	if l.cfg.HubOnly {
		// No member, so no Fleet of the seed and no node pool: the caller
		// joins its own clusters and makes its own Fleets.
		l.progress.step("%s: hub only, no member joined", HubName)
	} else {
		if err := createFleet(ctx, hub, l.cfg.Members); err != nil {
			return err
		}
		if err := CreateNodePools(ctx, hub, l.state); err != nil {
			return err
		}
		l.progress.step("%s: joined %d members, Fleet %s/%s and a worker-pool NodePool per Push member created (%.1fs)", HubName, len(l.cfg.Members)-len(l.cfg.PullMembers), join.Namespace, FleetName, time.Since(begin).Seconds())
	}

	if err := l.startManager(ctx, ManagerProcess(1), metricsPort, healthPort); err != nil {
		return err
	}
	if err := l.startAgents(ctx, hub); err != nil {
		return err
	}
	// Replicas beyond the first get their own metrics and health ports;
	// they start after the first, which therefore leads at first.
	extra := max(l.cfg.ManagerReplicas, 1) - 1
	if extra == 0 {
		return nil
	}
	ports, err := freePorts(2 * extra)
	if err != nil {
		return err
	}
	for i := 2; i <= extra+1; i++ {
		if err := l.startManager(ctx, ManagerProcess(i), ports[0], ports[1]); err != nil {
			return err
		}
		ports = ports[2:]
	}
	l.progress.step("%s: %d kurator-manager replicas started; one leads through the Lease %s/kurator-manager", HubName, extra+1, SystemNamespace)
	return nil
}

// ManagerProcess is the process name of manager replica i (from 1):
// kurator-hub/kurator-manager for the first, kurator-hub/kurator-manager-<i>
// for the others.
func ManagerProcess(i int) string {
	if i <= 1 {
		return HubName + "/kurator-manager"
	}
	return HubName + "/kurator-manager-" + strconv.Itoa(i)
}

// componentKind is the component a process name's part after the cluster
// stands for: kurator-manager-<i> is a kurator-manager replica.
func componentKind(comp string) string {
	if n, ok := strings.CutPrefix(comp, "kurator-manager-"); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return "kurator-manager"
		}
	}
	return comp
}

// startManager starts one kurator-manager replica against the hub, with
// /metrics and /healthz on the given loopback ports.
func (l *launcher) startManager(ctx context.Context, name string, metricsPort, healthPort int) error {
	hubCluster, _ := l.state.Cluster(HubName)
	args := []string{
		"--kubeconfig=" + hubCluster.Kubeconfig,
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(metricsPort),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(healthPort),
		// A playground wants fast reactions; the defaults suit real fleets.
		"--cluster-probe-interval=1s",
		"--cluster-failure-threshold=3s",
		"--cluster-success-threshold=3s",
		"--resync-period=10s",
		// Half the members down pauses failover (two of three in the
		// default fleet); one cluster may start to be evicted per second.
		"--failover-pause-share=0.5",
		"--failover-eviction-rate=1",
	}
	if l.state.PrometheusURL != "" {
		args = append(args, "--prometheus-address="+l.state.PrometheusURL)
	}
	args = append(args, l.cfg.ManagerArgs...)
	return l.start(ctx, name, l.cfg.ManagerBinary, args, metricsPort,
		"http://127.0.0.1:"+strconv.Itoa(healthPort)+"/healthz", 60*time.Second)
}

// createFleet creates the Fleet of seed 001 over the members: each member with
// its region and provider as labels (and env=production), preferring asia-east
// with weight 60, spread over at most two clusters.
func createFleet(ctx context.Context, hub client.Client, members []Member) error {
	f := &fleetv1alpha1.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: FleetName, Namespace: join.Namespace},
		Spec: fleetv1alpha1.FleetSpec{
			Placement: &fleetv1alpha1.FleetPlacement{
				SpreadConstraints: seedSpread(),
				ClusterAffinity: &fleetv1alpha1.FleetClusterAffinity{
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
						Weight: 60,
						Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
							Key: "region", Operator: corev1.NodeSelectorOpIn, Values: []string{"asia-east"},
						}}},
					}},
				},
			},
		},
	}
	for _, m := range members {
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{
			Name:   m.Name,
			Labels: map[string]string{"region": m.Region, "provider": m.Provider, "env": "production"},
		})
	}
	if err := hub.Create(ctx, f); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create Fleet %s: %w", FleetName, err)
	}
	return nil
}

// seedSpread is seed 001's Fleet spread constraint: between one and two clusters.
func seedSpread() []policyv1alpha1.SpreadConstraint {
	return []policyv1alpha1.SpreadConstraint{{MaxGroups: 2, MinGroups: 1}}
}

// DefaultDashboardAddr is where `kurator up` serves the dashboard when the
// port is free.
const DefaultDashboardAddr = "127.0.0.1:8443"

// startDashboard runs `kurator dashboard` against the hub over HTTPS with a
// certificate of the fleet's CA, and a login token kept in the state dir.
func (l *launcher) startDashboard(ctx context.Context, sparePort int) error {
	addr := l.cfg.DashboardAddr
	if addr == "" {
		addr = DefaultDashboardAddr
		if ln, err := net.Listen("tcp", addr); err != nil {
			addr = "127.0.0.1:" + strconv.Itoa(sparePort)
		} else {
			ln.Close()
		}
	}
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	cert, key, err := l.pki.servingCert("dashboard")
	if err != nil {
		return err
	}
	token := dashboard.NewLoginToken()
	tokenFile := filepath.Join(l.cfg.StateDir, "pki", "dashboard.token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		return err
	}
	hub, _ := l.state.Cluster(HubName)
	args := []string{"dashboard", "--kubeconfig=" + hub.Kubeconfig, "--addr=" + addr,
		"--tls-cert-file=" + cert, "--tls-key-file=" + key, "--login-token-file=" + tokenFile}
	base := "https://" + addr
	if err := l.start(ctx, HubName+"/dashboard", l.cfg.DashboardBinary, args, atoi(portStr), base+"/healthz", 60*time.Second); err != nil {
		return err
	}
	l.state.DashboardURL = dashboard.LoginURL(base, token)
	return l.save()
}
