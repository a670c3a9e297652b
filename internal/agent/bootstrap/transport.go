package bootstrap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/connrotation"
)

// Hub says how to reach the hub's API server.
type Hub struct {
	// URL of the hub's API server, e.g. https://hub.example.com:6443.
	URL string
	// CAFile verifies the hub's serving certificate; empty: the system's
	// roots.
	CAFile string
	// TLSServerName is the name the hub's serving certificate is checked
	// against when it differs from the URL's host (a relay in tests).
	TLSServerName string
}

func (h Hub) rootCAs() (*x509.CertPool, error) {
	if h.CAFile == "" {
		return nil, nil
	}
	pemCA, err := os.ReadFile(h.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read the hub's CA (--hub-ca-file): %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		return nil, fmt.Errorf("the hub's CA file %s holds no PEM certificate: pass the CA bundle of the hub's API server (kurator token create prints where it is)", h.CAFile)
	}
	return pool, nil
}

// tokenConfig is the hub's rest.Config authenticated by a bootstrap token.
func (h Hub) tokenConfig(token string) *rest.Config {
	return &rest.Config{
		Host:        h.URL,
		BearerToken: token,
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:     h.CAFile,
			ServerName: h.TLSServerName,
		},
		UserAgent: userAgent,
	}
}

const userAgent = "kurator-agent"

// certTransport presents the agent's current client certificate on every
// new TLS connection. set swaps the certificate and closes the open
// connections, so requests and watches reconnect with the new one at once
// (a watch on an old connection would keep the old certificate until it
// expired).
type certTransport struct {
	cert    atomic.Pointer[tls.Certificate]
	tracker *connrotation.ConnectionTracker
	rt      *http.Transport
}

func newCertTransport(h Hub) (*certTransport, error) {
	roots, err := h.rootCAs()
	if err != nil {
		return nil, err
	}
	t := &certTransport{tracker: connrotation.NewConnectionTracker()}
	dialer := connrotation.NewDialerWithTracker((&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext, t.tracker)
	t.rt = utilnet.SetTransportDefaults(&http.Transport{
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    roots,
			ServerName: h.TLSServerName,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				if c := t.cert.Load(); c != nil {
					return c, nil
				}
				return nil, errors.New("the agent has no client certificate yet")
			},
		},
		MaxIdleConnsPerHost: 25,
	})
	return t, nil
}

func (t *certTransport) set(c *Credentials) {
	pair := c.pair
	old := t.cert.Swap(&pair)
	if old != nil {
		t.tracker.CloseAll()
	}
}
