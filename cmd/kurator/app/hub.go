package app

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/localfleet"
)

// hubFlags say how to reach the hub: a kubeconfig and a context in it.
type hubFlags struct {
	kubeconfig string
	context    string
	server     string
}

func (h *hubFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&h.kubeconfig, "hub-kubeconfig", "", "kubeconfig of the hub (default $KUBECONFIG or ~/.kube/config)")
	cmd.Flags().StringVar(&h.context, "hub-context", localfleet.HubName, "context of the hub in that kubeconfig")
}

func (h *hubFlags) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if h.kubeconfig != "" {
		rules.ExplicitPath = h.kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: h.context}
	if h.server != "" {
		overrides.ClusterInfo.Server = h.server
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reach the hub through context %q: %w (start a local fleet with `kurator up`, or pass --hub-kubeconfig/--hub-context)", h.context, err)
	}
	return cfg, nil
}

func (h *hubFlags) client() (client.Client, error) {
	cfg, err := h.restConfig()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme.Scheme})
}

// objectFlags are the flags of the verbs on one namespaced object of the
// hub (rollout, app, scale): how to reach the hub, with kubectl's names for
// the same two flags so a kubectl habit works, and the object's namespace.
type objectFlags struct {
	hub       hubFlags
	namespace string
}

// add registers the flags; namespaceHelp says what -n names.
func (f *objectFlags) add(cmd *cobra.Command, namespaceHelp string) {
	f.hub.add(cmd)
	cmd.Flags().StringVar(&f.hub.kubeconfig, "kubeconfig", "", "same as --hub-kubeconfig")
	cmd.Flags().StringVar(&f.hub.context, "context", localfleet.HubName, "same as --hub-context")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "default", namespaceHelp)
}

func (f *objectFlags) client() (client.WithWatch, error) {
	cfg, err := f.hub.restConfig()
	if err != nil {
		return nil, err
	}
	return client.NewWithWatch(cfg, client.Options{Scheme: scheme.Scheme})
}
