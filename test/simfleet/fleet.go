package simfleet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options configure a simulated fleet. Zero values take the defaults.
type Options struct {
	// Clusters are the cluster names; each is served at
	// https://127.0.0.1:PORT/clusters/<name>.
	Clusters []string
	// NodesPerCluster is how many Ready nodes each cluster reports
	// (default 3), each with allocatable cpu 8, memory 32Gi, pods 110.
	NodesPerCluster int
	// ReadyDelay is how long after an apply (or any write that changes a
	// workload's spec) its status turns ready (default 1s). Negative: at
	// once, in the write itself.
	ReadyDelay time.Duration
	// Latency is added to every request before it is answered (default 0).
	Latency time.Duration
	// ErrorRate is the share of mutating requests (POST, PUT, PATCH,
	// DELETE) answered 500 with a Status body (default 0).
	ErrorRate float64

	// Addr is the listen address (default 127.0.0.1:0, a free port).
	Addr string
	// DownStatus is how a down cluster answers: 0 (default) resets every
	// request's stream, as an unreachable server looks to the client
	// (connection error, no status code); any other value is the HTTP
	// status every request gets instead (e.g. 503).
	DownStatus int
}

// Fleet is a running simulated fleet: one HTTPS server for every cluster.
type Fleet struct {
	opts     Options
	srv      *http.Server
	ln       net.Listener
	base     string // https://127.0.0.1:PORT
	caPEM    []byte
	disc     *discovery
	nodes    []*object // every cluster's nodes: the same objects, shared
	names    []string
	clusters map[string]*cluster
	stats    counters
	start    time.Time

	closeOnce sync.Once
	closed    chan struct{}
	serveErr  chan error
}

// Start serves the clusters of o until ctx ends or Close is called.
func Start(ctx context.Context, o Options) (*Fleet, error) {
	if o.NodesPerCluster <= 0 {
		o.NodesPerCluster = 3
	}
	if o.ReadyDelay == 0 {
		o.ReadyDelay = time.Second
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.ErrorRate < 0 || o.ErrorRate > 1 {
		return nil, fmt.Errorf("simfleet: ErrorRate %v: want a share between 0 and 1", o.ErrorRate)
	}
	f := &Fleet{opts: o, clusters: make(map[string]*cluster, len(o.Clusters)), closed: make(chan struct{}), serveErr: make(chan error, 1), start: time.Now()}
	f.stats.init()
	for _, name := range o.Clusters {
		if name == "" || !validName(name) {
			return nil, fmt.Errorf("simfleet: cluster name %q: use a DNS label (lower case letters, digits, '-')", name)
		}
		if _, dup := f.clusters[name]; dup {
			return nil, fmt.Errorf("simfleet: cluster %s listed twice", name)
		}
		c := newCluster(name)
		f.seed(c)
		f.clusters[name] = c
		f.names = append(f.names, name)
	}
	sort.Strings(f.names)
	f.nodes = nodeItems(o.NodesPerCluster, f.start)

	cert, caPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	f.caPEM = caPEM
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("simfleet: listen on %s: %w", o.Addr, err)
	}
	f.ln = ln
	f.base = "https://" + ln.Addr().String()
	f.disc = newDiscovery(ln.Addr().String())
	f.srv = &http.Server{
		Handler:           f,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
		// client-go shares one transport (so one connection) among clusters
		// with the same TLS settings, and a thousand clusters keep several
		// watches open each: the default 250 streams would queue them.
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams:          100000,
			MaxReceiveBufferPerConnection: 64 << 20,
		},
		// Clients that go away mid-handshake are normal here; the standard
		// logger would only add noise to test output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { f.serveErr <- f.srv.ServeTLS(ln, "", "") }()
	go func() {
		select {
		case <-ctx.Done():
			_ = f.Close()
		case <-f.closed:
		}
	}()
	return f, nil
}

func validName(s string) bool {
	if len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// Clusters returns the cluster names, sorted.
func (f *Fleet) Clusters() []string { return append([]string(nil), f.names...) }

// URL is the server URL of cluster's kubeconfig.
func (f *Fleet) URL(cluster string) string { return f.base + "/clusters/" + cluster }

// CAData is the PEM of the CA that signed the server's certificate.
func (f *Fleet) CAData() []byte { return append([]byte(nil), f.caPEM...) }

// RESTConfig is a rest.Config reaching cluster (the CA, a bearer token),
// rate limited at 1000 requests per second (client-go's default of 5 would
// make tests crawl).
func (f *Fleet) RESTConfig(cluster string) *rest.Config {
	return &rest.Config{
		Host:            f.URL(cluster),
		QPS:             1000,
		Burst:           2000,
		BearerToken:     "simfleet-" + cluster,
		TLSClientConfig: rest.TLSClientConfig{CAData: f.CAData()},
	}
}

// Kubeconfig is a complete kubeconfig for cluster: one cluster, user and
// context named after it, the CA embedded, a bearer token (any token is
// accepted).
func (f *Fleet) Kubeconfig(cluster string) []byte {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cluster] = &clientcmdapi.Cluster{Server: f.URL(cluster), CertificateAuthorityData: f.CAData()}
	cfg.AuthInfos[cluster] = &clientcmdapi.AuthInfo{Token: "simfleet-" + cluster}
	cfg.Contexts[cluster] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: cluster}
	cfg.CurrentContext = cluster
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		panic(fmt.Sprintf("simfleet: encode kubeconfig of %s: %v", cluster, err))
	}
	return out
}

// SetDown takes cluster down (every request fails as Options.DownStatus
// says, open watches are cut) or brings it back. Its objects are kept.
func (f *Fleet) SetDown(cluster string, down bool) {
	c := f.clusters[cluster]
	if c == nil {
		return
	}
	c.down.Store(down)
	if !down {
		return
	}
	c.mu.Lock()
	for w := range c.watchers {
		w.close()
	}
	c.mu.Unlock()
}

// IsDown reports whether cluster was set down.
func (f *Fleet) IsDown(cluster string) bool {
	c := f.clusters[cluster]
	return c != nil && c.down.Load()
}

// Objects is how many objects are stored in cluster: everything created
// or applied through the API (namespaces included), not the namespaces a
// cluster starts with, not the synthetic nodes and pods.
func (f *Fleet) Objects(cluster string) int {
	c := f.clusters[cluster]
	if c == nil {
		return 0
	}
	return c.count(nil)
}

// Count is how many objects of one resource ("apps/v1/deployments",
// "v1/configmaps", or "deployments.v1.apps") cluster stores, the starting
// namespaces left out. An unknown cluster or resource counts 0.
func (f *Fleet) Count(cluster, gvr string) int {
	c := f.clusters[cluster]
	res, err := parseGVR(gvr)
	if c == nil || err != nil || res.synthetic {
		return 0
	}
	return c.count(res)
}

// Get returns a stored object of cluster (resource as in Count; namespace
// "" for cluster-scoped ones), decoded; false when there is none.
func (f *Fleet) Get(cluster, gvrString, namespace, name string) (map[string]any, bool) {
	c := f.clusters[cluster]
	res, err := parseGVR(gvrString)
	if c == nil || err != nil || res.synthetic {
		return nil, false
	}
	c.mu.Lock()
	o := c.objects[res.idx][objectKey(namespace, name)]
	c.mu.Unlock()
	if o == nil {
		return nil, false
	}
	// Decoded as unstructured.Unstructured does (integers as int64), so
	// that unstructured.Nested* read it.
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(o.raw); err != nil {
		return nil, false
	}
	return u.Object, true
}

// Close stops the server and ends every open watch.
func (f *Fleet) Close() error {
	var err error
	f.closeOnce.Do(func() {
		close(f.closed)
		for _, c := range f.clusters {
			c.mu.Lock()
			for w := range c.watchers {
				w.close()
			}
			c.mu.Unlock()
		}
		// No graceful shutdown: a member that vanishes is what the clients
		// must cope with anyway, and tests should not wait for idle ones.
		err = f.srv.Close()
		if serr := <-f.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
	})
	return err
}

// selfSigned makes a CA and a server certificate for 127.0.0.1, ::1 and
// localhost, valid for a day (a fleet lives as long as its process).
func selfSigned() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("simfleet: CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "simfleet CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("simfleet: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("simfleet: CA certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("simfleet: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "simfleet"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("simfleet: server certificate: %w", err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caPEM, nil
}
