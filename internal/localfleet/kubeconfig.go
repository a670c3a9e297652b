package localfleet

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// adminCreds are the files an admin client of the fleet uses.
type adminCreds struct{ ca, cert, key string }

// kubeconfigFor builds a kubeconfig whose contexts are the given clusters, each
// named after its cluster (so `--context=cluster-hangzhou` works verbatim).
func kubeconfigFor(clusters []Cluster, creds adminCreds, fleet string) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	user := userName(fleet)
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificate: creds.cert, ClientKey: creds.key}
	for _, c := range clusters {
		cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthority: creds.ca}
		cfg.Contexts[c.Name] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: user, Namespace: "default"}
	}
	if len(clusters) > 0 {
		cfg.CurrentContext = clusters[0].Name
	}
	return cfg
}

func userName(fleet string) string { return "kurator-" + fleet + "-admin" }

func writeKubeconfig(cfg *clientcmdapi.Config, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*cfg, path)
}

// UserKubeconfigPath is the kubeconfig kubectl reads by default: the first
// entry of $KUBECONFIG, else ~/.kube/config.
func UserKubeconfigPath() string {
	if env := os.Getenv("KUBECONFIG"); env != "" {
		return filepath.SplitList(env)[0]
	}
	return clientcmd.RecommendedHomeFile
}

// mergeInto adds the fleet's clusters, contexts and user to the kubeconfig at
// path, replacing entries of the same names, and keeps everything else.
func mergeInto(path string, fleetCfg *clientcmdapi.Config) error {
	dst, err := loadOrNew(path)
	if err != nil {
		return err
	}
	for k, v := range fleetCfg.Clusters {
		dst.Clusters[k] = v
	}
	for k, v := range fleetCfg.AuthInfos {
		dst.AuthInfos[k] = v
	}
	for k, v := range fleetCfg.Contexts {
		dst.Contexts[k] = v
	}
	if dst.CurrentContext == "" {
		dst.CurrentContext = fleetCfg.CurrentContext
	}
	return writeKubeconfig(dst, path)
}

// unmergeFrom removes the fleet's entries from the kubeconfig at path.
func unmergeFrom(path string, clusters []Cluster, fleet string) error {
	dst, err := loadOrNew(path)
	if err != nil {
		return err
	}
	user := userName(fleet)
	for _, c := range clusters {
		// Only remove a context that still points at our user: the user may
		// have reused the name for something else since.
		if ctx, ok := dst.Contexts[c.Name]; ok && ctx.AuthInfo == user {
			delete(dst.Contexts, c.Name)
			delete(dst.Clusters, c.Name)
			if dst.CurrentContext == c.Name {
				dst.CurrentContext = ""
			}
		}
	}
	delete(dst.AuthInfos, user)
	return writeKubeconfig(dst, path)
}

func loadOrNew(path string) (*clientcmdapi.Config, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if os.IsNotExist(err) {
		return clientcmdapi.NewConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}

// RESTConfig returns a client configuration for the named cluster of the fleet.
func (s *State) RESTConfig(cluster string) (*rest.Config, error) {
	c, ok := s.Cluster(cluster)
	if !ok {
		return nil, fmt.Errorf("fleet %s has no cluster %q", s.Name, cluster)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	return cfg, nil
}
