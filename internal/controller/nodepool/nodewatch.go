package nodepool

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/event"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// nodeWatch runs, per member cluster, one informer on the nodes that carry
// the pool label, and turns every change (a node created, Ready, deleted)
// into an event for the NodePools of that cluster and pool, so status and
// the next scaling step follow the member at once instead of on a poll.
// It is a manager Runnable; informers start on first use (Ensure).
type nodeWatch struct {
	// pools maps a cluster and pool name to the NodePools that own them.
	pools  func(ctx context.Context, cluster, pool string) []types.NamespacedName
	events chan event.GenericEvent

	mu       sync.Mutex
	ctx      context.Context
	clusters map[string]*clusterWatch
}

type clusterWatch struct {
	client kubernetes.Interface
	cancel context.CancelFunc
}

func newNodeWatch(pools func(ctx context.Context, cluster, pool string) []types.NamespacedName) *nodeWatch {
	return &nodeWatch{pools: pools, events: make(chan event.GenericEvent, 1024), clusters: map[string]*clusterWatch{}}
}

// Start records the context informers live in and blocks until it ends.
func (w *nodeWatch) Start(ctx context.Context) error {
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

// NeedLeaderElection: only the leader reconciles pools.
func (w *nodeWatch) NeedLeaderElection() bool { return true }

// Ensure runs the node informer of cluster through cs; a new client (the
// member's kubeconfig Secret changed) replaces the informer.
func (w *nodeWatch) Ensure(cluster string, cs kubernetes.Interface) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clusters[cluster]; ok {
		if c.client == cs {
			return
		}
		c.cancel()
	}
	base := w.ctx
	if base == nil {
		// Not started yet (or used without a manager): the informer
		// lives until Forget.
		base = context.Background()
	}
	ctx, cancel := context.WithCancel(base)
	w.clusters[cluster] = &clusterWatch{client: cs, cancel: cancel}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = autoscalingv1alpha1.NodePoolLabel
	}))
	inf := factory.Core().V1().Nodes().Informer()
	notify := func(obj any) { w.notify(ctx, cluster, obj) }
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, obj any) { notify(obj) },
		DeleteFunc: notify,
	})
	go inf.Run(ctx.Done())
}

// Forget stops the informer of cluster (it left the hub).
func (w *nodeWatch) Forget(cluster string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clusters[cluster]; ok {
		c.cancel()
		delete(w.clusters, cluster)
	}
}

func (w *nodeWatch) notify(ctx context.Context, cluster string, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	n, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	for _, key := range w.pools(ctx, cluster, n.Labels[autoscalingv1alpha1.NodePoolLabel]) {
		np := &autoscalingv1alpha1.NodePool{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		select {
		case w.events <- event.GenericEvent{Object: np}:
		case <-ctx.Done():
			return
		}
	}
}
