package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/member"
)

// fakeMember serves just enough of an API server for one probe: /readyz
// with a switchable code, /version, core discovery, one node and no pods.
func fakeMember(t *testing.T, readyz *atomic.Int32) *httptest.Server {
	t.Helper()
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/readyz":
			w.WriteHeader(int(readyz.Load()))
		case "/version":
			write(w, map[string]string{"gitVersion": "v1.37.2"})
		case "/api":
			write(w, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
		case "/apis":
			write(w, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}})
		case "/api/v1":
			write(w, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList"}, GroupVersion: "v1",
				APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: []string{"list"}}}})
		case "/api/v1/nodes":
			write(w, corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: []corev1.Node{{
				ObjectMeta: metav1.ObjectMeta{Name: "n1"},
				Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8")},
					Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
			}}})
		case "/api/v1/pods":
			write(w, corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type staticClients struct{ c member.Clients }

func (s staticClients) ForCluster(context.Context, *clusterv1alpha1.AttachedCluster) (member.Clients, error) {
	return s.c, nil
}
func (staticClients) Invalidate(string) {}

func TestReconcileHoldsFailuresThenTaints(t *testing.T) {
	var readyz atomic.Int32
	readyz.Store(http.StatusOK)
	srv := fakeMember(t, &readyz)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "kurator-system"},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: "s"}},
	}
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(ac).WithStatusSubresource(ac).Build()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recorder := events.NewFakeRecorder(10)
	r := &Reconciler{
		Client:     hub,
		opts:       Options{Clients: staticClients{member.Clients{Kubernetes: cs}}}.withDefaults(),
		recorder:   recorder,
		now:        func() time.Time { return now },
		pending:    map[types.NamespacedName]pending{},
		discovered: map[types.NamespacedName]time.Time{},
	}
	registerMetrics()
	key := types.NamespacedName{Namespace: "kurator-system", Name: "c1"}
	step := func(at time.Duration) *clusterv1alpha1.AttachedCluster {
		t.Helper()
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(at)
		res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
		if err != nil {
			t.Fatal(err)
		}
		if res.RequeueAfter != 10*time.Second {
			t.Errorf("requeue after %s, want the probe interval", res.RequeueAfter)
		}
		var got clusterv1alpha1.AttachedCluster
		if err := hub.Get(context.Background(), key, &got); err != nil {
			t.Fatal(err)
		}
		return &got
	}

	got := step(0)
	if !got.IsReady() || got.Status.KubernetesVersion != "v1.37.2" || got.Status.NodeSummary.TotalNum != 1 || !got.Serves("v1", "Pod") {
		t.Fatalf("first probe: %+v", got.Status)
	}
	if e := <-recorder.Events; !strings.Contains(e, "Ready unset -> True") {
		t.Errorf("event %q", e)
	}

	readyz.Store(http.StatusInternalServerError)
	if got := step(10 * time.Second); !got.IsReady() || hasReadinessTaint(got) {
		t.Fatalf("failure recorded before the threshold: %+v", got.ReadyCondition())
	}
	if got := step(20 * time.Second); !got.IsReady() {
		t.Fatalf("failure recorded before the threshold: %+v", got.ReadyCondition())
	}
	got = step(40 * time.Second)
	c := got.ReadyCondition()
	if c.Status != metav1.ConditionFalse || c.Reason != ReasonClusterNotHealthy {
		t.Fatalf("after 30s of failures: %+v", c)
	}
	if len(got.Spec.Taints) != 2 || got.Spec.Taints[0].Key != clusterv1alpha1.TaintClusterNotReady || got.Spec.Taints[0].Effect != corev1.TaintEffectNoSchedule ||
		got.Spec.Taints[1].Key != clusterv1alpha1.TaintClusterNotReady || got.Spec.Taints[1].Effect != corev1.TaintEffectNoExecute {
		t.Errorf("taints %+v", got.Spec.Taints)
	}
	if e := <-recorder.Events; !strings.Contains(e, "Warning ClusterNotHealthy") {
		t.Errorf("event %q", e)
	}

	readyz.Store(http.StatusOK)
	if got := step(50 * time.Second); got.IsReady() {
		t.Fatal("success recorded before the threshold")
	}
	got = step(80 * time.Second)
	if !got.IsReady() || len(got.Spec.Taints) != 0 {
		t.Fatalf("after 30s of successes: %s, taints %+v", got.ReadyCondition().Status, got.Spec.Taints)
	}
}

func hasReadinessTaint(ac *clusterv1alpha1.AttachedCluster) bool {
	for _, t := range ac.Spec.Taints {
		if t.Key == clusterv1alpha1.TaintClusterNotReady || t.Key == clusterv1alpha1.TaintClusterUnreachable {
			return true
		}
	}
	return false
}

// countingClients counts the member clients asked for.
type countingClients struct{ asked atomic.Int32 }

func (c *countingClients) ForCluster(context.Context, *clusterv1alpha1.AttachedCluster) (member.Clients, error) {
	c.asked.Add(1)
	return member.Clients{}, nil
}
func (*countingClients) Invalidate(string) {}

func TestReconcileLeavesPullClustersToTheirAgent(t *testing.T) {
	ready := metav1.Condition{Type: clusterv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "AgentHeartbeat", Message: "set by agentlease"}
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: "kurator-system"},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
		Status:     clusterv1alpha1.AttachedClusterStatus{Conditions: []metav1.Condition{ready}, KubernetesVersion: "v1.37.2"},
	}
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(ac).WithStatusSubresource(ac).Build()
	clients := &countingClients{}
	r := &Reconciler{
		Client:     hub,
		opts:       Options{Clients: clients}.withDefaults(),
		recorder:   events.NewFakeRecorder(10),
		now:        time.Now,
		pending:    map[types.NamespacedName]pending{},
		discovered: map[types.NamespacedName]time.Time{},
	}
	registerMetrics()
	key := types.NamespacedName{Namespace: "kurator-system", Name: "edge"}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter != 0 {
		t.Errorf("requeue after %s, want none: nothing to probe", res.RequeueAfter)
	}
	if n := clients.asked.Load(); n != 0 {
		t.Errorf("asked for member clients %d times, want 0: the hub holds none for a Pull cluster", n)
	}
	var got clusterv1alpha1.AttachedCluster
	if err := hub.Get(context.Background(), key, &got); err != nil {
		t.Fatal(err)
	}
	if c := got.ReadyCondition(); c == nil || c.Reason != "AgentHeartbeat" || got.Status.KubernetesVersion != "v1.37.2" || len(got.Spec.Taints) != 0 {
		t.Errorf("status changed: %+v, taints %+v; want the agent's status left as it was", got.Status, got.Spec.Taints)
	}
}
