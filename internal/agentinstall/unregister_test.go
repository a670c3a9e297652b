package agentinstall

import (
	"bytes"
	"context"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/agentcsr"
)

func TestPullCleanupRemovesTheAgentsHubAccessOnly(t *testing.T) {
	mine := map[string]string{agentcsr.AgentOfLabel: "north"}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kurator-agent", Namespace: workv1alpha1.ExecutionNamespace("north"), Labels: mine}}
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kurator-agent:north", Labels: mine}}
	// A user's object of the manager's name, without its label, stays.
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kurator-agent:north"}}
	other := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kurator-agent:south", Labels: map[string]string{agentcsr.AgentOfLabel: "south"}}}
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: clusterv1alpha1.AgentLeaseName, Namespace: workv1alpha1.ExecutionNamespace("north")}}
	pending := csrWith()
	approved := csrWith(certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue})
	approved.Name = "csr-approved"
	approved.Labels = map[string]string{clusterv1alpha1.ClusterNameLabel: "north"}
	pending.Labels = map[string]string{clusterv1alpha1.ClusterNameLabel: "north"}

	hub := newHub(rb, cr, crb, other, lease, pending, approved)
	var out bytes.Buffer
	if err := PullCleanup(context.Background(), hub, "north", 0, &out); err != nil {
		t.Fatal(err)
	}
	gone := func(o client.Object) bool {
		return hub.Get(context.Background(), client.ObjectKeyFromObject(o), o) != nil
	}
	for _, tc := range []struct {
		what string
		obj  client.Object
		gone bool
	}{
		{"the RoleBinding in the execution namespace is deleted", rb, true},
		{"the per-cluster ClusterRole is deleted", cr, true},
		{"an unlabelled ClusterRoleBinding of that name is left alone", crb, false},
		{"another cluster's ClusterRole is left alone", other, false},
		{"the heartbeat Lease is deleted", lease, true},
		{"a pending CSR of the cluster is deleted", pending, true},
		{"an approved CSR is left to the csrcleaner", approved, false},
	} {
		if got := gone(tc.obj); got != tc.gone {
			t.Errorf("%s: gone=%v, want %v\n%s", tc.what, got, tc.gone, out.String())
		}
	}
}
