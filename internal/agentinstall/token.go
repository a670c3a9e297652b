// Package agentinstall is what joining a cluster in Pull mode takes outside
// the agent itself: bootstrap tokens on the hub (Kubernetes bootstrap-token
// Secrets that the hub's kube-apiserver authenticates), the RBAC that lets a
// token ask for a certificate, and the objects that run the agent in a
// member (namespace, ServiceAccount, RBAC, Secret, Deployment). `kurator
// token`, `kurator cluster register --mode pull`, `kurator unregister` and
// the local fleet share it.
package agentinstall

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/agentcsr"
)

// The bootstrap-token Secret format of Kubernetes (k8s.io/cluster-bootstrap):
// the kube-apiserver's --enable-bootstrap-token-auth authenticates
// "<token-id>.<token-secret>" against Secret kube-system/bootstrap-token-<id>
// of this type, refusing expired and deleted ones, as user
// system:bootstrap:<id> in group system:bootstrappers plus the groups of
// auth-extra-groups.
const (
	TokenNamespace    = "kube-system"
	TokenSecretPrefix = "bootstrap-token-"
	TokenSecretType   = corev1.SecretType("bootstrap.kubernetes.io/token")

	keyTokenID       = "token-id"
	keyTokenSecret   = "token-secret"
	keyExpiration    = "expiration"
	keyDescription   = "description"
	keyUsageAuth     = "usage-bootstrap-authentication"
	keyExtraGroups   = "auth-extra-groups"
	bootstrapUserPfx = "system:bootstrap:"
)

// FleetLabel on a token Secret names the Fleet the token was made for; the
// approver adds the clusters it registers to that Fleet.
const FleetLabel = agentcsr.FleetLabel

// BootstrapRBACName names the ClusterRole and ClusterRoleBinding that let
// BootstrapGroup (and the agents, to rotate their certificates) ask for a
// certificate. The chart renders the same two objects.
const BootstrapRBACName = "kurator-agent-bootstrap"

// DefaultTokenTTL is how long `kurator token create` tokens live.
const DefaultTokenTTL = 24 * time.Hour

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

var tokenRE = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

// Token is a bootstrap token: ID is public (it names the Secret), Secret is not.
type Token struct {
	ID     string
	Secret string
}

// String is the token as the agent's --token takes it: "<id>.<secret>".
func (t Token) String() string { return t.ID + "." + t.Secret }

// BootstrapUser is the hub user the token authenticates as.
func (t Token) BootstrapUser() string { return bootstrapUserPfx + t.ID }

// SecretName is the name of the token's Secret in TokenNamespace.
func (t Token) SecretName() string { return TokenSecretPrefix + t.ID }

// ParseToken reads "<id>.<secret>" (6 and 16 of [a-z0-9]).
func ParseToken(s string) (Token, error) {
	m := tokenRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Token{}, fmt.Errorf("token %q is not a bootstrap token: it has the form abcdef.0123456789abcdef (6 and 16 lower-case letters or digits); create one on the hub with `kurator token create`", redact(s))
	}
	return Token{ID: m[1], Secret: m[2]}, nil
}

// redact keeps the id part of something that may be a token.
func redact(s string) string {
	if id, _, ok := strings.Cut(s, "."); ok {
		return id + ".<redacted>"
	}
	if len(s) > 6 {
		return s[:6] + "..."
	}
	return s
}

// NewToken makes a random token from crypto/rand.
func NewToken() (Token, error) {
	id, err := randomString(6)
	if err != nil {
		return Token{}, err
	}
	secret, err := randomString(16)
	if err != nil {
		return Token{}, err
	}
	return Token{ID: id, Secret: secret}, nil
}

// randomString draws n characters of tokenAlphabet without modulo bias.
func randomString(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	// 252 = 7*36: bytes at or above it would favour the first letters.
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("read random bytes for a token: %w", err)
		}
		for _, b := range buf {
			if b < 252 && len(out) < n {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out), nil
}

// TokenOptions describe a token to create.
type TokenOptions struct {
	// TTL is the token's lifetime from now (DefaultTokenTTL when 0).
	TTL time.Duration
	// Fleet, when set, labels the Secret with FleetLabel.
	Fleet       string
	Description string
}

// TokenSecret is the bootstrap-token Secret of t, expiring at expires.
func TokenSecret(t Token, expires time.Time, o TokenOptions) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: t.SecretName(), Namespace: TokenNamespace},
		Type:       TokenSecretType,
		Data: map[string][]byte{
			keyTokenID:     []byte(t.ID),
			keyTokenSecret: []byte(t.Secret),
			keyExpiration:  []byte(expires.UTC().Format(time.RFC3339)),
			keyUsageAuth:   []byte("true"),
			keyExtraGroups: []byte(clusterv1alpha1.BootstrapGroup),
			keyDescription: []byte(o.Description),
		},
	}
	if o.Fleet != "" {
		s.Labels = map[string]string{FleetLabel: o.Fleet}
	}
	return s
}

// CreateToken ensures the bootstrap RBAC and creates a new token's Secret on
// the hub. It returns the token and its expiry.
func CreateToken(ctx context.Context, hub client.Client, o TokenOptions, now time.Time) (Token, time.Time, error) {
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute {
		return Token{}, time.Time{}, fmt.Errorf("--ttl %s: give at least 1m (the agent needs time to register)", ttl)
	}
	if err := EnsureBootstrapRBAC(ctx, hub); err != nil {
		return Token{}, time.Time{}, err
	}
	expires := now.Add(ttl).Truncate(time.Second)
	// A clash of 36^6 ids is unlikely; a few draws make it impossible in practice.
	for range 5 {
		t, err := NewToken()
		if err != nil {
			return Token{}, time.Time{}, err
		}
		err = hub.Create(ctx, TokenSecret(t, expires, o))
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			return Token{}, time.Time{}, fmt.Errorf("create Secret %s/%s: %w", TokenNamespace, t.SecretName(), err)
		}
		return t, expires, nil
	}
	return Token{}, time.Time{}, fmt.Errorf("create a token: five random ids were taken; delete unused tokens with `kurator token delete`")
}

// BootstrapClusterRole may create and read CertificateSigningRequests: all
// a bootstrap token may do, and what an agent needs to rotate its
// certificate.
func BootstrapClusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapRBACName, Labels: map[string]string{"app.kubernetes.io/part-of": "kurator"}},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"certificates.k8s.io"},
			Resources: []string{"certificatesigningrequests"},
			Verbs:     []string{"create", "get", "list", "watch"},
		}},
	}
}

// BootstrapClusterRoleBinding binds BootstrapClusterRole to the tokens'
// group and to the agents' group.
func BootstrapClusterRoleBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapRBACName, Labels: map[string]string{"app.kubernetes.io/part-of": "kurator"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: BootstrapRBACName},
		Subjects: []rbacv1.Subject{
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: clusterv1alpha1.BootstrapGroup},
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: clusterv1alpha1.AgentGroup},
		},
	}
}

// EnsureBootstrapRBAC makes BootstrapClusterRole and its binding, and
// ClusterRole kurator-agent (agentcsr.AgentClusterRole: what an agent may
// do in its execution namespace, which the manager binds per cluster but
// may not make), what they must be: created when missing, their rules,
// subjects and role reference brought back when they differ (a hub made
// by an older kurator). The chart renders the same objects, so on a hub
// installed with it nothing changes.
func EnsureBootstrapRBAC(ctx context.Context, hub client.Client) error {
	for _, want := range []client.Object{BootstrapClusterRole(), BootstrapClusterRoleBinding(), agentcsr.AgentClusterRole()} {
		kind := want.GetObjectKind().GroupVersionKind().Kind
		fail := func(verb string, err error) error {
			return fmt.Errorf("%s %s %s on the hub: %w (the hub user needs to manage ClusterRoles and ClusterRoleBindings, or install the chart, which has them)", verb, kind, want.GetName(), err)
		}
		have := want.DeepCopyObject().(client.Object)
		err := hub.Get(ctx, client.ObjectKeyFromObject(want), have)
		if apierrors.IsNotFound(err) {
			if err := hub.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
				return fail("create", err)
			}
			continue
		}
		if err != nil {
			return fail("read", err)
		}
		if !rbacDiffers(have, want) {
			continue
		}
		if err := hub.Update(ctx, have); err != nil {
			return fail("update", err)
		}
	}
	return nil
}

// rbacDiffers copies want's rules (or subjects and role reference) into
// have and tells whether that changed anything.
func rbacDiffers(have, want client.Object) bool {
	switch h := have.(type) {
	case *rbacv1.ClusterRole:
		w := want.(*rbacv1.ClusterRole)
		if equality.Semantic.DeepEqual(h.Rules, w.Rules) {
			return false
		}
		h.Rules = w.Rules
	case *rbacv1.ClusterRoleBinding:
		w := want.(*rbacv1.ClusterRoleBinding)
		if equality.Semantic.DeepEqual(h.Subjects, w.Subjects) && h.RoleRef == w.RoleRef {
			return false
		}
		// The role reference of a binding cannot change; a different one
		// is reported by the update.
		h.Subjects, h.RoleRef = w.Subjects, w.RoleRef
	}
	return true
}

// TokenInfo is what `kurator token list` shows of a token (never its secret).
type TokenInfo struct {
	ID          string
	Expires     time.Time // zero: no expiration
	Fleet       string
	Description string
	// Kurator is true when the token carries BootstrapGroup (made by
	// `kurator token create`); others (kubeadm's) are listed too.
	Kurator bool
}

// Expired tells whether the token has expired at now.
func (i TokenInfo) Expired(now time.Time) bool { return !i.Expires.IsZero() && !now.Before(i.Expires) }

// InfoOf reads a bootstrap-token Secret; ok is false for other Secrets.
func InfoOf(s *corev1.Secret) (TokenInfo, bool) {
	if s.Type != TokenSecretType || !strings.HasPrefix(s.Name, TokenSecretPrefix) {
		return TokenInfo{}, false
	}
	i := TokenInfo{
		ID:          string(s.Data[keyTokenID]),
		Fleet:       s.Labels[FleetLabel],
		Description: string(s.Data[keyDescription]),
	}
	if i.ID == "" {
		i.ID = strings.TrimPrefix(s.Name, TokenSecretPrefix)
	}
	if e := string(s.Data[keyExpiration]); e != "" {
		if t, err := time.Parse(time.RFC3339, e); err == nil {
			i.Expires = t
		}
	}
	i.Kurator = slices.Contains(strings.Split(string(s.Data[keyExtraGroups]), ","), clusterv1alpha1.BootstrapGroup)
	return i, true
}

// ListTokens lists the hub's bootstrap tokens, by expiry (soonest first),
// optionally only those of a fleet.
func ListTokens(ctx context.Context, hub client.Client, fleet string) ([]TokenInfo, error) {
	var secrets corev1.SecretList
	opts := []client.ListOption{client.InNamespace(TokenNamespace)}
	if fleet != "" {
		opts = append(opts, client.MatchingLabels{FleetLabel: fleet})
	}
	if err := hub.List(ctx, &secrets, opts...); err != nil {
		return nil, fmt.Errorf("list Secrets in %s on the hub: %w", TokenNamespace, err)
	}
	var out []TokenInfo
	for i := range secrets.Items {
		if info, ok := InfoOf(&secrets.Items[i]); ok {
			out = append(out, info)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		ea, eb := out[a].Expires, out[b].Expires
		if ea.Equal(eb) {
			return out[a].ID < out[b].ID
		}
		if ea.IsZero() || eb.IsZero() {
			return eb.IsZero()
		}
		return ea.Before(eb)
	})
	return out, nil
}

var tokenIDRE = regexp.MustCompile(`^[a-z0-9]{6}$`)

// DeleteToken revokes a token by deleting its Secret: the hub's
// kube-apiserver refuses it from then on. id may be the whole token.
func DeleteToken(ctx context.Context, hub client.Client, id string) error {
	if t, err := ParseToken(id); err == nil {
		id = t.ID
	}
	if !tokenIDRE.MatchString(id) {
		return fmt.Errorf("token id %q: give the 6 characters before the dot (see `kurator token list`)", redact(id))
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: TokenSecretPrefix + id, Namespace: TokenNamespace}}
	err := hub.Delete(ctx, s)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("token %s: no Secret %s/%s on the hub (already deleted or expired and cleaned up; `kurator token list` shows the others)", id, TokenNamespace, s.Name)
	}
	if err != nil {
		return fmt.Errorf("delete Secret %s/%s: %w", TokenNamespace, s.Name, err)
	}
	return nil
}
