package agentlease

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func TestJudge(t *testing.T) {
	grace := 40 * time.Second
	tests := []struct {
		name    string
		heardAt time.Time
		now     time.Time
		status  metav1.ConditionStatus
		reason  string
		expires time.Duration
		message string
	}{
		{"renewed 10s ago: True for 30s more", t0, t0.Add(10 * time.Second), metav1.ConditionTrue, ReasonAgentHeartbeat, 30 * time.Second, "within the grace period of 40s"},
		{"renewed just now: True for the whole grace", t0, t0, metav1.ConditionTrue, ReasonAgentHeartbeat, grace, ""},
		{"renewed 1ms less than the grace ago: still True", t0, t0.Add(grace - time.Millisecond), metav1.ConditionTrue, ReasonAgentHeartbeat, time.Millisecond, ""},
		{"renewed exactly the grace ago: Unknown", t0, t0.Add(grace), metav1.ConditionUnknown, ReasonAgentHeartbeatMissed, 0, "for 40s (grace 40s)"},
		{"renewed 47.6s ago: Unknown, the age in whole seconds and the fix", t0, t0.Add(47600 * time.Millisecond), metav1.ConditionUnknown, ReasonAgentHeartbeatMissed, 0,
			"no heartbeat from the agent of edge for 47s (grace 40s): check the agent's logs in the member (kubectl -n kurator-system logs deploy/kurator-agent)"},
		{"never renewed: Unknown, not connected", time.Time{}, t0, metav1.ConditionUnknown, ReasonAgentNotConnected, 0, "Lease kurator-member-edge/kurator-agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge("edge", tt.heardAt, tt.now, grace)
			if v.Status != tt.status || v.Reason != tt.reason || v.Expires != tt.expires {
				t.Errorf("Judge = %s/%s expires %s, want %s/%s expires %s", v.Status, v.Reason, v.Expires, tt.status, tt.reason, tt.expires)
			}
			if !strings.Contains(v.Message, tt.message) {
				t.Errorf("message %q lacks %q", v.Message, tt.message)
			}
		})
	}
}

func TestHearing(t *testing.T) {
	behind := t0.Add(-5 * time.Minute)
	tests := []struct {
		name  string
		prev  heard
		known bool
		renew time.Time
		now   time.Time
		at    time.Time
	}{
		{"first sight (manager start): counts from renewTime", heard{}, false, t0, t0.Add(3 * time.Second), t0},
		{"first sight of a renewTime ahead of the hub's clock: counts from now", heard{}, false, t0.Add(time.Minute), t0, t0},
		{"same renewTime again: still the time first heard", heard{renew: t0, at: t0.Add(time.Second)}, true, t0, t0.Add(20 * time.Second), t0.Add(time.Second)},
		{"a renewal seen while watching: counts from now, whatever the member's clock says", heard{renew: behind, at: behind}, true, behind.Add(30 * time.Second), t0, t0},
		{"first Lease of a watched cluster: counts from now", heard{}, true, behind, t0, t0},
		{"no renewTime: nothing heard", heard{renew: t0, at: t0}, true, time.Time{}, t0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hearing(tt.prev, tt.known, tt.renew, tt.now); !got.at.Equal(tt.at) {
				t.Errorf("heard at %s, want %s", got.at, tt.at)
			}
		})
	}
}

type recorder struct{ events []string }

func (r *recorder) Eventf(_, _ runtime.Object, typ, reason, _, note string, args ...any) {
	r.events = append(r.events, typ+" "+reason+" "+fmt.Sprintf(note, args...))
}

// fleet is a hub with one Pull cluster "edge" and, when renew is set, its
// agent's Lease.
type fleet struct {
	hub   client.Client
	clock *clocktesting.FakePassiveClock
	rec   *recorder
	r     *Reconciler
}

func newFleet(t *testing.T, objs ...client.Object) *fleet {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: workv1alpha1.SystemNamespace, Generation: 1},
		Spec: clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull,
			Taints: []corev1.Taint{{Key: "dedicated", Effect: corev1.TaintEffectNoSchedule}}},
	}
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithStatusSubresource(&clusterv1alpha1.AttachedCluster{}).
		WithObjects(append(objs, ac)...).Build()
	f := &fleet{hub: hub, clock: clocktesting.NewFakePassiveClock(t0), rec: &recorder{}}
	f.r = New(hub, f.rec, Options{Clock: f.clock})
	return f
}

func lease(renew time.Time) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: clusterv1alpha1.AgentLeaseName, Namespace: workv1alpha1.ExecutionNamespace("edge")},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr("edge"), LeaseDurationSeconds: ptr(int32(40)),
			RenewTime: &metav1.MicroTime{Time: renew}},
	}
}

func ptr[T any](v T) *T { return &v }

func (f *fleet) renew(t *testing.T, at time.Time) {
	t.Helper()
	var l coordinationv1.Lease
	if err := f.hub.Get(context.Background(), client.ObjectKeyFromObject(lease(at)), &l); err != nil {
		t.Fatal(err)
	}
	l.Spec.RenewTime = &metav1.MicroTime{Time: at}
	if err := f.hub.Update(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
}

// reconcile runs one reconcile and returns its requeue and the cluster after it.
func (f *fleet) reconcile(t *testing.T) (time.Duration, *clusterv1alpha1.AttachedCluster) {
	t.Helper()
	key := types.NamespacedName{Namespace: workv1alpha1.SystemNamespace, Name: "edge"}
	res, err := f.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	if err != nil {
		t.Fatal(err)
	}
	var ac clusterv1alpha1.AttachedCluster
	if err := f.hub.Get(context.Background(), key, &ac); err != nil {
		t.Fatal(err)
	}
	return res.RequeueAfter, &ac
}

// readiness is the cluster's Ready status and reason and its readiness taints.
func readiness(ac *clusterv1alpha1.AttachedCluster) string {
	c := ac.ReadyCondition()
	s := "Ready unset"
	if c != nil {
		s = fmt.Sprintf("Ready %s/%s", c.Status, c.Reason)
	}
	for _, tn := range ac.Spec.Taints {
		if tn.Key == clusterv1alpha1.TaintClusterUnreachable || tn.Key == clusterv1alpha1.TaintClusterNotReady {
			s += fmt.Sprintf(" %s:%s", tn.Key, tn.Effect)
		}
	}
	return s
}

func TestHeartbeatsDriveReadyAndTaints(t *testing.T) {
	f := newFleet(t, lease(t0))
	unreachable := " cluster.kurator.dev/unreachable:NoSchedule cluster.kurator.dev/unreachable:NoExecute"

	// 5s after a renewal: Ready, looked at again at the exact expiry.
	f.clock.SetTime(t0.Add(5 * time.Second))
	requeue, ac := f.reconcile(t)
	if got := readiness(ac); got != "Ready True/"+ReasonAgentHeartbeat {
		t.Fatalf("after a heartbeat: %s", got)
	}
	if requeue != 35*time.Second {
		t.Errorf("requeue after %s, want 35s (the verdict's expiry)", requeue)
	}
	if a := ac.Status.Agent; a == nil || a.LastHeartbeatTime == nil || !a.LastHeartbeatTime.Time.Equal(t0) {
		t.Errorf("status.agent = %+v, want lastHeartbeatTime %s", a, t0)
	}

	// At the expiry with no renewal: Unknown with the unreachable taints
	// (both effects), the user's taint kept, a warning event.
	f.clock.SetTime(t0.Add(40 * time.Second))
	requeue, ac = f.reconcile(t)
	if got := readiness(ac); got != "Ready Unknown/"+ReasonAgentHeartbeatMissed+unreachable {
		t.Fatalf("after the grace: %s", got)
	}
	if requeue != 0 {
		t.Errorf("requeue after %s with no heartbeat to wait for, want none (the Lease's next renewal triggers)", requeue)
	}
	if ac.Spec.Taints[0].Key != "dedicated" {
		t.Errorf("the user's taint was lost: %v", ac.Spec.Taints)
	}
	if msg := ac.ReadyCondition().Message; !strings.Contains(msg, "no heartbeat from the agent of edge for 40s (grace 40s)") {
		t.Errorf("message %q", msg)
	}
	if last := f.rec.events[len(f.rec.events)-1]; !strings.HasPrefix(last, "Warning "+ReasonAgentHeartbeatMissed+" Ready True -> Unknown") {
		t.Errorf("event %q", last)
	}

	// Still silent 10s later: the standing verdict and its message are kept.
	f.clock.SetTime(t0.Add(50 * time.Second))
	_, again := f.reconcile(t)
	if again.ReadyCondition().Message != ac.ReadyCondition().Message || len(f.rec.events) != 2 {
		t.Errorf("a standing Unknown was rewritten: %q, events %q", again.ReadyCondition().Message, f.rec.events)
	}

	// The agent is back: Ready again, taints gone, a full grace ahead.
	f.clock.SetTime(t0.Add(70 * time.Second))
	f.renew(t, t0.Add(70*time.Second))
	requeue, ac = f.reconcile(t)
	if got := readiness(ac); got != "Ready True/"+ReasonAgentHeartbeat {
		t.Fatalf("after the agent came back: %s", got)
	}
	if requeue != 40*time.Second {
		t.Errorf("requeue after %s, want 40s", requeue)
	}
	if len(ac.Spec.Taints) != 1 {
		t.Errorf("taints %v, want the user's only", ac.Spec.Taints)
	}
}

func TestNoLeaseIsNotConnected(t *testing.T) {
	f := newFleet(t)
	requeue, ac := f.reconcile(t)
	if got := readiness(ac); !strings.HasPrefix(got, "Ready Unknown/"+ReasonAgentNotConnected+" ") {
		t.Errorf("without a Lease: %s", got)
	}
	if requeue != 0 {
		t.Errorf("requeue %s", requeue)
	}
}

func TestSkewedMemberClockCountsFromWhenHeard(t *testing.T) {
	// The member's clock is 5 minutes behind the hub's.
	behind := -5 * time.Minute
	f := newFleet(t, lease(t0.Add(behind)))
	_, ac := f.reconcile(t)
	if got := readiness(ac); !strings.HasPrefix(got, "Ready Unknown/"+ReasonAgentHeartbeatMissed) {
		t.Fatalf("first sight of a renewal stamped 5 minutes ago: %s", got)
	}
	f.clock.SetTime(t0.Add(30 * time.Second))
	f.renew(t, t0.Add(30*time.Second+behind))
	requeue, ac := f.reconcile(t)
	if got := readiness(ac); got != "Ready True/"+ReasonAgentHeartbeat {
		t.Fatalf("a renewal seen as it happened: %s", got)
	}
	if requeue != 40*time.Second {
		t.Errorf("requeue after %s, want 40s from when the hub heard it", requeue)
	}
}

func TestPushClustersAreLeftAlone(t *testing.T) {
	push := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "push", Namespace: workv1alpha1.SystemNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: "push-kubeconfig"}},
	}
	f := newFleet(t, push)
	key := client.ObjectKeyFromObject(push)
	if _, err := f.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	var got clusterv1alpha1.AttachedCluster
	if err := f.hub.Get(context.Background(), key, &got); err != nil {
		t.Fatal(err)
	}
	if got.ReadyCondition() != nil || len(got.Spec.Taints) != 0 {
		t.Errorf("a Push cluster got %+v, taints %v", got.ReadyCondition(), got.Spec.Taints)
	}
}

func TestClusterOfLease(t *testing.T) {
	tests := []struct {
		name      string
		namespace string
		lease     string
		want      int
	}{
		{"the agent's Lease in an execution namespace: its cluster", workv1alpha1.ExecutionNamespace("edge"), clusterv1alpha1.AgentLeaseName, 1},
		{"the manager's leader Lease: none", workv1alpha1.SystemNamespace, "kurator-manager", 0},
		{"another Lease in an execution namespace: none", workv1alpha1.ExecutionNamespace("edge"), "other", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := clusterOfLease(context.Background(), &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: tt.namespace, Name: tt.lease}})
			if len(reqs) != tt.want || tt.want == 1 && reqs[0].Name != "edge" {
				t.Errorf("requests %v", reqs)
			}
		})
	}
}
