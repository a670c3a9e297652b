package analysis

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	core "github.com/kurator-go/kurator/pkg/analysis"
)

// hookServer answers with the statuses given, one per request (the last
// repeats), and records what it received.
type hookServer struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
	types    []string
	methods  []string
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	n := len(h.bodies)
	h.bodies = append(h.bodies, string(b))
	h.types = append(h.types, r.Header.Get("Content-Type"))
	h.methods = append(h.methods, r.Method)
	status := h.statuses[min(n, len(h.statuses)-1)]
	h.mu.Unlock()
	w.WriteHeader(status)
	if status > 202 {
		_, _ = io.WriteString(w, "gate closed\n")
	}
}

func (h *hookServer) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func TestWebhookCall(t *testing.T) {
	payload := core.Payload{Name: "reviews", Namespace: "bookinfo", Phase: "Progressing", Checksum: "abc123",
		Metadata: map[string]string{"cluster": "cluster-hangzhou", "type": "payload"}}
	cases := []struct {
		name         string
		statuses     []int
		hook         Hook
		wantStatus   int
		wantErr      []string // fragments; none means err == nil
		wantRequests int
	}{
		{name: "200 passes in one request", statuses: []int{200}, wantStatus: 200, wantRequests: 1},
		{name: "202 passes", statuses: []int{202}, wantStatus: 202, wantRequests: 1},
		{name: "204 fails (above 202)", statuses: []int{204}, wantStatus: 204, wantRequests: 1,
			wantErr: []string{"answered 204 No Content"}},
		{name: "403 from a closed gate fails at once, without retries, quoting the body",
			statuses: []int{403}, hook: Hook{Retries: 3}, wantStatus: 403, wantRequests: 1,
			wantErr: []string{"webhook gate (confirm-promotion http://", "answered 403 Forbidden: gate closed"}},
		{name: "503 then 200 passes on the retry", statuses: []int{503, 200}, hook: Hook{Retries: 2},
			wantStatus: 200, wantRequests: 2},
		{name: "500 on every attempt fails after retries+1 requests", statuses: []int{500}, hook: Hook{Retries: 2},
			wantStatus: 500, wantRequests: 3, wantErr: []string{"after 3 attempts", "answered 500"}},
		{name: "500 without retries is one request", statuses: []int{500}, wantStatus: 500, wantRequests: 1,
			wantErr: []string{"answered 500"}},
		{name: "501 is not retried", statuses: []int{501}, hook: Hook{Retries: 2}, wantStatus: 501, wantRequests: 1,
			wantErr: []string{"answered 501"}},
		{name: "429 is retried", statuses: []int{429, 201}, hook: Hook{Retries: 1}, wantStatus: 201, wantRequests: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := &hookServer{statuses: c.statuses}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			w := NewWebhooks()
			w.backoff = time.Millisecond
			h := c.hook
			h.Name, h.URL, h.Type = "gate", ts.URL+"/gate/check", core.ConfirmPromotion
			status, err := w.Call(context.Background(), h, payload)
			if status != c.wantStatus {
				t.Errorf("status = %d, want %d", status, c.wantStatus)
			}
			if (err == nil) != core.HookPassed(status) {
				t.Errorf("err = %v with status %d: err must be nil exactly when the status passes", err, status)
			}
			if len(c.wantErr) == 0 && err != nil {
				t.Errorf("err = %v, want nil", err)
			}
			for _, want := range c.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
			if got := srv.requests(); got != c.wantRequests {
				t.Errorf("requests = %d, want %d", got, c.wantRequests)
			}
			if s := w.Stats(); s.Calls != 1 || s.Attempts != int64(c.wantRequests) {
				t.Errorf("Stats = %+v, want 1 call, %d attempts", s, c.wantRequests)
			}
		})
	}
}

func TestWebhookPayloadIsFlaggersJSON(t *testing.T) {
	srv := &hookServer{statuses: []int{200}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	h := Hook{Name: "load", URL: ts.URL, Type: core.Rollout, Metadata: map[string]string{"cmd": "hey -z 1m http://reviews:9080/", "type": "cmd"}}
	p := core.Payload{Name: "reviews", Namespace: "bookinfo", Phase: "Progressing", Checksum: "abc123",
		Metadata: map[string]string{"cluster": "cluster-hangzhou", "type": "payload"}}
	if _, err := NewWebhooks().Call(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if srv.methods[0] != http.MethodPost || srv.types[0] != "application/json" {
		t.Errorf("request = %s with Content-Type %q, want POST application/json", srv.methods[0], srv.types[0])
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(srv.bodies[0]), &got); err != nil {
		t.Fatalf("body %q: %v", srv.bodies[0], err)
	}
	want := map[string]any{"name": "reviews", "namespace": "bookinfo", "phase": "Progressing", "checksum": "abc123",
		"metadata": map[string]any{"cluster": "cluster-hangzhou", "cmd": "hey -z 1m http://reviews:9080/", "type": "cmd"}}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("body = %s, want %s (the hook's metadata wins over the payload's)", gotJSON, wantJSON)
	}
	if p.Metadata["type"] != "payload" {
		t.Errorf("the caller's payload metadata changed: %v", p.Metadata)
	}
}

func TestWebhookTimeoutsAndBadURLs(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	attempts := 0
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	t.Run("an attempt slower than the timeout fails naming the timeout, and is retried", func(t *testing.T) {
		w := NewWebhooks()
		w.backoff = time.Millisecond
		status, err := w.Call(context.Background(), Hook{Name: "slow", URL: slow.URL, Timeout: 100 * time.Millisecond, Retries: 1}, core.Payload{})
		if status != 0 || err == nil || !strings.Contains(err.Error(), "no answer within 100ms") || !strings.Contains(err.Error(), slow.URL) {
			t.Fatalf("Call = %d, %v; want 0 and an error naming the URL and the timeout", status, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if attempts != 2 {
			t.Errorf("attempts = %d, want 2 (one retry)", attempts)
		}
	})

	t.Run("a cancelled context stops the retries", func(t *testing.T) {
		w := NewWebhooks()
		w.backoff = time.Hour
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := w.Call(ctx, Hook{Name: "slow", URL: slow.URL, Timeout: 50 * time.Millisecond, Retries: 5}, core.Payload{})
		if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
			t.Fatalf("err = %v, want the context's deadline", err)
		}
		if elapsed := time.Since(start); elapsed > 10*time.Second {
			t.Errorf("Call took %s: it waited out the backoff instead of the context", elapsed)
		}
	})

	t.Run("nothing listening fails with status 0 naming the hook", func(t *testing.T) {
		_, err := NewWebhooks().Call(context.Background(), Hook{Name: "gone", URL: "http://" + freeAddress(t)}, core.Payload{})
		if err == nil || !strings.Contains(err.Error(), "webhook gone") || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("err = %v", err)
		}
	})

	for _, u := range []string{"", "reviews:9080/hook", "ftp://x/", "http://"} {
		t.Run("url "+u+" is refused with an example", func(t *testing.T) {
			status, err := NewWebhooks().Call(context.Background(), Hook{Name: "bad", URL: u}, core.Payload{})
			if status != 0 || err == nil || !strings.Contains(err.Error(), "webhook bad") || !strings.Contains(err.Error(), "http://flagger-loadtester") {
				t.Fatalf("Call = %d, %v", status, err)
			}
		})
	}
}

func TestRollbackHookPassMeansRollBack(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		rollback bool
	}{
		{name: "200 asks for a rollback", status: 200, rollback: true},
		{name: "404 does not", status: 404, rollback: false},
		{name: "500 does not", status: 500, rollback: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := httptest.NewServer(&hookServer{statuses: []int{c.status}})
			defer ts.Close()
			status, _ := NewWebhooks().Call(context.Background(), Hook{Name: "rb", URL: ts.URL, Type: core.RollbackHook}, core.Payload{})
			if core.HookPassed(status) != c.rollback {
				t.Errorf("status %d: rollback = %v, want %v", status, core.HookPassed(status), c.rollback)
			}
		})
	}
}

func TestLoadTestHooksSendKuratorsCommandsToTheLoadTester(t *testing.T) {
	srv := &hookServer{statuses: []int{200}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	hooks := LoadTestHooks(ts.URL+"/", []string{"hey -z 1m -q 10 http://reviews.bookinfo:9080/", "curl -s http://reviews.bookinfo:9080/health"}, 15*time.Second)
	if len(hooks) != 2 || hooks[1].Name != "generated-testload-1" || hooks[0].Type != core.Rollout || hooks[0].Timeout != 15*time.Second {
		t.Fatalf("hooks = %+v", hooks)
	}
	w := NewWebhooks()
	for _, h := range hooks {
		if _, err := w.Call(context.Background(), h, core.Payload{Name: "reviews", Namespace: "bookinfo", Phase: "Progressing"}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct{ Metadata map[string]string }
	if err := json.Unmarshal([]byte(srv.bodies[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Metadata["type"] != "cmd" || got.Metadata["cmd"] != "curl -s http://reviews.bookinfo:9080/health" {
		t.Errorf("second call's metadata = %v, want {type: cmd, cmd: the second command}", got.Metadata)
	}
}
