// Package localfleet runs a real multi-cluster Kubernetes playground on one
// machine, as plain local processes: one etcd shared through distinct prefixes,
// a hub kube-apiserver, and per member cluster a kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok with fake nodes whose pods
// really become Running and Ready. `kurator up` and the e2e tests use it.
package localfleet

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kurator-go/kurator/internal/registry"
)

// K8sVersion is the Kubernetes version of the pinned components.
const K8sVersion = "v1.37.2"

// Member describes one member cluster of a local fleet.
type Member struct {
	Name     string
	Region   string
	Zone     string
	Provider string
}

// Config describes a local fleet.
type Config struct {
	// Name identifies the fleet; several fleets may run side by side.
	Name string
	// Members are the member clusters.
	Members []Member
	// HubOnly starts etcd, the hub (kube-apiserver and kube-controller-manager)
	// and, with ManagerBinary, the manager, but no member cluster and no
	// Fleet: the caller joins clusters of its own (the scale bench joins
	// simulated ones). Members must be empty.
	HubOnly bool
	// NodesPerMember is the number of fake nodes in each member.
	NodesPerMember int
	// NodeCPU, NodeMemory and NodePods are each fake node's capacity.
	NodeCPU, NodeMemory, NodePods resource.Quantity
	// StateDir holds certificates, kubeconfigs, data, logs and pids.
	StateDir string
	// BinDir holds the pinned Kubernetes binaries (see hack/k8s/build.sh).
	BinDir string
	// MergeKubeconfig adds the fleet's contexts to the user's kubeconfig
	// ($KUBECONFIG or ~/.kube/config). Tests leave it off.
	MergeKubeconfig bool
	// ManagerBinary, when set, is the kurator-manager binary: the members are
	// joined to the hub, the seed's Fleet is created and the manager started.
	ManagerBinary string
	// ManagerArgs are extra flags for the manager, after the playground's
	// own (a later flag wins), e.g. --scale-time-divisor=20 in tests.
	ManagerArgs []string
	// ManagerReplicas is how many kurator-manager processes run against the
	// hub (default 1); they elect one leader through a Lease, as the
	// replicas of an installed manager do. Replica i > 1 runs as process
	// kurator-hub/kurator-manager-<i>.
	ManagerReplicas int
	// MemberAPIServerArgs are extra kube-apiserver flags for every member
	// (after the playground's own), e.g. an audit policy and log in tests.
	MemberAPIServerArgs []string
	// DashboardBinary, when set with ManagerBinary, is the kurator CLI: the
	// dashboard runs as `kurator dashboard` against the hub, on
	// DashboardAddr (default 127.0.0.1:8443, or a free port when that is
	// taken), with a serving certificate from the fleet's CA.
	DashboardBinary string
	DashboardAddr   string
	// Prometheus runs a Prometheus server (Debian's prometheus) as process
	// kurator-hub/prometheus, scraping the manager's /metrics and the
	// traffic generator's, and passes its URL to the manager. Without the
	// binary Up says how to install it and goes on without Prometheus.
	// PrometheusBinary defaults to prometheus in PATH, then /usr/bin/prometheus.
	Prometheus       bool
	PrometheusBinary string
	// TrafficGen runs the traffic generator (TrafficGenBinary, the
	// kurator-trafficgen command) as process kurator-hub/trafficgen: it reads
	// the members' VirtualServices and emits Istio request metrics.
	TrafficGen       bool
	TrafficGenBinary string
	// Registries runs a CNCF distribution registry (RegistryBinary, default
	// the cache hack/registry/build.sh builds into) for the hub, AppHub's
	// registry, and one per member, each on a loopback port with its
	// storage in <StateDir>/registries/<cluster>. The hub's is named in the
	// ConfigMap kurator-system/kurator-apphub; a member's in its
	// AttachedCluster's spec.registry when it joins.
	Registries     bool
	RegistryBinary string
	// PullMembers names members (among Members) joined in Pull mode: the
	// hub gets no kubeconfig of theirs; each runs AgentBinary (the
	// kurator-agent command) as process <member>/kurator-agent with a
	// bootstrap token of its own and its credentials in
	// <StateDir>/agents/<member>, and Up waits until its AttachedCluster,
	// which the manager creates when it approves the agent's certificate
	// request, is Ready. Needs ManagerBinary.
	PullMembers []string
	AgentBinary string
	// AgentArgs are extra flags for every agent, after the playground's
	// own (a later flag wins), e.g. --heartbeat-interval=2s in tests.
	AgentArgs []string
	// StopWithParent kills every process of the fleet when the starting
	// process dies (used by tests so a crashed test leaves nothing behind).
	StopWithParent bool
}

// DefaultMembers are the clusters of seed document 001's Fleet example.
func DefaultMembers() []Member {
	return []Member{
		{Name: "cluster-hangzhou", Region: "asia-east", Zone: "asia-east-1a", Provider: "alibaba"},
		{Name: "cluster-shanghai", Region: "asia-east", Zone: "asia-east-1b", Provider: "huawei"},
		{Name: "cluster-frankfurt", Region: "eu-central", Zone: "eu-central-1a", Provider: "aws"},
	}
}

// DefaultStateDir is where a fleet named name keeps its state unless told otherwise.
func DefaultStateDir(name string) string {
	if d := os.Getenv("KURATOR_STATE_DIR"); d != "" {
		return filepath.Join(d, name)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".kurator", "fleets", name)
}

// DefaultBinDir is the versioned cache the pinned components are built into.
func DefaultBinDir() string {
	if d := os.Getenv("KURATOR_K8S_BIN"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = filepath.Join(os.TempDir(), "cache")
	}
	return filepath.Join(cache, "kurator", "k8s-"+K8sVersion, "bin")
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.Name == "" {
		c.Name = "local"
	}
	if c.Members == nil && !c.HubOnly {
		c.Members = DefaultMembers()
	}
	if c.NodesPerMember == 0 {
		c.NodesPerMember = 3
	}
	if c.NodeCPU.IsZero() {
		c.NodeCPU = resource.MustParse("8")
	}
	if c.NodeMemory.IsZero() {
		c.NodeMemory = resource.MustParse("32Gi")
	}
	if c.NodePods.IsZero() {
		c.NodePods = resource.MustParse("110")
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir(c.Name)
	}
	if c.BinDir == "" {
		c.BinDir = DefaultBinDir()
	}
	if c.Registries && c.RegistryBinary == "" {
		c.RegistryBinary = registry.DefaultBin()
	}
	return c
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate reports the first problem with the configuration.
func (c Config) Validate() error {
	if !dnsLabel.MatchString(c.Name) {
		return fmt.Errorf("fleet name %q: use lower-case letters, digits and '-'", c.Name)
	}
	if c.HubOnly && (len(c.Members) > 0 || len(c.PullMembers) > 0) {
		return fmt.Errorf("fleet %s is hub-only: it starts no members, so name none (or turn HubOnly off)", c.Name)
	}
	if len(c.Members) == 0 && !c.HubOnly {
		return fmt.Errorf("fleet %s has no members: pass --members with at least one name", c.Name)
	}
	seen := map[string]bool{HubName: true}
	for _, m := range c.Members {
		if !dnsLabel.MatchString(m.Name) || len(m.Name) > 63 {
			return fmt.Errorf("member name %q: use a DNS label (lower-case letters, digits and '-', at most 63)", m.Name)
		}
		if seen[m.Name] {
			return fmt.Errorf("member name %q is used twice (or clashes with the hub's name)", m.Name)
		}
		seen[m.Name] = true
	}
	if c.TrafficGen && c.TrafficGenBinary == "" {
		return fmt.Errorf("fleet %s: the traffic generator needs its binary; build it with `make build` (bin/kurator-trafficgen)", c.Name)
	}
	pull := map[string]bool{}
	for _, p := range c.PullMembers {
		if !seen[p] || p == HubName {
			return fmt.Errorf("--pull-members %q: not a member of fleet %s; name members from --members", p, c.Name)
		}
		if pull[p] {
			return fmt.Errorf("--pull-members %q is given twice", p)
		}
		pull[p] = true
	}
	if len(c.PullMembers) > 0 && c.ManagerBinary == "" {
		return fmt.Errorf("fleet %s: Pull members need the manager (it approves their agents' certificate requests); give its binary", c.Name)
	}
	if len(c.PullMembers) > 0 && c.AgentBinary == "" {
		return fmt.Errorf("fleet %s: Pull members need the agent's binary; build it with `make build` (bin/kurator-agent)", c.Name)
	}
	if c.NodesPerMember < 1 || c.NodesPerMember > 1000 {
		return fmt.Errorf("--nodes-per-member %d: give a number from 1 to 1000", c.NodesPerMember)
	}
	return nil
}

// HubName is the kubeconfig context and cluster name of the hub.
const HubName = "kurator-hub"

// IsPull tells whether the named member joins in Pull mode.
func (c Config) IsPull(member string) bool { return slices.Contains(c.PullMembers, member) }
