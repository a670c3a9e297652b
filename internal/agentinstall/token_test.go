package agentinstall

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/internal/controller/agentcsr"
)

func TestNewTokenHasTheBootstrapTokenForm(t *testing.T) {
	form := regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)
	seen := map[string]bool{}
	for range 200 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !form.MatchString(tok.String()) {
			t.Fatalf("token %q does not match %s", tok, form)
		}
		if seen[tok.String()] {
			t.Fatalf("token %q drawn twice in 200", tok)
		}
		seen[tok.String()] = true
		back, err := ParseToken(tok.String())
		if err != nil || back != tok {
			t.Fatalf("ParseToken(%q) = %v, %v; want the same token", tok, back, err)
		}
	}
}

func TestParseToken(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"6 and 16 lower-case characters parse", "abc123.s3cr3ts3cr3ts3cr", true},
		{"surrounding whitespace (a pasted line) is trimmed", " abc123.s3cr3ts3cr3ts3cr\n", true},
		{"upper case is refused", "ABC123.s3cr3ts3cr3ts3cr", false},
		{"a short id is refused", "abc12.s3cr3ts3cr3ts3cr", false},
		{"a short secret is refused", "abc123.s3cr3ts3cr3ts3c", false},
		{"no dot is refused", "abc123s3cr3ts3cr3ts3cr", false},
		{"empty is refused", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseToken(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseToken(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3ts3cr3ts3c") {
				t.Errorf("the error shows the secret part: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "kurator token create") {
				t.Errorf("the error does not say how to get a token: %v", err)
			}
		})
	}
}

func TestTokenSecretIsWhatTheAPIServerAuthenticates(t *testing.T) {
	tok := Token{ID: "abc123", Secret: "0123456789abcdef"}
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	s := TokenSecret(tok, exp, TokenOptions{Fleet: "global-production", Description: "for hangzhou"})
	if s.Namespace != "kube-system" || s.Name != "bootstrap-token-abc123" || s.Type != "bootstrap.kubernetes.io/token" {
		t.Fatalf("Secret %s/%s type %s, want kube-system/bootstrap-token-abc123 type bootstrap.kubernetes.io/token", s.Namespace, s.Name, s.Type)
	}
	want := map[string]string{
		"token-id":                       "abc123",
		"token-secret":                   "0123456789abcdef",
		"expiration":                     "2030-01-02T02:04:05Z",
		"usage-bootstrap-authentication": "true",
		"auth-extra-groups":              "system:bootstrappers:kurator",
		"description":                    "for hangzhou",
	}
	for k, v := range want {
		if got := string(s.Data[k]); got != v {
			t.Errorf("data[%s] = %q, want %q", k, got, v)
		}
	}
	if len(s.Data) != len(want) {
		t.Errorf("data has %d keys, want %d: %v", len(s.Data), len(want), s.Data)
	}
	if s.Labels[FleetLabel] != "global-production" {
		t.Errorf("labels %v, want %s=global-production", s.Labels, FleetLabel)
	}
	if l := TokenSecret(tok, exp, TokenOptions{}).Labels; l != nil {
		t.Errorf("a token without --fleet has labels %v, want none", l)
	}
	if tok.BootstrapUser() != "system:bootstrap:abc123" {
		t.Errorf("BootstrapUser = %s", tok.BootstrapUser())
	}
}

func newHub(objs ...client.Object) client.Client {
	return fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).Build()
}

func TestCreateTokenWritesTheSecretAndTheBootstrapRBAC(t *testing.T) {
	hub := newHub()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tok, exp, err := CreateToken(context.Background(), hub, TokenOptions{TTL: 2 * time.Hour, Fleet: "f"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(2 * time.Hour)) {
		t.Errorf("expires %s, want %s", exp, now.Add(2*time.Hour))
	}
	var s corev1.Secret
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "kube-system", Name: tok.SecretName()}, &s); err != nil {
		t.Fatalf("token Secret: %v", err)
	}
	if string(s.Data["token-secret"]) != tok.Secret {
		t.Errorf("stored secret %q, want %q", s.Data["token-secret"], tok.Secret)
	}
	var role rbacv1.ClusterRole
	if err := hub.Get(context.Background(), client.ObjectKey{Name: BootstrapRBACName}, &role); err != nil {
		t.Fatalf("ClusterRole %s: %v", BootstrapRBACName, err)
	}
	r := role.Rules[0]
	if len(role.Rules) != 1 || r.APIGroups[0] != "certificates.k8s.io" || r.Resources[0] != "certificatesigningrequests" ||
		strings.Join(r.Verbs, ",") != "create,get,list,watch" {
		t.Errorf("ClusterRole %s rules %+v, want only create/get/list/watch of certificatesigningrequests (the chart's)", BootstrapRBACName, role.Rules)
	}
	var binding rbacv1.ClusterRoleBinding
	if err := hub.Get(context.Background(), client.ObjectKey{Name: BootstrapRBACName}, &binding); err != nil {
		t.Fatalf("ClusterRoleBinding %s: %v", BootstrapRBACName, err)
	}
	groups := []string{}
	for _, s := range binding.Subjects {
		groups = append(groups, s.Kind+":"+s.Name)
	}
	if strings.Join(groups, ",") != "Group:"+clusterv1alpha1.BootstrapGroup+",Group:"+clusterv1alpha1.AgentGroup {
		t.Errorf("binding subjects %v, want the bootstrap group and the agents' group", groups)
	}
	var agentRole rbacv1.ClusterRole
	if err := hub.Get(context.Background(), client.ObjectKey{Name: agentcsr.AgentRoleName}, &agentRole); err != nil {
		t.Fatalf("ClusterRole %s (bound per cluster by the manager, which may not make it): %v", agentcsr.AgentRoleName, err)
	}
	// A second token keeps the existing RBAC.
	if _, _, err := CreateToken(context.Background(), hub, TokenOptions{}, now); err != nil {
		t.Fatalf("second token with the RBAC present: %v", err)
	}
}

func TestCreateTokenRefusesATTLTooShortToRegister(t *testing.T) {
	_, _, err := CreateToken(context.Background(), newHub(), TokenOptions{TTL: 30 * time.Second}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "--ttl") {
		t.Fatalf("error %v, want one naming --ttl", err)
	}
}

func TestListTokensSoonestFirstAndNoOtherSecrets(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	late := TokenSecret(Token{ID: "late00", Secret: "0123456789abcdef"}, now.Add(48*time.Hour), TokenOptions{Fleet: "a"})
	soon := TokenSecret(Token{ID: "soon00", Secret: "0123456789abcdef"}, now.Add(time.Hour), TokenOptions{Description: "d"})
	never := TokenSecret(Token{ID: "never0", Secret: "0123456789abcdef"}, now, TokenOptions{})
	delete(never.Data, "expiration")
	never.Data["auth-extra-groups"] = []byte("system:bootstrappers:kubeadm:default-node-token")
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-looks", Namespace: "kube-system"}, Type: corev1.SecretTypeOpaque}
	hub := newHub(late, soon, never, other)

	got, err := ListTokens(context.Background(), hub, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range got {
		ids = append(ids, i.ID)
	}
	if strings.Join(ids, ",") != "soon00,late00,never0" {
		t.Fatalf("ids %v, want soon00,late00,never0 (by expiry, no expiry last, the Opaque Secret left out)", ids)
	}
	if !got[0].Kurator || got[2].Kurator {
		t.Errorf("Kurator flags %v/%v, want true for ours and false for kubeadm's", got[0].Kurator, got[2].Kurator)
	}
	if got[0].Description != "d" || got[1].Fleet != "a" {
		t.Errorf("description/fleet lost: %+v", got)
	}
	if got[2].Expired(now.Add(1000*time.Hour)) || !got[0].Expired(now.Add(time.Hour)) {
		t.Errorf("Expired: a token without expiration never expires, one is expired at its expiration")
	}

	fleet, err := ListTokens(context.Background(), hub, "a")
	if err != nil || len(fleet) != 1 || fleet[0].ID != "late00" {
		t.Fatalf("--fleet a: %+v, %v; want only late00", fleet, err)
	}
}

func TestDeleteToken(t *testing.T) {
	tok := Token{ID: "abc123", Secret: "0123456789abcdef"}
	for _, tc := range []struct {
		name, arg, wantErr string
	}{
		{"the id revokes the token", "abc123", ""},
		{"the whole token revokes it too", tok.String(), ""},
		{"an unknown id says it is gone", "zzz999", "no Secret kube-system/bootstrap-token-zzz999"},
		{"a malformed id names the form", "abc", "the 6 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := newHub(TokenSecret(tok, time.Now().Add(time.Hour), TokenOptions{}))
			err := DeleteToken(context.Background(), hub, tc.arg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				var s corev1.Secret
				if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "kube-system", Name: tok.SecretName()}, &s); err == nil {
					t.Fatal("the token Secret is still there")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCreateTokenBringsStaleAgentRBACBack(t *testing.T) {
	stale := agentcsr.AgentClusterRole()
	stale.Rules = stale.Rules[:1] // as an older kurator made it
	hub := newHub(stale)
	if _, _, err := CreateToken(context.Background(), hub, TokenOptions{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := hub.Get(context.Background(), client.ObjectKey{Name: agentcsr.AgentRoleName}, &role); err != nil {
		t.Fatal(err)
	}
	if want := agentcsr.AgentClusterRole().Rules; len(role.Rules) != len(want) {
		t.Fatalf("ClusterRole %s has %d rules after token create, want the %d of agentcsr.AgentClusterRole", role.Name, len(role.Rules), len(want))
	}
}
