package simfleet_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/kurator-go/kurator/internal/apply"
	"github.com/kurator-go/kurator/internal/clusterstatus"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/internal/objectstatus"
	"github.com/kurator-go/kurator/test/simfleet"
)

// readyz probes as the hub's cluster controller does: GET /readyz through
// the clientset's discovery REST client. It returns the status code (0: no
// answer) and the error.
func readyz(ctx context.Context, kube kubernetes.Interface) (int, error) {
	var code int
	_, err := kube.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code).Raw()
	return code, err
}

func TestServesHTTP2WithItsCA(t *testing.T) {
	f := startFleet(t, simfleet.Options{Clusters: []string{"a"}})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(f.CAData()) {
		t.Fatal("CAData is no PEM certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := hc.Get(f.URL("a") + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" || resp.ProtoMajor != 2 {
		t.Fatalf("GET /readyz: %d %q over HTTP/%d, want 200 ok over HTTP/2", resp.StatusCode, body, resp.ProtoMajor)
	}
	resp, err = hc.Get(f.URL("nope") + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown cluster answered %d, want 404", resp.StatusCode)
	}
}

// TestHubClients drives one simulated cluster with the hub's own code:
// the member Registry built from the kubeconfig Secret, discovery, the
// probe, clusterstatus.Collect, internal/apply with the real
// memberwatch.Watcher, objectstatus.Health, delete.
func TestHubClients(t *testing.T) {
	const readyDelay = 300 * time.Millisecond
	f := startFleet(t, simfleet.Options{Clusters: []string{"east", "west"}, ReadyDelay: readyDelay})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := hubRegistry(t, f, []string{"east", "west"})
	clients, err := reg.Kubernetes(ctx, "east")
	if err != nil {
		t.Fatal(err)
	}

	// Discovery, as the hub's status collection and RESTMapper do it.
	_, lists, err := discovery.ServerGroupsAndResources(clients.Discovery())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if !served(lists, "apps/v1", "deployments") || !served(lists, "v1", "namespaces") || !served(lists, "batch/v1", "jobs") {
		t.Fatalf("discovery lacks apps/v1 deployments, v1 namespaces or batch/v1 jobs: %v", lists)
	}
	if code, err := readyz(ctx, clients); code != 200 || err != nil {
		t.Fatalf("GET /readyz: %d, %v; want 200", code, err)
	}

	st, err := clusterstatus.Collect(ctx, clients, 5*time.Second)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if st.KubernetesVersion != "v1.37.2" || st.NodeSummary.TotalNum != 3 || st.NodeSummary.ReadyNum != 3 || st.PodSummary.Total != 0 {
		t.Fatalf("Collect before any apply: version %q, nodes %+v, pods %+v; want v1.37.2, 3 of 3 Ready, no pods",
			st.KubernetesVersion, st.NodeSummary, st.PodSummary)
	}
	if cpu := st.ResourceSummary.Allocatable[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("24")) != 0 {
		t.Fatalf("allocatable cpu %s, want 24 (3 nodes x 8)", cpu.String())
	}

	// Apply a Work as execution does: the namespace "shop" does not exist,
	// the applier creates it on the 404.
	watcher := memberwatch.New(reg)
	events := watcher.Subscribe()
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	go func() { _ = watcher.Start(wctx) }()
	defer watcher.Forget("east")
	dyn, err := reg.Dynamic(ctx, "east")
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := reg.RESTMapper(ctx, "east")
	if err != nil {
		t.Fatal(err)
	}
	m := apply.Member{Name: "east", Dynamic: dyn, Mapper: mapper}
	a := apply.New(watcher)
	w := work("web", deployment("shop", "web", 3, "250m"), configMap("shop", "web-config", map[string]string{"k": "v"}))
	res, err := a.Apply(ctx, m, w)
	if err != nil || len(res.Failed) > 0 || res.Applies != 2 {
		t.Fatalf("Apply: %v, failed %v, %d applies; want 2 applies", err, res.Failed, res.Applies)
	}
	stored, ok := f.Get("east", "apps/v1/deployments", "shop", "web")
	if !ok {
		t.Fatal("the Deployment is not stored in east")
	}
	if _, has := stored["status"]; has {
		t.Fatalf("the Deployment has a status right after the apply, want none before ReadyDelay: %v", stored["status"])
	}
	ann, _, _ := unstructured.NestedStringMap(stored, "metadata", "annotations")
	if ann[memberwatch.WorkAnnotation] != "kurator-es-test/web" || ann[memberwatch.ManifestHashAnnotation] == "" {
		t.Fatalf("the stored Deployment lacks the owner and hash annotations: %v", ann)
	}
	if f.Objects("east") != 3 || f.Objects("west") != 0 {
		t.Fatalf("objects east %d west %d; want 3 (namespace, Deployment, ConfigMap) and 0", f.Objects("east"), f.Objects("west"))
	}

	// The watch sees it, then sees it turn ready.
	waitEvent(t, events, "web")
	applied := time.Now()
	var live *unstructured.Unstructured
	eventually(t, 10*time.Second, "the watched Deployment turns Healthy", func() bool {
		live, _ = watcher.Get("east", deploymentsGVR, "shop", "web")
		return live != nil && objectstatus.Health(live) == workv1alpha1.ResourceHealthy
	})
	if took := time.Since(applied); took > readyDelay+5*time.Second {
		t.Errorf("ready after %s, want about %s", took, readyDelay)
	}
	if got := objectstatus.Collect(live); got["readyReplicas"] != int64(3) || got[objectstatus.GenerationKey] != int64(1) {
		t.Fatalf("collected status %v, want readyReplicas 3 at generation 1", got)
	}

	// Applying the same Work again costs nothing: the watch shows the
	// member still holds what the last apply produced.
	res, err = a.Apply(ctx, m, w)
	if err != nil || len(res.Failed) > 0 || res.Applies != 0 {
		t.Fatalf("second Apply: %v, failed %v, %d applies; want 0", err, res.Failed, res.Applies)
	}

	// A spec change bumps the generation; the status is not ready for it
	// until ReadyDelay passed again.
	w2 := work("web", deployment("shop", "web", 5, "250m"), configMap("shop", "web-config", map[string]string{"k": "v"}))
	w2.Status.ManifestStatuses = res.ManifestStatuses
	if res, err = a.Apply(ctx, m, w2); err != nil || len(res.Failed) > 0 || res.Applies != 1 {
		t.Fatalf("Apply of 5 replicas: %v, failed %v, %d applies; want 1 (the Deployment)", err, res.Failed, res.Applies)
	}
	stored, _ = f.Get("east", "apps/v1/deployments", "shop", "web")
	if gen, _, _ := unstructured.NestedInt64(stored, "metadata", "generation"); gen != 2 {
		t.Fatalf("generation %d after a spec change, want 2", gen)
	}
	eventually(t, 10*time.Second, "5 replicas ready at generation 2", func() bool {
		live, _ = watcher.Get("east", deploymentsGVR, "shop", "web")
		return live != nil && objectstatus.Health(live) == workv1alpha1.ResourceHealthy && objectstatus.Collect(live)["readyReplicas"] == int64(5)
	})

	// The pods follow the workload: 5 Running, each asking 250m.
	st, err = clusterstatus.Collect(ctx, clients, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st.PodSummary.Running != 5 || st.PodSummary.Total != 5 {
		t.Fatalf("pods %+v, want 5 Running", st.PodSummary)
	}
	if cpu := st.ResourceSummary.Allocated[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("1250m")) != 0 {
		t.Fatalf("allocated cpu %s, want 1250m (5 x 250m)", cpu.String())
	}

	// Delete removes what the Work owns, the namespace stays.
	if err := a.Delete(ctx, m, w2); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := f.Get("east", "apps/v1/deployments", "shop", "web"); ok {
		t.Fatal("the Deployment is still stored after Delete")
	}
	if _, ok := f.Get("east", "v1/namespaces", "", "shop"); !ok {
		t.Fatal("the namespace went with the Work, want it kept")
	}
	eventually(t, 10*time.Second, "the watch drops the deleted Deployment", func() bool {
		live, synced := watcher.Get("east", deploymentsGVR, "shop", "web")
		return synced && live == nil
	})

	s := f.Stats()
	for _, k := range []string{"APPLY deployments.apps", "APPLY configmaps", "CREATE namespaces", "DELETE deployments.apps", "GET /readyz", "LIST pods", "LIST nodes"} {
		if s.Requests[k] == 0 {
			t.Errorf("Stats().Requests[%q] = 0, want counted: %v", k, s.Requests)
		}
	}
	// Accepted applies: Deployment and ConfigMap, then the Deployment at 5
	// replicas (the first Deployment apply got the namespace's 404).
	if s.Applies != 3 || s.Requests["APPLY deployments.apps"] != 3 || s.WatchesOpen < 1 || s.ReadyWrites != 2 {
		t.Errorf("stats %+v: want 3 accepted applies of 4 requests, an open watch, 2 ready writes", s)
	}
}

func served(lists []*metav1.APIResourceList, gv, name string) bool {
	for _, l := range lists {
		if l.GroupVersion != gv {
			continue
		}
		for _, r := range l.APIResources {
			if r.Name == name {
				return true
			}
		}
	}
	return false
}

func waitEvent(t *testing.T, events <-chan event.GenericEvent, name string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Object.GetName() == name {
				return
			}
		case <-deadline:
			t.Fatalf("no watch event for Work %s", name)
		}
	}
}

func TestDownClusterFailsAndRecovers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		downStatus int
		wantCode   int
	}{
		{name: "reset streams look unreachable (no status code)", downStatus: 0, wantCode: 0},
		{name: "DownStatus 503 answers 503", downStatus: 503, wantCode: 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFleet(t, simfleet.Options{Clusters: []string{"a", "b"}, DownStatus: tc.downStatus})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			reg := hubRegistry(t, f, []string{"a", "b"})
			ka, _ := reg.Kubernetes(ctx, "a")
			kb, _ := reg.Kubernetes(ctx, "b")
			dyn, _ := reg.Dynamic(ctx, "a")

			// An open watch is cut when its cluster goes down.
			wi, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("default").Watch(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer wi.Stop()

			f.SetDown("a", true)
			if code, err := readyz(ctx, ka); code != tc.wantCode || err == nil {
				t.Fatalf("down: GET /readyz %d, %v; want %d and an error", code, err, tc.wantCode)
			}
			if _, err := clusterstatus.Collect(ctx, ka, 2*time.Second); err == nil {
				t.Fatal("down: Collect succeeded")
			}
			if code, err := readyz(ctx, kb); code != 200 || err != nil {
				t.Fatalf("the other cluster: GET /readyz %d, %v; want 200", code, err)
			}
			select {
			case _, open := <-wi.ResultChan():
				for open {
					_, open = <-wi.ResultChan()
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the watch of the down cluster stayed open")
			}

			f.SetDown("a", false)
			if code, err := readyz(ctx, ka); code != 200 || err != nil {
				t.Fatalf("back up: GET /readyz %d, %v; want 200", code, err)
			}
			if f.Stats().DownRefused < 2 {
				t.Fatalf("DownRefused %d, want the refused requests counted", f.Stats().DownRefused)
			}
		})
	}
}

func TestErrorRateOneFailsWrites(t *testing.T) {
	f := startFleet(t, simfleet.Options{Clusters: []string{"a"}, ErrorRate: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	reg := hubRegistry(t, f, []string{"a"})
	dyn, _ := reg.Dynamic(ctx, "a")
	mapper, _ := reg.RESTMapper(ctx, "a")
	watcher := memberwatch.New(reg)
	go func() { _ = watcher.Start(ctx) }()
	defer watcher.Forget("a")
	res, err := apply.New(watcher).Apply(ctx, apply.Member{Name: "a", Dynamic: dyn, Mapper: mapper}, work("w", configMap("default", "c", nil)))
	if err != nil || len(res.Failed) != 1 || !strings.Contains(res.Failed[0], "injected error") {
		t.Fatalf("Apply: %v, failed %v; want the one manifest failed with the injected 500", err, res.Failed)
	}
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("v1")
	obj.SetKind("ConfigMap")
	obj.SetName("c")
	_, err = dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("default").
		Apply(ctx, "c", obj, metav1.ApplyOptions{FieldManager: "test", Force: true})
	if !apierrors.IsInternalError(err) {
		t.Fatalf("apply: %v, want a 500 InternalError", err)
	}
	// Reads are not mutating: they succeed.
	if _, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("GET namespace default: %v", err)
	}
	if f.Objects("a") != 0 || f.Stats().InjectedErrors < 2 {
		t.Fatalf("objects %d, injected errors %d; want 0 stored, both applies refused", f.Objects("a"), f.Stats().InjectedErrors)
	}
}

// TestWatchSemantics checks what informers rely on: resuming from a
// resourceVersion, the 410 when history is gone, label selector moves.
func TestWatchSemantics(t *testing.T) {
	f := startFleet(t, simfleet.Options{Clusters: []string{"a"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dyn := dynamic.NewForConfigOrDie(f.RESTConfig("a"))
	cms := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("default")
	create := func(name string, labels map[string]string) {
		t.Helper()
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetName(name)
		u.SetLabels(labels)
		if _, err := cms.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create("before", nil)
	list, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v, %d items; want 1", err, len(list.Items))
	}
	create("after-1", nil)
	create("after-2", nil)

	// Resuming from the list's resourceVersion replays what came after.
	wi, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"after-1", "after-2"} {
		ev := next(t, wi)
		if ev.Type != watch.Added || ev.Object.(*unstructured.Unstructured).GetName() != want {
			t.Fatalf("resumed watch: %s %v, want ADDED %s", ev.Type, ev.Object, want)
		}
	}
	wi.Stop()

	// A label selector sees an object enter (ADDED) and leave (DELETED).
	sel, err := cms.Watch(ctx, metav1.ListOptions{LabelSelector: "tier=web"})
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Stop()
	patch := func(body string) {
		t.Helper()
		if _, err := cms.Patch(ctx, "before", types.MergePatchType, []byte(body), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	patch(`{"metadata":{"labels":{"tier":"web"}}}`)
	if ev := next(t, sel); ev.Type != watch.Added {
		t.Fatalf("labelled: %s, want ADDED", ev.Type)
	}
	patch(`{"metadata":{"labels":{"tier":null}}}`)
	if ev := next(t, sel); ev.Type != watch.Deleted {
		t.Fatalf("label removed: %s, want DELETED", ev.Type)
	}

	// Past the kept history, a resume gets 410 Expired.
	for i := 0; i < 200; i++ {
		patch(`{"data":{"n":"` + strings.Repeat("x", i%7) + `"}}`)
	}
	old, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Stop()
	ev := next(t, old)
	if err := apierrors.FromObject(ev.Object); ev.Type != watch.Error || !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		t.Fatalf("resume from a forgotten resourceVersion: %s %v, want ERROR 410", ev.Type, ev.Object)
	}
}

func next(t *testing.T, wi watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-wi.ResultChan():
		if !ok {
			t.Fatal("the watch closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
	}
	return watch.Event{}
}
