package pullagent

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// randomToken is a well-formed bootstrap token that the hub never issued.
func randomToken() (id, secret string) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	pick := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		return string(b)
	}
	return pick(6), pick(16)
}

// expiredToken creates a bootstrap-token Secret on the hub, as `kurator
// token create` does, whose expiration has passed.
func expiredToken(t *testing.T) string {
	t.Helper()
	id, secret := randomToken()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-" + id},
		Type:       corev1.SecretTypeBootstrapToken,
		StringData: map[string]string{
			"token-id":                       id,
			"token-secret":                   secret,
			"expiration":                     time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"usage-bootstrap-authentication": "true",
			"auth-extra-groups":              clusterv1alpha1.BootstrapGroup,
			"description":                    "e2e: expired a minute ago",
		},
	}
	if err := hub.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hub.Delete(context.Background(), s) })
	return id + "." + secret
}

// An expired, a revoked (used to register, then deleted) and a never
// issued token are refused, and the agent says how to get a new one;
// nothing is registered.
func TestRefusedTokensSayHowToGetANewOne(t *testing.T) {
	ensurePull(t)
	for _, tc := range []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"expired token: refused", expiredToken},
		{"the token that registered the pull cluster, reused after revocation: refused", func(t *testing.T) string {
			id, _, _ := strings.Cut(registrationToken, ".")
			fleettest.Kurator(t, fleet, "token", "delete", id)
			return registrationToken
		}},
		{"token never issued: refused", func(*testing.T) string { id, s := randomToken(); return id + "." + s }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "cluster-refused"
			a := newAgent(t, name, shanghai, tc.token(t), false)
			a.start(t)
			defer a.stop()
			// The hub apiserver refuses a token it does not know; a token
			// deleted a moment ago may still pass its Secret informer, and
			// then the CSR approver denies the request for the missing
			// Secret. Either way the agent stops and says what to do.
			var refusal string
			fleettest.Eventually(t, 60*time.Second, "the agent says the token was refused and how to get a new one", func() error {
				out := a.output()
				if strings.Contains(out, "kurator token create") {
					for _, sign := range []string{"refused the bootstrap token", "BootstrapTokenNotFound"} {
						if refusal = firstLineWith(out, sign); refusal != "" {
							return nil
						}
					}
				}
				return fmt.Errorf("output so far:\n%s", lastLines(out, 10))
			})
			if out := a.output(); strings.Contains(out, "Connected to server") {
				t.Errorf("an agent with a refused token says it connected:\n%s", out)
			}
			if _, err := attached(context.Background(), name); !apierrors.IsNotFound(err) {
				t.Errorf("AttachedCluster %s after a refused token: %v, want NotFound", name, err)
			}
			t.Logf("refused: %s", refusal)
		})
	}
	waitReady(t, shanghai, 30*time.Second) // the registered agent is unaffected
}

func firstLineWith(s, sub string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

// agentClient is a hub client with the certificate and key an agent keeps
// in its credentials directory dir.
func agentClient(t *testing.T, dir string) client.Client {
	t.Helper()
	c, err := client.New(agentConfig(t, dir), client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// agentConfig is a hub rest.Config with the agent's certificate and key.
func agentConfig(t *testing.T, dir string) *rest.Config {
	t.Helper()
	var certPEM, keyPEM []byte
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			switch {
			case b.Type == "CERTIFICATE" && certPEM == nil:
				certPEM = data
			case strings.HasSuffix(b.Type, "PRIVATE KEY"):
				keyPEM = data
			}
		}
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("the agent's certificate and key in %s: %v", dir, err)
	}
	return &rest.Config{
		Host:            "https://" + hostPort(fleet, localfleet.HubName),
		TLSClientConfig: rest.TLSClientConfig{CAFile: caFile(), CertData: certPEM, KeyData: keyPEM},
	}
}

// The agent's certificate reaches its own cluster's Works, Lease and
// AttachedCluster, and nothing else: another cluster's Works and
// AttachedCluster, any Secret, or writing Works are forbidden.
func TestAgentCertificateIsConfinedToItsCluster(t *testing.T) {
	ensurePull(t)
	c := agentClient(t, pull.credentials())
	ctx := context.Background()
	own := workv1alpha1.ExecutionNamespace(shanghai)
	other := workv1alpha1.ExecutionNamespace(hangzhou)
	for _, tc := range []struct {
		name    string
		call    func() error
		allowed bool
	}{
		{"list Works in its own execution namespace: allowed", func() error {
			return c.List(ctx, &workv1alpha1.WorkList{}, client.InNamespace(own))
		}, true},
		{"get its own AttachedCluster: allowed", func() error {
			return c.Get(ctx, client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: shanghai}, &clusterv1alpha1.AttachedCluster{})
		}, true},
		{"list Works of another cluster: forbidden", func() error {
			return c.List(ctx, &workv1alpha1.WorkList{}, client.InNamespace(other))
		}, false},
		{"list Works in every namespace: forbidden", func() error {
			return c.List(ctx, &workv1alpha1.WorkList{})
		}, false},
		{"create a Work in its own namespace: forbidden", func() error {
			return c.Create(ctx, &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Namespace: own, Name: "forged"}})
		}, false},
		{"get another cluster's AttachedCluster: forbidden", func() error {
			return c.Get(ctx, client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: hangzhou}, &clusterv1alpha1.AttachedCluster{})
		}, false},
		{"get another cluster's kubeconfig Secret: forbidden", func() error {
			return c.Get(ctx, client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: join.SecretName(hangzhou)}, &corev1.Secret{})
		}, false},
		{"list Secrets in its own execution namespace: forbidden", func() error {
			return c.List(ctx, &corev1.SecretList{}, client.InNamespace(own))
		}, false},
		{"list Secrets in kube-system (bootstrap tokens): forbidden", func() error {
			return c.List(ctx, &corev1.SecretList{}, client.InNamespace("kube-system"))
		}, false},
		{"approve a CertificateSigningRequest (its own): forbidden", func() error {
			csrs := kubernetes.NewForConfigOrDie(agentConfig(t, pull.credentials())).CertificatesV1().CertificateSigningRequests()
			var own certificatesv1.CertificateSigningRequestList
			if err := hub.List(ctx, &own, client.MatchingLabels{clusterv1alpha1.ClusterNameLabel: shanghai}); err != nil || len(own.Items) == 0 {
				return fmt.Errorf("no CSR of %s to try (%v)", shanghai, err)
			}
			csr := own.Items[0].DeepCopy()
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "SelfApproved", Message: "e2e: an agent approving itself",
			})
			_, err := csrs.UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{})
			return err
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			switch {
			case tc.allowed && err != nil:
				t.Errorf("want allowed, got %v", err)
			case !tc.allowed && !apierrors.IsForbidden(err):
				t.Errorf("want 403 Forbidden, got %v", err)
			}
		})
	}
}

// An agent whose member is not the one registered under the name, or that
// claims a push cluster's name, is refused: its CSR is denied with a reason
// naming the cluster, and the registered clusters stay as they were.
func TestMismatchedIdentityIsRefused(t *testing.T) {
	ensurePull(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, claims, member, reason string
	}{
		{"another member claims the pull cluster's name: denied", shanghai, frankfurt, "another cluster"},
		{"an agent claims a push cluster's name: denied", hangzhou, hangzhou, "Push mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := attached(ctx, tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			// The CSRs already there (ensurePull's registration of a moment
			// ago among them) are not this agent's.
			var existing certificatesv1.CertificateSigningRequestList
			if err := hub.List(ctx, &existing, client.MatchingLabels{clusterv1alpha1.ClusterNameLabel: tc.claims}); err != nil {
				t.Fatal(err)
			}
			earlier := map[string]bool{}
			for _, csr := range existing.Items {
				earlier[csr.Name] = true
			}
			a := newAgent(t, tc.claims, tc.member, createToken(t), false)
			started := time.Now()
			a.start(t)
			defer a.stop()
			var denied string
			fleettest.Eventually(t, 60*time.Second, "the CSR of "+tc.claims+" denied", func() error {
				var csrs certificatesv1.CertificateSigningRequestList
				if err := hub.List(ctx, &csrs, client.MatchingLabels{clusterv1alpha1.ClusterNameLabel: tc.claims}); err != nil {
					return err
				}
				for _, csr := range csrs.Items {
					if earlier[csr.Name] || csr.CreationTimestamp.Time.Before(started.Add(-time.Second)) {
						continue
					}
					for _, c := range csr.Status.Conditions {
						if c.Type == certificatesv1.CertificateApproved {
							return fmt.Errorf("CSR %s approved", csr.Name)
						}
						if c.Type == certificatesv1.CertificateDenied {
							denied = c.Message
							t.Cleanup(func() { _ = hub.Delete(ctx, &csr) })
							return nil
						}
					}
				}
				return fmt.Errorf("no denied CSR labelled %s=%s yet; agent output:\n%s", clusterv1alpha1.ClusterNameLabel, tc.claims, lastLines(a.output(), 5))
			})
			if !strings.Contains(denied, tc.reason) || !strings.Contains(denied, tc.claims) {
				t.Errorf("denial %q: want it to name %s and say %q", denied, tc.claims, tc.reason)
			}
			fleettest.Eventually(t, 30*time.Second, "the agent shows the denial", func() error {
				if !strings.Contains(a.output(), tc.reason) {
					return fmt.Errorf("output:\n%s", lastLines(a.output(), 5))
				}
				return nil
			})
			after, err := attached(ctx, tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			if after.Spec.Mode != before.Spec.Mode || (before.Status.Agent != nil && (after.Status.Agent == nil || after.Status.Agent.ClusterID != before.Status.Agent.ClusterID)) {
				t.Errorf("AttachedCluster %s changed: mode %q -> %q, agent %+v -> %+v", tc.claims, before.Spec.Mode, after.Spec.Mode, before.Status.Agent, after.Status.Agent)
			}
			t.Logf("denied: %s", denied)
		})
	}
	waitReady(t, shanghai, 30*time.Second)
	waitReady(t, hangzhou, 30*time.Second)
}
