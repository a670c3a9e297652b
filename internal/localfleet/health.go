package localfleet

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"
)

// prober checks component health endpoints with the fleet's admin credentials.
type prober struct{ client *http.Client }

func newProber(certFile, keyFile string) (*prober, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load admin certificate: %w", err)
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			// Probes go to loopback only; kube-controller-manager and
			// kube-scheduler serve self-signed certificates.
			InsecureSkipVerify: true,
		},
		DisableKeepAlives: true,
	}
	return &prober{client: &http.Client{Transport: tr, Timeout: 2 * time.Second}}, nil
}

// check returns nil when url answers 200. A process without a health
// endpoint (empty url, e.g. a pull agent) is healthy while it runs.
func (p *prober) check(ctx context.Context, url string) error {
	if url == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	return nil
}

// waitHealthy polls url until it answers 200, the process exits, or ctx ends.
func (p *prober) waitHealthy(ctx context.Context, url string, exited <-chan struct{}) error {
	var last error
	for {
		if last = p.check(ctx, url); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy in time: %w", last)
		case <-exited:
			return fmt.Errorf("process exited")
		case <-time.After(100 * time.Millisecond):
		}
	}
}
