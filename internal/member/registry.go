// Package member gives the hub's controllers clients for member clusters,
// built from an AttachedCluster and the kubeconfig Secret it references.
package member

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// DefaultNamespace is where AttachedClusters and their Secrets live.
const DefaultNamespace = workv1alpha1.SystemNamespace

// Registry hands out clients for member clusters by AttachedCluster name. The
// clients are cached and rebuilt when the kubeconfig Secret's resourceVersion
// (or the Secret reference) changes. It is safe for concurrent use.
type Registry struct {
	hub       client.Reader
	namespace string
	// QPS and Burst are set on every member rest.Config.
	qps   float32
	burst int

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	secretName string
	secretKey  string
	secretRV   string

	Clients
}

// Clients are the clients of one member cluster.
type Clients struct {
	// Config is the member's rest.Config; copy it (rest.CopyConfig) before
	// changing it.
	Config     *rest.Config
	Kubernetes kubernetes.Interface
	Dynamic    dynamic.Interface
	// RESTMapper is discovery-based and cached; Reset it when a kind is
	// missing (for example after a CRD was installed on the member).
	RESTMapper meta.ResettableRESTMapper
}

// RegistryOption configures a Registry.
type RegistryOption func(*Registry)

// WithNamespace sets the namespace of the AttachedClusters (default
// kurator-system).
func WithNamespace(ns string) RegistryOption { return func(r *Registry) { r.namespace = ns } }

// WithRateLimit sets QPS and Burst of the member clients (default 50/100).
func WithRateLimit(qps float32, burst int) RegistryOption {
	return func(r *Registry) { r.qps, r.burst = qps, burst }
}

// NewRegistry returns a Registry that reads AttachedClusters and Secrets with
// hub (a manager's client, or its APIReader to bypass the cache).
func NewRegistry(hub client.Reader, opts ...RegistryOption) *Registry {
	r := &Registry{hub: hub, namespace: DefaultNamespace, qps: 50, burst: 100, entries: map[string]*entry{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Namespace is the namespace the Registry reads AttachedClusters from.
func (r *Registry) Namespace() string { return r.namespace }

// RESTConfig returns a copy of the rest.Config for cluster name.
func (r *Registry) RESTConfig(ctx context.Context, name string) (*rest.Config, error) {
	e, err := r.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return rest.CopyConfig(e.Config), nil
}

// Dynamic returns a dynamic client for cluster name.
func (r *Registry) Dynamic(ctx context.Context, name string) (dynamic.Interface, error) {
	e, err := r.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return e.Dynamic, nil
}

// Kubernetes returns a typed clientset for cluster name.
func (r *Registry) Kubernetes(ctx context.Context, name string) (kubernetes.Interface, error) {
	e, err := r.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return e.Kubernetes, nil
}

// RESTMapper returns the discovery-based, cached RESTMapper of cluster name.
// Call its Reset (or ResetRESTMapper) when a kind is not found, for example
// after a CRD was installed on the member.
func (r *Registry) RESTMapper(ctx context.Context, name string) (meta.ResettableRESTMapper, error) {
	e, err := r.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return e.RESTMapper, nil
}

// ResetRESTMapper drops the cached discovery of cluster name, if any.
func (r *Registry) ResetRESTMapper(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[name]; ok {
		e.RESTMapper.Reset()
	}
}

// Invalidate forgets the clients of cluster name; the next call rebuilds them.
func (r *Registry) Invalidate(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.entries, name)
}

func (r *Registry) get(ctx context.Context, name string) (Clients, error) {
	var ac clusterv1alpha1.AttachedCluster
	if err := r.hub.Get(ctx, types.NamespacedName{Namespace: r.namespace, Name: name}, &ac); err != nil {
		if apierrors.IsNotFound(err) {
			return Clients{}, fmt.Errorf("member cluster %s: no AttachedCluster %s/%s: join the cluster with kurator join: %w", name, r.namespace, name, err)
		}
		return Clients{}, fmt.Errorf("member cluster %s: read AttachedCluster %s/%s: %w", name, r.namespace, name, err)
	}
	return r.ForCluster(ctx, &ac)
}

// ForCluster returns the clients of an AttachedCluster the caller already
// read; its Secret is looked up in its namespace. Errors caused by the Secret
// satisfy errors.Is(err, ErrKubeconfigInvalid); a Pull cluster has no clients
// on the hub: errors.Is(err, ErrPullMode).
func (r *Registry) ForCluster(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (Clients, error) {
	e, err := r.forCluster(ctx, ac)
	if err != nil {
		return Clients{}, err
	}
	return e.Clients, nil
}

func (r *Registry) forCluster(ctx context.Context, ac *clusterv1alpha1.AttachedCluster) (*entry, error) {
	if ac.IsPull() {
		return nil, &pullModeError{cluster: ac.Name}
	}
	ref := ac.KubeconfigSecretRef()
	if ref.Name == "" {
		return nil, kubeconfigErrorf("AttachedCluster %s/%s: spec.kubeconfig names no Secret: set spec.kubeconfig.name (or secretRef.name) to the Secret kurator join created", ac.Namespace, ac.Name)
	}
	var secret corev1.Secret
	if err := r.hub.Get(ctx, types.NamespacedName{Namespace: ac.Namespace, Name: ref.Name}, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, kubeconfigErrorf("AttachedCluster %s: Secret %s/%s not found: recreate it with kurator join, or fix spec.kubeconfig", ac.Name, ac.Namespace, ref.Name)
		}
		return nil, fmt.Errorf("AttachedCluster %s: read Secret %s/%s: %w", ac.Name, ac.Namespace, ref.Name, err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[ac.Name]; ok && e.secretName == ref.Name && e.secretKey == ref.Key && e.secretRV == secret.ResourceVersion {
		return e, nil
	}
	e, err := r.build(ac.Name, &secret, ref.Key)
	if err != nil {
		delete(r.entries, ac.Name)
		return nil, err
	}
	r.entries[ac.Name] = e
	return e, nil
}

func (r *Registry) build(cluster string, secret *corev1.Secret, key string) (*entry, error) {
	cfg, err := restConfigFromSecret(cluster, secret, key)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = r.qps, r.burst
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, kubeconfigErrorf("AttachedCluster %s: Secret %s/%s: build client: %v: recreate it with kurator join", cluster, secret.Namespace, secret.Name, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, kubeconfigErrorf("AttachedCluster %s: Secret %s/%s: build dynamic client: %v: recreate it with kurator join", cluster, secret.Namespace, secret.Name, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, kubeconfigErrorf("AttachedCluster %s: Secret %s/%s: build discovery client: %v: recreate it with kurator join", cluster, secret.Namespace, secret.Name, err)
	}
	return &entry{
		secretName: secret.Name,
		secretKey:  key,
		secretRV:   secret.ResourceVersion,
		Clients: Clients{
			Config:     cfg,
			Kubernetes: kube,
			Dynamic:    dyn,
			RESTMapper: restmapper.NewDeferredDiscoveryRESTMapperWithContext(memory.NewMemCacheClientWithContext(disc)),
		},
	}, nil
}
