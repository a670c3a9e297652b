package status

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// DefaultWriteInterval is the least time between two status writes of one
// object by a status controller.
const DefaultWriteInterval = time.Second

// writeLog remembers this controller's last status write of each object, to
// spend fewer hub writes:
//   - writes to one object are spaced by interval: member status changes in
//     bursts (a Deployment's replicas, then ready, then available), and the
//     workqueue merges the events that arrive while the object waits, so a
//     burst costs one write; the hub's CPU goes to making workloads present;
//   - a reconcile that reads the object from a cache that does not show the
//     last write yet skips writing: the write would fail with a conflict and
//     only repeat what is already stored.
type writeLog struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	last map[types.NamespacedName]write
}

type write struct {
	at time.Time
	// from and to are the object's resourceVersion before and after it.
	from, to string
}

func newWriteLog(interval time.Duration) *writeLog {
	return &writeLog{interval: interval, now: time.Now, last: map[types.NamespacedName]write{}}
}

// hold says whether to write key's status now, given the resourceVersion the
// reconcile read: not while the cache still shows the object from before
// the last write (stale), nor within interval of it (wait > 0).
func (l *writeLog) hold(key types.NamespacedName, cachedVersion string) (wait time.Duration, stale bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.last[key]
	if !ok {
		return 0, false
	}
	if cachedVersion == w.from && w.to != w.from {
		return 0, true
	}
	wait = w.at.Add(l.interval).Sub(l.now())
	if wait <= 0 && cachedVersion != w.from {
		delete(l.last, key) // the cache caught up and the interval passed
	}
	return max(wait, 0), false
}

// wrote records a status write of key that moved it from one
// resourceVersion to another.
func (l *writeLog) wrote(key types.NamespacedName, from, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last[key] = write{at: l.now(), from: from, to: to}
}

// forget drops what is known of key (the object is gone).
func (l *writeLog) forget(key types.NamespacedName) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, key)
}

// pacer spaces one controller's status writes of each object by interval
// (member status changes in bursts, and the workqueue merges the events
// that arrive while the object waits). Unlike writeLog it tracks no
// versions: a writer that applies only its own fields server-side cannot
// conflict with a stale cache.
type pacer struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	last map[types.NamespacedName]time.Time
}

func newPacer(interval time.Duration) *pacer {
	return &pacer{interval: interval, now: time.Now, last: map[types.NamespacedName]time.Time{}}
}

// wait is how long to hold key's next write; 0 means write now.
func (p *pacer) wait(key types.NamespacedName) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.last[key]
	if !ok {
		return 0
	}
	w := at.Add(p.interval).Sub(p.now())
	if w <= 0 {
		delete(p.last, key)
		return 0
	}
	return w
}

// wrote records a write of key now.
func (p *pacer) wrote(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[key] = p.now()
}

// forget drops key (the object is gone).
func (p *pacer) forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.last, key)
}
