package heartbeat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// fakeMember serves a member's version, discovery, nodes (as many as
// nodes says) and no pods.
func fakeMember(t *testing.T, nodes *atomic.Int32) kubernetes.Interface {
	t.Helper()
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
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
			list := corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}}
			for i := range int(nodes.Load()) {
				list.Items = append(list.Items, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n%d", i)},
					Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
						Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
			}
			write(w, list)
		case "/api/v1/pods":
			write(w, corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}})
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

func pullCluster(clusterID string) *clusterv1alpha1.AttachedCluster {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: "kurator-system"},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
	}
	if clusterID != "" {
		ac.Status.Agent = &clusterv1alpha1.AgentStatus{ClusterID: clusterID}
	}
	return ac
}

// rig is a heartbeat over a fake hub that counts its calls, a fake member
// and a clock the test moves.
type rig struct {
	hb    *Heartbeat
	hub   client.Client
	calls atomic.Int32
	nodes atomic.Int32
	now   time.Time
}

func newRig(t *testing.T, ac *clusterv1alpha1.AttachedCluster, statusEvery int, objs ...client.Object) *rig {
	t.Helper()
	r := &rig{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r.nodes.Store(2)
	count := func() { r.calls.Add(1) }
	base := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(append(objs, ac)...).WithStatusSubresource(ac).Build()
	r.hub = interceptor.NewClient(base, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			count()
			return c.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			count()
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			count()
			return c.Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			count()
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	notAfter := r.now.Add(24 * time.Hour)
	hb, err := New(Options{Cluster: "edge", ClusterID: "uid-edge", Version: "v0.9.0", Hub: r.hub, Member: fakeMember(t, &r.nodes),
		Interval: 30 * time.Second, StatusEvery: statusEvery, CertificateNotAfter: func() time.Time { return notAfter },
		Log: logr.Discard(), Now: func() time.Time { return r.now }})
	if err != nil {
		t.Fatal(err)
	}
	r.hb = hb
	return r
}

// beat moves the clock one interval on (after the first beat) and beats,
// returning how many hub calls it made.
func (r *rig) beat(t *testing.T) int {
	t.Helper()
	if r.hb.beats.Load() > 0 {
		r.now = r.now.Add(30 * time.Second)
	}
	before := r.calls.Load()
	if err := r.hb.Beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	return int(r.calls.Load() - before)
}

func (r *rig) cluster(t *testing.T) *clusterv1alpha1.AttachedCluster {
	t.Helper()
	var ac clusterv1alpha1.AttachedCluster
	if err := r.hub.Get(context.Background(), types.NamespacedName{Namespace: "kurator-system", Name: "edge"}, &ac); err != nil {
		t.Fatal(err)
	}
	return &ac
}

func (r *rig) lease(t *testing.T) *coordinationv1.Lease {
	t.Helper()
	var l coordinationv1.Lease
	if err := r.hub.Get(context.Background(), types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace("edge"), Name: clusterv1alpha1.AgentLeaseName}, &l); err != nil {
		t.Fatal(err)
	}
	return &l
}

func TestFirstBeatCreatesTheLeaseAndReportsTheCluster(t *testing.T) {
	r := newRig(t, pullCluster("uid-edge"), 10)
	r.beat(t)
	l := r.lease(t)
	if *l.Spec.HolderIdentity != "edge" || *l.Spec.LeaseDurationSeconds != 40 || !l.Spec.RenewTime.Time.Equal(r.now) {
		t.Errorf("lease %+v: want holder edge, 40s, renewed now", l.Spec)
	}
	ac := r.cluster(t)
	a := ac.Status.Agent
	if a == nil || a.Version != "v0.9.0" || a.ClusterID != "uid-edge" || a.HeartbeatInterval.Duration != 30*time.Second ||
		!a.LastHeartbeatTime.Time.Equal(r.now) || !a.CertificateNotAfter.Time.Equal(r.now.Add(24*time.Hour)) {
		t.Errorf("status.agent %+v: want version, cluster ID, 30s, last heartbeat now, certificate expiry", a)
	}
	if ac.Status.KubernetesVersion != "v1.37.2" || ac.Status.NodeSummary == nil || ac.Status.NodeSummary.TotalNum != 2 || !ac.Serves("v1", "Pod") {
		t.Errorf("status %+v: want the member's version, 2 nodes and its APIs (the push controller's summaries)", ac.Status)
	}
}

func TestQuietBeatsCostOneLeaseUpdateUntilTheStatusIsDue(t *testing.T) {
	r := newRig(t, pullCluster("uid-edge"), 3)
	r.beat(t)
	first := r.lease(t).Spec.RenewTime.Time
	for i := 2; i <= 3; i++ {
		if n := r.beat(t); n != 1 {
			t.Errorf("quiet beat %d made %d hub calls, want 1 (the Lease update)", i, n)
		}
	}
	if got := r.lease(t).Spec.RenewTime.Time; !got.Equal(first.Add(time.Minute)) {
		t.Errorf("renewTime %s, want %s", got, first.Add(time.Minute))
	}
	writes, bytes := r.hb.Stats().StatusWrites, r.hb.Stats().StatusBytes
	if n := r.beat(t); n != 2 {
		t.Errorf("beat 4 made %d hub calls, want 2 (the Lease and the due status)", n)
	}
	st := r.hb.Stats()
	if st.StatusWrites != writes+1 || st.StatusSkipped != 2 {
		t.Fatalf("stats %+v: want one more write and two skipped beats", st)
	}
	if size := st.StatusBytes - bytes; size > 120 {
		t.Errorf("the due write of an unchanged cluster is %d bytes, want only lastHeartbeatTime (<= 120)", size)
	}
	if got := r.cluster(t).Status.Agent.LastHeartbeatTime.Time; !got.Equal(r.now) {
		t.Errorf("lastHeartbeatTime %s, want %s", got, r.now)
	}
}

func TestAChangedMemberIsReportedOnTheNextBeat(t *testing.T) {
	r := newRig(t, pullCluster("uid-edge"), 10)
	r.beat(t)
	r.nodes.Store(3)
	if n := r.beat(t); n != 2 {
		t.Errorf("beat after a change made %d hub calls, want 2 (the Lease and the status)", n)
	}
	if got := r.cluster(t).Status.NodeSummary.TotalNum; got != 3 {
		t.Errorf("nodes %d, want 3", got)
	}
}

func TestTheAgentRefusesAClusterThatIsNotItsMember(t *testing.T) {
	push := pullCluster("")
	push.Spec.Mode = clusterv1alpha1.ModePush
	tests := []struct {
		name string
		ac   *clusterv1alpha1.AttachedCluster
		want []string
	}{
		{name: "another member's cluster ID is refused", ac: pullCluster("uid-other"), want: []string{"uid-other", "uid-edge", "kurator unregister edge"}},
		{name: "a Push cluster of the same name is refused", ac: push, want: []string{"Push mode", "--mode pull"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.ac, 10)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := r.hb.Run(ctx)
			var ie *IdentityError
			if !errors.As(err, &ie) {
				t.Fatalf("Run = %v, want an IdentityError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if r.hb.Stats().StatusWrites != 0 {
				t.Error("the status was written, want nothing written for another member")
			}
		})
	}
}

func TestAFirstRegistrationRecordsTheClusterID(t *testing.T) {
	r := newRig(t, pullCluster(""), 10)
	r.beat(t)
	if got := r.cluster(t).Status.Agent.ClusterID; got != "uid-edge" {
		t.Errorf("clusterID %q, want uid-edge", got)
	}
}

func TestALeaseChangedByAnotherWriterIsRenewedAnyway(t *testing.T) {
	r := newRig(t, pullCluster("uid-edge"), 10)
	r.beat(t)
	l := r.lease(t)
	l.Spec.HolderIdentity = ptr.To("someone-else")
	if err := r.hub.Update(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if n := r.beat(t); n != 3 {
		t.Errorf("beat after a foreign write made %d hub calls, want 3 (a conflicting PUT, a GET, a PUT)", n)
	}
	if got := r.lease(t); *got.Spec.HolderIdentity != "edge" || !got.Spec.RenewTime.Time.Equal(r.now) {
		t.Errorf("lease %+v: want it renewed by edge", got.Spec)
	}
}
