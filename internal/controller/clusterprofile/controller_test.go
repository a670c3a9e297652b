package clusterprofile

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/rest"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	multiclusterv1alpha1 "github.com/kurator-go/kurator/api/multicluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/member"
)

// staticClients hands out one member's clients for every cluster.
type staticClients struct{ c member.Clients }

func (s staticClients) ForCluster(context.Context, *clusterv1alpha1.AttachedCluster) (member.Clients, error) {
	return s.c, nil
}

// memberWith returns member clients whose dynamic client serves the given
// ClusterProperties, or answers 404 for them when withCRD is false.
func memberWith(withCRD bool, props map[string]string) member.Clients {
	var objs []runtime.Object
	for name, v := range props {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("about.k8s.io/v1alpha1")
		u.SetKind("ClusterProperty")
		u.SetName(name)
		_ = unstructured.SetNestedField(u.Object, v, "spec", "value")
		objs = append(objs, u)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{ClusterPropertyResource: "ClusterPropertyList"}, objs...)
	if !withCRD {
		dyn.PrependReactor("list", "clusterproperties", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewNotFound(ClusterPropertyResource.GroupResource(), "")
		})
	}
	return member.Clients{Config: &rest.Config{Host: "https://127.0.0.1:7443"}, Dynamic: dyn}
}

func readyCluster() *clusterv1alpha1.AttachedCluster {
	ac := cluster(readyCond(metav1.ConditionTrue, clusterv1alpha1.ReasonClusterReady, "ok"), "v1.37.2")
	ac.UID = "uid-1"
	return ac
}

func newReconciler(t *testing.T, m member.Clients, objs ...client.Object) (*Reconciler, client.Client) {
	t.Helper()
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).
		WithStatusSubresource(&clusterv1alpha1.AttachedCluster{}, &multiclusterv1alpha1.ClusterProfile{}).Build()
	r := &Reconciler{Client: hub, opts: Options{Clients: staticClients{m}}.withDefaults(), recorder: events.NewFakeRecorder(10), now: func() time.Time { return t0 }}
	return r, hub
}

func reconcileOnce(t *testing.T, r *Reconciler, ac *clusterv1alpha1.AttachedCluster) ctrl.Result {
	t.Helper()
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ac)})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return res
}

func TestReconcileWritesAProfileAConsumerCanSelect(t *testing.T) {
	ac := readyCluster()
	r, hub := newReconciler(t, memberWith(true, map[string]string{"cluster.clusterset.k8s.io": "hz-1"}), ac)
	if res := reconcileOnce(t, r, ac); res.RequeueAfter != r.opts.ResyncPeriod {
		t.Errorf("requeue after %v, want the resync period %v", res.RequeueAfter, r.opts.ResyncPeriod)
	}
	var list multiclusterv1alpha1.ClusterProfileList
	if err := hub.List(context.Background(), &list, client.MatchingLabels{multiclusterv1alpha1.LabelClusterManagerKey: "kurator"}); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("profiles selected by x-k8s.io/cluster-manager=kurator: %d, want 1", len(list.Items))
	}
	cp := list.Items[0]
	if cp.Name != ac.Name || cp.Namespace != ac.Namespace || cp.Spec.ClusterManager.Name != "kurator" || cp.Spec.DisplayName != ac.Name {
		t.Errorf("profile %s/%s spec %+v", cp.Namespace, cp.Name, cp.Spec)
	}
	if o := metav1.GetControllerOf(&cp); o == nil || o.UID != ac.UID || o.Kind != "AttachedCluster" {
		t.Errorf("controller owner %+v, want AttachedCluster uid-1", o)
	}
	if !meta.IsStatusConditionTrue(cp.Status.Conditions, multiclusterv1alpha1.ClusterConditionControlPlaneHealthy) || cp.Status.Version.Kubernetes != "v1.37.2" {
		t.Errorf("status %+v, want healthy at v1.37.2", cp.Status)
	}
	if got := names(cp.Status.Properties); len(got) == 0 || got[0] != "cluster.clusterset.k8s.io=hz-1" {
		t.Errorf("properties %v, want the member's ClusterProperty first", got)
	}
	if len(cp.Status.AccessProviders) != 1 || cp.Status.AccessProviders[0].Cluster.Server != "https://127.0.0.1:7443" {
		t.Errorf("access providers %+v", cp.Status.AccessProviders)
	}

	// A second pass over an unchanged cluster writes nothing.
	rv := cp.ResourceVersion
	reconcileOnce(t, r, ac)
	var again multiclusterv1alpha1.ClusterProfile
	if err := hub.Get(context.Background(), client.ObjectKeyFromObject(ac), &again); err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != rv {
		t.Errorf("resourceVersion %s -> %s: an unchanged cluster must not rewrite its profile", rv, again.ResourceVersion)
	}
}

func TestAMemberWithoutTheClusterPropertyCRDIsNormal(t *testing.T) {
	ac := readyCluster()
	r, hub := newReconciler(t, memberWith(false, nil), ac)
	reconcileOnce(t, r, ac)
	var cp multiclusterv1alpha1.ClusterProfile
	if err := hub.Get(context.Background(), client.ObjectKeyFromObject(ac), &cp); err != nil {
		t.Fatal(err)
	}
	for _, p := range cp.Status.Properties {
		if p.Name == "cluster.clusterset.k8s.io" {
			t.Errorf("property %s without the CRD", p.Name)
		}
	}
	if !meta.IsStatusConditionTrue(cp.Status.Conditions, multiclusterv1alpha1.ClusterConditionControlPlaneHealthy) {
		t.Errorf("conditions %+v, want healthy", cp.Status.Conditions)
	}
}

func TestRemovedClusterTakesItsProfileButNotAnotherManagers(t *testing.T) {
	cases := []struct {
		name     string
		manager  string
		wantGone bool
	}{
		{"Kurator's profile goes with its cluster", "kurator", true},
		{"another manager's profile of the same name stays", "ocm", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cp := &multiclusterv1alpha1.ClusterProfile{
				ObjectMeta: metav1.ObjectMeta{Name: "cluster-hangzhou", Namespace: "kurator-system"},
				Spec:       multiclusterv1alpha1.ClusterProfileSpec{ClusterManager: multiclusterv1alpha1.ClusterManager{Name: tc.manager}},
			}
			r, hub := newReconciler(t, memberWith(false, nil), cp)
			reconcileOnce(t, r, readyCluster()) // the AttachedCluster is not there
			err := hub.Get(context.Background(), client.ObjectKeyFromObject(cp), &multiclusterv1alpha1.ClusterProfile{})
			if gone := apierrors.IsNotFound(err); gone != tc.wantGone {
				t.Errorf("profile gone %v (err %v), want %v", gone, err, tc.wantGone)
			}
		})
	}
}

func TestAnotherManagersProfileIsLeftAlone(t *testing.T) {
	ac := readyCluster()
	foreign := &multiclusterv1alpha1.ClusterProfile{
		ObjectMeta: metav1.ObjectMeta{Name: ac.Name, Namespace: ac.Namespace, Labels: map[string]string{multiclusterv1alpha1.LabelClusterManagerKey: "ocm"}},
		Spec:       multiclusterv1alpha1.ClusterProfileSpec{ClusterManager: multiclusterv1alpha1.ClusterManager{Name: "ocm"}},
	}
	r, hub := newReconciler(t, memberWith(false, nil), ac, foreign)
	reconcileOnce(t, r, ac)
	var cp multiclusterv1alpha1.ClusterProfile
	if err := hub.Get(context.Background(), client.ObjectKeyFromObject(ac), &cp); err != nil {
		t.Fatal(err)
	}
	if cp.Labels[multiclusterv1alpha1.LabelClusterManagerKey] != "ocm" || len(cp.OwnerReferences) != 0 || len(cp.Status.Conditions) != 0 {
		t.Errorf("foreign profile changed: labels %v owners %v conditions %v", cp.Labels, cp.OwnerReferences, cp.Status.Conditions)
	}
	rec := r.recorder.(*events.FakeRecorder)
	select {
	case e := <-rec.Events:
		if !strings.Contains(e, ReasonForeignProfile) {
			t.Errorf("event %q, want reason %s", e, ReasonForeignProfile)
		}
	default:
		t.Error("no event says why the cluster is not published")
	}
}

func TestAProfileThatLostItsLabelAndOwnerGetsThemBack(t *testing.T) {
	ac := readyCluster()
	stripped := &multiclusterv1alpha1.ClusterProfile{
		ObjectMeta: metav1.ObjectMeta{Name: ac.Name, Namespace: ac.Namespace},
		Spec:       multiclusterv1alpha1.ClusterProfileSpec{ClusterManager: multiclusterv1alpha1.ClusterManager{Name: "kurator"}},
	}
	r, hub := newReconciler(t, memberWith(false, nil), ac, stripped)
	reconcileOnce(t, r, ac)
	var cp multiclusterv1alpha1.ClusterProfile
	if err := hub.Get(context.Background(), client.ObjectKeyFromObject(ac), &cp); err != nil {
		t.Fatal(err)
	}
	if cp.Labels[multiclusterv1alpha1.LabelClusterManagerKey] != "kurator" || !hasOwner(&cp, ac.UID) {
		t.Errorf("labels %v owners %v, want the label and the cluster as controller", cp.Labels, cp.OwnerReferences)
	}
}

func TestTheMemberIsAskedAtMostOncePerResync(t *testing.T) {
	ac := readyCluster()
	m := memberWith(true, map[string]string{"clusterset.k8s.io": "a"})
	r, _ := newReconciler(t, m, ac)
	now := t0
	r.now = func() time.Time { return now }
	lists := func() int {
		n := 0
		for _, a := range m.Dynamic.(*dynamicfake.FakeDynamicClient).Actions() {
			if a.GetVerb() == "list" {
				n++
			}
		}
		return n
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    int
	}{
		{"first reconcile reads the member", 0, 1},
		{"a status change a second later does not", time.Second, 1},
		{"one resync period after the read it reads again", r.opts.ResyncPeriod, 2},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		reconcileOnce(t, r, ac)
		if got := lists(); got != s.want {
			t.Errorf("%s: %d ClusterProperty lists, want %d", s.name, got, s.want)
		}
	}
}
