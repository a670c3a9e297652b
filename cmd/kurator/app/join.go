package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
	var f joinFlags
	var name string
	register := &cobra.Command{
		Use:   "register --name NAME --kubeconfig FILE [--server-addr URL]",
		Short: "Register a member cluster with the hub (same as kurator join)",
		Example: `  kurator cluster register --name north-cluster --kubeconfig ~/.kube/north-config \
      --server-addr https://127.0.0.1:6443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("--name is required: the name the cluster gets on the hub")
			}
			return f.run(cmd, name)
		},
	}
	f.add(register)
	register.Flags().StringVar(&name, "name", "", "name of the cluster on the hub")
	register.Flags().StringVar(&f.hub.server, "server-addr", "", "address of the hub's API server (overrides the hub kubeconfig's server)")
	unregister := newUnjoinCommand()
	unregister.Use = "unregister NAME"
	unregister.Short = "Remove a member cluster from the hub (same as kurator unjoin)"
	unregister.Example = "  kurator cluster unregister north-cluster"
	cmd.AddCommand(register, unregister)
	return cmd
}

func exactlyOneName(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("give exactly one %s name (see `%s --help`)", what, cmd.CommandPath())
		}
		return nil
	}
}
