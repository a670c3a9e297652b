package agentcsr

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func newHub(objs ...client.Object) client.Client {
	return fake.NewClientBuilder().WithScheme(scheme.Scheme).
		WithStatusSubresource(&clusterv1alpha1.AttachedCluster{}, &certificatesv1.CertificateSigningRequest{}).
		WithObjects(objs...).Build()
}

// recorder keeps the events with the kind of object they are about.
type recorder struct{ events []string }

func (r *recorder) Eventf(regarding, _ runtime.Object, typ, reason, _, note string, args ...any) {
	kind := fmt.Sprintf("%T", regarding)
	r.events = append(r.events, kind+" "+typ+" "+reason+" "+fmt.Sprintf(note, args...))
}

var _ events.EventRecorder = (*recorder)(nil)

func newApprover(hub client.Client) (*Approver, *recorder) {
	rec := &recorder{}
	return &Approver{Client: hub, reader: hub, recorder: rec, now: func() time.Time { return now }}, rec
}

// oneEvent fails unless rec holds one event, about an object of type kind
// ("*v1alpha1.AttachedCluster"), containing each of parts.
func oneEvent(t *testing.T, rec *recorder, kind string, parts ...string) {
	t.Helper()
	if len(rec.events) != 1 {
		t.Fatalf("events %q, want one", rec.events)
	}
	e := rec.events[0]
	for _, p := range append([]string{kind + " "}, parts...) {
		if !strings.Contains(e, p) {
			t.Errorf("event %q lacks %q", e, p)
		}
	}
}

func condition(t *testing.T, hub client.Client, name string) certificatesv1.CertificateSigningRequestCondition {
	t.Helper()
	var csr certificatesv1.CertificateSigningRequest
	if err := hub.Get(context.Background(), types.NamespacedName{Name: name}, &csr); err != nil {
		t.Fatal(err)
	}
	if len(csr.Status.Conditions) != 1 {
		t.Fatalf("CSR %s has conditions %+v, want one decision", name, csr.Status.Conditions)
	}
	return csr.Status.Conditions[0]
}

// checkAccess fails unless the agent RBAC of cluster is exactly what the
// agent may hold: its execution namespace's RoleBinding to kurator-agent and
// a ClusterRole naming only its own AttachedCluster, both for its user only.
func checkAccess(t *testing.T, hub client.Client, cluster string) {
	t.Helper()
	ctx := context.Background()
	user := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: clusterv1alpha1.AgentUser(cluster)}}
	var ns corev1.Namespace
	if err := hub.Get(ctx, types.NamespacedName{Name: workv1alpha1.ExecutionNamespace(cluster)}, &ns); err != nil {
		t.Errorf("execution namespace: %v", err)
	}
	var rb rbacv1.RoleBinding
	if err := hub.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(cluster), Name: AgentRoleName}, &rb); err != nil {
		t.Fatalf("RoleBinding: %v", err)
	}
	if rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != AgentRoleName || len(rb.Subjects) != 1 || rb.Subjects[0] != user[0] {
		t.Errorf("RoleBinding = %+v %+v, want ClusterRole %s for %v", rb.RoleRef, rb.Subjects, AgentRoleName, user)
	}
	var cr rbacv1.ClusterRole
	if err := hub.Get(ctx, types.NamespacedName{Name: ClusterRoleName(cluster)}, &cr); err != nil {
		t.Fatalf("ClusterRole: %v", err)
	}
	for _, r := range cr.Rules {
		if len(r.ResourceNames) != 1 || r.ResourceNames[0] != cluster || !strings.HasPrefix(r.Resources[0], "attachedclusters") {
			t.Errorf("ClusterRole %s rule %+v reaches beyond AttachedCluster %s", cr.Name, r, cluster)
		}
	}
	var crb rbacv1.ClusterRoleBinding
	if err := hub.Get(ctx, types.NamespacedName{Name: ClusterRoleName(cluster)}, &crb); err != nil {
		t.Fatalf("ClusterRoleBinding: %v", err)
	}
	if crb.RoleRef.Name != cr.Name || len(crb.Subjects) != 1 || crb.Subjects[0] != user[0] {
		t.Errorf("ClusterRoleBinding = %+v %+v", crb.RoleRef, crb.Subjects)
	}
}

func TestApproveRegistersPullCluster(t *testing.T) {
	ctx := context.Background()
	csr := agentCSR(t, nil)
	hub := newHub(csr, tokenSecret(tokenID, now.Add(time.Hour), "system:bootstrappers:kurator"))
	a, rec := newApprover(hub)
	if _, err := a.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Name: csr.Name}}); err != nil {
		t.Fatal(err)
	}
	c := condition(t, hub, csr.Name)
	if c.Type != certificatesv1.CertificateApproved || c.Status != corev1.ConditionTrue || c.Reason != ReasonAgentRegistered {
		t.Errorf("condition = %+v, want Approved/%s", c, ReasonAgentRegistered)
	}
	var ac clusterv1alpha1.AttachedCluster
	if err := hub.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: "edge"}, &ac); err != nil {
		t.Fatal(err)
	}
	if !ac.IsPull() || ac.Spec.Kubeconfig != nil || ac.Annotations[clusterv1alpha1.BootstrapTokenIDAnnotation] != tokenID {
		t.Errorf("AttachedCluster spec %+v annotations %v, want Pull, no kubeconfig, token %s", ac.Spec, ac.Annotations, tokenID)
	}
	if ac.Status.Agent == nil || ac.Status.Agent.ClusterID != clusterID {
		t.Errorf("status.agent = %+v, want clusterID %s", ac.Status.Agent, clusterID)
	}
	checkAccess(t, hub, "edge")
	oneEvent(t, rec, "*v1alpha1.AttachedCluster", corev1.EventTypeNormal, EventApproved, "registered cluster edge")

	// A second reconcile of the decided CSR changes nothing.
	if _, err := a.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Name: csr.Name}}); err != nil {
		t.Fatal(err)
	}
	condition(t, hub, csr.Name)
}

func TestDenyNamesClusterAndFix(t *testing.T) {
	ctx := context.Background()
	push := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: workv1alpha1.SystemNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: "edge-kubeconfig"}},
	}
	tests := []struct {
		name    string
		objs    []client.Object
		reason  string
		message string
		// eventOn is the type of object the event is about.
		eventOn string
	}{
		{"Push cluster of that name: denied, event on the AttachedCluster",
			[]client.Object{push, tokenSecret(tokenID, now.Add(time.Hour), clusterv1alpha1.BootstrapGroup)},
			ReasonClusterInPushMode, "cluster edge is joined in Push mode", "*v1alpha1.AttachedCluster"},
		{"expired token and no cluster: denied, event on the CSR",
			[]client.Object{tokenSecret(tokenID, now.Add(-time.Minute), clusterv1alpha1.BootstrapGroup)},
			ReasonTokenExpired, "create a new token on the hub with `kurator token create`", "*v1.CertificateSigningRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr := agentCSR(t, nil)
			hub := newHub(append(tt.objs, csr)...)
			a, rec := newApprover(hub)
			if _, err := a.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Name: csr.Name}}); err != nil {
				t.Fatal(err)
			}
			c := condition(t, hub, csr.Name)
			if c.Type != certificatesv1.CertificateDenied || c.Reason != tt.reason || !strings.Contains(c.Message, tt.message) {
				t.Errorf("condition = %+v, want Denied/%s with %q", c, tt.reason, tt.message)
			}
			var ac clusterv1alpha1.AttachedCluster
			err := hub.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: "edge"}, &ac)
			if err == nil && ac.IsPull() {
				t.Error("a denied CSR made a Pull AttachedCluster")
			}
			var crbs rbacv1.ClusterRoleBindingList
			if err := hub.List(ctx, &crbs); err != nil || len(crbs.Items) != 0 {
				t.Errorf("a denied CSR made ClusterRoleBindings %v (%v)", crbs.Items, err)
			}
			oneEvent(t, rec, tt.eventOn, corev1.EventTypeWarning, EventDenied, tt.message)
		})
	}
}

func TestAccessFollowsTheAttachedCluster(t *testing.T) {
	ctx := context.Background()
	ac := pullCluster("edge", clusterID)
	// A user's ClusterRole that happens to have the name of another
	// cluster's agent role: never touched.
	foreign := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName("gone")}}
	hub := newHub(ac, foreign)
	r := &AccessReconciler{Client: hub}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ac)}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	checkAccess(t, hub, "edge")

	// Widened by hand: put back.
	var cr rbacv1.ClusterRole
	if err := hub.Get(ctx, types.NamespacedName{Name: ClusterRoleName("edge")}, &cr); err != nil {
		t.Fatal(err)
	}
	cr.Rules[0].ResourceNames = nil
	if err := hub.Update(ctx, &cr); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	checkAccess(t, hub, "edge")

	// Unregistered: the agent's RBAC goes, the user's object stays.
	if err := hub.Delete(ctx, ac); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.ExecutionNamespace("edge"), Name: AgentRoleName}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName("edge")}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName("edge")}},
	} {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(obj), obj); !apierrors.IsNotFound(err) {
			t.Errorf("%s after unregister: err = %v, want NotFound", describe(obj), err)
		}
	}
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: "gone"}}); err != nil {
		t.Fatal(err)
	}
	if err := hub.Get(ctx, client.ObjectKeyFromObject(foreign), &rbacv1.ClusterRole{}); err != nil {
		t.Errorf("a ClusterRole without the agent label was deleted: %v", err)
	}
}

func TestAccessRefusesToTakeOverAForeignObject(t *testing.T) {
	ac := pullCluster("edge", clusterID)
	foreign := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.ExecutionNamespace("edge"), Name: AgentRoleName},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}},
	}
	hub := newHub(ac, foreign)
	r := &AccessReconciler{Client: hub}
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ac)})
	if err == nil || !strings.Contains(err.Error(), "RoleBinding kurator-member-edge/kurator-agent exists without label cluster.kurator.dev/agent-of=edge") {
		t.Fatalf("err = %v", err)
	}
	var rb rbacv1.RoleBinding
	if err := hub.Get(context.Background(), client.ObjectKeyFromObject(foreign), &rb); err != nil || rb.RoleRef.Name != "admin" || rb.Subjects[0].Name != "alice" {
		t.Errorf("the user's RoleBinding was changed: %+v (%v)", rb, err)
	}
}

func TestAccessRemakesABindingWhoseRoleChanged(t *testing.T) {
	ac := pullCluster("edge", clusterID)
	rb, _, _ := agentAccess("edge")
	rb.RoleRef.Name = "admin"
	hub := newHub(ac, rb)
	r := &AccessReconciler{Client: hub}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ac)}); err != nil {
		t.Fatal(err)
	}
	checkAccess(t, hub, "edge")
}

// TestTokenFleetIsJoined: a token made with --fleet F adds the cluster it
// registers to Fleet F; a missing Fleet is reported and not created.
func TestTokenFleetIsJoined(t *testing.T) {
	ctx := context.Background()
	for _, fleetExists := range []bool{true, false} {
		t.Run(fmt.Sprintf("fleet exists %v", fleetExists), func(t *testing.T) {
			csr := agentCSR(t, nil)
			token := tokenSecret(tokenID, now.Add(time.Hour), "system:bootstrappers:kurator")
			token.Labels = map[string]string{FleetLabel: "edge-fleet"}
			objs := []client.Object{csr, token}
			if fleetExists {
				objs = append(objs, &fleetv1alpha1.Fleet{
					ObjectMeta: metav1.ObjectMeta{Name: "edge-fleet", Namespace: workv1alpha1.SystemNamespace},
					Spec:       fleetv1alpha1.FleetSpec{Clusters: []fleetv1alpha1.FleetCluster{{Name: "core"}}},
				})
			}
			hub := newHub(objs...)
			a, rec := newApprover(hub)
			if _, err := a.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Name: csr.Name}}); err != nil {
				t.Fatal(err)
			}
			var f fleetv1alpha1.Fleet
			err := hub.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: "edge-fleet"}, &f)
			if !fleetExists {
				if !apierrors.IsNotFound(err) {
					t.Errorf("Fleet edge-fleet: %v, want it not created", err)
				}
				if !slices.ContainsFunc(rec.events, func(e string) bool { return strings.Contains(e, "FleetNotFound") }) {
					t.Errorf("events %q, want a FleetNotFound warning", rec.events)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range f.Spec.Clusters {
				names = append(names, c.Name)
			}
			if !slices.Equal(names, []string{"core", "edge"}) {
				t.Errorf("Fleet clusters %v, want [core edge]", names)
			}
		})
	}
}
