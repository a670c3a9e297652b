package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	core "github.com/kurator-go/kurator/pkg/analysis"
)

// DefaultHookTimeout bounds one webhook attempt when Hook.Timeout is 0
// (Flagger's default).
const DefaultHookTimeout = 10 * time.Second

// Hook is one webhook of a rollout.
type Hook struct {
	Name string
	URL  string
	Type core.HookType
	// Timeout bounds each attempt; 0 is DefaultHookTimeout.
	Timeout time.Duration
	// Retries is how many times a failed attempt is repeated (0: one
	// attempt). Only attempts that may succeed later are repeated: no
	// answer, 429, and 5xx other than 501.
	Retries int
	// Metadata is merged over the payload's metadata (the hook's own keys
	// win), as Flagger sends the hook's metadata.
	Metadata map[string]string
}

// Webhooks POSTs payloads to webhooks. The zero value is not usable; call
// NewWebhooks. It is safe for concurrent use.
type Webhooks struct {
	client *http.Client
	// backoff is the wait before the first retry; it doubles per retry up
	// to maxBackoff.
	backoff, maxBackoff time.Duration
	calls, attempts     atomic.Int64
}

// NewWebhooks returns a caller with Go's default transport and a short
// retry backoff (100ms, doubling, at most 2s).
func NewWebhooks() *Webhooks {
	return &Webhooks{client: &http.Client{}, backoff: 100 * time.Millisecond, maxBackoff: 2 * time.Second}
}

// WebhookStats counts calls (one per Call) and HTTP attempts (with retries).
type WebhookStats struct{ Calls, Attempts int64 }

// Stats returns the calls and attempts made since NewWebhooks.
func (w *Webhooks) Stats() WebhookStats {
	return WebhookStats{Calls: w.calls.Load(), Attempts: w.attempts.Load()}
}

// Call POSTs p as JSON to the hook and returns the last HTTP status (0 when
// no answer came). err is nil exactly when core.HookPassed(status): a
// refusal (e.g. 403 from a gate) is an error whose message names the hook,
// the URL, the status and the start of the answer's body. For a rollback
// hook a pass means "roll back"; decide with core.HookPassed(status), not
// with err.
func (w *Webhooks) Call(ctx context.Context, h Hook, p core.Payload) (int, error) {
	w.calls.Add(1)
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("webhook %s: url %q is not an http(s) URL: set it like http://flagger-loadtester.test/", h.Name, h.URL)
	}
	if len(h.Metadata) > 0 {
		md := make(map[string]string, len(p.Metadata)+len(h.Metadata))
		maps.Copy(md, p.Metadata)
		maps.Copy(md, h.Metadata)
		p.Metadata = md
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("webhook %s: encode payload: %w", h.Name, err)
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	if h.Type == "" {
		h.Type = core.Rollout
	}
	wait := w.backoff
	for attempt := 0; ; attempt++ {
		status, answer, err := w.post(ctx, h.URL, body, timeout)
		if err == nil && core.HookPassed(status) {
			return status, nil
		}
		if err == nil {
			err = fmt.Errorf("answered %d %s%s", status, http.StatusText(status), answer)
		}
		last := attempt >= h.Retries || !retriable(status) || ctx.Err() != nil
		if last {
			tries := ""
			if attempt > 0 {
				tries = fmt.Sprintf(" after %d attempts", attempt+1)
			}
			return status, fmt.Errorf("webhook %s (%s %s)%s: %w", h.Name, h.Type, h.URL, tries, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return status, fmt.Errorf("webhook %s (%s %s): %w (while waiting to retry after: %v)", h.Name, h.Type, h.URL, ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, w.maxBackoff)
	}
}

// post makes one attempt: the status and an excerpt of a refusal's body.
func (w *Webhooks) post(ctx context.Context, target string, body []byte, timeout time.Duration) (int, string, error) {
	w.attempts.Add(1)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, "", fmt.Errorf("no answer within %s: raise the hook's timeout or fix the endpoint", timeout)
		}
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	answer := ""
	if s := strings.TrimSpace(string(b)); s != "" && !core.HookPassed(resp.StatusCode) {
		answer = ": " + s
	}
	return resp.StatusCode, answer, nil
}

// retriable: no answer (status 0), too many requests, or a server error
// that may pass (501 Not Implemented will not).
func retriable(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented)
}

// LoadTestHooks turns Kurator's webhooks.command list into rollout hooks
// for a Flagger load tester at url, as Kurator renders them: one hook per
// command, named generated-testload-<i>, with metadata {type: cmd, cmd}.
func LoadTestHooks(url string, commands []string, timeout time.Duration) []Hook {
	hooks := make([]Hook, 0, len(commands))
	for i, cmd := range commands {
		hooks = append(hooks, Hook{Name: fmt.Sprintf("generated-testload-%d", i), URL: url, Type: core.Rollout,
			Timeout: timeout, Metadata: map[string]string{"type": "cmd", "cmd": cmd}})
	}
	return hooks
}
