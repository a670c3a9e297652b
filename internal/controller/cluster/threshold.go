package cluster

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Observation is what one probe saw, expressed as the Ready condition it
// would set.
type Observation struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
}

// Thresholds say how long an observation must persist before it flips the
// recorded Ready status.
type Thresholds struct {
	// Failure: how long a not-True observation must persist before a True
	// Ready condition turns False or Unknown.
	Failure time.Duration
	// Success: how long a True observation must persist before a False or
	// Unknown Ready condition turns True.
	Success time.Duration
}

// pending is an observed status that differs from the recorded one, and
// since when it has been observed without interruption.
type pending struct {
	status metav1.ConditionStatus
	since  time.Time
}

// decide returns whether obs should be recorded now, and the pending change
// to remember for the next probe. recorded is the current Ready status ("" when
// there is no Ready condition yet).
//
//   - No condition yet: record at once (the first observation is the truth).
//   - Same status as recorded: record (reason and message may change; the
//     transition time does not) and forget any pending change.
//   - Different status: record only once it has been observed continuously
//     for the threshold of its direction; an interruption restarts the clock.
func decide(recorded metav1.ConditionStatus, p pending, obs Observation, now time.Time, th Thresholds) (bool, pending) {
	if recorded == "" || recorded == obs.Status {
		return true, pending{}
	}
	if p.status != obs.Status || p.since.IsZero() {
		p = pending{status: obs.Status, since: now}
	}
	threshold := th.Failure
	if obs.Status == metav1.ConditionTrue {
		threshold = th.Success
	}
	if now.Sub(p.since) >= threshold {
		return true, pending{}
	}
	return false, p
}
