package bootstrap

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	certificatesclient "k8s.io/client-go/kubernetes/typed/certificates/v1"
	"k8s.io/client-go/rest"
	clienttesting "k8s.io/client-go/testing"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

func TestCertificateRequestNamesTheAgent(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.Curve.Params().Name != "P-256" {
		t.Errorf("curve %s, want P-256", key.Curve.Params().Name)
	}
	raw, err := certificateRequest(key, "edge-1")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("request is not a PEM CERTIFICATE REQUEST: %q", raw)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Errorf("signature: %v", err)
	}
	if csr.Subject.CommonName != "system:kurator:agent:edge-1" || !slices.Equal(csr.Subject.Organization, []string{"system:kurator:agents"}) {
		t.Errorf("subject %s, want CN system:kurator:agent:edge-1, O system:kurator:agents", csr.Subject)
	}

	obj := signingRequest(raw, "edge-1", "uid-123", 24*time.Hour)
	if obj.Spec.SignerName != "kubernetes.io/kube-apiserver-client" || *obj.Spec.ExpirationSeconds != 86400 ||
		!slices.Equal(obj.Spec.Usages, []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}) {
		t.Errorf("spec %+v: want the client signer, 86400s, digital signature + client auth", obj.Spec)
	}
	if obj.Labels[clusterv1alpha1.ClusterNameLabel] != "edge-1" || obj.Annotations[clusterv1alpha1.ClusterIDAnnotation] != "uid-123" || obj.GenerateName != "kurator-agent-edge-1-" {
		t.Errorf("meta %+v: want the cluster label, the cluster ID annotation and a generated name", obj.ObjectMeta)
	}
}

func TestRotateAtIsFourFifthsOfTheLifetime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		life time.Duration
		want time.Duration
	}{
		{name: "24h certificate renews after 19h12m", life: 24 * time.Hour, want: 19*time.Hour + 12*time.Minute},
		{name: "10m certificate renews after 8m", life: 10 * time.Minute, want: 8 * time.Minute},
		{name: "1h certificate renews after 48m", life: time.Hour, want: 48 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RotateAt(t0, t0.Add(tt.life)).Sub(t0); got != tt.want {
				t.Errorf("renew after %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNextAttempt(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		rotateAt time.Time
		notAfter time.Time
		failures int
		want     time.Duration
	}{
		{name: "before rotation time waits for it", rotateAt: now.Add(time.Hour), notAfter: now.Add(2 * time.Hour), want: time.Hour},
		{name: "past rotation time renews at once", rotateAt: now.Add(-time.Minute), notAfter: now.Add(time.Hour), want: 0},
		{name: "first failure retries after 5s", rotateAt: now.Add(-time.Minute), notAfter: now.Add(time.Hour), failures: 1, want: 5 * time.Second},
		{name: "third failure retries after 20s", rotateAt: now.Add(-time.Minute), notAfter: now.Add(time.Hour), failures: 3, want: 20 * time.Second},
		{name: "many failures cap at 5m", rotateAt: now.Add(-time.Hour), notAfter: now.Add(time.Hour), failures: 30, want: 5 * time.Minute},
		{name: "backoff stops short of the expiry", rotateAt: now.Add(-time.Hour), notAfter: now.Add(time.Minute), failures: 30, want: 59 * time.Second},
		{name: "expired certificate keeps retrying every 5m", rotateAt: now.Add(-2 * time.Hour), notAfter: now.Add(-time.Hour), failures: 30, want: 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextAttempt(now, tt.rotateAt, tt.notAfter, tt.failures); got != tt.want {
				t.Errorf("next attempt in %s, want %s", got, tt.want)
			}
		})
	}
}

// testCA signs agent certificates as the hub's kube-controller-manager does.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{key: key, cert: cert}
}

var serials atomic.Int64

// sign issues a client certificate for the PEM request, valid from
// notBefore for life.
func (ca *testCA) sign(t *testing.T, request []byte, notBefore time.Time, life time.Duration) []byte {
	t.Helper()
	block, _ := pem.Decode(request)
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(100 + serials.Add(1)), Subject: csr.Subject, NotBefore: notBefore, NotAfter: notBefore.Add(life),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, csr.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// fakeHub is a hub's CSR API: a fake clientset whose requests an approver
// goroutine approves and signs (or denies).
type fakeHub struct {
	cs *fake.Clientset
	ca *testCA
	// deny, when set, is the reason every request is denied with.
	deny string
	// refuseToken makes requests made with a token answer 401.
	refuseToken bool

	mu      sync.Mutex
	seen    []*certificatesv1.CertificateSigningRequest
	byToken []bool
}

func newFakeHub(t *testing.T, deny string) *fakeHub {
	t.Helper()
	h := &fakeHub{cs: fake.NewClientset(), ca: newTestCA(t), deny: deny}
	var n atomic.Int32
	h.cs.PrependReactor("create", "certificatesigningrequests", func(a clienttesting.Action) (bool, runtime.Object, error) {
		obj := a.(clienttesting.CreateAction).GetObject().(*certificatesv1.CertificateSigningRequest)
		if obj.Name == "" {
			obj.Name = fmt.Sprintf("%s%d", obj.GenerateName, n.Add(1))
		}
		h.mu.Lock()
		h.seen = append(h.seen, obj.DeepCopy())
		h.mu.Unlock()
		return false, nil, nil
	})
	// Decide a request once the agent watches it, so the decision reaches
	// the agent's watch (the fake's watches do not replay from a
	// resourceVersion).
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var decidedOnce sync.Map
	h.cs.PrependWatchReactor("certificatesigningrequests", func(a clienttesting.Action) (bool, watch.Interface, error) {
		w, err := h.cs.Tracker().Watch(a.GetResource(), "")
		if err != nil {
			return true, nil, err
		}
		sel := a.(clienttesting.WatchAction).GetWatchRestrictions().Fields
		if name, ok := sel.RequiresExactMatch("metadata.name"); ok {
			if _, done := decidedOnce.LoadOrStore(name, true); !done {
				go h.decide(t, ctx, name)
			}
		}
		return true, w, nil
	})
	return h
}

func (h *fakeHub) decide(t *testing.T, ctx context.Context, name string) {
	csr, err := h.cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Errorf("get %s: %v", name, err)
		return
	}
	cond := certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "AgentApproved"}
	if h.deny != "" {
		cond = certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue,
			Reason: h.deny, Message: "another cluster (id other-uid) is registered as edge-1"}
	}
	csr.Status.Conditions = append(csr.Status.Conditions, cond)
	if h.deny == "" {
		csr.Status.Certificate = h.ca.sign(t, csr.Spec.Request, time.Now().Add(-time.Minute), time.Duration(*csr.Spec.ExpirationSeconds)*time.Second)
	}
	if _, err := h.cs.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{}); err != nil && ctx.Err() == nil {
		t.Errorf("approve %s: %v", csr.Name, err)
	}
}

// client is Manager.csrClient for the fake hub; it records whether each
// client was made for a bootstrap token.
func (h *fakeHub) client(cfg *rest.Config) (certificatesclient.CertificateSigningRequestInterface, error) {
	h.mu.Lock()
	h.byToken = append(h.byToken, cfg.BearerToken != "")
	h.mu.Unlock()
	if h.refuseToken && cfg.BearerToken != "" {
		return refusing{h.cs.CertificatesV1().CertificateSigningRequests()}, nil
	}
	return h.cs.CertificatesV1().CertificateSigningRequests(), nil
}

// refusing answers 401 to every create, as a hub does to a bad token.
type refusing struct {
	certificatesclient.CertificateSigningRequestInterface
}

func (refusing) Create(context.Context, *certificatesv1.CertificateSigningRequest, metav1.CreateOptions) (*certificatesv1.CertificateSigningRequest, error) {
	return nil, apierrors.NewUnauthorized("Unauthorized")
}

func newManager(t *testing.T, h *fakeHub, token string, stores ...Store) *Manager {
	t.Helper()
	m, err := New(Options{Cluster: "edge-1", ClusterID: "uid-123", Hub: Hub{URL: "https://hub.invalid:6443"}, Token: token,
		CertificateTTL: time.Hour, Stores: stores, ApprovalTimeout: 20 * time.Second, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	m.csrClient = h.client
	return m
}

func TestStartRegistersWithTheTokenThenReusesStoredCredentials(t *testing.T) {
	h := newFakeHub(t, "")
	dir := DirStore{Dir: filepath.Join(t.TempDir(), "creds")}
	m := newManager(t, h, "abcdef.0123456789abcdef", dir)
	registered, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !registered || m.Current() == nil || m.Current().Certificate().Subject.CommonName != "system:kurator:agent:edge-1" {
		t.Fatalf("registered %v, credentials %+v: want a new certificate for the agent user", registered, m.Current())
	}
	if got := m.NotAfter().Sub(m.Current().Certificate().NotBefore); got != time.Hour {
		t.Errorf("lifetime %s, want the 1h asked for", got)
	}
	info, err := os.Stat(filepath.Join(dir.Dir, CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", info.Mode().Perm())
	}

	again := newManager(t, h, "", dir)
	registered, err = again.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if registered || again.Current().Certificate().SerialNumber.Cmp(m.Current().Certificate().SerialNumber) != 0 {
		t.Errorf("restart registered %v with serial %s, want the stored certificate %s reused without a token",
			registered, again.Current().Certificate().SerialNumber, m.Current().Certificate().SerialNumber)
	}
	if n := len(h.seen); n != 1 {
		t.Errorf("%d certificate requests, want 1", n)
	}
}

func TestStartShowsTheDenialReason(t *testing.T) {
	h := newFakeHub(t, "ClusterIDMismatch")
	_, err := newManager(t, h, "abcdef.0123456789abcdef", DirStore{Dir: t.TempDir()}).Start(context.Background())
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Reason != "ClusterIDMismatch" || !strings.Contains(err.Error(), "another cluster (id other-uid) is registered as edge-1") {
		t.Fatalf("err = %v, want the denial's reason and message", err)
	}
}

func TestStartExplainsARefusedToken(t *testing.T) {
	h := newFakeHub(t, "")
	h.refuseToken = true
	_, err := newManager(t, h, "abcdef.0123456789abcdef", DirStore{Dir: t.TempDir()}).Start(context.Background())
	if !errors.Is(err, ErrTokenRefused) || !strings.Contains(err.Error(), "kurator token create") {
		t.Fatalf("err = %v, want the refused-token message naming kurator token create", err)
	}
}

func TestStartWithoutTokenOrCredentialsSaysWhatToPass(t *testing.T) {
	h := newFakeHub(t, "")
	_, err := newManager(t, h, "", DirStore{Dir: t.TempDir()}).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--token") || !strings.Contains(err.Error(), "none") {
		t.Fatalf("err = %v, want it to say no credentials are stored and to pass --token", err)
	}
}

func TestStartIgnoresCredentialsOfAnotherCluster(t *testing.T) {
	h := newFakeHub(t, "")
	dir := DirStore{Dir: t.TempDir()}
	other, err := New(Options{Cluster: "edge-2", Hub: Hub{URL: "https://hub.invalid"}, Token: "t", Stores: []Store{dir}, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	other.csrClient = h.client
	if _, err := other.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = newManager(t, h, "", dir).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `not "system:kurator:agent:edge-1"`) {
		t.Fatalf("err = %v, want the stored edge-2 certificate refused for edge-1", err)
	}
}

func TestRotateUsesTheCurrentCertificateAndStoresTheNewOne(t *testing.T) {
	h := newFakeHub(t, "")
	dir := DirStore{Dir: t.TempDir()}
	m := newManager(t, h, "abcdef.0123456789abcdef", dir)
	if _, err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := m.Current()
	if err := m.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := m.Current()
	if second.Certificate().SerialNumber.Cmp(first.Certificate().SerialNumber) == 0 || string(second.KeyPEM) == string(first.KeyPEM) {
		t.Fatal("rotation kept the certificate or the key, want both new")
	}
	if !slices.Equal(h.byToken, []bool{true, false}) {
		t.Errorf("clients made with a token: %v, want the registration only (the rotation uses the certificate)", h.byToken)
	}
	stored, err := dir.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stored.Certificate().SerialNumber.Cmp(second.Certificate().SerialNumber) != 0 {
		t.Errorf("stored serial %s, want the new %s", stored.Certificate().SerialNumber, second.Certificate().SerialNumber)
	}
}

func TestHubTransportPresentsTheRotatedCertificateWithoutRestart(t *testing.T) {
	h := newFakeHub(t, "")
	pool := x509.NewCertPool()
	pool.AddCert(h.ca.cert)
	var mu sync.Mutex
	var serialsSeen []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		serialsSeen = append(serialsSeen, r.TLS.PeerCertificates[0].SerialNumber.String())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Success"}`))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "hub-ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	m, err := New(Options{Cluster: "edge-1", Hub: Hub{URL: srv.URL, CAFile: caFile, TLSServerName: "example.com"}, Token: "t",
		CertificateTTL: time.Hour, Stores: []Store{DirStore{Dir: t.TempDir()}}, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	m.csrClient = h.client
	if _, err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(m.HubConfig())
	if err != nil {
		t.Fatal(err)
	}
	rc := cs.Discovery().RESTClient()
	get := func() {
		t.Helper()
		if err := rc.Get().AbsPath("/healthz").Do(context.Background()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	get()
	if err := m.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	get()
	want := []string{m.Current().Certificate().SerialNumber.String()}
	mu.Lock()
	defer mu.Unlock()
	if len(serialsSeen) != 2 || serialsSeen[0] == serialsSeen[1] || serialsSeen[1] != want[0] {
		t.Fatalf("hub saw client certificates %v, want two different ones, the second %s", serialsSeen, want[0])
	}
}

func TestUsable(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	issue := func(cn string, org []string, notBefore time.Time, life time.Duration) *Credentials {
		key, _ := NewKey()
		der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: org}}, key)
		certPEM := ca.sign(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), notBefore, life)
		keyPEM, _ := encodeKey(key)
		c, err := ParseCredentials(keyPEM, certPEM)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	agents := []string{clusterv1alpha1.AgentGroup}
	tests := []struct {
		name  string
		creds *Credentials
		want  string
	}{
		{name: "valid certificate of the cluster's agent is usable", creds: issue("system:kurator:agent:edge-1", agents, now.Add(-time.Minute), time.Hour)},
		{name: "another cluster's certificate is refused", creds: issue("system:kurator:agent:edge-2", agents, now.Add(-time.Minute), time.Hour), want: "is for"},
		{name: "certificate outside the agents group is refused", creds: issue("system:kurator:agent:edge-1", nil, now.Add(-time.Minute), time.Hour), want: "lack system:kurator:agents"},
		{name: "expired certificate is refused", creds: issue("system:kurator:agent:edge-1", agents, now.Add(-2*time.Hour), time.Hour), want: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.creds.Usable("edge-1", now)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Usable = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSecretStoreKeepsTheCredentials(t *testing.T) {
	h := newFakeHub(t, "")
	m := newManager(t, h, "abcdef.0123456789abcdef", DirStore{Dir: t.TempDir()})
	if _, err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	member := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: DefaultSecretName}, Type: corev1.SecretTypeOpaque})
	s := SecretStore{Client: member, Namespace: "kurator-system", Name: DefaultSecretName}
	if err := s.Save(context.Background(), m.Current()); err != nil {
		t.Fatal(err)
	}
	sec, err := member.CoreV1().Secrets("kurator-system").Get(context.Background(), DefaultSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Type != corev1.SecretTypeTLS || len(sec.Data[corev1.TLSCertKey]) == 0 || len(sec.Data[corev1.TLSPrivateKeyKey]) == 0 {
		t.Fatalf("Secret type %s keys %d: want a kubernetes.io/tls Secret with tls.crt and tls.key", sec.Type, len(sec.Data))
	}
	got, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Certificate().SerialNumber.Cmp(m.Current().Certificate().SerialNumber) != 0 {
		t.Errorf("loaded serial %s, want %s", got.Certificate().SerialNumber, m.Current().Certificate().SerialNumber)
	}

	// A Pod restart: the emptyDir is empty, the Secret is not.
	dir := DirStore{Dir: t.TempDir()}
	again := newManager(t, h, "", dir, s)
	if registered, err := again.Start(context.Background()); err != nil || registered {
		t.Fatalf("restart: registered %v, err %v; want the Secret's credentials reused", registered, err)
	}
	if c, err := dir.Load(context.Background()); err != nil || c == nil {
		t.Errorf("credentials directory after restart: %v, %v; want the Secret's credentials copied back", c, err)
	}
}

func TestDirStore(t *testing.T) {
	dir := DirStore{Dir: t.TempDir()}
	if c, err := dir.Load(context.Background()); c != nil || err != nil {
		t.Fatalf("empty directory: %v %v, want no credentials and no error", c, err)
	}
	if err := os.WriteFile(filepath.Join(dir.Dir, CredentialsFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Load(context.Background()); err == nil || !strings.Contains(err.Error(), CredentialsFile) {
		t.Fatalf("corrupt file: err %v, want an error naming the file", err)
	}
}
