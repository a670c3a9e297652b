package harness

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/test/bench/scale/mix"
)

// Tracker follows, through watches of the hub, what became of a mix: which
// clusters are Ready, each workload's binding and Works, each template's
// aggregated status, the Fleet's FailoverPaused condition, and every time a
// binding left a cluster. Only the parts of objects it reads are kept
// (Work manifests and bindings' per-cluster status are dropped as they
// arrive), so 10,000 workloads cost it little memory.
type Tracker struct {
	m     *mix.Mix
	cache cache.Cache

	mu        sync.Mutex
	ready     map[string]bool // cluster → Ready=True
	members   map[string]bool // cluster → labelled a member of Fleet FleetName
	bindings  map[types.NamespacedName]*workv1alpha1.ResourceBinding
	works     map[types.NamespacedName]workState
	templates map[types.NamespacedName]bool // ready
	paused    *metav1.Condition
	removals  []Removal
	workload  map[types.NamespacedName]int // binding → workload index
}

type workState struct{ applied bool }

// Removal is one binding leaving one cluster: the cluster vanished from
// its spec.clusters between two versions the watch saw.
type Removal struct {
	At       time.Time
	Binding  types.NamespacedName
	Cluster  string
	Replicas int32
}

// BindingKey is the binding of workload w.
func BindingKey(w mix.Workload) types.NamespacedName {
	return types.NamespacedName{Namespace: w.Namespace, Name: workv1alpha1.BindingName(w.Name, "Deployment")}
}

// NewTracker starts watches of the hub at cfg for the mix and returns once
// their caches are in sync.
func NewTracker(ctx context.Context, cfg *rest.Config, m *mix.Mix) (*Tracker, error) {
	hasPolicy, err := labels.NewRequirement(mix.PolicyLabel, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	nsOf := map[string]cache.Config{}
	for _, ns := range m.Namespaces {
		nsOf[ns] = cache.Config{}
	}
	c, err := cache.New(cfg, cache.Options{
		Scheme: scheme.Scheme,
		ByObject: map[client.Object]cache.ByObject{
			&workv1alpha1.ResourceBinding{}: {Namespaces: nsOf, Transform: stripBinding},
			&workv1alpha1.Work{}:            {Transform: stripWork},
			&appsv1.Deployment{}:            {Namespaces: nsOf, Label: labels.NewSelector().Add(*hasPolicy), Transform: stripTemplate},
			&clusterv1alpha1.AttachedCluster{}: {
				Namespaces: map[string]cache.Config{join.Namespace: {}}, Transform: cache.TransformStripManagedFields(),
			},
			&fleetv1alpha1.Fleet{}: {Namespaces: map[string]cache.Config{join.Namespace: {}}},
		},
	})
	if err != nil {
		return nil, err
	}
	t := &Tracker{
		m: m, cache: c,
		ready:     map[string]bool{},
		members:   map[string]bool{},
		bindings:  map[types.NamespacedName]*workv1alpha1.ResourceBinding{},
		works:     map[types.NamespacedName]workState{},
		templates: map[types.NamespacedName]bool{},
		workload:  map[types.NamespacedName]int{},
	}
	for i, w := range m.Workloads {
		t.workload[BindingKey(w)] = i
	}
	for _, h := range []struct {
		obj client.Object
		fn  func(old, obj any, deleted bool)
	}{
		{&clusterv1alpha1.AttachedCluster{}, t.onCluster},
		{&workv1alpha1.ResourceBinding{}, t.onBinding},
		{&workv1alpha1.Work{}, t.onWork},
		{&appsv1.Deployment{}, t.onTemplate},
		{&fleetv1alpha1.Fleet{}, t.onFleet},
	} {
		inf, err := c.GetInformer(ctx, h.obj)
		if err != nil {
			return nil, err
		}
		fn := h.fn
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { fn(nil, obj, false) },
			UpdateFunc: func(old, obj any) { fn(old, obj, false) },
			DeleteFunc: func(obj any) {
				if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				fn(nil, obj, true)
			},
		}); err != nil {
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("tracker: the hub's watches did not sync")
	}
	return t, nil
}

func stripBinding(obj any) (any, error) {
	if b, ok := obj.(*workv1alpha1.ResourceBinding); ok {
		b.ManagedFields, b.Status.AggregatedStatus = nil, nil
	}
	return obj, nil
}

func stripWork(obj any) (any, error) {
	if w, ok := obj.(*workv1alpha1.Work); ok {
		w.ManagedFields, w.Spec.Workload.Manifests, w.Status.ManifestStatuses = nil, nil, nil
	}
	return obj, nil
}

func stripTemplate(obj any) (any, error) {
	if d, ok := obj.(*appsv1.Deployment); ok {
		d.ManagedFields, d.Spec.Template = nil, corev1.PodTemplateSpec{}
	}
	return obj, nil
}

func (t *Tracker) onCluster(_, obj any, deleted bool) {
	ac, ok := obj.(*clusterv1alpha1.AttachedCluster)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if deleted {
		delete(t.ready, ac.Name)
		delete(t.members, ac.Name)
		return
	}
	t.ready[ac.Name] = ac.IsReady()
	t.members[ac.Name] = ac.Labels[fleetv1alpha1.FleetNameLabel] == FleetName
}

func (t *Tracker) onBinding(old, obj any, deleted bool) {
	b, ok := obj.(*workv1alpha1.ResourceBinding)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(b)
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if deleted {
		delete(t.bindings, key)
		return
	}
	if o, ok := old.(*workv1alpha1.ResourceBinding); ok {
		for _, c := range o.Spec.Clusters {
			if !b.Spec.TargetContains(c.Name) {
				t.removals = append(t.removals, Removal{At: now, Binding: key, Cluster: c.Name, Replicas: c.Replicas})
			}
		}
	}
	t.bindings[key] = b
}

func (t *Tracker) onWork(_, obj any, deleted bool) {
	w, ok := obj.(*workv1alpha1.Work)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(w)
	t.mu.Lock()
	defer t.mu.Unlock()
	if deleted {
		delete(t.works, key)
		return
	}
	c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.ConditionApplied)
	// An Applied condition of an older generation says nothing about the
	// manifests the Work holds now.
	applied := c != nil && c.Status == metav1.ConditionTrue && (c.ObservedGeneration == 0 || c.ObservedGeneration == w.Generation)
	t.works[key] = workState{applied: applied}
}

func (t *Tracker) onTemplate(_, obj any, deleted bool) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(d)
	t.mu.Lock()
	defer t.mu.Unlock()
	if deleted {
		delete(t.templates, key)
		return
	}
	t.templates[key] = d.Spec.Replicas != nil && d.Status.ReadyReplicas == *d.Spec.Replicas
}

func (t *Tracker) onFleet(_, obj any, deleted bool) {
	f, ok := obj.(*fleetv1alpha1.Fleet)
	if !ok || f.Name != FleetName {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if deleted {
		t.paused = nil
		return
	}
	if c := meta.FindStatusCondition(f.Status.Conditions, fleetv1alpha1.ConditionFailoverPaused); c != nil {
		cc := *c
		t.paused = &cc
	} else {
		t.paused = nil
	}
}

// Summary is the state of the mix on the hub at one moment.
type Summary struct {
	Clusters, ClustersReady int
	// FleetMembers counts the clusters labelled members of Fleet FleetName.
	FleetMembers int
	// Bindings of the mix's workloads that exist, and of them Scheduled:
	// Scheduled=True for their current generation.
	Bindings, Scheduled int
	// Targets counts the scheduled bindings' target clusters, Applied
	// those with a Work whose Applied condition is True for its current
	// generation.
	Targets, Applied int
	// Works is every Work on the hub (of any binding, in any cluster).
	Works int
	// Templates of the mix that exist, and of them Ready: the aggregated
	// status shows readyReplicas == spec.replicas.
	Templates, TemplatesReady int
	// OnDown is how many bindings still target a cluster of the down set
	// given to Summary, and DownReady how many of those clusters are Ready.
	OnDown, DownReady int
	// FailoverPaused is the Fleet's FailoverPaused condition (nil until
	// the fleet controller wrote one).
	FailoverPaused *metav1.Condition
	// Misplaced counts bindings whose targets are not what their policy
	// asks for with the down clusters excluded (mix.Check); computed only
	// when asked, FirstMisplaced is the first such problem.
	Misplaced      int
	FirstMisplaced error
}

// Done tells whether every workload is scheduled, applied everywhere and
// ready on the hub.
func (s Summary) Done(workloads int) bool {
	return s.Scheduled == workloads && s.Applied == s.Targets && s.TemplatesReady == workloads
}

func (s Summary) String() string {
	return fmt.Sprintf("clusters Ready %d/%d, bindings scheduled %d/%d, Works applied %d/%d, templates ready %d/%d",
		s.ClustersReady, s.Clusters, s.Scheduled, s.Bindings, s.Applied, s.Targets, s.TemplatesReady, s.Templates)
}

// Summary tallies the state now. down are failed clusters (nil: none);
// checkPlacement also checks every binding against its policy (mix.Check).
func (t *Tracker) Summary(down map[string]bool, checkPlacement bool) Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s Summary
	s.Clusters = len(t.ready)
	for _, m := range t.members {
		if m {
			s.FleetMembers++
		}
	}
	for name, r := range t.ready {
		if r {
			s.ClustersReady++
			if down[name] {
				s.DownReady++
			}
		}
	}
	s.Works = len(t.works)
	if t.paused != nil {
		c := *t.paused
		s.FailoverPaused = &c
	}
	for key, b := range t.bindings {
		i, ok := t.workload[key]
		if !ok {
			continue
		}
		s.Bindings++
		if slices.ContainsFunc(b.Spec.Clusters, func(c workv1alpha1.TargetCluster) bool { return down[c.Name] }) {
			s.OnDown++
		}
		if checkPlacement {
			if err := t.m.Check(t.m.Workloads[i], b, down); err != nil {
				s.Misplaced++
				if s.FirstMisplaced == nil {
					s.FirstMisplaced = err
				}
			}
		}
		if !b.Status.IsScheduled() || b.Status.SchedulerObservedGeneration != b.Generation {
			continue
		}
		s.Scheduled++
		work := workv1alpha1.WorkName(key)
		for _, c := range b.Spec.Clusters {
			s.Targets++
			if t.works[types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(c.Name), Name: work}].applied {
				s.Applied++
			}
		}
	}
	for _, w := range t.m.Workloads {
		ready, ok := t.templates[types.NamespacedName{Namespace: w.Namespace, Name: w.Name}]
		if ok {
			s.Templates++
			if ready {
				s.TemplatesReady++
			}
		}
	}
	return s
}

// WaitFor returns once done(summary) holds, checking the tracker's state
// (not the hub: the watches bring the changes) every 200 ms, and calls
// progress with the summary every every (0: never). It gives up after
// timeout with the last summary and an error.
func (t *Tracker) WaitFor(ctx context.Context, timeout, every time.Duration, down map[string]bool, checkPlacement bool,
	done func(Summary) bool, progress func(time.Duration, Summary)) (Summary, time.Duration, error) {
	begin := time.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastReport := begin
	for {
		s := t.Summary(down, checkPlacement)
		if done(s) {
			return s, time.Since(begin), nil
		}
		if time.Since(begin) > timeout {
			return s, time.Since(begin), fmt.Errorf("not within %s: %s", timeout, s)
		}
		if every > 0 && progress != nil && time.Since(lastReport) >= every {
			lastReport = time.Now()
			progress(time.Since(begin), s)
		}
		select {
		case <-ctx.Done():
			return s, time.Since(begin), ctx.Err()
		case <-tick.C:
		}
	}
}

// Removals returns the removals seen at or after since.
func (t *Tracker) Removals(since time.Time) []Removal {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Removal
	for _, r := range t.removals {
		if !r.At.Before(since) {
			out = append(out, r)
		}
	}
	return out
}

// FailoverPaused is the Fleet's FailoverPaused condition (nil when it has
// none yet).
func (t *Tracker) FailoverPaused() *metav1.Condition {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paused == nil {
		return nil
	}
	c := *t.paused
	return &c
}

// Binding returns the tracked binding of workload i (nil when it does not
// exist yet). The object is shared: do not modify it.
func (t *Tracker) Binding(i int) *workv1alpha1.ResourceBinding {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bindings[BindingKey(t.m.Workloads[i])]
}

// FailoverReasons counts the mix's bindings by the reason of their
// Failover condition (bindings without one are left out).
func (t *Tracker) FailoverReasons() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for key, b := range t.bindings {
		if _, ok := t.workload[key]; !ok {
			continue
		}
		if c := meta.FindStatusCondition(b.Status.Conditions, workv1alpha1.ConditionFailover); c != nil {
			out[string(c.Status)+"/"+c.Reason]++
		}
	}
	return out
}

// TargetsOn counts, per cluster, the mix's bindings that target it.
func (t *Tracker) TargetsOn() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for key, b := range t.bindings {
		if _, ok := t.workload[key]; !ok {
			continue
		}
		for _, c := range b.Spec.Clusters {
			out[c.Name]++
		}
	}
	return out
}
