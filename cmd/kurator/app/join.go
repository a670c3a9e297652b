package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/agentinstall"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/member"
)

type joinFlags struct {
	hub        hubFlags
	kubeconfig string
	context    string
	fleet      string
	labels     []string
	region     string
	zone       string
	provider   string
}

func (f *joinFlags) add(cmd *cobra.Command) {
	f.hub.add(cmd)
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the member cluster (required)")
	cmd.Flags().StringVar(&f.context, "context", "", "context of the member in that kubeconfig (default: its current context)")
	cmd.Flags().StringVar(&f.fleet, "fleet", "", "Fleet in kurator-system to add the cluster to (created if missing)")
	cmd.Flags().StringSliceVar(&f.labels, "labels", nil, "labels for scheduling, k=v,k2=v2")
	cmd.Flags().StringVar(&f.region, "region", "", "region of the cluster (spreadByField region, fieldSelector)")
	cmd.Flags().StringVar(&f.zone, "zone", "", "zone of the cluster")
	cmd.Flags().StringVar(&f.provider, "provider", "", "cloud provider of the cluster")
	_ = cmd.MarkFlagRequired("kubeconfig")
}

func (f *joinFlags) run(cmd *cobra.Command, name string) error {
	labels := map[string]string{}
	for _, kv := range f.labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--labels %q: write key=value", kv)
		}
		labels[k] = v
	}
	kc, err := member.FlattenKubeconfigFile(f.kubeconfig, f.context)
	if err != nil {
		return err
	}
	hub, err := f.hub.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
	defer cancel()
	if err := join.Join(ctx, hub, join.Options{
		Name: name, Kubeconfig: kc, Fleet: f.fleet, Labels: labels,
		Region: f.region, Zone: f.zone, Provider: f.provider,
	}); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "cluster %s joined (AttachedCluster %s/%s, Secret %s)\n", name, join.Namespace, name, join.SecretName(name))
	if f.fleet != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "added to Fleet %s/%s\n", join.Namespace, f.fleet)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "watch it become Ready: kurator get clusters\n")
	return nil
}

func newJoinCommand() *cobra.Command {
	var f joinFlags
	cmd := &cobra.Command{
		Use:   "join NAME --kubeconfig FILE",
		Short: "Register a member cluster with the hub",
		Long: `Register a member cluster with the hub: store its kubeconfig (credentials
embedded) in a Secret and create an AttachedCluster in kurator-system, optionally
adding it to a Fleet. Joining again updates the credentials.`,
		Example: `  kurator join cluster-hangzhou --kubeconfig ~/.kube/hangzhou.yaml --fleet global-production \
      --region asia-east --zone asia-east-1a --provider alibaba --labels env=production`,
		Args: exactlyOneName("cluster"),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args[0]) },
	}
	f.add(cmd)
	return cmd
}

func newUnjoinCommand() *cobra.Command {
	var h hubFlags
	cmd := &cobra.Command{
		Use:     "unjoin NAME",
		Short:   "Remove a member cluster from the hub and from every Fleet",
		Example: `  kurator unjoin cluster-frankfurt`,
		Args:    exactlyOneName("cluster"),
		RunE: func(cmd *cobra.Command, args []string) error {
			hub, err := h.client()
			if err != nil {
				return err
			}
			if err := join.Unjoin(cmd.Context(), hub, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cluster %s unjoined\n", args[0])
			return nil
		},
	}
	h.add(cmd)
	return cmd
}

// newClusterCommand holds seed 000's form: kurator cluster register.
func newClusterCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Manage member clusters (register, unregister)"}
	var (
		f    joinFlags
		p    pullFlags
		name string
		mode string
	)
	register := &cobra.Command{
		Use:   "register --name NAME (--kubeconfig FILE [--server-addr URL] | --mode pull --hub URL --token T)",
		Short: "Register a member cluster with the hub, by kubeconfig (Push, as kurator join) or through an agent (Pull)",
		Long: `Register a member cluster with the hub.

Push (the default) stores the member's kubeconfig on the hub, as kurator join.

Pull installs the kurator agent into the member (namespace kurator-system:
ServiceAccount kurator-agent with a ClusterRole to apply anything on that
cluster, a Secret with the token and the hub's CA, Deployment kurator-agent),
for members the hub cannot reach (NAT, firewall). The agent registers with the
bootstrap token of ` + "`kurator token create`" + ` (which prints this command), then
holds only its own client certificate; the hub holds no credentials of the
member. The command waits until the cluster is Ready on the hub, reading the
hub through --hub-kubeconfig/--hub-context when they work, else from the
member's side only.`,
		Example: `  kurator cluster register --name north-cluster --kubeconfig ~/.kube/north-config \
      --server-addr https://127.0.0.1:6443

  # Pull: run with the member's kubeconfig; the hub never connects to it
  kurator cluster register --name north-cluster --mode pull --hub https://hub.example.com:6443 \
      --token abc123.0123456789abcdef --hub-ca-file hub-ca.crt --kubeconfig ~/.kube/north-config

  # see what would be installed
  kurator cluster register --name north-cluster --mode pull --hub https://hub.example.com:6443 \
      --token abc123.0123456789abcdef --dry-run -o yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("--name is required: the name the cluster gets on the hub")
			}
			switch strings.ToLower(mode) {
			case "push":
				if p.set(cmd) {
					return fmt.Errorf("--hub, --token, --image and --dry-run are for --mode pull; a Push cluster is reached with --kubeconfig")
				}
				if f.kubeconfig == "" {
					return fmt.Errorf("--kubeconfig is required in Push mode: the member's kubeconfig the hub stores (or register it with --mode pull)")
				}
				return f.run(cmd, name)
			case "pull":
				return p.run(cmd, name, &f)
			}
			return fmt.Errorf("--mode %q: use push (the hub holds the member's kubeconfig) or pull (an agent in the member connects to the hub)", mode)
		},
	}
	f.add(register)
	// --kubeconfig is required only in Push mode (checked above).
	delete(register.Flags().Lookup("kubeconfig").Annotations, cobra.BashCompOneRequiredFlag)
	register.Flags().Lookup("kubeconfig").Usage = "kubeconfig of the member cluster (required in Push mode; Pull: default $KUBECONFIG or ~/.kube/config)"
	register.Flags().StringVar(&name, "name", "", "name of the cluster on the hub")
	register.Flags().StringVar(&mode, "mode", "push", "push: the hub holds the member's kubeconfig; pull: an agent in the member connects to the hub")
	register.Flags().StringVar(&f.hub.server, "server-addr", "", "address of the hub's API server (overrides the hub kubeconfig's server)")
	p.add(register)
	cmd.AddCommand(register, newUnregisterCommand())
	return cmd
}

// pullFlags are the flags of cluster register --mode pull.
type pullFlags struct {
	hubURL        string
	token         string
	caFile        string
	caData        string
	tlsServerName string
	image         string
	heartbeat     time.Duration
	dryRun        bool
	output        string
	timeout       time.Duration
}

func (p *pullFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.hubURL, "hub", "", "Pull: the hub's API server URL as the member reaches it")
	cmd.Flags().StringVar(&p.token, "token", "", "Pull: bootstrap token from `kurator token create`")
	cmd.Flags().StringVar(&p.caFile, "hub-ca-file", "", "Pull: PEM file of the CA of the hub's serving certificate (default: the member's system roots)")
	cmd.Flags().StringVar(&p.caData, "hub-ca-data", "", "Pull: the same CA, base64, as `kurator token create` prints it")
	cmd.Flags().StringVar(&p.tlsServerName, "hub-tls-server-name", "", "Pull: name to check the hub's certificate against instead of the --hub host")
	cmd.Flags().StringVar(&p.image, "image", agentinstall.DefaultImage(Version), "Pull: the agent's image")
	cmd.Flags().DurationVar(&p.heartbeat, "heartbeat-interval", 0, "Pull: how often the agent renews its heartbeat Lease (default: the agent's, 30s)")
	cmd.Flags().BoolVar(&p.dryRun, "dry-run", false, "Pull: print the member's objects instead of applying them")
	cmd.Flags().StringVarP(&p.output, "output", "o", "yaml", "Pull with --dry-run: yaml")
	cmd.Flags().DurationVar(&p.timeout, "timeout", 3*time.Minute, "Pull: how long to wait for the cluster to be Ready (0: do not wait)")
}

// set tells whether a Pull-only flag was given.
func (p *pullFlags) set(cmd *cobra.Command) bool {
	for _, n := range []string{"hub", "token", "hub-ca-file", "hub-ca-data", "hub-tls-server-name", "image", "heartbeat-interval", "dry-run"} {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

func (p *pullFlags) options(name string) (agentinstall.Options, error) {
	ca, err := readCA(p.caFile, p.caData)
	if err != nil {
		return agentinstall.Options{}, err
	}
	o := agentinstall.Options{
		ClusterName: name, HubURL: p.hubURL, HubCA: ca, HubTLSServerName: p.tlsServerName,
		Token: strings.TrimSpace(p.token), Image: p.image, HeartbeatInterval: p.heartbeat,
	}
	return o, o.Validate()
}

func (p *pullFlags) run(cmd *cobra.Command, name string, f *joinFlags) error {
	if p.output != "yaml" {
		return fmt.Errorf("-o %q: --dry-run prints yaml only", p.output)
	}
	if f.hub.server != "" {
		return fmt.Errorf("--server-addr is for Push mode; in Pull mode --hub is the hub's URL as the member reaches it")
	}
	o, err := p.options(name)
	if err != nil {
		return err
	}
	objs, err := agentinstall.Objects(o)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if p.dryRun {
		data, err := agentinstall.YAML(objs)
		if err != nil {
			return err
		}
		_, err = out.Write(data)
		return err
	}
	ctx := cmd.Context()
	begin := time.Now()

	// The token first: a refused one is the most common mistake, and
	// installing an agent that can only fail helps nobody.
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	user, err := agentinstall.CheckToken(cctx, agentinstall.HubConfig(o.HubURL, o.HubCA, o.HubTLSServerName, o.Token))
	cancel()
	switch {
	case errors.Is(err, agentinstall.ErrTokenRefused):
		return fmt.Errorf("cluster %s: %w", name, err)
	case err != nil:
		fmt.Fprintf(out, "warning: %v; the agent in the member must reach it, going on\n", err)
	default:
		fmt.Fprintf(out, "the hub at %s accepts the token (as %s)\n", o.HubURL, user)
	}

	memberCfg, memberContext, err := memberConfig(f.kubeconfig, f.context)
	if err != nil {
		return err
	}
	mc, err := client.New(memberCfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(memberCfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "installing the agent into the member (%s, context %s):\n", memberCfg.Host, orDash(memberContext))
	if err := agentinstall.Install(ctx, mc, objs, out); err != nil {
		return fmt.Errorf("cluster %s: %w", name, err)
	}
	if p.timeout == 0 {
		fmt.Fprintf(out, "agent installed; watch the cluster become Ready on the hub: kurator get clusters %s\n", name)
		return nil
	}
	w := &agentinstall.Watcher{Cluster: name, HubURL: o.HubURL, Member: cs, MemberContext: memberContext, Out: out}
	if hub, err := f.hub.client(); err == nil {
		w.Hub = hub
		fmt.Fprintf(out, "waiting up to %s for cluster %s to be Ready (watching the hub through context %s and the member):\n", p.timeout, name, f.hub.context)
	} else {
		fmt.Fprintf(out, "waiting up to %s for the agent to register (no hub kubeconfig here: watching the member only):\n", p.timeout)
	}
	wctx, cancel := context.WithTimeout(ctx, p.timeout+10*time.Second)
	defer cancel()
	if err := w.Wait(wctx, p.timeout); err != nil {
		return err
	}
	if w.Hub != nil {
		fmt.Fprintf(out, "cluster %s joined in Pull mode and Ready in %.1fs; the hub holds no credentials of it\n", name, time.Since(begin).Seconds())
	} else {
		fmt.Fprintf(out, "cluster %s registered in Pull mode in %.1fs; on the hub: kurator get clusters %s\n", name, time.Since(begin).Seconds(), name)
	}
	return nil
}

// memberConfig loads the member's client configuration from kubeconfig
// (default loading rules when empty) and context (its current when empty),
// and names the context used.
func memberConfig(kubeconfig, contextName string) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: contextName})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("reach the member: %w (pass --kubeconfig and --context of the member cluster)", err)
	}
	if contextName == "" {
		if raw, err := cc.RawConfig(); err == nil {
			contextName = raw.CurrentContext
		}
	}
	return cfg, contextName, nil
}

// newUnregisterCommand removes a cluster of either mode: kurator unregister
// and kurator cluster unregister.
func newUnregisterCommand() *cobra.Command {
	var (
		h           hubFlags
		kubeconfig  string
		kubecontext string
		deleteToken bool
	)
	cmd := &cobra.Command{
		Use:   "unregister NAME [--kubeconfig MEMBER]",
		Short: "Remove a member cluster from the hub; for a Pull cluster revoke its agent and, with the member's kubeconfig, remove the agent",
		Long: `Remove a member cluster from the hub and from every Fleet.

For a Pull cluster it also revokes the agent: the AttachedCluster and the
agent's per-cluster hub RBAC are deleted (its certificate then authenticates
but is authorised for nothing), as are its heartbeat Lease and pending
certificate requests. With --kubeconfig of the member the agent's objects
there are removed too (Deployment, Secrets, ServiceAccount, RBAC; the
namespace stays). --delete-token also revokes the token it registered with.`,
		Example: `  kurator unregister north-cluster --kubeconfig ~/.kube/north-config
  kurator cluster unregister cluster-frankfurt`,
		Args: exactlyOneName("cluster"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return unregister(cmd, &h, args[0], kubeconfig, kubecontext, deleteToken)
		},
	}
	h.add(cmd)
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the member: remove the agent's objects from it too (Pull)")
	cmd.Flags().StringVar(&kubecontext, "context", "", "context of the member (in --kubeconfig, else in $KUBECONFIG or ~/.kube/config): remove the agent's objects from it too")
	cmd.Flags().BoolVar(&deleteToken, "delete-token", false, "Pull: also delete the bootstrap token the cluster registered with (other clusters may be using it)")
	return cmd
}

func unregister(cmd *cobra.Command, h *hubFlags, name, kubeconfig, kubecontext string, deleteToken bool) error {
	out := cmd.OutOrStdout()
	hub, err := h.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
	defer cancel()
	var ac clusterv1alpha1.AttachedCluster
	err = hub.Get(ctx, client.ObjectKey{Namespace: join.Namespace, Name: name}, &ac)
	found := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("read AttachedCluster %s/%s: %w", join.Namespace, name, err)
	}
	// The member is given by its kubeconfig, a context, or both.
	memberGiven := kubeconfig != "" || kubecontext != ""
	if !found && !memberGiven {
		return fmt.Errorf("cluster %s is not on the hub (no AttachedCluster %s/%s; `kurator get clusters` lists them)", name, join.Namespace, name)
	}
	pull := found && ac.IsPull()
	if found {
		if err := join.Unjoin(ctx, hub, name); err != nil {
			return err
		}
		mode := "Push"
		if pull {
			mode = "Pull"
		}
		fmt.Fprintf(out, "cluster %s (%s) removed from the hub: AttachedCluster %s/%s deleted, removed from every Fleet\n", name, mode, join.Namespace, name)
	}
	if !found {
		fmt.Fprintf(out, "cluster %s is not on the hub; removing what may be left of a Pull registration\n", name)
	}
	if pull || !found {
		if err := agentinstall.PullCleanup(ctx, hub, name, 10*time.Second, out); err != nil {
			return err
		}
	}
	if tokenID := ac.Annotations[clusterv1alpha1.BootstrapTokenIDAnnotation]; pull && tokenID != "" {
		if deleteToken {
			if err := agentinstall.DeleteToken(ctx, hub, tokenID); err != nil {
				fmt.Fprintf(out, "  token %s: %v\n", tokenID, err)
			} else {
				fmt.Fprintf(out, "  bootstrap token %s deleted\n", tokenID)
			}
		} else {
			fmt.Fprintf(out, "  the token %s it registered with stays valid until it expires (an agent holding it could register again): revoke it with `kurator token delete %s`\n", tokenID, tokenID)
		}
	}
	if !memberGiven {
		if pull {
			fmt.Fprintf(out, "the agent still runs in the member, authorised for nothing on the hub; remove it with `kurator unregister %s --kubeconfig MEMBER` or `kubectl -n %s delete deploy/%s secret/%s secret/%s`\n",
				name, agentinstall.Namespace, agentinstall.Name, agentinstall.HubSecretName, agentinstall.CredentialsSecretName)
		}
		return nil
	}
	memberCfg, _, err := memberConfig(kubeconfig, kubecontext)
	if err != nil {
		return err
	}
	mc, err := client.New(memberCfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return err
	}
	n, err := agentinstall.Uninstall(ctx, mc, out)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", name, err)
	}
	fmt.Fprintf(out, "removed %d agent objects from the member (%s); namespace %s stays\n", n, memberCfg.Host, agentinstall.Namespace)
	return nil
}

func exactlyOneName(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("give exactly one %s name (see `%s --help`)", what, cmd.CommandPath())
		}
		return nil
	}
}
