package status

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// writeLog remembers this controller's last status write of each object, so
// a reconcile that reads the object from a cache that does not show that
// write yet skips writing: the write would only repeat what is stored.
// (When to write is internal/writepace's decision.)
type writeLog struct {
	mu   sync.Mutex
	last map[types.NamespacedName]write
}

// write is one status write: the object's resourceVersion before and after.
type write struct{ from, to string }

func newWriteLog() *writeLog { return &writeLog{last: map[types.NamespacedName]write{}} }

// stale says whether the cache still shows key as it was before our last
// write, given the resourceVersion the reconcile read. Once the cache shows
// another version the entry is dropped.
func (l *writeLog) stale(key types.NamespacedName, cachedVersion string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.last[key]
	if !ok {
		return false
	}
	if cachedVersion == w.from && w.to != w.from {
		return true
	}
	delete(l.last, key)
	return false
}

// wrote records a status write of key that moved it from one
// resourceVersion to another.
func (l *writeLog) wrote(key types.NamespacedName, from, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last[key] = write{from: from, to: to}
}

// forget drops what is known of key (the object is gone).
func (l *writeLog) forget(key types.NamespacedName) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, key)
}
