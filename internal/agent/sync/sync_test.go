package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/apply"
	"github.com/kurator-go/kurator/internal/memberwatch"
)

const cluster = "edge"

var (
	ns           = workv1alpha1.ExecutionNamespace(cluster)
	configMaps   = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	namespaces   = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	deployments  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	errHubIsDown = errors.New("dial tcp 10.0.0.1:6443: connect: connection refused")
)

// hub is a fake hub whose status writes are server-side applies emulated
// as status updates, and which can be taken offline or deny patches.
type hub struct {
	client.WithWatch
	offline      atomic.Bool
	denyPatch    atomic.Bool
	statusWrites atomic.Int64
}

func newHub(t *testing.T, works ...client.Object) *hub {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := workv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	h := &hub{}
	down := func() error {
		if h.offline.Load() {
			return errHubIsDown
		}
		return nil
	}
	h.WithWatch = fake.NewClientBuilder().WithScheme(scheme).WithObjects(works...).WithStatusSubresource(&workv1alpha1.Work{}).
		WithInterceptorFuncs(interceptor.Funcs{
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
				if err := down(); err != nil {
					return err
				}
				if h.denyPatch.Load() {
					return apierrors.NewForbidden(schema.GroupResource{Group: "work.kurator.dev", Resource: "works"}, obj.GetName(), errors.New("RBAC"))
				}
				return c.Patch(ctx, obj, patch, opts...)
			},
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				if err := down(); err != nil {
					return err
				}
				if patch.Type() != types.ApplyPatchType {
					return fmt.Errorf("status written with %s, want a server-side apply", patch.Type())
				}
				data, err := patch.Data(obj)
				if err != nil {
					return err
				}
				var body struct {
					Status workv1alpha1.WorkStatus `json:"status"`
				}
				if err := json.Unmarshal(data, &body); err != nil {
					return fmt.Errorf("status patch %s: %w", data, err)
				}
				var w workv1alpha1.Work
				if err := c.Get(ctx, client.ObjectKeyFromObject(obj), &w); err != nil {
					return err
				}
				w.Status = body.Status
				if err := c.Status().Update(ctx, &w); err != nil {
					return err
				}
				h.statusWrites.Add(1)
				return nil
			},
		}).Build()
	return h
}

func (h *hub) work(t *testing.T, name string) (*workv1alpha1.Work, bool) {
	t.Helper()
	var w workv1alpha1.Work
	err := h.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &w)
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return &w, true
}

// member is a fake member whose server-side applies create or replace the
// object, each write getting a new resourceVersion.
type member struct {
	*dynamicfake.FakeDynamicClient
	rv atomic.Int64
}

func newMember(t *testing.T, objs ...runtime.Object) *member {
	t.Helper()
	// An empty scheme: the fake then lists unstructured objects, as the
	// informers want.
	m := &member{FakeDynamicClient: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		configMaps: "ConfigMapList", namespaces: "NamespaceList", deployments: "DeploymentList",
	}, objs...)}
	m.PrependReactor("patch", "*", func(action clienttesting.Action) (bool, runtime.Object, error) {
		pa := action.(clienttesting.PatchAction)
		if pa.GetPatchType() != types.ApplyPatchType {
			return false, nil, nil
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(pa.GetPatch()); err != nil {
			return true, nil, err
		}
		obj.SetResourceVersion(strconv.FormatInt(m.rv.Add(1), 10))
		tracker := m.Tracker()
		gvr, namespace := pa.GetResource(), pa.GetNamespace()
		if namespace != "" {
			// As the API server: no objects in a namespace that does not exist.
			if _, err := tracker.Get(namespaces, "", namespace); err != nil {
				return true, nil, err
			}
		}
		if _, err := tracker.Get(gvr, namespace, pa.GetName()); apierrors.IsNotFound(err) {
			return true, obj, tracker.Create(gvr, obj, namespace)
		}
		return true, obj, tracker.Update(gvr, obj, namespace)
	})
	return m
}

func (m *member) get(t *testing.T, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool) {
	t.Helper()
	obj, err := m.Resource(gvr).Namespace(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return obj, true
}

// drift rewrites a member object's data as someone editing it in the member.
func (m *member) drift(t *testing.T, namespace, name string, data map[string]any) {
	t.Helper()
	obj, ok := m.get(t, configMaps, namespace, name)
	if !ok {
		t.Fatalf("ConfigMap %s/%s is not in the member", namespace, name)
	}
	obj.Object["data"] = data
	obj.SetResourceVersion(strconv.FormatInt(m.rv.Add(1), 10))
	if _, err := m.Resource(configMaps).Namespace(namespace).Update(context.Background(), obj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}

func mapper() meta.ResettableRESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	return resettable{m}
}

func configMapManifest(name string, data map[string]string) runtime.RawExtension {
	raw, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": "web"},
		"data":     data,
	})
	return runtime.RawExtension{Raw: raw}
}

func newWork(name string, finalizer bool, manifests ...runtime.RawExtension) *workv1alpha1.Work {
	w := &workv1alpha1.Work{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Spec:       workv1alpha1.WorkSpec{Workload: workv1alpha1.WorkloadTemplate{Manifests: manifests}},
	}
	if finalizer {
		w.Finalizers = []string{workv1alpha1.ExecutionFinalizer}
	}
	return w
}

// start runs a Syncer whose status loop and resync never fire on their own:
// the tests flush and requeue explicitly.
func start(t *testing.T, h *hub, m *member) *Syncer {
	t.Helper()
	s, err := New(Options{
		Cluster: cluster, Hub: h,
		Member:       apply.Member{Dynamic: m, Mapper: mapper()},
		ResyncPeriod: time.Hour, StatusInterval: time.Hour,
		noWatchList: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg gosync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	eventually(t, "the Works are listed", s.HasSynced)
	return s
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits until the member watch of ConfigMaps has synced (syncs
// before it apply again, as any doubt means apply) and every queued sync is
// done.
func settle(t *testing.T, s *Syncer) {
	t.Helper()
	if !s.watch.WaitSynced(cluster, configMaps, 10*time.Second) {
		t.Fatal("the member watch of ConfigMaps did not sync")
	}
	eventually(t, "every queued sync is done", func() bool { return s.queue.Len() == 0 && s.stats.inflight.Load() == 0 })
}

func applied(w *workv1alpha1.Work) bool {
	c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.ConditionApplied)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == w.Generation
}

func TestApplyThenOneStatusWriteAndNoneWhenNothingChanged(t *testing.T) {
	h := newHub(t, newWork("app", true, configMapManifest("cfg", map[string]string{"k": "v"})))
	m := newMember(t)
	s := start(t, h, m)

	eventually(t, "the ConfigMap is applied", func() bool { _, ok := m.get(t, configMaps, "web", "cfg"); return ok })
	cm, _ := m.get(t, configMaps, "web", "cfg")
	if cm.GetLabels()[memberwatch.ManagedByLabel] != memberwatch.ManagedByValue || cm.GetAnnotations()[memberwatch.WorkAnnotation] != ns+"/app" {
		t.Errorf("applied ConfigMap is not marked as the Work's: labels %v annotations %v", cm.GetLabels(), cm.GetAnnotations())
	}
	if _, ok := m.get(t, namespaces, "", "web"); !ok {
		t.Error("namespace web was not created for the ConfigMap")
	}
	settle(t, s)
	s.flushStatus(context.Background())
	w, _ := h.work(t, "app")
	if !applied(w) || len(w.Status.ManifestStatuses) != 1 || w.Status.ManifestStatuses[0].Name != "cfg" || w.Status.ManifestStatuses[0].Health != workv1alpha1.ResourceHealthy {
		t.Fatalf("Work status after the first flush: %+v", w.Status)
	}
	if got := h.statusWrites.Load(); got != 1 {
		t.Fatalf("status writes after the first flush: %d, want 1", got)
	}

	// Sync again with nothing changed: no apply, no status write. The sync
	// reads the Work from the agent's informer: wait until it shows the
	// status just written (a sync on the older copy would stamp the Applied
	// condition with a new transition time and write again).
	eventually(t, "the agent's Work cache shows the written status", func() bool {
		obj, ok, _ := s.informer.GetStore().GetByKey(ns + "/app")
		cw, _ := obj.(*workv1alpha1.Work)
		return ok && cw != nil && applied(cw)
	})
	applies := s.Stats().Applies
	s.queue.Add("app")
	settle(t, s)
	s.flushStatus(context.Background())
	if st := s.Stats(); st.Applies != applies || st.StatusPending != 0 || h.statusWrites.Load() != 1 {
		t.Errorf("after an unchanged sync: applies %d (was %d), pending %d, status writes %d; want no apply and no write", st.Applies, applies, st.StatusPending, h.statusWrites.Load())
	}
	if st := s.Stats(); st.StatusBytes <= 0 || st.Lists != 1 || st.Watches < 1 {
		t.Errorf("counters: %+v; want status bytes > 0, one list, a watch", st)
	}
}

func TestBurstOfChangesIsOneStatusWrite(t *testing.T) {
	h := newHub(t, newWork("app", true, configMapManifest("cfg", map[string]string{"k": "v"})))
	m := newMember(t)
	s := start(t, h, m)
	eventually(t, "the ConfigMap is applied", func() bool { _, ok := m.get(t, configMaps, "web", "cfg"); return ok })
	settle(t, s)
	s.flushStatus(context.Background())
	before := h.statusWrites.Load()

	// Three spec changes on the hub before one flush.
	for i := 2; i <= 4; i++ {
		w, _ := h.work(t, "app")
		w.Spec.Workload.Manifests = []runtime.RawExtension{configMapManifest("cfg", map[string]string{"k": strconv.Itoa(i)})}
		w.Generation = int64(i)
		if err := h.Update(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		gen := int64(i)
		eventually(t, fmt.Sprintf("generation %d is applied", gen), func() bool {
			cm, _ := m.get(t, configMaps, "web", "cfg")
			d, _, _ := unstructured.NestedString(cm.Object, "data", "k")
			return d == strconv.Itoa(i)
		})
	}
	settle(t, s)
	s.flushStatus(context.Background())
	if got := h.statusWrites.Load() - before; got != 1 {
		t.Errorf("status writes for a burst of 3 changes: %d, want 1", got)
	}
	w, _ := h.work(t, "app")
	if c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.ConditionApplied); c == nil || c.ObservedGeneration != w.Generation {
		t.Errorf("written status is not the latest generation's: %+v (generation %d)", w.Status.Conditions, w.Generation)
	}
}

func TestDriftIsRevertedWhileTheHubIsDownAndStatusWaits(t *testing.T) {
	h := newHub(t, newWork("app", true, configMapManifest("cfg", map[string]string{"k": "v"})))
	m := newMember(t)
	s := start(t, h, m)
	eventually(t, "the ConfigMap is applied", func() bool { _, ok := m.get(t, configMaps, "web", "cfg"); return ok })
	settle(t, s)
	s.flushStatus(context.Background())

	h.offline.Store(true)
	m.drift(t, "web", "cfg", map[string]any{"k": "edited"})
	eventually(t, "the edit is reverted", func() bool {
		cm, _ := m.get(t, configMaps, "web", "cfg")
		d, _, _ := unstructured.NestedString(cm.Object, "data", "k")
		return d == "v"
	})
	// A status the hub cannot take now stays pending and goes up once it
	// answers again.
	s.status.offer("app", &workv1alpha1.WorkStatus{}, &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}, Status: workv1alpha1.WorkStatus{
		Conditions: []metav1.Condition{{Type: workv1alpha1.ConditionApplied, Status: metav1.ConditionFalse, Reason: "Test", Message: "m", LastTransitionTime: metav1.Now()}},
	}})
	s.flushStatus(context.Background())
	if st := s.Stats(); st.StatusPending != 1 || st.StatusWriteFailures == 0 {
		t.Errorf("hub down: pending %d, write failures %d; want the status kept and the failure counted", st.StatusPending, st.StatusWriteFailures)
	}
	if _, ok := m.get(t, configMaps, "web", "cfg"); !ok {
		t.Error("the ConfigMap was deleted while the hub was down")
	}
	h.offline.Store(false)
	s.flushStatus(context.Background())
	if st := s.Stats(); st.StatusPending != 0 {
		t.Errorf("hub back: %d statuses still pending, want 0", st.StatusPending)
	}
}

func TestDeletion(t *testing.T) {
	preserve := true
	kept := newWork("kept", true, configMapManifest("kept", nil))
	kept.Spec.PreserveResourcesOnDeletion = &preserve
	cases := []struct {
		name      string
		work      *workv1alpha1.Work
		denyPatch bool // the finalizer cannot be added (RBAC without patch)
		object    string
		wantKept  bool
	}{
		{"with the finalizer: objects deleted, then the finalizer released", newWork("app", true, configMapManifest("cfg", nil)), false, "cfg", false},
		{"preserveResourcesOnDeletion: objects kept, finalizer released", kept, false, "kept", true},
		{"without the finalizer: objects deleted on the delete event", newWork("bare", false, configMapManifest("bare", nil)), true, "bare", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// An object another Work took over is never deleted.
			other := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{
				"name": "other", "namespace": "web", "labels": map[string]any{memberwatch.ManagedByLabel: memberwatch.ManagedByValue},
				"annotations": map[string]any{memberwatch.WorkAnnotation: ns + "/someone-else"}}}}
			// The Work's status names "other" as if an earlier version
			// applied it: pruning must leave it, as must deletion.
			tc.work.Status.ManifestStatuses = []workv1alpha1.ManifestStatus{{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Ordinal: 1, Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "other"}}}
			h := newHub(t, tc.work)
			h.denyPatch.Store(tc.denyPatch)
			m := newMember(t, other)
			s := start(t, h, m)
			eventually(t, "the ConfigMap is applied", func() bool { _, ok := m.get(t, configMaps, "web", tc.object); return ok })
			settle(t, s)
			if err := h.Delete(context.Background(), tc.work.DeepCopy()); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the Work is gone from the hub", func() bool { _, ok := h.work(t, tc.work.Name); return !ok })
			if tc.wantKept {
				settle(t, s)
				if _, ok := m.get(t, configMaps, "web", tc.object); !ok {
					t.Error("object deleted despite preserveResourcesOnDeletion")
				}
			} else {
				eventually(t, "the Work's object is deleted from the member", func() bool { _, ok := m.get(t, configMaps, "web", tc.object); return !ok })
			}
			settle(t, s)
			if _, ok := m.get(t, configMaps, "web", "other"); !ok {
				t.Error("an object owned by another Work was deleted")
			}
			if _, ok := m.get(t, namespaces, "", "web"); !ok {
				t.Error("the namespace was deleted")
			}
		})
	}
}

func TestStatusBodyIgnoresFormatting(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC))
	st := func(raw string, t metav1.Time, extra ...metav1.Condition) *workv1alpha1.WorkStatus {
		return &workv1alpha1.WorkStatus{
			Conditions:       append([]metav1.Condition{{Type: workv1alpha1.ConditionApplied, Status: metav1.ConditionTrue, Reason: "R", Message: "m", LastTransitionTime: t}}, extra...),
			ManifestStatuses: []workv1alpha1.ManifestStatus{{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Ordinal: 0, Version: "v1", Kind: "ConfigMap", Name: "c"}, Status: &runtime.RawExtension{Raw: []byte(raw)}}},
		}
	}
	body := func(s *workv1alpha1.WorkStatus) string {
		b, err := statusBody(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	base := body(st(`{"a":1,"b":2}`, at))
	cases := []struct {
		name  string
		other *workv1alpha1.WorkStatus
		same  bool
	}{
		{"keys reordered and spaced: same", st(`{ "b": 2, "a": 1 }`, at), true},
		{"time below a second: same", st(`{"a":1,"b":2}`, metav1.NewTime(at.Truncate(time.Second))), true},
		{"another writer's condition: same (not the agent's)", st(`{"a":1,"b":2}`, at, metav1.Condition{Type: "Other", Status: "True", Reason: "X", LastTransitionTime: at}), true},
		{"a value changed: differs", st(`{"a":1,"b":3}`, at), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := body(tc.other) == base; got != tc.same {
				t.Errorf("same = %v, want %v:\n%s\n%s", got, tc.same, base, body(tc.other))
			}
		})
	}
}
