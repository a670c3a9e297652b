package trafficgen

import (
	"context"
	"fmt"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	istiolisters "istio.io/client-go/pkg/listers/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// Member is one cluster the generator watches.
type Member struct {
	Name   string
	Config *rest.Config
}

// watcher caches one member's VirtualServices, DestinationRules, Services
// and Deployments with informers, so a tick reads memory, not the API.
type watcher struct {
	name   string
	vs     istiolisters.VirtualServiceLister
	dr     istiolisters.DestinationRuleLister
	svc    corelisters.ServiceLister
	deploy appslisters.DeploymentLister
	synced []cache.InformerSynced
}

func watch(ctx context.Context, m Member) (*watcher, error) {
	kube, err := kubernetes.NewForConfig(m.Config)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", m.Name, err)
	}
	ist, err := istioclient.NewForConfig(m.Config)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", m.Name, err)
	}
	// Managed fields are most of an object's bytes and never read here.
	strip := cache.TransformFunc(func(obj any) (any, error) {
		if a, err := meta.Accessor(obj); err == nil {
			a.SetManagedFields(nil)
		}
		return obj, nil
	})
	kf := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithTransform(strip))
	inf := istioinformers.NewSharedInformerFactoryWithOptions(ist, 0, istioinformers.WithTransform(strip))
	w := &watcher{
		name:   m.Name,
		vs:     inf.Networking().V1().VirtualServices().Lister(),
		dr:     inf.Networking().V1().DestinationRules().Lister(),
		svc:    kf.Core().V1().Services().Lister(),
		deploy: kf.Apps().V1().Deployments().Lister(),
	}
	w.synced = []cache.InformerSynced{
		inf.Networking().V1().VirtualServices().Informer().HasSynced,
		inf.Networking().V1().DestinationRules().Informer().HasSynced,
		kf.Core().V1().Services().Informer().HasSynced,
		kf.Apps().V1().Deployments().Informer().HasSynced,
	}
	kf.Start(ctx.Done())
	inf.Start(ctx.Done())
	return w, nil
}

func (w *watcher) hasSynced() bool {
	for _, s := range w.synced {
		if !s() {
			return false
		}
	}
	return true
}

func (w *watcher) snapshot() Cluster {
	c := Cluster{Name: w.name}
	c.VirtualServices, _ = w.vs.List(labels.Everything())
	c.DestinationRules, _ = w.dr.List(labels.Everything())
	c.Services, _ = w.svc.List(labels.Everything())
	c.Deployments, _ = w.deploy.List(labels.Everything())
	return c
}

// Run watches the members and ticks every interval until ctx ends. A member
// whose objects are not listed yet (its API server is not reachable) sends
// no traffic and cannot be a destination until it is.
func (g *Generator) Run(ctx context.Context, members []Member, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	ws := make([]*watcher, 0, len(members))
	for _, m := range members {
		w, err := watch(ctx, m)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			var clusters []Cluster
			status := make([]MemberStatus, len(ws))
			for i, w := range ws {
				status[i] = MemberStatus{Name: w.name, Synced: w.hasSynced()}
				if status[i].Synced {
					clusters = append(clusters, w.snapshot())
				}
			}
			g.Tick(clusters, status, now.Sub(last), now)
			last = now
		}
	}
}
