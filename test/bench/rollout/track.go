package main

import (
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// tracker records, per Rollout, the moments the bench saw each cluster's
// canary weight or phase change after the run started. Observations come
// from a 20 ms poll (one rollout) or a watch (many).
type tracker struct {
	mu     sync.Mutex
	tracks map[string]*track
}

type track struct {
	initialized bool
	// start is when the image update was sent (zero: not started).
	start time.Time
	last  map[string]state
	// changes per cluster, in the order seen.
	changes map[string][]change
	// done is when the Rollout was first seen Succeeded after start.
	done time.Time
	// failed is the status when it was seen Failed.
	failed string
}

type state struct {
	weight int
	phase  appsv1alpha1.ClusterPhase
}

type change struct {
	at time.Time
	state
	// lastCheck is the cluster's status.lastCheckTime with the change:
	// the next check is due one interval after it.
	lastCheck time.Time
}

func newTracker() *tracker { return &tracker{tracks: map[string]*track{}} }

func (t *tracker) get(key string) *track {
	tr := t.tracks[key]
	if tr == nil {
		tr = &track{last: map[string]state{}, changes: map[string][]change{}}
		t.tracks[key] = tr
	}
	return tr
}

func (t *tracker) observe(ro *appsv1alpha1.Rollout, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := t.get(ro.Namespace + "/" + ro.Name)
	if ro.Status.Phase == appsv1alpha1.PhaseInitialized {
		tr.initialized = true
	}
	if tr.start.IsZero() || !tr.done.IsZero() || tr.failed != "" {
		return
	}
	for _, c := range ro.Status.Clusters {
		s := state{c.CanaryWeight, c.Phase}
		if prev, ok := tr.last[c.Name]; !ok || prev != s {
			tr.last[c.Name] = s
			ch := change{at: now, state: s}
			if c.LastCheckTime != nil {
				ch.lastCheck = c.LastCheckTime.Time
			}
			tr.changes[c.Name] = append(tr.changes[c.Name], ch)
		}
	}
	switch ro.Status.Phase {
	case appsv1alpha1.PhaseSucceeded:
		tr.done = now
	case appsv1alpha1.PhaseFailed:
		tr.failed = describe(ro)
	}
}

// started marks the run of key as begun now: only changes seen from here
// on count.
func (t *tracker) started(key string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(key).start = at
}

// count reports how many of keys are initialized, done and failed (with
// one failure's status).
func (t *tracker) count(keys []string) (initialized, done, failed int, failure string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		tr := t.get(k)
		if tr.initialized {
			initialized++
		}
		if !tr.done.IsZero() {
			done++
		}
		if tr.failed != "" {
			failed++
			failure = k + ": " + tr.failed
		}
	}
	return
}

// result is what the runs of keys took.
type result struct {
	// gaps are, per gated step, how long after the previous step beyond
	// the check interval it was seen; latencies how long after its check
	// was due (the previous check's lastCheckTime plus the interval).
	gaps, latencies []time.Duration
	// toFirst is from the image update to each cluster's first weight;
	// promotion from Promoting to Succeeded in each cluster.
	toFirst, promotion []time.Duration
	// toSucceeded per rollout, from its image update.
	toSucceeded []time.Duration
	// steps counted: each cluster's weight increases and its promotion.
	steps int
	// first update sent, last Succeeded seen.
	begin, end time.Time
}

func (t *tracker) result(keys []string, interval time.Duration) result {
	t.mu.Lock()
	defer t.mu.Unlock()
	var r result
	for _, k := range keys {
		tr := t.get(k)
		if r.begin.IsZero() || tr.start.Before(r.begin) {
			r.begin = tr.start
		}
		if tr.done.After(r.end) {
			r.end = tr.done
		}
		if !tr.done.IsZero() {
			r.toSucceeded = append(r.toSucceeded, tr.done.Sub(tr.start))
		}
		for _, changes := range tr.changes {
			steps, promoting, succeeded := decisions(changes)
			r.steps += len(steps)
			if len(steps) > 0 {
				r.toFirst = append(r.toFirst, steps[0].at.Sub(tr.start))
			}
			for i := 1; i < len(steps); i++ {
				r.gaps = append(r.gaps, steps[i].at.Sub(steps[i-1].at)-interval)
				if due := steps[i-1].lastCheck; !due.IsZero() {
					r.latencies = append(r.latencies, steps[i].at.Sub(due.Add(interval)))
				}
			}
			if !promoting.IsZero() && !succeeded.IsZero() {
				r.promotion = append(r.promotion, succeeded.Sub(promoting))
			}
		}
	}
	return r
}

// decisions are the moments of one cluster's steps: each canary weight
// increase while Progressing, and the switch to Promoting (the decision
// after the last weight). Every step after the first waits for one check
// interval, so what it takes beyond it is the decision latency.
// (status.lastCheckTime is kept to the second, so a check falls due up to
// a second less than an interval after the previous step was seen.)
func decisions(changes []change) (steps []change, promoting, succeeded time.Time) {
	weight := 0
	var phase appsv1alpha1.ClusterPhase
	for _, c := range changes {
		switch {
		case c.phase == appsv1alpha1.ClusterProgressing && c.weight > weight:
			steps = append(steps, c)
		case c.phase == appsv1alpha1.ClusterPromoting && phase != appsv1alpha1.ClusterPromoting:
			steps = append(steps, c)
			promoting = c.at
		case c.phase == appsv1alpha1.ClusterSucceeded && succeeded.IsZero():
			succeeded = c.at
		}
		weight, phase = c.weight, c.phase
	}
	return steps, promoting, succeeded
}

func describe(ro *appsv1alpha1.Rollout) string {
	s := fmt.Sprintf("phase %s", ro.Status.Phase)
	for _, c := range ro.Status.Clusters {
		s += fmt.Sprintf(" [%s %s w=%d failed=%d %q]", c.Name, c.Phase, c.CanaryWeight, c.FailedChecks, c.Message)
	}
	if n := len(ro.Status.History); n > 0 {
		s += " last run: " + ro.Status.History[n-1].Message
	}
	for i := len(ro.Status.Gates) - 1; i >= 0; i-- {
		if g := ro.Status.Gates[i]; !g.Passed {
			s += fmt.Sprintf("; failed gate %s in %s: %s %s", g.Gate, g.Cluster, g.Reason, g.Message)
			break
		}
	}
	return s
}

// pct is the p-th percentile (nearest rank) of d; 0 for none.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
