// Package memberwatch watches, in every member cluster, the objects Kurator
// applied there, and tells the hub controllers which Work owns an object that
// changed. Execution uses it to revert drift; status uses it to collect the
// members' status without polling.
//
// Member objects carry ManagedByLabel=ManagedByValue (the informers select on
// it) and WorkAnnotation="<work namespace>/<work name>" (the owner). One
// informer runs per (cluster, resource), started on first use.
package memberwatch

import (
	"context"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

const (
	// ManagedByLabel marks member objects applied by Kurator.
	ManagedByLabel = "work.kurator.dev/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "kurator"
	// WorkAnnotation names the owning Work as "<namespace>/<name>".
	WorkAnnotation = "work.kurator.dev/work"
	// ManifestHashAnnotation is a hash of the manifest last applied, so an
	// unchanged manifest is not applied again.
	ManifestHashAnnotation = "work.kurator.dev/manifest-hash"
)

// DynamicClients gives a dynamic client for a member cluster by name;
// member.Registry satisfies it.
type DynamicClients interface {
	Dynamic(ctx context.Context, cluster string) (dynamic.Interface, error)
}

// Watcher runs the member informers. Add it to the manager (it is a
// manager.Runnable) and Subscribe before the manager starts.
type Watcher struct {
	clients DynamicClients

	mu       sync.Mutex
	ctx      context.Context
	clusters map[string]*clusterInformers
	subs     []chan event.GenericEvent
}

type clusterInformers struct {
	cancel    context.CancelFunc
	ctx       context.Context
	informers map[schema.GroupVersionResource]cache.SharedIndexInformer
}

// New returns a Watcher using clients to reach the members.
func New(clients DynamicClients) *Watcher {
	return &Watcher{clients: clients, clusters: map[string]*clusterInformers{}}
}

// Subscribe returns a channel receiving one event per change of a watched
// member object, carrying the owning Work (namespace and name only). Call it
// before Start; every subscriber gets every event.
func (w *Watcher) Subscribe() <-chan event.GenericEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan event.GenericEvent, 1024)
	w.subs = append(w.subs, ch)
	return ch
}

// Start records the context informers live in and blocks until it ends.
func (w *Watcher) Start(ctx context.Context) error {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, c := range w.clusters {
		c.cancel()
		delete(w.clusters, name)
	}
	return nil
}

// NeedLeaderElection: the informers only feed controllers that themselves
// run under the leader; watching from a standby would be wasted.
func (w *Watcher) NeedLeaderElection() bool { return true }

// Ensure starts the informer for resource in cluster if it is not running.
// It does not wait for the informer to sync.
func (w *Watcher) Ensure(ctx context.Context, cluster string, gvr schema.GroupVersionResource) error {
	w.mu.Lock()
	c := w.clusters[cluster]
	if c != nil {
		if _, ok := c.informers[gvr]; ok {
			w.mu.Unlock()
			return nil
		}
	}
	w.mu.Unlock()

	dyn, err := w.clients.Dynamic(ctx, cluster)
	if err != nil {
		return err
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	base := w.ctx
	if base == nil {
		base = context.Background()
	}
	if c = w.clusters[cluster]; c == nil {
		cctx, cancel := context.WithCancel(base)
		c = &clusterInformers{ctx: cctx, cancel: cancel, informers: map[schema.GroupVersionResource]cache.SharedIndexInformer{}}
		w.clusters[cluster] = c
	}
	if _, ok := c.informers[gvr]; ok {
		return nil
	}
	inf := dynamicinformer.NewFilteredDynamicInformer(dyn, gvr, metav1.NamespaceAll, 0, cache.Indexers{},
		func(o *metav1.ListOptions) { o.LabelSelector = ManagedByLabel + "=" + ManagedByValue }).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    w.notify,
		UpdateFunc: func(_, obj any) { w.notify(obj) },
		DeleteFunc: w.notify,
	}); err != nil {
		return err
	}
	c.informers[gvr] = inf
	go inf.RunWithContext(c.ctx)
	return nil
}

// Get returns the watched object from the informer cache. synced is false
// when no informer for the resource has synced yet (the caller should read
// the member directly).
func (w *Watcher) Get(cluster string, gvr schema.GroupVersionResource, namespace, name string) (obj *unstructured.Unstructured, synced bool) {
	w.mu.Lock()
	var inf cache.SharedIndexInformer
	if c := w.clusters[cluster]; c != nil {
		inf = c.informers[gvr]
	}
	w.mu.Unlock()
	if inf == nil || !inf.HasSynced() {
		return nil, false
	}
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	item, ok, err := inf.GetStore().GetByKey(key)
	if err != nil || !ok {
		return nil, true
	}
	u, ok := item.(*unstructured.Unstructured)
	if !ok {
		return nil, true
	}
	return u, true
}

// WaitSynced waits up to timeout for the informer of resource in cluster.
func (w *Watcher) WaitSynced(cluster string, gvr schema.GroupVersionResource, timeout time.Duration) bool {
	w.mu.Lock()
	var inf cache.SharedIndexInformer
	if c := w.clusters[cluster]; c != nil {
		inf = c.informers[gvr]
	}
	w.mu.Unlock()
	if inf == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return cache.WaitForCacheSync(ctx.Done(), inf.HasSynced)
}

// Forget stops every informer of cluster (it left the fleet or its
// credentials changed); the next Ensure starts them again.
func (w *Watcher) Forget(cluster string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.clusters[cluster]; c != nil {
		c.cancel()
		delete(w.clusters, cluster)
	}
}

func (w *Watcher) notify(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	work, ok := OwnerWork(m.GetAnnotations())
	if !ok {
		return
	}
	ev := event.GenericEvent{Object: workRef(work)}
	w.mu.Lock()
	subs := w.subs
	ctx := w.ctx
	w.mu.Unlock()
	for _, ch := range subs {
		if ctx == nil {
			ch <- ev
			continue
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// OwnerWork parses WorkAnnotation.
func OwnerWork(annotations map[string]string) (types.NamespacedName, bool) {
	ns, name, ok := strings.Cut(annotations[WorkAnnotation], "/")
	if !ok || ns == "" || name == "" {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: ns, Name: name}, true
}

func workRef(n types.NamespacedName) client.Object {
	w := &workv1alpha1.Work{}
	w.Namespace, w.Name = n.Namespace, n.Name
	return w
}
