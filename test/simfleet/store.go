package simfleet

import (
	"encoding/json"
	"sort"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/labels"
)

// historySize is how many recent events a cluster keeps so that a watch can
// resume from a resourceVersion (after its timeout, or a list a moment
// earlier). Older resourceVersions get 410 Gone and the client relists, as
// against a real API server whose watch cache moved on. It is kept small
// because the events hold old object versions alive.
const historySize = 128

// maxQueued bounds the events waiting for one slow watch; beyond it the
// watch is ended and the client resumes or relists.
const maxQueued = 50000

// object is one stored object version. It is immutable once stored: the
// history and the watch queues share it.
type object struct {
	namespace  string
	name       string
	uid        string
	created    string // metadata.creationTimestamp
	rv         uint64
	generation int64
	labels     labels.Set
	// raw is the object's JSON, metadata.resourceVersion included: what GET,
	// LIST and watch events send.
	raw []byte
	// system objects (the namespaces every cluster starts with) do not count
	// in Objects.
	system bool
	// work is set for workloads: what their synthetic pods look like.
	work *workloadFacts
}

// workloadFacts is what a workload implies for the synthetic pods.
type workloadFacts struct {
	pods           int64           // replicas (DaemonSet: one per node; Job: parallelism)
	ready          bool            // the readiness status of the current generation was written
	templateLabels labels.Set      // the pods' labels
	containers     json.RawMessage // spec.template.spec.containers, name/image/resources only
	// pods caches the encoded pods of this object version (the hub lists
	// every cluster's pods at each probe). Built and read under the
	// cluster's lock; a new version starts without it.
	podCache [][]byte
}

func (o *object) key() string { return objectKey(o.namespace, o.name) }

func objectKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// event is one change in a cluster, in resourceVersion order.
type event struct {
	typ  string // ADDED, MODIFIED, DELETED
	res  *resource
	prev *object // before the change (nil for ADDED)
	cur  *object // after the change; for DELETED the last version, at the deletion's resourceVersion
}

// cluster is one simulated member: its objects, its recent events and its
// open watches, all under mu. Clusters never share a lock, so requests to
// different clusters run in parallel.
type cluster struct {
	name string
	down atomic.Bool

	mu      sync.Mutex
	rv      uint64
	objects []map[string]*object // by resource idx, then objectKey
	// history is a ring of the last historySize events; floor is the
	// resourceVersion below which a watch cannot resume.
	history  [historySize]event
	hnext    int
	hlen     int
	floor    uint64
	watchers map[*watcher]struct{}
	ipSeq    uint32
}

func newCluster(name string) *cluster {
	c := &cluster{name: name, objects: make([]map[string]*object, len(resources)), watchers: map[*watcher]struct{}{}}
	for i := range c.objects {
		c.objects[i] = map[string]*object{}
	}
	return c
}

// nextRV returns the next resourceVersion. Callers hold mu.
func (c *cluster) nextRV() uint64 {
	c.rv++
	return c.rv
}

// put stores o (already carrying its new resourceVersion) and tells the
// watches. Callers hold mu.
func (c *cluster) put(res *resource, prev, o *object) {
	c.objects[res.idx][o.key()] = o
	typ := "MODIFIED"
	if prev == nil {
		typ = "ADDED"
	}
	c.emit(event{typ: typ, res: res, prev: prev, cur: o})
}

// remove deletes the stored object (last is its final version at the
// deletion's resourceVersion) and tells the watches. Callers hold mu.
func (c *cluster) remove(res *resource, prev, last *object) {
	delete(c.objects[res.idx], prev.key())
	c.emit(event{typ: "DELETED", res: res, prev: prev, cur: last})
}

func (c *cluster) emit(ev event) {
	if c.hlen == historySize {
		// The oldest event drops out: a watch from before it cannot resume.
		c.floor = c.history[c.hnext].cur.rv
	} else {
		c.hlen++
	}
	c.history[c.hnext] = ev
	c.hnext = (c.hnext + 1) % historySize
	for w := range c.watchers {
		if w.res == ev.res {
			w.offer(ev)
		}
	}
}

// since returns the events after rv for watches of res, and whether the
// history still reaches back that far. Callers hold mu.
func (c *cluster) since(rv uint64, res *resource) ([]event, bool) {
	if rv < c.floor {
		return nil, false
	}
	var out []event
	start := (c.hnext - c.hlen + historySize) % historySize
	for i := 0; i < c.hlen; i++ {
		ev := c.history[(start+i)%historySize]
		if ev.res == res && ev.cur.rv > rv {
			out = append(out, ev)
		}
	}
	return out, true
}

// list returns the stored objects of res matching the filter, sorted by key
// (so that limit/continue pages are stable). Callers hold mu.
func (c *cluster) list(res *resource, f filter) []*object {
	out := make([]*object, 0, len(c.objects[res.idx]))
	for _, o := range c.objects[res.idx] {
		if f.matches(o) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// count is how many objects of res (nil: of every stored resource) the
// cluster holds, the system namespaces left out.
func (c *cluster) count(res *resource) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for i, objs := range c.objects {
		if res != nil && i != res.idx {
			continue
		}
		for _, o := range objs {
			if !o.system {
				n++
			}
		}
	}
	return n
}

// filter is a list's or watch's selection: namespace, label selector and
// the metadata.name / metadata.namespace field selectors.
type filter struct {
	namespace string
	name      string
	selector  labels.Selector
}

func (f filter) matches(o *object) bool {
	if o == nil {
		return false
	}
	if f.namespace != "" && o.namespace != f.namespace {
		return false
	}
	if f.name != "" && o.name != f.name {
		return false
	}
	return f.selector == nil || f.selector.Empty() || f.selector.Matches(o.labels)
}

// watcher is one open watch. Events are queued (not sent) under the
// cluster's lock, so a slow client never holds the cluster up; the handler
// goroutine drains the queue.
type watcher struct {
	res    *resource
	filter filter

	mu       sync.Mutex
	queue    []watchEvent
	overflow bool
	wake     chan struct{} // capacity 1: something was queued
	gone     chan struct{} // closed when the cluster goes down or the fleet closes
	goneOnce sync.Once
}

// watchEvent is one line of a watch: an object event, or a BOOKMARK at rv
// (initialEnd: the end of the initial events a watch-list asked for).
type watchEvent struct {
	typ        string
	obj        *object
	rv         uint64
	initialEnd bool
}

func newWatcher(res *resource, f filter) *watcher {
	return &watcher{res: res, filter: f, wake: make(chan struct{}, 1), gone: make(chan struct{})}
}

// offer queues what ev means for this watch: a change of an object that
// enters the selection is ADDED for it, one that leaves it is DELETED.
func (w *watcher) offer(ev event) {
	was, is := w.filter.matches(ev.prev), w.filter.matches(ev.cur)
	typ := ev.typ
	switch {
	case ev.typ == "DELETED":
		if !was {
			return
		}
	case was && is:
	case is:
		typ = "ADDED"
	case was:
		typ = "DELETED"
	default:
		return
	}
	w.mu.Lock()
	if len(w.queue) >= maxQueued {
		w.overflow = true
	} else {
		w.queue = append(w.queue, watchEvent{typ: typ, obj: ev.cur})
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// take returns the queued events and empties the queue.
func (w *watcher) take() ([]watchEvent, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	return q, w.overflow
}

func (w *watcher) close() { w.goneOnce.Do(func() { close(w.gone) }) }
