package agentlease

import (
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Ready reasons of Pull clusters.
const (
	// ReasonAgentHeartbeat: the agent renewed its Lease within the grace period.
	ReasonAgentHeartbeat = "AgentHeartbeat"
	// ReasonAgentHeartbeatMissed: the last renewal is older than the grace period.
	ReasonAgentHeartbeatMissed = "AgentHeartbeatMissed"
	// ReasonAgentNotConnected: the agent never renewed its Lease.
	ReasonAgentNotConnected = "AgentNotConnected"
)

// logsHint ends the messages of a silent agent.
const logsHint = "check the agent's logs in the member (kubectl -n kurator-system logs deploy/kurator-agent)"

// Verdict is a Pull cluster's Ready condition, and when it changes by
// itself if no heartbeat comes.
type Verdict struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
	// Expires is how long the verdict True holds without another
	// heartbeat; zero for Unknown.
	Expires time.Duration
}

// Judge decides a Pull cluster's Ready condition at now: True while the last
// heartbeat heard (heardAt, zero when none) is younger than grace, Unknown
// after. It is pure: the caller tells when it heard the heartbeat.
func Judge(cluster string, heardAt, now time.Time, grace time.Duration) Verdict {
	lease := workv1alpha1.ExecutionNamespace(cluster) + "/" + clusterv1alpha1.AgentLeaseName
	if heardAt.IsZero() {
		return Verdict{Status: metav1.ConditionUnknown, Reason: ReasonAgentNotConnected,
			Message: fmt.Sprintf("the agent of %s has not sent a heartbeat yet (Lease %s is missing or never renewed): %s", cluster, lease, logsHint)}
	}
	age := now.Sub(heardAt)
	if age < grace {
		return Verdict{Status: metav1.ConditionTrue, Reason: ReasonAgentHeartbeat, Expires: grace - age,
			Message: fmt.Sprintf("the agent of %s renews its Lease %s within the grace period of %s", cluster, lease, grace)}
	}
	return Verdict{Status: metav1.ConditionUnknown, Reason: ReasonAgentHeartbeatMissed,
		Message: fmt.Sprintf("no heartbeat from the agent of %s for %s (grace %s): %s", cluster, age.Truncate(time.Second), grace, logsHint)}
}

// renewTime is the Lease's last renewal, zero when it has none.
func renewTime(l *coordinationv1.Lease) time.Time {
	if l == nil || l.Spec.RenewTime == nil {
		return time.Time{}
	}
	return l.Spec.RenewTime.Time
}

// heard tracks, per cluster, when the hub heard each renewal, on the hub's
// clock: the agent writes renewTime with the member's clock, which may be
// off. A renewal first seen (a manager start or a new leader) counts from
// its renewTime, no later than now; every change of renewTime seen while
// the hub watches counts from the moment the hub saw it.
type heard struct {
	renew time.Time
	at    time.Time
}

func hearing(prev heard, known bool, renew, now time.Time) heard {
	switch {
	case renew.IsZero():
		return heard{}
	case known && prev.renew.Equal(renew):
		return prev
	case known:
		return heard{renew: renew, at: now}
	case renew.After(now):
		return heard{renew: renew, at: now}
	default:
		return heard{renew: renew, at: renew}
	}
}
