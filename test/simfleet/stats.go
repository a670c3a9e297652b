package simfleet

import (
	"sync/atomic"
)

// verb is what a request did, as Stats names it.
type verb int

const (
	verbGet verb = iota
	verbList
	verbWatch
	verbCreate
	verbUpdate
	verbPatch
	verbApply
	verbDelete
	numVerbs
)

var verbNames = [numVerbs]string{"GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "APPLY", "DELETE"}

// path is a request outside the resource API.
type path int

const (
	pathReadyz path = iota
	pathHealthz
	pathLivez
	pathVersion
	pathDiscovery
	pathNotFound
	numPaths
)

var pathNames = [numPaths]string{"GET /readyz", "GET /healthz", "GET /livez", "GET /version", "GET discovery", "GET other (404)"}

// counters are kept lock-free: every request bumps one, from many
// goroutines at once.
type counters struct {
	byVerb         [numVerbs][]atomic.Int64 // [verb][resource idx]
	byPath         [numPaths]atomic.Int64
	applies        atomic.Int64
	noopWrites     atomic.Int64
	watchesOpen    atomic.Int64
	watchEvents    atomic.Int64
	injectedErrors atomic.Int64
	downRefused    atomic.Int64
	readyWrites    atomic.Int64
}

func (c *counters) init() {
	for v := range c.byVerb {
		c.byVerb[v] = make([]atomic.Int64, len(resources))
	}
}

// Stats are the fleet's counters since Start, summed over the clusters.
type Stats struct {
	// Requests counts requests by verb and resource, the cluster left out:
	// "APPLY deployments.apps", "LIST pods", "WATCH deployments.apps",
	// "GET /readyz", "GET discovery" (every discovery document), ...
	// Requests refused because the cluster was down or answered with an
	// injected error are counted too.
	Requests map[string]int64
	// Applies is how many server-side applies were accepted (a no-op
	// apply included).
	Applies int64
	// NoopWrites is how many accepted writes changed nothing (no new
	// resourceVersion, no event), as a real API server skips them.
	NoopWrites int64
	// ReadyWrites is how many times a workload's status was turned ready.
	ReadyWrites int64
	// WatchesOpen is how many watches are open now.
	WatchesOpen int64
	// WatchEvents is how many watch events were sent (bookmarks included).
	WatchEvents int64
	// InjectedErrors is how many mutating requests got the 500 of
	// Options.ErrorRate.
	InjectedErrors int64
	// DownRefused is how many requests a down cluster refused.
	DownRefused int64
}

// Stats returns the counters.
func (f *Fleet) Stats() Stats {
	c := &f.stats
	s := Stats{
		Requests:       map[string]int64{},
		Applies:        c.applies.Load(),
		NoopWrites:     c.noopWrites.Load(),
		ReadyWrites:    c.readyWrites.Load(),
		WatchesOpen:    c.watchesOpen.Load(),
		WatchEvents:    c.watchEvents.Load(),
		InjectedErrors: c.injectedErrors.Load(),
		DownRefused:    c.downRefused.Load(),
	}
	for v := range c.byVerb {
		for i := range c.byVerb[v] {
			if n := c.byVerb[v][i].Load(); n > 0 {
				s.Requests[verbNames[v]+" "+resources[i].groupResource()] = n
			}
		}
	}
	for p := range c.byPath {
		if n := c.byPath[p].Load(); n > 0 {
			s.Requests[pathNames[p]] = n
		}
	}
	return s
}
