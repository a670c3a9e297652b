// Package bootstrap gives the pull agent its identity on the hub. With a
// bootstrap token it asks for a client certificate through a
// CertificateSigningRequest (common name system:kurator:agent:<cluster>,
// organization system:kurator:agents, signer
// kubernetes.io/kube-apiserver-client) that the hub's manager approves and
// its kube-controller-manager signs; it keeps the key and the certificate in
// Stores (a directory, and in a cluster a Secret) so a restart needs no
// token; it replaces the certificate at 80% of its lifetime with a new
// request authenticated by the current one; and it hands the rest of the
// agent a hub rest.Config whose transport presents the newest certificate
// without a restart.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	certificatesclient "k8s.io/client-go/kubernetes/typed/certificates/v1"
	"k8s.io/client-go/rest"
)

// ErrNoCredentials: nothing usable is stored and no token was given.
var ErrNoCredentials = errors.New("no usable stored credentials and no bootstrap token")

// Options configure a Manager.
type Options struct {
	// Cluster is the name the agent registers as.
	Cluster string
	// ClusterID is the member's kube-system namespace UID.
	ClusterID string
	// Hub says how to reach the hub.
	Hub Hub
	// Token is the bootstrap token "<id>.<secret>"; needed only when no
	// usable credentials are stored.
	Token string
	// CertificateTTL is the lifetime asked for (default 24h, at least 10m).
	CertificateTTL time.Duration
	// Stores keep the credentials; they are read in order (the first usable
	// credentials win) and all are written.
	Stores []Store
	// ApprovalTimeout bounds the wait for the hub to issue a certificate
	// (default 5m).
	ApprovalTimeout time.Duration
	// Log receives progress and rotation messages.
	Log logr.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.CertificateTTL == 0 {
		o.CertificateTTL = 24 * time.Hour
	}
	if o.ApprovalTimeout <= 0 {
		o.ApprovalTimeout = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Manager holds the agent's hub credentials.
type Manager struct {
	opts      Options
	transport *certTransport
	// csrClient makes the CertificateSigningRequest client for a hub
	// rest.Config (replaced in tests).
	csrClient func(*rest.Config) (certificatesclient.CertificateSigningRequestInterface, error)

	mu    sync.Mutex
	creds *Credentials
}

// New checks the options and prepares the hub transport.
func New(opts Options) (*Manager, error) {
	opts = opts.withDefaults()
	switch {
	case opts.Cluster == "":
		return nil, errors.New("the cluster name is empty: pass --cluster-name, the name the cluster registers as on the hub")
	case opts.Hub.URL == "":
		return nil, errors.New("the hub URL is empty: pass --hub-url, the hub API server's address (kurator token create prints it)")
	case opts.CertificateTTL < MinCertificateTTL:
		return nil, fmt.Errorf("--certificate-ttl %s is shorter than the CertificateSigningRequest API's minimum %s", opts.CertificateTTL, MinCertificateTTL)
	case len(opts.Stores) == 0:
		return nil, errors.New("no credentials store: pass --credentials-dir")
	}
	t, err := newCertTransport(opts.Hub)
	if err != nil {
		return nil, err
	}
	return &Manager{opts: opts, transport: t, csrClient: func(cfg *rest.Config) (certificatesclient.CertificateSigningRequestInterface, error) {
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		return cs.CertificatesV1().CertificateSigningRequests(), nil
	}}, nil
}

// HubConfig is a rest.Config for the hub authenticated by the agent's
// current certificate; it follows rotations. Callers may set QPS, Burst,
// Timeout and WrapTransport on it, not TLS options.
func (m *Manager) HubConfig() *rest.Config {
	return &rest.Config{Host: m.opts.Hub.URL, Transport: m.transport.rt, UserAgent: userAgent, QPS: 20, Burst: 40}
}

// Current returns the credentials in use (nil before Start).
func (m *Manager) Current() *Credentials {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.creds
}

// NotAfter is when the current certificate expires.
func (m *Manager) NotAfter() time.Time {
	if c := m.Current(); c != nil {
		return c.NotAfter()
	}
	return time.Time{}
}

// Start makes the agent's credentials ready: the first usable stored ones,
// else a new certificate obtained with the bootstrap token. It tells which
// through registered (true: a new registration with the token).
func (m *Manager) Start(ctx context.Context) (registered bool, err error) {
	var why []string
	for i, s := range m.opts.Stores {
		c, err := s.Load(ctx)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: %v", s, err))
			continue
		}
		if c == nil {
			why = append(why, fmt.Sprintf("%s: none", s))
			continue
		}
		if err := c.Usable(m.opts.Cluster, m.opts.Now()); err != nil {
			why = append(why, fmt.Sprintf("%s: %v", s, err))
			continue
		}
		m.opts.Log.Info("using stored credentials", "store", s.String(), "notAfter", c.NotAfter().UTC().Format(time.RFC3339))
		// Copy them into the stores that lack them (an emptyDir after a
		// Pod restart gets them back from the Secret).
		for _, other := range m.opts.Stores[:i] {
			if err := other.Save(ctx, c); err != nil {
				m.opts.Log.Error(err, "copy the credentials", "store", other.String())
			}
		}
		m.use(c)
		return false, nil
	}
	if m.opts.Token == "" {
		return false, fmt.Errorf("%w (%s): create one on the hub with `kurator token create` and pass it with --token or --token-file", ErrNoCredentials, strings.Join(why, "; "))
	}
	m.opts.Log.Info("registering with a bootstrap token", "hub", m.opts.Hub.URL, "stored", strings.Join(why, "; "))
	c, err := m.obtain(ctx, m.opts.Hub.tokenConfig(m.opts.Token), credsToken)
	if err != nil {
		return false, err
	}
	return true, m.keep(ctx, c)
}

// Rotate replaces the certificate with a new one for a new key, requested
// with the current certificate (or, when the hub refuses that, with the
// bootstrap token if one was given).
func (m *Manager) Rotate(ctx context.Context) error {
	c, err := m.obtain(ctx, m.HubConfig(), credsCert)
	if err != nil && m.opts.Token != "" && (errors.Is(err, ErrCertificateRefused) || !m.opts.Now().Before(m.NotAfter())) {
		m.opts.Log.Info("renewing with the bootstrap token", "reason", err.Error())
		c, err = m.obtain(ctx, m.opts.Hub.tokenConfig(m.opts.Token), credsToken)
	}
	if err != nil {
		return err
	}
	return m.keep(ctx, c)
}

// Run rotates the certificate at RotateAt until ctx ends, retrying failures
// with a backoff until the certificate expires (and after, in case the hub
// comes back).
func (m *Manager) Run(ctx context.Context) error {
	failures := 0
	for {
		c := m.Current()
		wait := nextAttempt(m.opts.Now(), c.RotateAt(), c.NotAfter(), failures)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if err := m.Rotate(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			m.opts.Log.Error(err, "renew the agent certificate", "attempt", failures, "notAfter", c.NotAfter().UTC().Format(time.RFC3339))
			continue
		}
		failures = 0
	}
}

// nextAttempt is how long to wait before the next renewal: until rotateAt
// while no attempt failed; after failures, a backoff from 5s doubling to at
// most 5m, and never past the certificate's expiry while it is valid.
func nextAttempt(now, rotateAt, notAfter time.Time, failures int) time.Duration {
	if failures == 0 {
		return max(rotateAt.Sub(now), 0)
	}
	backoff := 5 * time.Second
	for i := 1; i < failures && backoff < 5*time.Minute; i++ {
		backoff *= 2
	}
	backoff = min(backoff, 5*time.Minute)
	if left := notAfter.Sub(now); left > time.Second && backoff > left {
		backoff = left - time.Second
	}
	return backoff
}

// obtain asks the hub for a certificate for a new key with cfg's
// credentials (named by creds in messages).
func (m *Manager) obtain(ctx context.Context, cfg *rest.Config, creds string) (*Credentials, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	req, err := certificateRequest(key, m.opts.Cluster)
	if err != nil {
		return nil, err
	}
	csrs, err := m.csrClient(cfg)
	if err != nil {
		return nil, err
	}
	certPEM, name, err := requestCertificate(ctx, csrs, signingRequest(req, m.opts.Cluster, m.opts.ClusterID, m.opts.CertificateTTL), creds, m.opts.ApprovalTimeout)
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	c, err := ParseCredentials(keyPEM, certPEM)
	if err != nil {
		return nil, fmt.Errorf("the certificate the hub issued for request %s does not fit the agent's key: %w", name, err)
	}
	if !matches(c.leaf, key) {
		return nil, fmt.Errorf("the certificate the hub issued for request %s certifies another key", name)
	}
	if err := c.Usable(m.opts.Cluster, m.opts.Now()); err != nil {
		return nil, fmt.Errorf("the certificate the hub issued for request %s is unusable: %w", name, err)
	}
	m.opts.Log.Info("certificate issued", "request", name, "subject", c.leaf.Subject.String(),
		"notAfter", c.NotAfter().UTC().Format(time.RFC3339), "renewAt", c.RotateAt().UTC().Format(time.RFC3339))
	return c, nil
}

// keep stores c in every store and puts it in use. A store that fails is
// reported; the first store's failure is an error (a restart would need a
// token again).
func (m *Manager) keep(ctx context.Context, c *Credentials) error {
	m.use(c)
	var first error
	for i, s := range m.opts.Stores {
		if err := s.Save(ctx, c); err != nil {
			err = fmt.Errorf("store the agent's credentials in %s: %w", s, err)
			if i == 0 {
				first = err
			}
			m.opts.Log.Error(err, "store credentials")
		}
	}
	return first
}

func (m *Manager) use(c *Credentials) {
	m.mu.Lock()
	m.creds = c
	m.mu.Unlock()
	m.transport.set(c)
}
