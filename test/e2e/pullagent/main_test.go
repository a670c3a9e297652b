// Package pullagent tests pull mode end to end over links the test makes:
// a local fleet started like `kurator up --pull-members cluster-shanghai`
// (the real kurator-manager; the hub holds no kubeconfig of that member),
// whose agent is then unregistered and registered again from a network
// namespace of its own: it reaches the hub and its member only through two
// veth links (test/netem), which the tests slow down, make lossy and cut.
package pullagent

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
	"github.com/kurator-go/kurator/test/netem"
)

const (
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai" // the pull member
	frankfurt = "cluster-frankfurt"

	// heartbeat and grace are the tests' short timings; the defaults
	// (30s, 40s) are measured in TestHeartbeatCostAndFootprint.
	heartbeat = 2 * time.Second
	grace     = 6 * time.Second
)

var (
	fleet *localfleet.State
	hub   client.Client

	// agentBin is the kurator-agent built from this tree.
	agentBin string
	// ns holds the agent; hubLink and memberLink join it to the host,
	// where hubRelay and memberRelay carry its connections to the hub's
	// and the member's API servers on loopback.
	ns                    *netem.Namespace
	hubLink, memberLink   *netem.Link
	hubRelay, memberRelay *netem.Relay
	// work is a directory for the agents' files (kubeconfigs, credentials,
	// logs), kept with the fleet's state when the package fails.
	work string
)

func TestMain(m *testing.M) {
	if err := netem.Check(); err != nil {
		// A machine that cannot make namespaces cannot run this package;
		// in CI that is a failure, not a skip.
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "SKIP: %v\n", err)
		os.Exit(0)
	}
	var err error
	if work, err = os.MkdirTemp("", "kurator-e2e-pullagent-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	agentBin = filepath.Join(work, "kurator-agent")
	if out, err := exec.Command("go", "build", "-o", agentBin, "github.com/kurator-go/kurator/cmd/kurator-agent").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build kurator-agent: %v\n%s", err, out)
		os.Exit(1)
	}
	// The fleet registers cluster-shanghai through an agent of its own on
	// loopback, as `kurator up --pull-members` does; the first test
	// unregisters it and registers it again from the namespace.
	cfg := localfleet.Config{
		Name:           "e2e-pullagent",
		NodesPerMember: 2,
		ManagerArgs:    []string{"--agent-heartbeat-grace=" + grace.String()},
		PullMembers:    []string{shanghai},
		AgentBinary:    agentBin,
		AgentArgs:      []string{"--heartbeat-interval=" + heartbeat.String()},
	}
	code := fleettest.Main(m, cfg, true, &fleet, setup)
	if code == 0 {
		os.RemoveAll(work)
	} else {
		fmt.Fprintf(os.Stderr, "kept the agents' files and logs in %s\n", work)
	}
	os.Exit(code)
}

// setup makes the namespace with its two links and relays, and counts the
// agent's requests on the hub with a FlowSchema of its own.
func setup(ctx context.Context, st *localfleet.State) (func(), error) {
	var err error
	if hub, err = fleettest.HubClient(st); err != nil {
		return nil, err
	}
	if ns, err = netem.New(); err != nil {
		return nil, err
	}
	stop := func() {
		stopAgents()
		if err := ns.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	fail := func(err error) (func(), error) { stop(); return nil, err }
	if hubLink, err = ns.AddLink("hub", 201); err != nil {
		return fail(err)
	}
	if memberLink, err = ns.AddLink("member", 202); err != nil {
		return fail(err)
	}
	if hubRelay, err = hubLink.Relay(hostPort(st, localfleet.HubName)); err != nil {
		return fail(err)
	}
	if memberRelay, err = memberLink.Relay(hostPort(st, shanghai)); err != nil {
		return fail(err)
	}
	if err := countAgentRequests(ctx, shanghai); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "pullagent: namespace %s, hub link %s<->%s (relay %s), member link %s<->%s (relay %s)\n",
		ns.Name, hubLink.HostIP, hubLink.NSIP, hubRelay.Addr, memberLink.HostIP, memberLink.NSIP, memberRelay.Addr)
	return stop, nil
}

// hostPort is the loopback host:port of a fleet cluster's API server.
func hostPort(st *localfleet.State, cluster string) string {
	c, _ := st.Cluster(cluster)
	u, err := url.Parse(c.Server)
	if err != nil {
		panic(fmt.Sprintf("server of %s: %v", cluster, err))
	}
	return u.Host
}

// caFile is the fleet's CA: it signed every API server's certificate
// (for 127.0.0.1) and, through the hub's controller-manager, the agents'.
func caFile() string { return filepath.Join(fleet.StateDir, "pki", "ca.crt") }

// memberKubeconfig writes a kubeconfig for the agent inside the namespace:
// the member's API server through the member relay, its certificate checked
// for 127.0.0.1, the fleet admin's client certificate.
func memberKubeconfig(dir, cluster, server string) (string, error) {
	c, _ := fleet.Cluster(cluster)
	cfg, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		return "", err
	}
	for _, kc := range cfg.Clusters {
		kc.Server = "https://" + server
		kc.TLSServerName = "127.0.0.1"
	}
	path := filepath.Join(dir, "member.kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// flowSchema counts the requests of one cluster's agent on the hub:
// apiserver_flowcontrol_dispatched_requests_total{flow_schema=...} counts
// exactly the requests it matches, whatever the link did to them.
func flowSchema(cluster string) string { return "kurator-e2e-agent-" + cluster }

func countAgentRequests(ctx context.Context, cluster string) error {
	fs := &flowcontrolv1.FlowSchema{
		ObjectMeta: metav1.ObjectMeta{Name: flowSchema(cluster)},
		Spec: flowcontrolv1.FlowSchemaSpec{
			// Before every suggested schema that could match an
			// authenticated user (global-default is 9900).
			MatchingPrecedence:         450,
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "workload-low"},
			DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType},
			Rules: []flowcontrolv1.PolicyRulesWithSubjects{{
				Subjects: []flowcontrolv1.Subject{{
					Kind: flowcontrolv1.SubjectKindUser,
					User: &flowcontrolv1.UserSubject{Name: clusterv1alpha1.AgentUser(cluster)},
				}},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
					Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"},
					ClusterScope: true, Namespaces: []string{"*"},
				}},
				NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
			}},
		},
	}
	rc, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.FlowcontrolV1().FlowSchemas().Create(ctx, fs, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("create FlowSchema %s: %w", fs.Name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
