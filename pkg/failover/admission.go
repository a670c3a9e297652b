package failover

import (
	"time"

	"golang.org/x/time/rate"
)

// Admission is the fleet-wide eviction rate limit. It admits clusters, not
// bindings: once a cluster is admitted all its bindings may leave it, and
// the next failed cluster waits for its turn. The first cluster goes at
// once, each next one an interval (1/rate) after the previous one. A
// cluster that is forgotten (it lost its NoExecute taints) asks again at its
// next outage.
//
// Admission reads no clock (callers pass the time) and holds no lock:
// callers serialise calls. It spans bindings, so it lives as long as the
// controller, not in one round.
type Admission struct {
	lim *rate.Limiter
	at  map[string]time.Time // when each admitted cluster may start
}

// NewAdmission admits perSecond clusters per second, the first at once.
func NewAdmission(perSecond float64) *Admission {
	return &Admission{lim: rate.NewLimiter(rate.Limit(perSecond), 1), at: map[string]time.Time{}}
}

// Wait returns how long the cluster must still wait before its evictions
// start (0: now). The first call for a cluster takes its turn; later calls
// keep it.
func (a *Admission) Wait(cluster string, now time.Time) time.Duration {
	at, ok := a.at[cluster]
	if !ok {
		at = now.Add(a.lim.ReserveN(now, 1).DelayFrom(now))
		a.at[cluster] = at
	}
	if now.Before(at) {
		return at.Sub(now)
	}
	return 0
}

// Forget drops the cluster's turn.
func (a *Admission) Forget(cluster string) {
	delete(a.at, cluster)
}
