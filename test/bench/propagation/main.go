// Command propagation measures how fast the hub propagates workloads: it
// starts a local fleet with the real kurator-manager, applies Deployments with
// a weighted policy over three members, and prints p50/p99 latency from
// creating each template on the hub until it is present in every target member
// and until all its replicas are ready there. Two floors come first: the
// member Deployments created straight in the members (what the members alone
// need), and the write floor, every hub and member object propagation writes
// created at once with no controller involved (the lower bound for the bulk
// phase on this machine). The write floor and bulk phases also print the CPU
// each process group used and the hub's write requests; the manager's RSS and
// idle CPU are printed before any workload and after the bulk phase.
//
//	go run ./test/bench/propagation [-n 500] [-single 20]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
	"github.com/kurator-go/kurator/test/fleetup"
)

func main() {
	n := flag.Int("n", 500, "Deployments applied at once in the bulk phase")
	single := flag.Int("single", 20, "Deployments applied one at a time in the single phase")
	replicas := flag.Int("replicas", 3, "replicas per Deployment (divided 1:1:1 over the members)")
	nodes := flag.Int("nodes-per-member", 16, "fake nodes per member (110 pods each; the pods of every phase must fit together)")
	idle := flag.Duration("idle-window", 30*time.Second, "how long the manager's idle CPU is measured, before any workload and after the bulk phase")
	flag.Parse()
	if err := run(*n, *single, int32(*replicas), *nodes, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, single int, replicas int32, nodes int, idle time.Duration) error {
	ctx := context.Background()
	fmt.Printf("starting a local fleet: hub + 3 members x %d nodes, real kurator-manager\n", nodes)
	st, stop, err := fleetup.Start(ctx, localfleet.Config{Name: "bench", NodesPerMember: nodes}, os.Stderr)
	if err != nil {
		return err
	}
	defer stop()

	hubRC, err := st.RESTConfig(localfleet.HubName)
	if err != nil {
		return err
	}
	hub, err := client.New(hubRC, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return err
	}
	w := newWatcher(replicas)
	for _, m := range st.Members {
		rc, err := st.RESTConfig(m.Name)
		if err != nil {
			return err
		}
		w.watch(ctx, m.Name, kubernetes.NewForConfigOrDie(rc))
	}
	if err := hub.Create(ctx, policy(st.Members)); err != nil {
		return err
	}
	fmt.Println("\nmanager footprint with no workload")
	printManagerFootprint(st, "idle, no workload", idle)

	// The floor, first, on empty members: the bulk phase's member objects
	// created straight in the members, no hub involved. What the members
	// themselves need (ReplicaSets, pods, scheduling, status) bounds any
	// propagation figure on this machine.
	perMember := replicas / int32(len(st.Members))
	fmt.Printf("\nfloor: the same %d x %d Deployments of %d replicas created directly in the members\n", n, len(st.Members), perMember)
	floor := names("floor-%04d", n)
	var (
		members  []kubernetes.Interface
		byName   = map[string]kubernetes.Interface{}
		clusters []string
	)
	for _, m := range st.Members {
		rc, _ := st.RESTConfig(m.Name)
		cs := kubernetes.NewForConfigOrDie(rc)
		members = append(members, cs)
		byName[m.Name] = cs
		clusters = append(clusters, m.Name)
	}
	hubCS := kubernetes.NewForConfigOrDie(hubRC)
	begin := time.Now()
	if err := createDirect(ctx, members, floor, perMember, func(name string) { w.expect(name, len(st.Members)) }); err != nil {
		return err
	}
	if err := w.waitReady(ctx, floor, 10*time.Minute); err != nil {
		return err
	}
	present, ready := w.report("floor", floor)
	fmt.Printf("  all %d present in every member %s after the first create; all ready %s after it\n",
		n, present.Sub(begin).Round(time.Millisecond), ready.Sub(begin).Round(time.Millisecond))

	// The write floor: every object propagation writes to exist, hub and
	// members, created at once with no controller in between. No
	// propagation of the bulk phase can have all present sooner.
	fmt.Printf("\nwrite floor: per workload 1 hub Deployment, 1 ResourceBinding, %d Works, %d member Deployments; %d workloads at once, %d creates in flight, no controller involved\n",
		len(clusters), len(clusters), n, writeFloorWorkers)
	wfloor := names("wfloor-%04d", n)
	from := measureUsage(ctx, st, hubCS, byName)
	begin = time.Now()
	last, err := writeFloor(ctx, hub, byName, clusters, wfloor, perMember, func(name string) { w.expect(name, len(st.Members)) })
	if err != nil {
		return err
	}
	total := time.Since(begin)
	to := measureUsage(ctx, st, hubCS, byName)
	for _, kind := range []string{"hub Deployments", "ResourceBindings", "Works", "member Deployments"} {
		fmt.Printf("  %-18s all created after %s\n", kind, last[kind].Round(time.Millisecond))
	}
	if err := w.waitReady(ctx, wfloor, 10*time.Minute); err != nil {
		return err
	}
	_, ready = w.report("wfloor", wfloor)
	fmt.Printf("  all %d workloads' objects exist %s after the first create; member Deployments all ready %s after it\n",
		n, total.Round(time.Millisecond), ready.Sub(begin).Round(time.Millisecond))
	printUsage(from, to, n)
	// The scheduler requeues unscheduled bindings on every capacity change;
	// the floor's bindings (never scheduled) would burden the next phases.
	if err := clearWriteFloor(ctx, hub); err != nil {
		return err
	}

	fmt.Printf("\nsingle: %d Deployments of %d replicas, one at a time\n", single, replicas)
	for i := range single {
		name := fmt.Sprintf("single-%03d", i)
		w.expect(name, len(st.Members))
		if err := hub.Create(ctx, deployment(name, replicas)); err != nil {
			return err
		}
		if err := w.waitReady(ctx, []string{name}, 60*time.Second); err != nil {
			return err
		}
	}
	w.report("single", names("single-%03d", single))

	fmt.Printf("\nbulk: %d Deployments of %d replicas, created by 10 clients at once\n", n, replicas)
	bulk := names("bulk-%04d", n)
	from = measureUsage(ctx, st, hubCS, byName)
	begin = time.Now()
	if err := createAll(ctx, hub, bulk, replicas, func(name string) { w.expect(name, len(st.Members)) }); err != nil {
		return err
	}
	fmt.Printf("  %d templates created on the hub in %s\n", n, time.Since(begin).Round(time.Millisecond))
	if err := w.waitReady(ctx, bulk, 10*time.Minute); err != nil {
		return err
	}
	// The writes are counted once the hub shows the outcome too (every
	// template's aggregated status ready), so the status writes that follow
	// the members' readiness are in the count.
	settled, err := waitHubReady(ctx, hub, bulk, replicas, 5*time.Minute)
	if err != nil {
		return err
	}
	to = measureUsage(ctx, st, hubCS, byName)
	present, ready = w.report("bulk", bulk)
	fmt.Printf("  all %d present in every target %s after the first create; all ready %s after it; the hub shows all ready %s after it\n",
		n, present.Sub(begin).Round(time.Millisecond), ready.Sub(begin).Round(time.Millisecond), settled.Sub(begin).Round(time.Millisecond))
	printUsage(from, to, n)
	if p, ok := st.Process(localfleet.HubName + "/kurator-manager"); ok {
		measure.PrintControllerStats(fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Port))
	}
	printManagerFootprint(st, fmt.Sprintf("idle with the %d bulk and %d single workloads in place", n, single), idle)

	return nil
}

func names(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// policy divides every bench Deployment 1:1:1 over the members.
func policy(members []localfleet.Member) *policyv1alpha1.PropagationPolicy {
	var clusters []string
	var weights []policyv1alpha1.StaticClusterWeight
	for _, m := range members {
		clusters = append(clusters, m.Name)
		weights = append(weights, policyv1alpha1.StaticClusterWeight{
			TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{m.Name}}, Weight: 1,
		})
	}
	return &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: "default"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{
				APIVersion: "apps/v1", Kind: "Deployment",
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"bench": "propagation"}},
			}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: clusters},
				// Every member: the Fleet's own spread limit would otherwise apply.
				SpreadConstraints: []policyv1alpha1.SpreadConstraint{{MinGroups: 1, MaxGroups: len(members)}},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
					ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
					ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
					WeightPreference:          &policyv1alpha1.ClusterPreferences{StaticWeightList: weights},
				},
			},
		},
	}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"bench": "propagation"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.25"}}},
			},
		},
	}
}

// watcher records, per Deployment, when it was created on the hub (just
// before the create call), first seen in each member, and ready there.
type watcher struct {
	replicas int32
	mu       sync.Mutex
	records  map[string]*record
}

type record struct {
	created time.Time
	targets int
	seen    map[string]time.Time
	ready   map[string]time.Time
}

func newWatcher(replicas int32) *watcher {
	return &watcher{replicas: replicas, records: map[string]*record{}}
}

func (w *watcher) expect(name string, targets int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.records[name] = &record{created: time.Now(), targets: targets, seen: map[string]time.Time{}, ready: map[string]time.Time{}}
}

func (w *watcher) watch(ctx context.Context, cluster string, cs kubernetes.Interface) {
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("default"))
	inf := f.Apps().V1().Deployments().Informer()
	observe := func(obj any) {
		d, ok := obj.(*appsv1.Deployment)
		if !ok {
			return
		}
		now := time.Now()
		w.mu.Lock()
		defer w.mu.Unlock()
		r := w.records[d.Name]
		if r == nil {
			return
		}
		if _, ok := r.seen[cluster]; !ok {
			r.seen[cluster] = now
		}
		if _, ok := r.ready[cluster]; !ok && d.Spec.Replicas != nil && d.Status.ReadyReplicas == *d.Spec.Replicas && d.Status.ObservedGeneration == d.Generation {
			r.ready[cluster] = now
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    observe,
		UpdateFunc: func(_, obj any) { observe(obj) },
	})
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
}

func (w *watcher) waitReady(ctx context.Context, names []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		missing := 0
		w.mu.Lock()
		for _, n := range names {
			if r := w.records[n]; len(r.ready) < r.targets {
				missing++
			}
		}
		w.mu.Unlock()
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d Deployments not ready in every member after %s", missing, len(names), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHubReady polls the hub until every named template's status shows all
// its replicas ready for its current generation, and returns when it did.
func waitHubReady(ctx context.Context, hub client.Client, names []string, replicas int32, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for {
		var list appsv1.DeploymentList
		if err := hub.List(ctx, &list, client.InNamespace("default"), client.MatchingLabels{"bench": "propagation"}); err != nil {
			return time.Time{}, err
		}
		ready := 0
		for i := range list.Items {
			d := &list.Items[i]
			if want[d.Name] && d.Status.ReadyReplicas == replicas && d.Status.ObservedGeneration == d.Generation {
				ready++
			}
		}
		if ready == len(names) {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d templates not ready on the hub after %s", len(names)-ready, len(names), timeout)
		}
		time.Sleep(time.Second) // a list of every template: not too often
	}
}

// report prints p50/p99/max of time-to-present and time-to-ready and returns
// when the last was present and ready.
func (w *watcher) report(phase string, names []string) (lastPresent, lastReady time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var present, ready []time.Duration
	for _, n := range names {
		r := w.records[n]
		p, rd := latest(r.seen), latest(r.ready)
		present = append(present, p.Sub(r.created))
		ready = append(ready, rd.Sub(r.created))
		if p.After(lastPresent) {
			lastPresent = p
		}
		if rd.After(lastReady) {
			lastReady = rd
		}
	}
	fmt.Printf("  %-6s present in every target: p50 %s  p99 %s  max %s\n", phase, pct(present, 50), pct(present, 99), pct(present, 100))
	fmt.Printf("  %-6s all replicas ready:      p50 %s  p99 %s  max %s\n", phase, pct(ready, 50), pct(ready, 99), pct(ready, 100))
	return lastPresent, lastReady
}

func latest(m map[string]time.Time) time.Time {
	var t time.Time
	for _, v := range m {
		if v.After(t) {
			t = v
		}
	}
	return t
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Round(time.Millisecond)
}

// createAll creates the Deployments on the hub; before is called just before
// each create.
func createAll(ctx context.Context, hub client.Client, all []string, replicas int32, before func(string)) error {
	return inParallel(all, func(name string) error {
		before(name)
		return hub.Create(ctx, deployment(name, replicas))
	})
}

// createDirect creates each Deployment in every member, not selected by the
// bench policy; before is called just before the first create.
func createDirect(ctx context.Context, members []kubernetes.Interface, all []string, replicas int32, before func(string)) error {
	return inParallel(all, func(name string) error {
		before(name)
		for _, cs := range members {
			d := deployment(name, replicas)
			d.Labels = nil
			if _, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
}

// inParallel calls fn for every name with 10 workers and returns the first
// error.
func inParallel(names []string, fn func(string) error) error {
	tasks := make([]func() error, len(names))
	for i, name := range names {
		tasks[i] = func() error {
			if err := fn(name); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
			return nil
		}
	}
	return runTasks(tasks, 10)
}

// runTasks runs the tasks in order with workers at once and returns the
// first error; workers keep draining after an error so the sender never
// blocks.
func runTasks(tasks []func() error, workers int) error {
	work := make(chan func() error)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for task := range work {
				if err := task(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, task := range tasks {
		work <- task
	}
	close(work)
	wg.Wait()
	return first
}
