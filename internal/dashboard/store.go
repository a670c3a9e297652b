package dashboard

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Topics a change can touch; the UI refetches the views that show them.
const (
	TopicClusters  = "clusters"
	TopicFleets    = "fleets"
	TopicWorkloads = "workloads"
	TopicPolicies  = "policies"
	TopicRollouts  = "rollouts"
	// TopicApplications: Applications and their AppVersions.
	TopicApplications = "applications"
	// TopicScaling: ScalePolicies and NodePools.
	TopicScaling = "scaling"
	TopicEvents  = "events"
)

var allTopics = []string{TopicClusters, TopicFleets, TopicWorkloads, TopicPolicies, TopicRollouts, TopicApplications, TopicScaling, TopicEvents}

// watched are the kinds the dashboard caches, with the topic a change of
// each touches. Templates (Deployments, ...) are cached lazily, on the first
// workload page that needs their kind.
//
// An optional kind is skipped when the hub does not serve it (a hub
// without the Rollout or Application CRDs still gets a dashboard; the
// Rollouts and Applications pages say why they are empty).
var watched = []struct {
	obj      client.Object
	topic    string
	optional bool
}{
	{&clusterv1alpha1.AttachedCluster{}, TopicClusters, false},
	{&fleetv1alpha1.Fleet{}, TopicFleets, false},
	{&workv1alpha1.ResourceBinding{}, TopicWorkloads, false},
	{&workv1alpha1.ClusterResourceBinding{}, TopicWorkloads, false},
	{&workv1alpha1.Work{}, TopicWorkloads, false},
	{&policyv1alpha1.PropagationPolicy{}, TopicPolicies, false},
	{&policyv1alpha1.ClusterPropagationPolicy{}, TopicPolicies, false},
	{&policyv1alpha1.OverridePolicy{}, TopicPolicies, false},
	{&policyv1alpha1.ClusterOverridePolicy{}, TopicPolicies, false},
	{&appsv1alpha1.Rollout{}, TopicRollouts, true},
	{&appsv1alpha1.Application{}, TopicApplications, true},
	{&appsv1alpha1.AppVersion{}, TopicApplications, true},
	{&autoscalingv1alpha1.ScalePolicy{}, TopicScaling, true},
	{&autoscalingv1alpha1.NodePool{}, TopicScaling, true},
	{&corev1.Event{}, TopicEvents, false},
}

// store is the dashboard's read side: informer caches of the hub, and a
// broadcaster told of every change. Requests read only from here; nothing a
// browser asks for reaches the hub's apiserver except access reviews.
type store struct {
	cache  cache.Cache
	mapper meta.RESTMapper
	hub    *broadcaster
	// unserved says why an optional kind is not cached, by its Go type
	// (e.g. *v1alpha1.Rollout: the hub has no Rollout CRD).
	unserved map[string]string
}

func newStore(ctx context.Context, cfg *rest.Config) (*store, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("discover the hub's APIs: %w", err)
	}
	c, err := cache.New(cfg, cache.Options{Scheme: scheme.Scheme, Mapper: mapper, HTTPClient: httpClient})
	if err != nil {
		return nil, err
	}
	s := &store{cache: c, mapper: mapper, hub: newBroadcaster(100 * time.Millisecond), unserved: map[string]string{}}
	for _, w := range watched {
		if w.optional {
			if why := unservedReason(mapper, w.obj); why != "" {
				s.unserved[fmt.Sprintf("%T", w.obj)] = why
				continue
			}
		}
		inf, err := c.GetInformer(ctx, w.obj)
		if err != nil {
			return nil, fmt.Errorf("watch %T on the hub: %w", w.obj, err)
		}
		topic := w.topic
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { s.hub.publish(topic) },
			UpdateFunc: func(any, any) { s.hub.publish(topic) },
			DeleteFunc: func(any) { s.hub.publish(topic) },
		}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// unservedReason says why the hub does not serve obj's kind ("" when it
// does, or when discovery failed for another reason: then the informer
// reports it).
func unservedReason(mapper meta.RESTMapper, obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, scheme.Scheme)
	if err != nil {
		return err.Error()
	}
	if _, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
		return fmt.Sprintf("the hub does not serve %s %s: install Kurator's CRDs on it (config/crd; `kurator up` does for a local fleet) and restart the dashboard", gvk.GroupVersion(), gvk.Kind)
	}
	return ""
}

// served says whether obj's kind is cached, and if not why.
func (s *store) served(obj client.Object) (bool, string) {
	why, missing := s.unserved[fmt.Sprintf("%T", obj)]
	return !missing, why
}

// start runs the caches until ctx ends and waits for the first sync.
func (s *store) start(ctx context.Context, syncTimeout time.Duration) error {
	go func() { _ = s.cache.Start(ctx) }()
	go s.hub.run(ctx)
	go s.hub.resync(ctx, reviewTTL)
	sctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	if !s.cache.WaitForCacheSync(sctx) {
		return fmt.Errorf("the hub's caches did not sync within %s: check that the kubeconfig's user may list and watch Kurator's and Karmada's kinds and events", syncTimeout)
	}
	return nil
}

// resourceOf maps a kind to its resource for access reviews.
func (s *store) resourceOf(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error) {
	m, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return schema.GroupVersionResource{}, err
	}
	return m.Resource, nil
}

// broadcaster fans change notices out to the open event streams, merging
// the topics of changes less than window apart into one notice: a burst of
// 500 binding updates is one refetch, not 500.
type broadcaster struct {
	window  time.Duration
	version atomic.Uint64

	mu      sync.Mutex
	pending map[string]bool
	subs    map[chan notice]bool // true: the stream missed a notice
	kick    chan struct{}
}

type notice struct {
	topics  []string
	version uint64
}

func newBroadcaster(window time.Duration) *broadcaster {
	return &broadcaster{window: window, pending: map[string]bool{}, subs: map[chan notice]bool{}, kick: make(chan struct{}, 1)}
}

func (b *broadcaster) publish(topic string) {
	b.mu.Lock()
	b.pending[topic] = true
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *broadcaster) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.window):
		}
		b.mu.Lock()
		n := notice{version: b.version.Add(1)}
		for _, t := range allTopics {
			if b.pending[t] {
				n.topics = append(n.topics, t)
			}
		}
		clear(b.pending)
		for ch, missed := range b.subs {
			m := n
			if missed {
				m.topics = allTopics
			}
			select {
			case ch <- m:
				b.subs[ch] = false
			default: // a slow stream: its next notice names every topic
				b.subs[ch] = true
			}
		}
		b.mu.Unlock()
	}
}

// resync names every topic once a period, so open pages refetch even when
// nothing on the hub changed but what a user may read did (a new
// RoleBinding shows once the cached access answers expire).
func (b *broadcaster) resync(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, topic := range allTopics {
				b.publish(topic)
			}
		}
	}
}

func (b *broadcaster) subscribe() (<-chan notice, func()) {
	ch := make(chan notice, 4)
	b.mu.Lock()
	b.subs[ch] = false
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

// subscribers counts the open event streams.
func (b *broadcaster) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
