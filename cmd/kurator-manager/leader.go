package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
)

// LeaseName is the coordination.k8s.io Lease the replicas compete for, in
// --leader-election-namespace.
const LeaseName = "kurator-manager"

// validateLeaderElection checks the election timings as client-go's
// LeaderElector would, but names the flags: every period positive, the
// lease longer than the renew deadline, and the renew deadline longer than
// a jittered retry (so the leader gets at least one retry before it gives up).
func validateLeaderElection(o options) error {
	if !o.leaderElect {
		return nil
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"--leader-elect-lease-duration", o.leaseDuration},
		{"--leader-elect-renew-deadline", o.renewDeadline},
		{"--leader-elect-retry-period", o.retryPeriod},
	} {
		if f.d <= 0 {
			return fmt.Errorf("%s=%s: give a positive duration, e.g. the defaults 15s, 10s and 2s", f.name, f.d)
		}
	}
	if o.leaseDuration <= o.renewDeadline {
		return fmt.Errorf("--leader-elect-lease-duration=%s must be longer than --leader-elect-renew-deadline=%s (a leader must give up before the others may take over); e.g. 15s and 10s",
			o.leaseDuration, o.renewDeadline)
	}
	if minimum := time.Duration(leaderelection.JitterFactor * float64(o.retryPeriod)); o.renewDeadline <= minimum {
		return fmt.Errorf("--leader-elect-renew-deadline=%s must be longer than %.1f x --leader-elect-retry-period=%s (%s) so the leader can retry a renewal; e.g. 10s and 2s",
			o.renewDeadline, leaderelection.JitterFactor, o.retryPeriod, minimum)
	}
	return nil
}

// defaultIdentity is <hostname>_<pid>: unique among replicas on one machine
// (the local fleet's) and among Pods (whose hostname is the Pod's name), and
// traceable from the Lease back to a process.
func defaultIdentity() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("name this replica for leader election: %w (pass --leader-elect-identity)", err)
	}
	return host + "_" + strconv.Itoa(os.Getpid()), nil
}

// leaderLock is the Lease lock with this replica's identity. controller-runtime
// would name the replica <hostname>_<uuid>, which no one can map to a
// process; otherwise it builds the same lock.
func leaderLock(cfg *rest.Config, o options) (resourcelock.Interface, error) {
	id := o.leaderIdentity
	if id == "" {
		var err error
		if id, err = defaultIdentity(); err != nil {
			return nil, err
		}
	}
	lc := rest.AddUserAgent(rest.CopyConfig(cfg), "leader-election")
	// One hung request must not use up the whole renew deadline.
	lc.Timeout = max(o.renewDeadline/2, time.Second)
	cs, err := kubernetes.NewForConfig(lc)
	if err != nil {
		return nil, fmt.Errorf("leader election client: %w", err)
	}
	return resourcelock.New(resourcelock.LeasesResourceLock, o.leaderNamespace, LeaseName,
		cs.CoreV1(), cs.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: id})
}

// leaderLog runs only on the leader: it says so once, with the identity the
// Lease holds, so that logs show which replica worked when.
type leaderLog struct {
	identity, lease string
}

func (l leaderLog) Start(ctx context.Context) error {
	ctrl.Log.WithName("leader-election").Info("became leader", "identity", l.identity, "lease", l.lease)
	<-ctx.Done()
	return nil
}

// NeedLeaderElection: the line is only true on the leader.
func (leaderLog) NeedLeaderElection() bool { return true }
