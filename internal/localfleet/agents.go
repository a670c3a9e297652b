package localfleet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/agentinstall"
	"github.com/kurator-go/kurator/internal/join"
)

// HubControllers are the only controllers of the hub's
// kube-controller-manager: it signs the client certificates of pull agents
// (the manager approves them) and cleans up old requests. The hub runs no
// pods, so nothing else is needed.
const HubControllers = "csrsigning,csrcleaner"

// AgentProcess is the process name of a Pull member's agent.
func AgentProcess(member string) string { return member + "/kurator-agent" }

// AgentDir holds a Pull member's agent files: its token and its
// credentials (key and certificate).
func (s *State) AgentDir(member string) string { return filepath.Join(s.StateDir, "agents", member) }

// startHubControllerManager runs the hub's kube-controller-manager with
// only HubControllers, signing kube-apiserver-client certificates with the
// fleet's CA, which every apiserver of the fleet trusts for clients.
func (l *launcher) startHubControllerManager(ctx context.Context, hub Cluster, port int) error {
	kc := hub.Kubeconfig
	args := []string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(l.cfg.StateDir, "pki", hub.Name+"-kcm-certs"),
		"--controllers=" + HubControllers,
		"--cluster-signing-kube-apiserver-client-cert-file=" + l.pki.caCertFile(),
		"--cluster-signing-kube-apiserver-client-key-file=" + filepath.Join(l.pki.dir, "ca.key"),
		"--use-service-account-credentials=false",
	}
	return l.start(ctx, hub.Name+"/kube-controller-manager", "kube-controller-manager", args, port,
		"https://127.0.0.1:"+strconv.Itoa(port)+"/healthz", 60*time.Second)
}

// startAgents creates a bootstrap token per Pull member, starts its agent
// and waits until its AttachedCluster is Ready; then it sets the member's
// location (and registry) on the AttachedCluster, as join does for Push
// members.
func (l *launcher) startAgents(ctx context.Context, hub client.Client) error {
	if len(l.cfg.PullMembers) == 0 {
		return nil
	}
	begin := time.Now()
	hubCluster, _ := l.state.Cluster(HubName)
	for _, name := range l.cfg.PullMembers {
		c, _ := l.state.Cluster(name)
		tok, _, err := agentinstall.CreateToken(ctx, hub, agentinstall.TokenOptions{
			Fleet: FleetName, Description: "kurator up: agent of " + name,
		}, time.Now())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		dir := l.state.AgentDir(name)
		if err := os.MkdirAll(filepath.Join(dir, "credentials"), 0o700); err != nil {
			return err
		}
		tokenFile := filepath.Join(dir, "token")
		if err := os.WriteFile(tokenFile, []byte(tok.String()), 0o600); err != nil {
			return err
		}
		args := []string{
			"--cluster-name=" + name,
			"--hub-url=" + hubCluster.Server,
			"--hub-ca-file=" + l.pki.caCertFile(),
			"--token-file=" + tokenFile,
			"--kubeconfig=" + c.Kubeconfig,
			"--credentials-dir=" + filepath.Join(dir, "credentials"),
		}
		args = append(args, l.cfg.AgentArgs...)
		// No health endpoint: the agent is judged by its cluster's Ready.
		if err := l.start(ctx, AgentProcess(name), l.cfg.AgentBinary, args, 0, "", 10*time.Second); err != nil {
			return err
		}
	}
	if err := l.parallel(l.pullClusters(), func(c Cluster) error { return l.waitPullReady(ctx, hub, c, 90*time.Second) }); err != nil {
		return err
	}
	l.progress.step("%s: %d Pull members registered by their agents and Ready (%.1fs)", HubName, len(l.cfg.PullMembers), time.Since(begin).Seconds())
	return nil
}

func (l *launcher) pullClusters() []Cluster {
	var out []Cluster
	for _, n := range l.cfg.PullMembers {
		c, _ := l.state.Cluster(n)
		out = append(out, c)
	}
	return out
}

// waitPullReady waits until the member's AttachedCluster exists (then gives
// it the member's location) and is Ready, or the agent exits, or timeout.
func (l *launcher) waitPullReady(ctx context.Context, hub client.Client, c Cluster, timeout time.Duration) error {
	begin := time.Now()
	deadline := begin.Add(timeout)
	l.mu.Lock()
	exited := l.exited[AgentProcess(c.Name)]
	l.mu.Unlock()
	located := false
	for {
		var ac clusterv1alpha1.AttachedCluster
		err := hub.Get(ctx, client.ObjectKey{Namespace: join.Namespace, Name: c.Name}, &ac)
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: read its AttachedCluster: %w", c.Name, err)
		}
		if err == nil && !located {
			if err := l.locate(ctx, hub, &ac, c); err != nil {
				return err
			}
			located = true
		}
		if err == nil {
			if cond := ac.ReadyCondition(); cond != nil && cond.Status == metav1.ConditionTrue {
				l.progress.step("%s: registered by its agent, Ready (%.1fs)", c.Name, time.Since(begin).Seconds())
				return nil
			}
		}
		var why string
		select {
		case <-exited:
			why = "its agent exited"
		default:
			if time.Now().After(deadline) {
				why = fmt.Sprintf("not Ready after %s", timeout)
			}
		}
		if why != "" {
			p, _ := l.state.Process(AgentProcess(c.Name))
			return fmt.Errorf("%s (Pull): %s; %s\n--- last lines of %s ---\n%s", c.Name, why, pullDiagnosis(ctx, hub, c.Name, &ac, err == nil), p.Log, tail(p.Log, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// locate sets the member's region, zone, provider and registry on the
// AttachedCluster its agent's registration created.
func (l *launcher) locate(ctx context.Context, hub client.Client, ac *clusterv1alpha1.AttachedCluster, c Cluster) error {
	m := l.member(c.Name)
	spec := map[string]any{"region": m.Region, "zone": m.Zone, "provider": m.Provider}
	if c.Registry != "" {
		spec["registry"] = clusterv1alpha1.Registry{Host: c.Registry, Insecure: true}
	}
	patch, err := json.Marshal(map[string]any{"spec": spec})
	if err != nil {
		return err
	}
	if err := hub.Patch(ctx, ac, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("%s: set its region, zone and provider on AttachedCluster %s/%s: %w", c.Name, join.Namespace, c.Name, err)
	}
	return nil
}

// pullDiagnosis says how far a Pull member's registration got.
func pullDiagnosis(ctx context.Context, hub client.Client, cluster string, ac *clusterv1alpha1.AttachedCluster, exists bool) string {
	if exists {
		if cond := ac.ReadyCondition(); cond != nil {
			return fmt.Sprintf("AttachedCluster Ready=%s %s: %s", cond.Status, cond.Reason, cond.Message)
		}
		return "AttachedCluster created, no Ready condition yet (no heartbeat seen)"
	}
	var csrs certificatesv1.CertificateSigningRequestList
	if err := hub.List(ctx, &csrs, client.MatchingLabels{clusterv1alpha1.ClusterNameLabel: cluster}); err != nil {
		return "list its certificate requests: " + err.Error()
	}
	if len(csrs.Items) == 0 {
		return "no certificate request from its agent on the hub"
	}
	var states []string
	for _, r := range csrs.Items {
		st := "pending"
		for _, c := range r.Status.Conditions {
			st = string(c.Type) + " " + c.Reason + ": " + c.Message
		}
		states = append(states, r.Name+" "+st)
	}
	return "certificate requests: " + strings.Join(states, "; ")
}
