package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// identity is who a request acts as.
type identity struct {
	User   string
	Groups []string
	UID    string
	Extra  map[string]authorizationv1.ExtraValue
	// Owner is the dashboard's own kubeconfig identity, unlocked by the
	// login token: everything its caches hold may be shown.
	Owner bool
}

func (id *identity) key() string {
	return id.User + "\x00" + strings.Join(id.Groups, ",") + "\x00" + id.UID
}

// errUnauthenticated is answered with 401 and a hint to log in.
var errUnauthenticated = errors.New("not logged in")

// authenticator turns a login token, a hub bearer token or a session cookie
// into an identity, and answers "may this identity do that" with the hub's
// own RBAC through SubjectAccessReviews, cached briefly so a page of 500
// workloads in three namespaces costs three reviews, not 500.
type authenticator struct {
	kube       kubernetes.Interface
	loginToken string
	owner      identity
	now        func() time.Time

	mu       sync.Mutex
	sessions map[string]session // by session id
	tokens   map[string]cached  // TokenReview results by token hash
	reviews  map[string]cached  // SubjectAccessReview results
}

type session struct {
	id      identity
	expires time.Time
}

type cached struct {
	id      identity
	allowed bool
	err     error
	expires time.Time
}

const (
	sessionCookie = "kurator_session"
	sessionTTL    = 12 * time.Hour
	tokenTTL      = time.Minute
	reviewTTL     = 30 * time.Second
)

func newAuthenticator(kube kubernetes.Interface, loginToken string, owner identity) *authenticator {
	owner.Owner = true
	return &authenticator{kube: kube, loginToken: loginToken, owner: owner, now: time.Now,
		sessions: map[string]session{}, tokens: map[string]cached{}, reviews: map[string]cached{}}
}

// NewLoginToken returns a random token for the login URL.
func NewLoginToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// login checks a token: the login token is the dashboard's own identity;
// any other token must pass the hub's TokenReview.
func (a *authenticator) login(ctx context.Context, token string) (identity, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return identity{}, errUnauthenticated
	}
	if a.loginToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.loginToken)) == 1 {
		return a.owner, nil
	}
	h := sha256.Sum256([]byte(token))
	key := hex.EncodeToString(h[:])
	a.mu.Lock()
	c, ok := a.tokens[key]
	a.mu.Unlock()
	if ok && a.now().Before(c.expires) {
		return c.id, c.err
	}
	tr, err := a.kube.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return identity{}, fmt.Errorf("the hub could not review the token: %w", err)
	}
	var id identity
	if !tr.Status.Authenticated {
		err = fmt.Errorf("the hub does not accept this token: %s", strings.TrimSpace(tr.Status.Error+" (expired, revoked, or for another cluster)"))
	} else {
		u := tr.Status.User
		id = identity{User: u.Username, Groups: u.Groups, UID: u.UID, Extra: map[string]authorizationv1.ExtraValue{}}
		for k, v := range u.Extra {
			id.Extra[k] = authorizationv1.ExtraValue(v)
		}
	}
	a.mu.Lock()
	a.tokens[key] = cached{id: id, err: err, expires: a.now().Add(tokenTTL)}
	a.mu.Unlock()
	return id, err
}

// newSession stores id and returns the session id for the cookie.
func (a *authenticator) newSession(id identity) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	sid := hex.EncodeToString(b)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[sid] = session{id: id, expires: now.Add(sessionTTL)}
	return sid
}

func (a *authenticator) endSession(sid string) {
	a.mu.Lock()
	delete(a.sessions, sid)
	a.mu.Unlock()
}

// identify reads a request's identity: a bearer token, else the session
// cookie.
func (a *authenticator) identify(r *http.Request) (identity, error) {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return a.login(r.Context(), strings.TrimPrefix(h, "Bearer "))
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return identity{}, errUnauthenticated
	}
	a.mu.Lock()
	s, ok := a.sessions[c.Value]
	a.mu.Unlock()
	if !ok || a.now().After(s.expires) {
		return identity{}, errUnauthenticated
	}
	return s.id, nil
}

// access is one question to RBAC.
type access struct {
	Verb, Group, Resource, Namespace string
}

func (q access) String() string {
	res := q.Resource
	if q.Group != "" {
		res += "." + q.Group
	}
	if q.Namespace != "" {
		return fmt.Sprintf("%s %s in namespace %s", q.Verb, res, q.Namespace)
	}
	return fmt.Sprintf("%s %s", q.Verb, res)
}

// allowed asks the hub whether id may do q. The owner may do all the
// dashboard reads (its caches hold only what it may read). Answers are
// cached for reviewTTL; a failed review denies once and is asked again.
func (a *authenticator) allowed(ctx context.Context, id *identity, q access) bool {
	if id.Owner {
		return true
	}
	key := id.key() + "\x00" + q.String()
	a.mu.Lock()
	c, ok := a.reviews[key]
	a.mu.Unlock()
	if ok && a.now().Before(c.expires) {
		return c.allowed
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: id.User, Groups: id.Groups, UID: id.UID, Extra: id.Extra,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: q.Verb, Group: q.Group, Resource: q.Resource, Namespace: q.Namespace},
	}}
	// The review outlives the request that asked: a page navigated away
	// from mid-request must not cancel it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	res, err := a.kube.AuthorizationV1().SubjectAccessReviews().Create(rctx, sar, metav1.CreateOptions{})
	if err != nil {
		// Denied for this request only: a failed review is not an answer,
		// so it is not cached.
		log.Printf("access review for %s to %s failed, denying this request: %v", id.User, q, err)
		return false
	}
	ok = res.Status.Allowed
	a.mu.Lock()
	a.reviews[key] = cached{allowed: ok, expires: a.now().Add(reviewTTL)}
	a.mu.Unlock()
	return ok
}

// whoOwns reads the dashboard's own user from the hub.
func whoOwns(ctx context.Context, kube kubernetes.Interface) identity {
	r, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return identity{User: "the kubeconfig's user"}
	}
	return identity{User: r.Status.UserInfo.Username, Groups: r.Status.UserInfo.Groups}
}
