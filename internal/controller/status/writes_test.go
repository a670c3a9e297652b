package status

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func TestWriteLogHold(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "w"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		wrote     bool
		from, to  string
		cached    string
		after     time.Duration
		wantWait  time.Duration
		wantStale bool
	}{
		{name: "never written: write now", cached: "5"},
		{name: "cache shows the version before our write: stale", wrote: true, from: "5", to: "6", cached: "5", after: 2 * time.Second, wantStale: true},
		{name: "cache caught up, 300ms after the write: wait the rest", wrote: true, from: "5", to: "6", cached: "6", after: 300 * time.Millisecond, wantWait: 700 * time.Millisecond},
		{name: "cache caught up, interval passed: write now", wrote: true, from: "5", to: "6", cached: "6", after: time.Second},
		{name: "a write that changed nothing is no reason to call the cache stale", wrote: true, from: "5", to: "5", cached: "5", after: 2 * time.Second},
		{name: "someone else wrote since: only the interval counts", wrote: true, from: "5", to: "6", cached: "7", after: 100 * time.Millisecond, wantWait: 900 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newWriteLog(time.Second)
			now := t0
			l.now = func() time.Time { return now }
			if tc.wrote {
				l.wrote(key, tc.from, tc.to)
			}
			now = now.Add(tc.after)
			wait, stale := l.hold(key, tc.cached)
			if wait != tc.wantWait || stale != tc.wantStale {
				t.Errorf("hold = %s, stale %v; want %s, stale %v", wait, stale, tc.wantWait, tc.wantStale)
			}
		})
	}
}

func TestWriteLogForgetsWhenCaughtUp(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "w"}
	l := newWriteLog(time.Second)
	now := time.Now()
	l.now = func() time.Time { return now }
	l.wrote(key, "5", "6")
	now = now.Add(2 * time.Second)
	l.hold(key, "6")
	if len(l.last) != 0 {
		t.Errorf("entry kept after the cache caught up and the interval passed: %v", l.last)
	}
	l.wrote(key, "6", "7")
	l.forget(key)
	if len(l.last) != 0 {
		t.Errorf("forget kept %v", l.last)
	}
}

func TestPacerSpacesWritesOfOneObject(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := newPacer(time.Second)
	p.now = func() time.Time { return now }
	a, b := types.NamespacedName{Name: "a"}, types.NamespacedName{Name: "b"}
	if w := p.wait(a); w != 0 {
		t.Fatalf("first write of a waits %v, want 0", w)
	}
	p.wrote(a)
	now = now.Add(300 * time.Millisecond)
	if w := p.wait(a); w != 700*time.Millisecond {
		t.Errorf("a 300ms after its write waits %v, want 700ms", w)
	}
	if w := p.wait(b); w != 0 {
		t.Errorf("b waits %v for a's write, want 0", w)
	}
	now = now.Add(700 * time.Millisecond)
	if w := p.wait(a); w != 0 {
		t.Errorf("a one interval after its write waits %v, want 0", w)
	}
	p.wrote(a)
	p.forget(a)
	if w := p.wait(a); w != 0 {
		t.Errorf("a forgotten waits %v, want 0", w)
	}
}

func TestCollectedStatusLetsGoOfDroppedManifests(t *testing.T) {
	w := &workv1alpha1.Work{}
	w.Name, w.Namespace = "web", "kurator-member-a"
	w.Status.ManifestStatuses = []workv1alpha1.ManifestStatus{
		{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Ordinal: 0, Version: "v1", Kind: "ConfigMap", Name: "c"}, Health: workv1alpha1.ResourceHealthy},
		// Dropped by execution: only our fields are left.
		{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Ordinal: 1}, Health: workv1alpha1.ResourceHealthy},
	}
	entries, _, _ := unstructured.NestedSlice(collectedStatus(w).Object, "status", "manifestStatuses")
	if len(entries) != 1 || entries[0].(map[string]any)["ordinal"] != int64(0) || entries[0].(map[string]any)["health"] != string(workv1alpha1.ResourceHealthy) {
		t.Errorf("entries %v, want only ordinal 0 with its health", entries)
	}
	if _, ok := entries[0].(map[string]any)["kind"]; ok {
		t.Error("the collector must not claim execution's identifying fields")
	}
}
