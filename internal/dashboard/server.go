// Package dashboard serves the Kurator dashboard: the web UI embedded in
// the binary and a read-only JSON API built from informer caches of the
// hub, for each user with the user's own RBAC permissions, plus one stream
// of change notices that keeps every open page live.
package dashboard

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/web"
)

// Options configure a dashboard server.
type Options struct {
	// Config reaches the hub; the caches and access reviews use it.
	Config *rest.Config
	// Addr is host:port to listen on; loopback unless TLS is configured.
	Addr string
	// LoginToken unlocks the dashboard's own identity (the Config's user)
	// for whoever opens /login?token=LoginToken. Empty: only hub bearer
	// tokens log in.
	LoginToken string
	// TLSCertFile and TLSKeyFile serve HTTPS; both or neither.
	TLSCertFile, TLSKeyFile string
	// ClusterNamespace holds the AttachedClusters and Fleets.
	ClusterNamespace string
	// Out receives the start-up lines (the URL to open).
	Out io.Writer
}

// Server is a running dashboard.
type Server struct {
	opts   Options
	store  *store
	auth   *authenticator
	hub    string
	assets fs.FS
	cost   *hubCost
	// snaps is the scheduler's view of the fleet, rebuilt only after a
	// cluster or Fleet changed (the scheduling controller's own source).
	snaps *snapshot.Source
}

// Run serves the dashboard until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	tlsOn := opts.TLSCertFile != "" || opts.TLSKeyFile != ""
	if tlsOn && (opts.TLSCertFile == "" || opts.TLSKeyFile == "") {
		return errors.New("--tls-cert-file and --tls-key-file go together: give both, or neither to serve plain HTTP on loopback")
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w (use host:port, e.g. 127.0.0.1:8443)", opts.Addr, err)
	}
	if !tlsOn && !isLoopback(host) {
		return fmt.Errorf("--addr %s is not a loopback address: serving the dashboard beyond this machine needs TLS; give --tls-cert-file and --tls-key-file, or listen on 127.0.0.1", opts.Addr)
	}

	cfg := rest.CopyConfig(opts.Config)
	cost := &hubCost{}
	cfg.Wrap(cost.wrap)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	st, err := newStore(ctx, cfg)
	if err != nil {
		return err
	}
	assets, err := fs.Sub(web.Dist, "dist")
	if err != nil {
		return err
	}
	snaps, err := snapshot.New(ctx, st.cache, st.cache, opts.ClusterNamespace)
	if err != nil {
		return err
	}
	s := &Server{snaps: snaps, opts: opts, store: st, auth: newAuthenticator(kube, opts.LoginToken, whoOwns(ctx, kube)), hub: cfg.Host, assets: assets, cost: cost}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another dashboard may be running; pick another port with --addr)", opts.Addr, err)
	}
	if err := st.start(ctx, time.Minute); err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(quietHandshakes{os.Stderr}, "", log.LstdFlags)}
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load the TLS key pair: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(opts.Out, "dashboard for hub %s on %s\n", cfg.Host, base)
	if opts.LoginToken != "" {
		fmt.Fprintf(opts.Out, "open: %s\n", LoginURL(base, opts.LoginToken))
	} else {
		fmt.Fprintf(opts.Out, "open %s and log in with a bearer token of the hub\n", base)
	}
	errc := make(chan error, 1)
	go func() {
		if tlsOn {
			// ServeTLS offers HTTP/2, so a browser's event streams and
			// requests share one connection (HTTP/1.1 caps a host at six).
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		return err
	}
}

// quietHandshakes drops the server's "TLS handshake error" lines: a
// browser that does not trust the fleet's CA yet makes one per connection
// until the user accepts the certificate, which says nothing about the
// dashboard.
type quietHandshakes struct{ w io.Writer }

func (q quietHandshakes) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("TLS handshake error")) {
		return len(p), nil
	}
	return q.w.Write(p)
}

// LoginURL is the URL that logs a browser in with token.
func LoginURL(base, token string) string {
	return base + "/login?token=" + url.QueryEscape(token)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hubCost counts what the dashboard asks of the hub: open watches and
// other requests, for the figures in the README.
type hubCost struct {
	watches  atomic.Int64
	requests atomic.Int64
}

func (c *hubCost) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("watch") == "true" {
			c.watches.Add(1)
			resp, err := rt.RoundTrip(r)
			if err != nil || resp.Body == nil {
				c.watches.Add(-1)
				return resp, err
			}
			resp.Body = &watchBody{ReadCloser: resp.Body, done: func() { c.watches.Add(-1) }}
			return resp, nil
		}
		c.requests.Add(1)
		return rt.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type watchBody struct {
	io.ReadCloser
	closed atomic.Bool
	done   func()
}

func (w *watchBody) Close() error {
	if w.closed.CompareAndSwap(false, true) {
		w.done()
	}
	return w.ReadCloser.Close()
}

// serveAssets serves the embedded UI; every path that is not a file is a
// client-side route and gets index.html.
func (s *Server) serveAssets(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the dashboard is read-only", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	if p != "" {
		if f, err := s.assets.Open(p); err == nil {
			st, _ := f.Stat()
			f.Close()
			if st != nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				http.FileServerFS(s.assets).ServeHTTP(w, r)
				return
			}
		}
	}
	index, err := fs.ReadFile(s.assets, "index.html")
	if err != nil {
		http.Error(w, "the dashboard's web assets are not in this binary: build it with `make build` (it runs `make web` first)", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(index)
}
