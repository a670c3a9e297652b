package member

import (
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// ErrKubeconfigInvalid marks errors caused by a missing or unusable kubeconfig
// Secret. Callers test for it with errors.Is to tell a bad Secret apart from an
// unreachable cluster.
var ErrKubeconfigInvalid = errors.New("kubeconfig invalid")

// kubeconfigError wraps a Secret problem so that errors.Is(err,
// ErrKubeconfigInvalid) holds while the message stays the human one.
type kubeconfigError struct{ msg string }

func (e *kubeconfigError) Error() string        { return e.msg }
func (e *kubeconfigError) Is(target error) bool { return target == ErrKubeconfigInvalid }

func kubeconfigErrorf(format string, args ...any) error {
	return &kubeconfigError{msg: fmt.Sprintf(format, args...)}
}

// ErrPullMode marks the error of asking for the clients of a Pull cluster:
// its agent reaches the hub, the hub holds no credentials to reach it.
// Controllers that act on members test for it with errors.Is and report the
// cluster as out of their reach instead of retrying.
var ErrPullMode = errors.New("cluster in Pull mode")

type pullModeError struct{ cluster string }

func (e *pullModeError) Error() string {
	return fmt.Sprintf("cluster %s is in Pull mode: the hub holds no credentials for it (its agent applies its Works; "+
		"actions that need the hub to reach the member's API server are not available for Pull clusters)", e.cluster)
}
func (e *pullModeError) Is(target error) bool { return target == ErrPullMode }

// KubeconfigSecret builds the Secret `kurator join` creates for a member: the
// kubeconfig reduced to one context (context, or the current context when
// empty), with every certificate, key and CA file embedded, stored under the
// key "kubeconfig". Relative file paths in kubeconfigBytes are resolved from
// the working directory; use FlattenKubeconfigFile for a file on disk.
func KubeconfigSecret(name, namespace string, kubeconfigBytes []byte, context string) (*corev1.Secret, error) {
	cfg, err := clientcmd.Load(kubeconfigBytes)
	if err != nil {
		return nil, fmt.Errorf("parse kubeconfig: %w", err)
	}
	out, err := flatten(cfg, context)
	if err != nil {
		return nil, err
	}
	return secretFor(name, namespace, out), nil
}

// FlattenKubeconfigFile reads the kubeconfig at path, resolves its file
// references relative to the file, and returns it reduced to one context
// with all credentials embedded.
func FlattenKubeconfigFile(path, context string) ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig %s: %w", path, err)
	}
	return flatten(cfg, context)
}

func secretFor(name, namespace string, kubeconfig []byte) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{clusterv1alpha1.DefaultKubeconfigKey: kubeconfig},
	}
}

// flatten minifies cfg to context and embeds file contents.
func flatten(cfg *clientcmdapi.Config, context string) ([]byte, error) {
	if context == "" {
		context = cfg.CurrentContext
	}
	if context == "" {
		return nil, fmt.Errorf("kubeconfig has no current-context: name one of its contexts (%s)", contextNames(cfg))
	}
	if _, ok := cfg.Contexts[context]; !ok {
		return nil, fmt.Errorf("kubeconfig has no context %q: choose one of %s", context, contextNames(cfg))
	}
	cfg.CurrentContext = context
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, fmt.Errorf("reduce kubeconfig to context %q: %w", context, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, fmt.Errorf("embed kubeconfig files: %w", err)
	}
	return clientcmd.Write(*cfg)
}

func contextNames(cfg *clientcmdapi.Config) string {
	if len(cfg.Contexts) == 0 {
		return "(none)"
	}
	names := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}

// restConfigFromSecret turns the kubeconfig stored in secret under ref.Key
// into a rest.Config. cluster names the AttachedCluster for error messages.
func restConfigFromSecret(cluster string, secret *corev1.Secret, key string) (*rest.Config, error) {
	where := fmt.Sprintf("Secret %s/%s", secret.Namespace, secret.Name)
	data, ok := secret.Data[key]
	if !ok || len(data) == 0 {
		return nil, kubeconfigErrorf("AttachedCluster %s: %s has no key %s: recreate it with kurator join, or fix spec.kubeconfig.key", cluster, where, key)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, kubeconfigErrorf("AttachedCluster %s: %s key %s is not a kubeconfig (%v): recreate it with kurator join", cluster, where, key, err)
	}
	if cfg.CurrentContext == "" && len(cfg.Contexts) == 1 {
		for n := range cfg.Contexts {
			cfg.CurrentContext = n
		}
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, cfg.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, kubeconfigErrorf("AttachedCluster %s: %s key %s holds an unusable kubeconfig (%v): recreate it with kurator join", cluster, where, key, err)
	}
	return rc, nil
}
