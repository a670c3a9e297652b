package app

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kurator-go/kurator/internal/dashboard"
	"github.com/kurator-go/kurator/internal/localfleet"
)

func newDashboardCommand() *cobra.Command {
	var (
		kubeconfig, kubeContext string
		addr                    string
		certFile, keyFile       string
		tokenFile               string
		noLoginToken            bool
	)
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve the web dashboard of a hub: clusters, workloads, placements and policies, live",
		Long: `Serve the Kurator dashboard for a hub. It watches the hub once (informer caches)
and answers every page from them, so opening pages costs the hub nothing more; a
change on the hub shows on open pages within a second, without reloading.

Who sees what: the printed URL carries a login token that lets the browser act
with this kubeconfig's own credentials. Anyone else logs in with a bearer token
of the hub (a ServiceAccount token, say); the hub checks it (TokenReview) and
answers every read with that user's RBAC (SubjectAccessReview), so a user sees
only the namespaces and clusters they may read. The dashboard is read-only.

It listens on loopback by default. To serve beyond this machine give a TLS
certificate and key. "kurator up" starts one for the local fleet (HTTPS with the
fleet's CA) and prints its URL; "kurator status" prints it again.`,
		Example: `  # the hub of the current kubeconfig context, on http://127.0.0.1:8443
  kurator dashboard

  # another hub, another port; no login token (users paste a bearer token)
  kurator dashboard --kubeconfig ~/.kube/prod --context prod-hub --addr 127.0.0.1:9443 --no-login-token

  # a token for a user who may read only namespace team-a
  kubectl create serviceaccount viewer -n team-a
  kubectl create role reader -n team-a --verb=get,list,watch --resource='*.*'
  kubectl create rolebinding viewer -n team-a --role=reader --serviceaccount=team-a:viewer
  kubectl create token viewer -n team-a`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = kubeconfig
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("reach the hub: %w (pass --kubeconfig/--context, or start a local fleet with `kurator up`)", err)
			}
			token := ""
			switch {
			case noLoginToken && tokenFile != "":
				return fmt.Errorf("--no-login-token and --login-token-file contradict each other: drop one")
			case tokenFile != "":
				raw, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--login-token-file: %w", err)
				}
				token = strings.TrimSpace(string(raw))
				if token == "" {
					return fmt.Errorf("--login-token-file %s is empty: write a random token into it, or drop the flag for a new one", tokenFile)
				}
			case !noLoginToken:
				token = dashboard.NewLoginToken()
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return dashboard.Run(ctx, dashboard.Options{Config: cfg, Addr: addr, LoginToken: token,
				TLSCertFile: certFile, TLSKeyFile: keyFile, Out: cmd.OutOrStdout()})
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the hub (default $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&kubeContext, "context", localfleet.HubName, "context of the hub in that kubeconfig")
	f.StringVar(&addr, "addr", localfleet.DefaultDashboardAddr, "host:port to listen on (loopback unless TLS is given)")
	f.StringVar(&certFile, "tls-cert-file", "", "serve HTTPS with this certificate (PEM)")
	f.StringVar(&keyFile, "tls-key-file", "", "the certificate's private key (PEM)")
	f.StringVar(&tokenFile, "login-token-file", "", "read the login token from this file instead of making a new one")
	f.BoolVar(&noLoginToken, "no-login-token", false, "print no login URL: every user logs in with a bearer token of the hub")
	return cmd
}
