package clusterstatus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// discoveries counts the requests for /api the test members answered.
var discoveries atomic.Int64

// member serves /version, core discovery, two nodes and two pods (in two
// pages); the paths in refuse answer 403.
func member(t *testing.T, refuse ...string) kubernetes.Interface {
	t.Helper()
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range refuse {
			if r.URL.Path == p {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				write(w, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
					Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden, Message: "nodes is forbidden"})
				return
			}
		}
		switch r.URL.Path {
		case "/version":
			write(w, map[string]string{"gitVersion": "v1.37.2"})
		case "/api":
			discoveries.Add(1)
			write(w, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
		case "/apis":
			write(w, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}})
		case "/api/v1":
			write(w, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList"}, GroupVersion: "v1",
				APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: []string{"list"}}}})
		case "/api/v1/nodes":
			if rv := r.URL.Query().Get("resourceVersion"); rv != "0" {
				t.Errorf("nodes listed with resourceVersion %q, want 0 (from the API server's cache)", rv)
			}
			n := func(name string, ready corev1.ConditionStatus) corev1.Node {
				return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
					Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
					Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
			}
			write(w, corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"},
				Items: []corev1.Node{n("n1", corev1.ConditionTrue), n("n2", corev1.ConditionFalse)}})
		case "/api/v1/pods":
			// Two pages: a running pod, then a pending one.
			if r.URL.Query().Get("limit") == "" {
				t.Error("pods listed without a limit: a large cluster's whole list would be held at once")
			}
			pod := corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
				Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}},
				Status:     corev1.PodStatus{Phase: corev1.PodRunning},
			}
			list := corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
			list.Continue = "page-2"
			if r.URL.Query().Get("continue") == "page-2" {
				pod.Name, pod.Spec.NodeName, pod.Status.Phase = "web-2", "", corev1.PodPending
				list.Continue = ""
			}
			list.Items = []corev1.Pod{pod}
			write(w, list)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCollectFillsEveryFact(t *testing.T) {
	s, err := Collect(context.Background(), member(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	var st clusterv1alpha1.AttachedClusterStatus
	s.Into(&st)
	ac := clusterv1alpha1.AttachedCluster{Status: st}
	if st.KubernetesVersion != "v1.37.2" || !ac.Serves("v1", "Pod") {
		t.Errorf("version %q, enablements %+v: want v1.37.2 serving v1 Pod", st.KubernetesVersion, st.APIEnablements)
	}
	if st.NodeSummary.TotalNum != 2 || st.NodeSummary.ReadyNum != 1 || len(st.Nodes) != 2 || st.Nodes[0].Name != "n2" {
		t.Errorf("nodes %+v %+v: want 2 nodes, 1 ready, n2 (not ready) listed first", st.NodeSummary, st.Nodes)
	}
	if st.PodSummary.Total != 2 || st.PodSummary.Running != 1 || st.PodSummary.Pending != 1 {
		t.Errorf("pods %+v: want both pages counted, 1 running and 1 pending", st.PodSummary)
	}
	if got := st.ResourceSummary.Allocated[corev1.ResourceCPU]; got.Cmp(resource.MustParse("1")) != 0 {
		t.Errorf("allocated cpu %s, want 1", got.String())
	}
	if got := st.ResourceSummary.Allocating[corev1.ResourceCPU]; got.Cmp(resource.MustParse("1")) != 0 {
		t.Errorf("allocating cpu %s, want 1 (the pending pod of page 2)", got.String())
	}
}

func TestCollectReusingSkipsDiscoveryForTheSameVersion(t *testing.T) {
	m := member(t)
	first, err := Collect(context.Background(), m, 0)
	if err != nil {
		t.Fatal(err)
	}
	before := discoveries.Load()
	again, err := CollectReusing(context.Background(), m, 0, &first)
	if err != nil {
		t.Fatal(err)
	}
	if n := discoveries.Load() - before; n != 0 || len(again.APIEnablements) != len(first.APIEnablements) {
		t.Errorf("%d discoveries, %d enablements; want 0 and the %d known", n, len(again.APIEnablements), len(first.APIEnablements))
	}
	upgraded := first
	upgraded.KubernetesVersion = "v1.36.0"
	if _, err := CollectReusing(context.Background(), m, 0, &upgraded); err != nil {
		t.Fatal(err)
	}
	if n := discoveries.Load() - before; n != 1 {
		t.Errorf("%d discoveries after a version change, want 1", n)
	}
}

func TestCollectReportsARefusalByRequest(t *testing.T) {
	_, err := Collect(context.Background(), member(t, "/api/v1/nodes"), 0)
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.What != "list nodes and pods" || !IsRefused(err) {
		t.Fatalf("err = %v, want a RefusedError for list nodes and pods", err)
	}
	if !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("err = %v, want the member's answer in it", err)
	}
}
