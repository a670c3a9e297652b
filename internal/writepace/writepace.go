// Package writepace decides when a controller writes a status it has
// computed, so a burst of member changes costs the hub one write instead of
// one per change. A status that settles something (every object healthy, a
// failure, a new outcome) is written at once; progress in between (replicas
// 1 of 3, then 2 of 3) waits until it has been pending for Hold and is at
// least Interval after the previous write, and the workqueue merges the
// events that arrive while it waits.
//
// A Pacer is keyed by object; controllers call Wait before a write, Wrote
// after it and Forget when the object is gone.
package writepace

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Defaults for Hold and Interval.
const (
	// DefaultHold is how long progress waits before its first write: a
	// Deployment applied to a member is usually ready within it, so the
	// Applied condition and the ready status go up together.
	DefaultHold = 2 * time.Second
	// DefaultInterval spaces progress writes of one object.
	DefaultInterval = 5 * time.Second
)

// Pacer paces the status writes of many objects.
type Pacer struct {
	Hold, Interval time.Duration
	now            func() time.Time

	mu    sync.Mutex
	state map[types.NamespacedName]*pace
}

type pace struct {
	// pendingSince is when the unwritten change was first seen (zero: none).
	pendingSince time.Time
	lastWrite    time.Time
}

// New returns a Pacer with the given hold and interval (0: the defaults).
func New(hold, interval time.Duration) *Pacer {
	if hold <= 0 {
		hold = DefaultHold
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Pacer{Hold: hold, Interval: interval, now: time.Now, state: map[types.NamespacedName]*pace{}}
}

// Wait says how long to hold key's changed status: 0 means write now.
// settled marks a status worth showing at once.
func (p *Pacer) Wait(key types.NamespacedName, settled bool) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	s := p.state[key]
	if s == nil {
		s = &pace{}
		p.state[key] = s
	}
	if s.pendingSince.IsZero() {
		s.pendingSince = now
	}
	if settled {
		return 0
	}
	due := s.pendingSince.Add(p.Hold)
	if !s.lastWrite.IsZero() {
		if next := s.lastWrite.Add(p.Interval); next.After(due) {
			due = next
		}
	}
	return max(due.Sub(now), 0)
}

// Wrote records a write of key now; the pending change is gone.
func (p *Pacer) Wrote(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state[key]
	if s == nil {
		s = &pace{}
		p.state[key] = s
	}
	s.pendingSince, s.lastWrite = time.Time{}, p.now()
}

// Settle drops key's pending change without a write: the status came back
// to what is stored.
func (p *Pacer) Settle(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.state[key]; s != nil {
		s.pendingSince = time.Time{}
	}
}

// Forget drops what is known of key (the object is gone).
func (p *Pacer) Forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.state, key)
}
