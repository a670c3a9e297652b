package simfleet_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/apply"
	"github.com/kurator-go/kurator/internal/clusterstatus"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/internal/objectstatus"
	"github.com/kurator-go/kurator/test/simfleet"
)

// TestFiftyClusters is the harness's own check at a small scale, with the
// hub's real member clients: 50 clusters joined through kubeconfig
// Secrets, the real memberwatch.Watcher watching Deployments in all of
// them, two Works applied to each through internal/apply. Every watch must
// see each Deployment appear and then turn ready; every cluster's status
// must count its pods; five clusters going down must fail their probes and
// leave the others alone.
func TestFiftyClusters(t *testing.T) {
	const clusters, perCluster = 50, 2
	names := clusterNames(clusters)
	f := startFleet(t, simfleet.Options{Clusters: names, ReadyDelay: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	reg := hubRegistry(t, f, names)

	watcher := memberwatch.New(reg)
	events := watcher.Subscribe()
	go func() { _ = watcher.Start(ctx) }()
	defer func() {
		for _, n := range names {
			watcher.Forget(n)
		}
	}()
	// Count the watch events per Work: ADDED, then the ready MODIFIED.
	var mu sync.Mutex
	seen := map[string]int{}
	go func() {
		for {
			select {
			case ev := <-events:
				mu.Lock()
				seen[ev.Object.GetName()]++
				mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()

	a := apply.New(watcher)
	type placed struct{ cluster, work, deployment string }
	var all []placed
	var wg sync.WaitGroup
	errs := make(chan error, clusters*perCluster)
	for _, c := range names {
		dyn, err := reg.Dynamic(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		mapper, err := reg.RESTMapper(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		m := apply.Member{Name: c, Dynamic: dyn, Mapper: mapper}
		var works []*workv1alpha1.Work
		for i := range perCluster {
			d := fmt.Sprintf("app-%d", i)
			w := work(c+"-"+d, deployment("scale", d, 2, "100m"))
			works = append(works, w)
			all = append(all, placed{c, w.Name, d})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, w := range works {
				res, err := a.Apply(ctx, m, w)
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %w", w.Name, err)
				case len(res.Failed) > 0:
					errs <- fmt.Errorf("%s: %v", w.Name, res.Failed)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("apply: %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}

	eventually(t, 30*time.Second, "every Deployment watched and Healthy", func() bool {
		for _, p := range all {
			live, _ := watcher.Get(p.cluster, deploymentsGVR, "scale", p.deployment)
			if live == nil || objectstatus.Health(live) != workv1alpha1.ResourceHealthy {
				return false
			}
		}
		return true
	})
	eventually(t, 10*time.Second, "two watch events (ADDED, ready) for every Work", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range all {
			if seen[p.work] < 2 {
				return false
			}
		}
		return true
	})
	for _, c := range names {
		if n := f.Objects(c); n != 1+perCluster {
			t.Errorf("cluster %s stores %d objects, want %d (namespace scale and the Deployments)", c, n, 1+perCluster)
		}
	}
	if s := f.Stats(); s.WatchesOpen < clusters || s.ReadyWrites != clusters*perCluster {
		t.Errorf("%d watches open, %d ready writes; want at least %d watches and %d ready writes", s.WatchesOpen, s.ReadyWrites, clusters, clusters*perCluster)
	}

	t.Logf("requests after joining and applying to %d clusters: %v", clusters, f.Stats().Requests)

	// Every cluster's status counts the Deployments' pods.
	for _, c := range names {
		kube, err := reg.Kubernetes(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		st, err := clusterstatus.Collect(ctx, kube, 5*time.Second)
		if err != nil {
			t.Fatalf("Collect %s: %v", c, err)
		}
		if st.PodSummary.Running != perCluster*2 {
			t.Fatalf("cluster %s: %d pods Running, want %d", c, st.PodSummary.Running, perCluster*2)
		}
	}

	// Five clusters fail at once: their probes fail, the others answer.
	down := map[string]bool{}
	for _, c := range names[:5] {
		f.SetDown(c, true)
		down[c] = true
	}
	for _, c := range names {
		kube, _ := reg.Kubernetes(ctx, c)
		code, err := readyz(ctx, kube)
		if down[c] != (err != nil) || !down[c] && code != 200 {
			t.Errorf("cluster %s (down %v): GET /readyz %d, %v", c, down[c], code, err)
		}
	}
}

// BenchmarkFleetMemory measures the server's heap with 1,000 clusters of 10
// objects each (a namespace, 5 Deployments, 2 ConfigMaps, a Service, a
// Secret), applied through the API and turned ready. Run it with
//
//	go test -run '^$' -bench FleetMemory -benchtime 1x ./test/simfleet/
func BenchmarkFleetMemory(b *testing.B) {
	const clusters = 1000
	for range b.N {
		names := clusterNames(clusters)
		before := heapInUse()
		ctx, cancel := context.WithCancel(context.Background())
		f, err := simfleet.Start(ctx, simfleet.Options{Clusters: names, ReadyDelay: 50 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		empty := heapInUse()
		start := time.Now()
		if err := fill(ctx, f, names); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		deadline := time.Now().Add(time.Minute)
		for f.Stats().ReadyWrites < clusters*5 {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d Deployments ready after a minute", f.Stats().ReadyWrites, clusters*5)
			}
			time.Sleep(50 * time.Millisecond)
		}
		full := heapInUse()
		objects := 0
		for _, n := range names {
			objects += f.Objects(n)
		}
		if objects != clusters*10 {
			b.Fatalf("%d objects stored, want %d", objects, clusters*10)
		}
		b.ReportMetric(float64(empty-before)/clusters, "B/empty-cluster")
		b.ReportMetric(float64(full-before)/clusters, "B/cluster")
		b.ReportMetric(float64(full-before)/(1<<20), "MiB-total")
		b.ReportMetric(float64(clusters*9)/took.Seconds(), "applies/s")
		cancel()
		_ = f.Close()
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// fill applies 9 objects to every cluster (their namespace is created
// first, the tenth object) from 50 workers, and drops the clients so that
// only the server's memory remains.
func fill(ctx context.Context, f *simfleet.Fleet, names []string) error {
	work := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if err := fillOne(ctx, f, c); err != nil {
					errs <- fmt.Errorf("cluster %s: %w", c, err)
				}
			}
		}()
	}
	for _, c := range names {
		work <- c
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

func fillOne(ctx context.Context, f *simfleet.Fleet, c string) error {
	dyn, err := dynamic.NewForConfig(f.RESTConfig(c))
	if err != nil {
		return err
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "bench"}}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return err
	}
	type item struct {
		gvr schema.GroupVersionResource
		raw []byte
	}
	var items []item
	for i := range 5 {
		items = append(items, item{deploymentsGVR, deployment("bench", fmt.Sprintf("web-%d", i), 3, "100m")})
	}
	cm := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	items = append(items,
		item{cm, configMap("bench", "config-a", map[string]string{"app.properties": "mode=bench\nlevel=info\n"})},
		item{cm, configMap("bench", "config-b", map[string]string{"feature": "on"})},
		item{schema.GroupVersionResource{Version: "v1", Resource: "services"}, []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"bench"},"spec":{"selector":{"app":"web-0"},"ports":[{"port":80,"targetPort":8080}]}}`)},
		item{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"token","namespace":"bench"},"data":{"token":"c2VjcmV0LXZhbHVlLWZvci1iZW5jaA=="}}`)},
	)
	for _, it := range items {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(it.raw); err != nil {
			return err
		}
		// The hub's marks, so the objects are as large as the hub's.
		u.SetLabels(map[string]string{memberwatch.ManagedByLabel: memberwatch.ManagedByValue})
		u.SetAnnotations(map[string]string{memberwatch.WorkAnnotation: "kurator-es-" + c + "/" + u.GetName(), memberwatch.ManifestHashAnnotation: "0123456789abcdef"})
		if _, err := dyn.Resource(it.gvr).Namespace("bench").Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: apply.FieldManager, Force: true}); err != nil {
			return err
		}
	}
	return nil
}
