package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kurator-go/kurator/internal/agentinstall"
)

// newTokenCommand holds the bootstrap tokens that Pull clusters register with.
func newTokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the bootstrap tokens Pull clusters register with (create, list, delete)",
		Long: `Manage bootstrap tokens: a member cluster behind NAT or a firewall joins in
Pull mode by running an agent that registers with the hub using a token, then
holds only its own client certificate (docs/pull-agent-cli.md).

A token is a Kubernetes bootstrap-token Secret kube-system/bootstrap-token-<id>
on the hub; the hub's kube-apiserver refuses it once expired or deleted.`,
	}
	cmd.AddCommand(newTokenCreateCommand(), newTokenListCommand(), newTokenDeleteCommand())
	return cmd
}

func newTokenCreateCommand() *cobra.Command {
	var (
		h           hubFlags
		ttl         time.Duration
		fleet       string
		description string
		hubURL      string
	)
	cmd := &cobra.Command{
		Use:   "create [--ttl 24h] [--fleet F] [--description D]",
		Short: "Create a bootstrap token and print the command that registers a cluster with it",
		Example: `  kurator token create --ttl 2h --fleet global-production --description "north site"
  # a hub whose members reach it at another address than your kubeconfig's
  kurator token create --hub-url https://hub.example.com:6443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := h.restConfig()
			if err != nil {
				return err
			}
			hub, err := h.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			tok, expires, err := agentinstall.CreateToken(ctx, hub, agentinstall.TokenOptions{TTL: ttl, Fleet: fleet, Description: description}, time.Now())
			if err != nil {
				return err
			}
			if hubURL == "" {
				hubURL = cfg.Host
			}
			printToken(cmd.OutOrStdout(), tok, expires, hubURL, caFlag(cfg))
			return nil
		},
	}
	h.add(cmd)
	cmd.Flags().DurationVar(&ttl, "ttl", agentinstall.DefaultTokenTTL, "how long the token may be used to register (at least 1m)")
	cmd.Flags().StringVar(&fleet, "fleet", "", "Fleet the clusters registered with this token join (a label on its Secret; `kurator token list --fleet` filters by it)")
	cmd.Flags().StringVar(&description, "description", "", "what the token is for, shown by `kurator token list`")
	cmd.Flags().StringVar(&hubURL, "hub-url", "", "the hub's API server URL as the members reach it (default: the server of the hub kubeconfig)")
	return cmd
}

// caFlag is the register flag that gives the member the hub's CA: the
// kubeconfig's CA file when it names one, else its CA data inline.
func caFlag(cfg *rest.Config) string {
	switch {
	case cfg.CAFile != "":
		return " --hub-ca-file " + cfg.CAFile
	case len(cfg.CAData) > 0:
		return " --hub-ca-data " + base64.StdEncoding.EncodeToString(cfg.CAData)
	}
	return ""
}

func printToken(out io.Writer, tok agentinstall.Token, expires time.Time, hubURL, ca string) {
	fmt.Fprintf(out, "token %s (id %s) expires %s (in %s)\n\n", tok, tok.ID, expires.Format(time.RFC3339), time.Until(expires).Round(time.Minute))
	fmt.Fprintf(out, "register a cluster with it (with the member's kubeconfig; --kubeconfig FILE picks another):\n")
	fmt.Fprintf(out, "  kurator cluster register --name NAME --mode pull --hub %s --token %s%s\n\n", hubURL, tok, ca)
	fmt.Fprintf(out, "revoke it with: kurator token delete %s\n", tok.ID)
}

func newTokenListCommand() *cobra.Command {
	var (
		h     hubFlags
		fleet string
	)
	cmd := &cobra.Command{
		Use:     "list [--fleet F]",
		Short:   "List the hub's bootstrap tokens (never their secrets)",
		Example: `  kurator token list --fleet global-production`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hub, err := h.client()
			if err != nil {
				return err
			}
			tokens, err := agentinstall.ListTokens(cmd.Context(), hub, fleet)
			if err != nil {
				return err
			}
			return printTokens(cmd.OutOrStdout(), tokens, time.Now())
		},
	}
	h.add(cmd)
	cmd.Flags().StringVar(&fleet, "fleet", "", "only the tokens created with --fleet F")
	return cmd
}

func printTokens(out io.Writer, tokens []agentinstall.TokenInfo, now time.Time) error {
	if len(tokens) == 0 {
		_, err := fmt.Fprintln(out, "no bootstrap tokens on the hub; create one with `kurator token create`")
		return err
	}
	tw := table(out)
	fmt.Fprintln(tw, "ID\tEXPIRES\tFLEET\tDESCRIPTION")
	for _, t := range tokens {
		exp := "never"
		switch {
		case t.Expired(now):
			exp = t.Expires.Format(time.RFC3339) + " (expired)"
		case !t.Expires.IsZero():
			exp = t.Expires.Format(time.RFC3339) + " (in " + t.Expires.Sub(now).Round(time.Minute).String() + ")"
		}
		desc := t.Description
		if !t.Kurator {
			desc = "(not for kurator agents) " + desc
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, exp, orDash(t.Fleet), orDash(desc))
	}
	return tw.Flush()
}

func newTokenDeleteCommand() *cobra.Command {
	var h hubFlags
	cmd := &cobra.Command{
		Use:   "delete ID",
		Short: "Revoke a bootstrap token: the hub refuses it from now on",
		Long: `Revoke a bootstrap token by deleting its Secret. Agents that registered with
it keep their certificates; to cut one off, unregister its cluster
(kurator unregister NAME).`,
		Example: `  kurator token delete abc123`,
		Args:    exactlyOneName("token id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			hub, err := h.client()
			if err != nil {
				return err
			}
			if err := agentinstall.DeleteToken(cmd.Context(), hub, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s deleted: the hub refuses it from now on\n", args[0][:min(6, len(args[0]))])
			return nil
		},
	}
	h.add(cmd)
	return cmd
}

// readCA reads the hub CA from --hub-ca-file or --hub-ca-data (base64 PEM).
func readCA(file, data string) ([]byte, error) {
	switch {
	case file != "" && data != "":
		return nil, fmt.Errorf("give --hub-ca-file or --hub-ca-data, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--hub-ca-file: %w", err)
		}
		return b, nil
	case data != "":
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("--hub-ca-data: not base64 (%v): paste it as `kurator token create` printed it", err)
		}
		return b, nil
	}
	return nil, nil
}
