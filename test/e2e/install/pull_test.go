package install

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/agentcsr"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
	"github.com/kurator-go/kurator/test/e2e/install/rbacaudit"
)

// pullCluster is the Pull cluster registerPull registers: no agent runs, the
// test plays its bootstrap CSR with a bootstrap token, which is what the
// manager's rules for Pull clusters serve.
const pullCluster = "edge-pull"

// registerPull registers a Pull cluster with the running manager as the
// installed ServiceAccount: a bootstrap token on the management cluster,
// an agent CSR made with it (approved: the manager creates the AttachedCluster
// and the agent's RBAC), one with a mismatched label (denied), then the
// AttachedCluster deleted (the manager deletes the agent's RBAC). It
// exercises the manager's rules for Pull clusters, so the audit proves them.
// The management cluster's kube-apiserver authenticates bootstrap tokens
// (--enable-bootstrap-token-auth, main_test.go).
func registerPull(t *testing.T, cs kubernetes.Interface, hub client.Client) {
	t.Helper()
	ctx := context.Background()
	const id, secret = "e2epul", "0123456789abcdef"
	tok := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id, Namespace: "kube-system"},
		Type:       "bootstrap.kubernetes.io/token",
		StringData: map[string]string{
			"token-id": id, "token-secret": secret, "expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"usage-bootstrap-authentication": "true", "auth-extra-groups": clusterv1alpha1.BootstrapGroup,
			"description": "test/e2e/install pull registration",
		},
	}
	if _, err := cs.CoreV1().Secrets(tok.Namespace).Create(ctx, tok, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Secrets(tok.Namespace).Delete(context.Background(), tok.Name, metav1.DeleteOptions{})
	})
	admin, err := fleet.RESTConfig(mgmt)
	if err != nil {
		t.Fatal(err)
	}
	asToken := rest.AnonymousClientConfig(admin)
	asToken.BearerToken = id + "." + secret
	bootstrap := kubernetes.NewForConfigOrDie(asToken)

	approved := agentCSRFor(t, pullCluster, pullCluster)
	mismatched := agentCSRFor(t, pullCluster, "someone-else")
	for _, csr := range []*certificatesv1.CertificateSigningRequest{approved, mismatched} {
		// The apiserver reads bootstrap tokens from a Secret informer, so a
		// token just created answers Unauthorized until its watch delivers it.
		fleettest.Eventually(t, 30*time.Second, "create CSR "+csr.Name+" with the bootstrap token", func() error {
			_, err := bootstrap.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
			if err != nil && !apierrors.IsUnauthorized(err) {
				t.Fatalf("create CSR %s with the bootstrap token: %v", csr.Name, err)
			}
			return err
		})
		name := csr.Name
		t.Cleanup(func() {
			_ = cs.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	decision := func(name string, want certificatesv1.RequestConditionType) func() error {
		return func() error {
			c, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, cond := range c.Status.Conditions {
				if cond.Type == want {
					return nil
				}
				return fmt.Errorf("CSR %s is %s (%s: %s), want %s", name, cond.Type, cond.Reason, cond.Message, want)
			}
			return fmt.Errorf("CSR %s is pending", name)
		}
	}
	fleettest.Eventually(t, time.Minute, "the agent CSR is approved", decision(approved.Name, certificatesv1.CertificateApproved))
	fleettest.Eventually(t, time.Minute, "the CSR with a mismatched label is denied", decision(mismatched.Name, certificatesv1.CertificateDenied))

	key := types.NamespacedName{Namespace: systemNS, Name: pullCluster}
	var ac clusterv1alpha1.AttachedCluster
	if err := hub.Get(ctx, key, &ac); err != nil {
		t.Fatalf("the approved CSR made no AttachedCluster: %v", err)
	}
	if !ac.IsPull() || ac.Status.Agent == nil || ac.Status.Agent.ClusterID != "e2e-cluster-id" {
		t.Errorf("AttachedCluster %s: mode %s, status.agent %+v", pullCluster, ac.Spec.Mode, ac.Status.Agent)
	}
	access := []client.Object{
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.ExecutionNamespace(pullCluster), Name: agentcsr.AgentRoleName}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: agentcsr.ClusterRoleName(pullCluster)}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: agentcsr.ClusterRoleName(pullCluster)}},
	}
	for _, o := range access {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Errorf("agent RBAC: %v", err)
		}
	}

	// Unregister: the manager revokes the agent by deleting its RBAC.
	if err := hub.Delete(ctx, &ac); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, time.Minute, "the agent's RBAC is deleted with its AttachedCluster", func() error {
		var left []error
		for _, o := range access {
			if err := hub.Get(ctx, client.ObjectKeyFromObject(o), o); !apierrors.IsNotFound(err) {
				left = append(left, fmt.Errorf("%T %s still there (%v)", o, o.GetName(), err))
			}
		}
		return errors.Join(left...)
	})
}

// agentCSRFor is the CSR an agent of cluster makes, labelled for label.
func agentCSRFor(t *testing.T, cluster, label string) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: clusterv1alpha1.AgentUser(cluster), Organization: []string{clusterv1alpha1.AgentGroup}},
	}, k)
	if err != nil {
		t.Fatal(err)
	}
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{
			Name:        fmt.Sprintf("e2e-%s-%s", cluster, label),
			Labels:      map[string]string{clusterv1alpha1.ClusterNameLabel: label},
			Annotations: map[string]string{clusterv1alpha1.ClusterIDAnnotation: "e2e-cluster-id"},
		},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:           pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName:        clusterv1alpha1.AgentSignerName,
			ExpirationSeconds: ptrTo(int32(600)),
			Usages:            []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

// checkedInside tells whether rule only grants a verb the apiserver checks
// inside another request (CertificateApproval admission: signers approve,
// inside a CSR approval; RBAC's escalation check: clusterroles bind, inside a
// binding's create), so no audited request matches it. It returns the
// audited request it guards: that request allowed proves the rule held.
func checkedInside(rule rbacaudit.Rule, reqs []rbacaudit.Request) (rbacaudit.Request, bool) {
	guarded := map[string]func(q rbacaudit.Request) bool{
		"approve": func(q rbacaudit.Request) bool {
			return q.Group == "certificates.k8s.io" && q.Resource == "certificatesigningrequests" && q.Subresource == "approval" && q.Verb == "update"
		},
		"bind": func(q rbacaudit.Request) bool {
			return q.Group == "rbac.authorization.k8s.io" && (q.Resource == "rolebindings" || q.Resource == "clusterrolebindings") && q.Verb == "create"
		},
	}
	if len(rule.Verbs) != 1 || guarded[rule.Verbs[0]] == nil {
		return rbacaudit.Request{}, false
	}
	i := slices.IndexFunc(reqs, func(q rbacaudit.Request) bool { return !q.Denied && guarded[rule.Verbs[0]](q) })
	if i < 0 {
		return rbacaudit.Request{}, false
	}
	return reqs[i], true
}
