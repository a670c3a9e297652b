package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// statusBatch holds the Work statuses waiting to be written. A sync offers
// the status it computed; the status loop writes what is pending once per
// interval. A newer offer replaces a pending one, so a burst of member
// changes costs one write, and an offer equal to what the hub holds (or to
// what was last written, while the informer has not caught up) is dropped.
type statusBatch struct {
	mu      gosync.Mutex
	pending map[string]pendingStatus
	// written is the body of the last write of each Work the hub accepted.
	written map[string][]byte
}

type pendingStatus struct {
	namespace string
	body      []byte
}

func newStatusBatch() *statusBatch {
	return &statusBatch{pending: map[string]pendingStatus{}, written: map[string][]byte{}}
}

// offer queues work's status unless it equals base (the status the hub
// holds, as the informer last saw it) or the last write.
func (b *statusBatch) offer(name string, base *workv1alpha1.WorkStatus, work *workv1alpha1.Work) {
	body, err := statusBody(&work.Status)
	if err != nil {
		return // cannot happen for values decoded from JSON
	}
	have, err := statusBody(base)
	b.mu.Lock()
	defer b.mu.Unlock()
	if (err == nil && bytes.Equal(body, have)) || bytes.Equal(body, b.written[name]) {
		delete(b.pending, name)
		return
	}
	b.pending[name] = pendingStatus{namespace: work.Namespace, body: body}
}

// forget drops what is known of a Work (it is being deleted or gone).
func (b *statusBatch) forget(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, name)
	delete(b.written, name)
}

func (b *statusBatch) pendingCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

func (b *statusBatch) snapshot() map[string]pendingStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]pendingStatus, len(b.pending))
	for k, v := range b.pending {
		out[k] = v
	}
	return out
}

// done records the outcome of writing p for name: written, or gone from the
// hub. A newer offer made during the write stays pending.
func (b *statusBatch) done(name string, p pendingStatus, gone bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.pending[name]; ok && bytes.Equal(cur.body, p.body) {
		delete(b.pending, name)
	}
	if gone {
		delete(b.written, name)
		return
	}
	b.written[name] = p.body
}

// agentStatus is the part of a Work's status the agent writes: the Applied
// condition and every manifest entry.
type agentStatus struct {
	Conditions       []metav1.Condition            `json:"conditions,omitempty"`
	ManifestStatuses []workv1alpha1.ManifestStatus `json:"manifestStatuses,omitempty"`
}

// statusBody is the agent's part of st as canonical JSON (sorted keys,
// times in seconds), so equal statuses compare equal however their embedded
// raw statuses were formatted.
func statusBody(st *workv1alpha1.WorkStatus) ([]byte, error) {
	part := agentStatus{ManifestStatuses: st.ManifestStatuses}
	for _, c := range st.Conditions {
		if c.Type == workv1alpha1.ConditionApplied {
			part.Conditions = append(part.Conditions, c)
		}
	}
	raw, err := json.Marshal(part)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// statusLoop writes the pending statuses once per StatusInterval.
func (s *Syncer) statusLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.flushStatus(ctx)
		}
	}
}

// flushStatus writes every pending status once, Workers at a time. When
// the hub cannot be reached the round stops: the rest waits for the next.
func (s *Syncer) flushStatus(ctx context.Context) {
	pending := s.status.snapshot()
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.opts.Workers)
	var wg gosync.WaitGroup
	for name, p := range pending {
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := s.writeStatus(ctx, name, p)
			switch {
			case err == nil:
				s.status.done(name, p, false)
			case apierrors.IsNotFound(err):
				s.status.done(name, p, true)
			default:
				if ctx.Err() != nil {
					return // the round was stopped
				}
				s.stats.statusWriteFailed.Add(1)
				log.FromContext(ctx).Error(err, "write Work status; retried next interval", "work", p.namespace+"/"+name)
				var status apierrors.APIStatus
				if !errors.As(err, &status) {
					cancel() // the hub is not answering
				}
			}
		})
	}
	wg.Wait()
}

// writeStatus applies the agent's part of one Work's status on the hub.
func (s *Syncer) writeStatus(ctx context.Context, name string, p pendingStatus) error {
	patch, err := json.Marshal(map[string]any{
		"apiVersion": workv1alpha1.GroupVersion.String(),
		"kind":       "Work",
		"metadata":   map[string]any{"name": name, "namespace": p.namespace},
		"status":     json.RawMessage(p.body),
	})
	if err != nil {
		return err
	}
	w := &workv1alpha1.Work{}
	w.Namespace, w.Name = p.namespace, name
	err = s.opts.Hub.Status().Patch(ctx, w, client.RawPatch(types.ApplyPatchType, patch), client.FieldOwner(FieldManager), client.ForceOwnership)
	if err != nil {
		return fmt.Errorf("apply status of Work %s/%s: %w%s", p.namespace, name, err, forbiddenHint(err, "patch on works/status"))
	}
	s.stats.statusWrites.Add(1)
	s.stats.statusBytes.Add(int64(len(patch)))
	return nil
}
