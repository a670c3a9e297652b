package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/install"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/member"
)

// clusterFlags say how to reach the management cluster, with kubectl's
// flag names.
type clusterFlags struct {
	kubeconfig, context string
}

func (f *clusterFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the management cluster (default $KUBECONFIG or ~/.kube/config; ~ is expanded)")
	cmd.Flags().StringVar(&f.context, "context", "", "context in that kubeconfig (default its current context)")
}

func (f clusterFlags) target() (install.Target, error) { return targetOf(f.kubeconfig, f.context) }

func targetOf(kubeconfig, kubeContext string) (install.Target, error) {
	path := expandHome(kubeconfig)
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	shown := path
	if shown == "" {
		shown = strings.Join(rules.Precedence, ":")
	}
	if err != nil {
		return install.Target{}, fmt.Errorf("kubeconfig %s: %w; check --kubeconfig/--context", shown, err)
	}
	return install.Target{Config: cfg, Kubeconfig: shown, Context: kubeContext}, nil
}

// expandHome expands a leading ~/ (the seed writes --kubeconfig=~/.kube/config,
// which the shell leaves alone).
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}

// imageValues turns an image reference into the chart's image values:
// repository and tag, or repository and digest (the other emptied, so that
// it replaces what a --values file pinned).
func imageValues(ref string) (map[string]any, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("--image %q does not parse: %v: give REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST", ref, err)
	}
	switch r := r.(type) {
	case name.Digest:
		return map[string]any{"repository": r.Context().Name(), "tag": "", "digest": r.DigestStr()}, nil
	case name.Tag:
		return map[string]any{"repository": r.Context().Name(), "tag": r.TagStr(), "digest": ""}, nil
	}
	return nil, fmt.Errorf("--image %q: neither a tag nor a digest", ref)
}

// installer is one install of the chart: shared by install center-manager
// and server install.
type installer struct {
	target    func() (install.Target, error)
	namespace string
	values    map[string]any
	dryRun    bool
	wait      bool
	timeout   time.Duration
}

// run renders, checks, applies and waits. It returns the target so that
// server install joins clusters to it.
func (in installer) run(ctx context.Context, out io.Writer) (install.Target, error) {
	rel, err := install.Render(install.Options{Namespace: in.namespace, Values: in.values})
	if err != nil {
		return install.Target{}, err
	}
	if err := install.CheckImages(rel); err != nil {
		return install.Target{}, err
	}
	if in.dryRun {
		_, err := io.WriteString(out, rel.Manifest)
		return install.Target{}, err
	}
	t, err := in.target()
	if err != nil {
		return install.Target{}, err
	}
	fmt.Fprintf(out, "installing %s (Kurator %s) into namespace %s of %s\n", rel.Chart, rel.AppVersion, rel.Namespace, t.Config.Host)
	if err := install.Preflight(ctx, t, rel); err != nil {
		return install.Target{}, err
	}
	if in.wait {
		if err := install.CheckNodes(ctx, t); err != nil {
			return install.Target{}, err
		}
	}
	if err := install.Apply(ctx, t, rel, out, in.timeout); err != nil {
		return install.Target{}, err
	}
	if in.wait {
		fmt.Fprintf(out, "waiting for the rollout (up to %s)\n", in.timeout)
		if err := install.Wait(ctx, t, rel, out, in.timeout); err != nil {
			return install.Target{}, err
		}
	}
	fmt.Fprintf(out, "Kurator is installed; see its pods with: kubectl get pods -n %s\n", rel.Namespace)
	return t, nil
}

func newInstallCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install Kurator onto a Kubernetes cluster (center-manager)",
	}
	cmd.AddCommand(newInstallCenterManagerCommand())
	return cmd
}

func newInstallCenterManagerCommand() *cobra.Command {
	var (
		cf       clusterFlags
		ns       string
		replicas int
		image    string
		files    []string
		sets     []string
		dryRun   bool
		output   string
		wait     bool
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "center-manager",
		Short: "Install the hub manager into a management cluster from the kurator Helm chart",
		Long: `Install the Kurator hub into the cluster of --kubeconfig/--context: the Kurator
CRDs, the namespace, a ServiceAccount with least-privilege RBAC, the
kurator-manager Deployment (2 replicas with leader election, probes, resources,
PodDisruptionBudget, anti-affinity) and its metrics Service.

The objects are rendered from the Helm chart built into this binary (the same
as charts/kurator: --dry-run prints exactly what helm template prints for the
same values) and applied server-side, CRDs first. Before writing anything it
checks that the cluster answers, that you may create every kind, and that the
image parses. Running it again upgrades in place (CRDs included) and reports
"unchanged" for what did not change.`,
		Example: `  # the cluster of ~/.kube/config (the shell leaves ~ after = alone; kurator expands it)
  kurator install center-manager --kubeconfig=~/.kube/config
  kubectl get pods -n kurator-system

  # what would be applied, touching nothing
  kurator install center-manager --dry-run -o yaml > kurator.yaml

  # the images make images built, pinned by digest
  kurator install center-manager -f bin/images/values.yaml

  # one replica of a pinned image from a private registry
  kurator install center-manager --context prod --replicas 1 \
      --image registry.example.com/kurator/kurator-manager@sha256:<digest> \
      --set imagePullSecrets[0].name=regcred`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "yaml" {
				return fmt.Errorf("-o %s: only yaml is supported (kurator install center-manager --dry-run -o yaml)", output)
			}
			if cmd.Flags().Changed("output") && !dryRun {
				return fmt.Errorf("-o prints the manifests of --dry-run: add --dry-run, or drop -o")
			}
			values, err := installValues(cmd, files, replicas, image, sets)
			if err != nil {
				return err
			}
			in := installer{target: cf.target, namespace: ns, values: values, dryRun: dryRun, wait: wait, timeout: timeout}
			_, err = in.run(cmd.Context(), cmd.OutOrStdout())
			return err
		},
	}
	cf.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&ns, "namespace", "n", install.DefaultNamespace, "namespace of the manager (created when missing)")
	f.IntVar(&replicas, "replicas", 2, "manager replicas (one leads; the others take over within the lease)")
	f.StringVar(&image, "image", "", "manager image, REPOSITORY:TAG or REPOSITORY@sha256:DIGEST (default the chart's, tagged with its appVersion)")
	f.StringArrayVarP(&files, "values", "f", nil, "a YAML file of chart values, e.g. bin/images/values.yaml from make images (repeatable; later files win)")
	f.StringArrayVar(&sets, "set", nil, "a chart value, KEY=VALUE (repeatable; the keys of charts/kurator/values.yaml; wins over --values)")
	f.BoolVar(&dryRun, "dry-run", false, "print the manifests instead of applying them; nothing is read or written")
	f.StringVarP(&output, "output", "o", "yaml", "format of --dry-run: yaml")
	f.BoolVar(&wait, "wait", true, "wait until the manager Deployment is rolled out")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "longest wait for the CRDs and the rollout")
	return cmd
}

// installValues are the chart values of the flags, as Helm layers them:
// the --values files, then --replicas and --image when given, then every
// --set (which wins).
func installValues(cmd *cobra.Command, files []string, replicas int, image string, sets []string) (map[string]any, error) {
	values := map[string]any{}
	for _, file := range files {
		if err := install.ReadValuesFile(values, expandHome(file)); err != nil {
			return nil, err
		}
	}
	if cmd.Flags().Changed("replicas") {
		if replicas < 1 {
			return nil, fmt.Errorf("--replicas %d: give 1 or more", replicas)
		}
		values["replicas"] = replicas
	}
	if image != "" {
		iv, err := imageValues(image)
		if err != nil {
			return nil, err
		}
		install.MergeValues(values, map[string]any{"image": iv})
	}
	if err := install.ParseSet(values, sets); err != nil {
		return nil, err
	}
	return values, nil
}

func newUninstallCommand() *cobra.Command {
	var (
		cf    clusterFlags
		ns    string
		purge bool
	)
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the hub manager from a management cluster; keep the CRDs and Kurator objects unless --purge",
		Long: `Remove what "kurator install center-manager" created: the manager and dashboard
Deployments, their Services, the PodDisruptionBudget, the RBAC and the
ServiceAccount. The CRDs, every Kurator object (Fleets, AttachedClusters,
policies, ...) and the namespace with the member clusters' kubeconfig Secrets are
kept, so installing again picks up where it left off.

--purge deletes the CRDs too, which deletes every object of theirs in the whole
cluster, and the namespace.`,
		Example: `  kurator uninstall --kubeconfig=~/.kube/config
  kurator uninstall --context prod --purge`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := cf.target()
			if err != nil {
				return err
			}
			return install.Uninstall(cmd.Context(), t, install.UninstallOptions{Namespace: ns, Purge: purge}, cmd.OutOrStdout())
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVarP(&ns, "namespace", "n", install.DefaultNamespace, "namespace the manager was installed into")
	cmd.Flags().BoolVar(&purge, "purge", false, "delete the CRDs (and so every Kurator object in the cluster) and the namespace too")
	return cmd
}

// serverConfig is the file of `kurator server install --config`.
type serverConfig struct {
	// Kubeconfig and Context reach the management cluster (relative paths
	// are relative to the config file; ~ is expanded).
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Context    string `json:"context,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Replicas   *int   `json:"replicas,omitempty"`
	Image      string `json:"image,omitempty"`
	// Values are chart values, as --set gives them.
	Values   map[string]any  `json:"values,omitempty"`
	Clusters []clusterConfig `json:"clusters,omitempty"`
	Fleet    *fleetConfig    `json:"fleet,omitempty"`
}

type clusterConfig struct {
	Name string `json:"name"`
	// Kubeconfig (and Context) or Server and Token reach the member.
	Kubeconfig            string            `json:"kubeconfig,omitempty"`
	Context               string            `json:"context,omitempty"`
	Server                string            `json:"server,omitempty"`
	Token                 string            `json:"token,omitempty"`
	CAData                string            `json:"caData,omitempty"`
	InsecureSkipTLSVerify bool              `json:"insecureSkipTLSVerify,omitempty"`
	Labels                map[string]string `json:"labels,omitempty"`
	Region                string            `json:"region,omitempty"`
	Zone                  string            `json:"zone,omitempty"`
	Provider              string            `json:"provider,omitempty"`
}

type fleetConfig struct {
	Name string `json:"name"`
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// loadServerConfig reads and checks the config file: unknown keys,
// duplicate cluster names and clusters without credentials fail here,
// before anything is written. Paths become absolute.
func loadServerConfig(file string) (*serverConfig, error) {
	data, err := os.ReadFile(expandHome(file))
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var c serverConfig
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
			key := m[1][strings.LastIndex(m[1], ".")+1:]
			where := ""
			if line := lineOfKey(data, key); line > 0 {
				where = fmt.Sprintf(" (line %d)", line)
			}
			return nil, fmt.Errorf("%s: unknown key %q%s: the keys are kubeconfig, context, namespace, replicas, image, values, clusters (name, kubeconfig, context, server, token, caData, insecureSkipTLSVerify, labels, region, zone, provider) and fleet (name); see docs/install.md", file, m[1], where)
		}
		return nil, fmt.Errorf("%s: %w: fix the YAML (see docs/install.md for the keys)", file, err)
	}
	dir := filepath.Dir(file)
	abs := func(p string) string {
		p = expandHome(p)
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Kubeconfig = abs(c.Kubeconfig)
	if c.Replicas != nil && *c.Replicas < 1 {
		return nil, fmt.Errorf("%s: replicas %d: give 1 or more", file, *c.Replicas)
	}
	seen := map[string]bool{}
	for i := range c.Clusters {
		cl := &c.Clusters[i]
		if cl.Name == "" {
			return nil, fmt.Errorf("%s: clusters[%d] has no name: give each cluster the name it gets on the hub", file, i)
		}
		if seen[cl.Name] {
			return nil, fmt.Errorf("%s: cluster %q is listed twice: give each cluster its own name", file, cl.Name)
		}
		seen[cl.Name] = true
		switch {
		case cl.Kubeconfig == "" && cl.Server == "":
			return nil, fmt.Errorf("%s: cluster %q has neither kubeconfig nor server: give kubeconfig (a path) or server and token", file, cl.Name)
		case cl.Kubeconfig != "" && cl.Server != "":
			return nil, fmt.Errorf("%s: cluster %q has both kubeconfig and server: keep one", file, cl.Name)
		case cl.Server != "" && cl.Token == "":
			return nil, fmt.Errorf("%s: cluster %q has a server but no token: give token (e.g. kubectl create token ...)", file, cl.Name)
		case cl.Kubeconfig != "" && (cl.Token != "" || cl.CAData != "" || cl.InsecureSkipTLSVerify):
			return nil, fmt.Errorf("%s: cluster %q: token, caData and insecureSkipTLSVerify go with server, not kubeconfig", file, cl.Name)
		}
		cl.Kubeconfig = abs(cl.Kubeconfig)
	}
	if c.Fleet != nil && c.Fleet.Name == "" {
		return nil, fmt.Errorf("%s: fleet has no name: give fleet.name, or drop fleet", file)
	}
	return &c, nil
}

// lineOfKey is the first line of data where key is a mapping key; 0 when none.
func lineOfKey(data []byte, key string) int {
	re := regexp.MustCompile(`^\s*(-\s+)?"?` + regexp.QuoteMeta(key) + `"?\s*:`)
	for i, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

// kubeconfig returns the member's flattened kubeconfig.
func (cl clusterConfig) kubeconfig() ([]byte, error) {
	if cl.Kubeconfig != "" {
		kc, err := member.FlattenKubeconfigFile(cl.Kubeconfig, cl.Context)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
		}
		return kc, nil
	}
	ca := []byte(nil)
	if cl.CAData != "" {
		if strings.HasPrefix(strings.TrimSpace(cl.CAData), "-----BEGIN") {
			ca = []byte(cl.CAData)
		} else {
			dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cl.CAData))
			if err != nil {
				return nil, fmt.Errorf("cluster %s: caData is neither base64 nor PEM: %v: give the CA certificate base64-encoded, as certificate-authority-data in a kubeconfig", cl.Name, err)
			}
			ca = dec
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cl.Name] = &clientcmdapi.Cluster{Server: cl.Server, CertificateAuthorityData: ca, InsecureSkipTLSVerify: cl.InsecureSkipTLSVerify}
	cfg.AuthInfos[cl.Name] = &clientcmdapi.AuthInfo{Token: cl.Token}
	cfg.Contexts[cl.Name] = &clientcmdapi.Context{Cluster: cl.Name, AuthInfo: cl.Name}
	cfg.CurrentContext = cl.Name
	return clientcmd.Write(*cfg)
}

func newServerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "server", Short: "Install the hub and join its clusters from one config file"}
	var (
		file    string
		dryRun  bool
		wait    bool
		timeout time.Duration
	)
	in := &cobra.Command{
		Use:   "install --config FILE",
		Short: "Install the hub manager into a management cluster and join the clusters the config file lists",
		Long: `Install the Kurator hub as "kurator install center-manager" does, into the
management cluster the config file names, then join every cluster it lists (the
same as "kurator join") and, with fleet.name, put them in one Fleet.

The file is checked first: an unknown key, a cluster listed twice or a cluster
without credentials stops it before anything is written. See docs/install.md
for every key.`,
		Example: `  kurator server install --config ./config.yaml

  # config.yaml
  kubeconfig: ~/.kube/config
  namespace: kurator-system
  replicas: 2
  clusters:
    - name: cluster-hangzhou
      kubeconfig: ~/.kube/hangzhou.yaml
      labels: {env: production, region: asia-east}
    - name: cluster-frankfurt
      server: https://frankfurt.example.com:6443
      token: eyJhbGciOi...
      caData: LS0tLS1CRUdJTi...
  fleet:
    name: global-production`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return fmt.Errorf("--config is required: the file naming the management cluster and the clusters to join (see docs/install.md)")
			}
			c, err := loadServerConfig(file)
			if err != nil {
				return err
			}
			// Every member's credentials are read before the install.
			kubeconfigs := make([][]byte, len(c.Clusters))
			for i, cl := range c.Clusters {
				if kubeconfigs[i], err = cl.kubeconfig(); err != nil {
					return err
				}
			}
			values := map[string]any{}
			for k, v := range c.Values {
				values[k] = v
			}
			if c.Replicas != nil {
				values["replicas"] = *c.Replicas
			}
			if c.Image != "" {
				iv, err := imageValues(c.Image)
				if err != nil {
					return fmt.Errorf("%s: image: %w", file, err)
				}
				values["image"] = iv
			}
			ns := c.Namespace
			if ns == "" {
				ns = install.DefaultNamespace
			}
			out := cmd.OutOrStdout()
			inst := installer{target: func() (install.Target, error) { return targetOf(c.Kubeconfig, c.Context) },
				namespace: ns, values: values, dryRun: dryRun, wait: wait, timeout: timeout}
			t, err := inst.run(cmd.Context(), out)
			if err != nil || dryRun {
				return err
			}
			return joinClusters(cmd.Context(), t, c, kubeconfigs, out)
		},
	}
	in.Flags().StringVar(&file, "config", "", "the config file (see docs/install.md)")
	in.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and print the manifests; nothing is written and no cluster is joined")
	in.Flags().BoolVar(&wait, "wait", true, "wait until the manager is rolled out before joining the clusters")
	in.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "longest wait for the CRDs and the rollout")
	cmd.AddCommand(in)
	return cmd
}

func joinClusters(ctx context.Context, t install.Target, c *serverConfig, kubeconfigs [][]byte, out io.Writer) error {
	if len(c.Clusters) == 0 {
		return nil
	}
	if err := install.EnsureNamespaceIn(ctx, t, join.Namespace, out); err != nil {
		return err
	}
	hub, err := client.New(t.Config, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return err
	}
	fleet := ""
	if c.Fleet != nil {
		fleet = c.Fleet.Name
	}
	for i, cl := range c.Clusters {
		fmt.Fprintf(out, "joining cluster %s (%d/%d)\n", cl.Name, i+1, len(c.Clusters))
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := join.Join(jctx, hub, join.Options{Name: cl.Name, Kubeconfig: kubeconfigs[i], Fleet: fleet, Labels: cl.Labels,
			Region: cl.Region, Zone: cl.Zone, Provider: cl.Provider})
		cancel()
		if err != nil {
			return fmt.Errorf("%w (the clusters before it are joined; fix it and run the same command again)", err)
		}
		fmt.Fprintf(out, "cluster %s joined (AttachedCluster %s/%s)\n", cl.Name, join.Namespace, cl.Name)
	}
	if fleet != "" {
		fmt.Fprintf(out, "Fleet %s/%s holds %d clusters\n", join.Namespace, fleet, len(c.Clusters))
	}
	fmt.Fprintf(out, "watch them become Ready: kurator get clusters --hub-kubeconfig %s", t.Kubeconfig)
	if t.Context != "" {
		fmt.Fprintf(out, " --hub-context %s", t.Context)
	}
	fmt.Fprintln(out)
	return nil
}
