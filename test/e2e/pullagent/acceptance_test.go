package pullagent

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// A member joined only through its agent: the hub holds no kubeconfig for
// it, the AttachedCluster is Pull with the member's identity and the same
// status a push cluster gets, the Lease is the agent's.
func TestRegistersThroughTheAgentAlone(t *testing.T) {
	ensurePull(t)
	ctx := context.Background()
	ac, err := attached(ctx, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if !ac.IsPull() || ac.Spec.Kubeconfig != nil {
		t.Errorf("AttachedCluster %s: mode %q kubeconfig %+v, want Pull and none", shanghai, ac.Spec.Mode, ac.Spec.Kubeconfig)
	}
	var secret corev1.Secret
	if err := fleettest.Absent("kubeconfig Secret of "+shanghai, hub.Get(ctx, client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: join.SecretName(shanghai)}, &secret)); err != nil {
		t.Error(err)
	}
	kubeSystem, err := fleettest.Client(t, fleet, shanghai).CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The agent writes its status right after the heartbeat that made the
	// cluster Ready.
	fleettest.Eventually(t, 20*time.Second, "the agent's status of "+shanghai, func() error {
		if ac, err = attached(ctx, shanghai); err != nil {
			return err
		}
		switch a := ac.Status.Agent; {
		case a == nil:
			return fmt.Errorf("no status.agent")
		case a.ClusterID != string(kubeSystem.UID) || a.Version == "" || a.LastHeartbeatTime == nil || a.CertificateNotAfter == nil:
			return fmt.Errorf("status.agent %+v: want clusterID %s (the member's kube-system UID), a version, a heartbeat time and the certificate's expiry", *a, kubeSystem.UID)
		}
		if ns := ac.Status.NodeSummary; ns == nil || ns.TotalNum != int32(2) || ns.ReadyNum != int32(2) {
			return fmt.Errorf("status.nodeSummary %+v: want the member's 2 nodes, both ready (the push controller's summary)", ns)
		}
		if ac.Status.KubernetesVersion == "" || len(ac.Status.APIEnablements) == 0 {
			return fmt.Errorf("status: version %q and %d API enablements, want both reported", ac.Status.KubernetesVersion, len(ac.Status.APIEnablements))
		}
		return nil
	})
	l := lease(t, shanghai)
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != shanghai || l.Spec.LeaseDurationSeconds == nil || *l.Spec.LeaseDurationSeconds != 40 {
		t.Errorf("Lease %s/%s: holder %v duration %v, want %s and 40s", l.Namespace, l.Name, l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, shanghai)
	}
	logData, err := os.ReadFile(pull.logFile())
	if err != nil || !strings.Contains(string(logData), "Connected to server") {
		t.Errorf("--log-file %s: want the line \"Connected to server\" (err %v); it holds:\n%s", pull.logFile(), err, lastLines(string(logData), 20))
	}
	out := fleettest.Kurator(t, fleet, "get", "clusters")
	if !strings.Contains(out, "Pull") {
		t.Errorf("kurator get clusters shows no Pull cluster:\n%s", out)
	}
	t.Logf("kurator get clusters:\n%s", out)
}

// Seed 001's nginx, verbatim: 6 in the push member, 4 in the pull member
// (applied by its agent), and the hub shows 10/10 from the agent's status.
func TestSeedNginxReachesThePullMember(t *testing.T) {
	ensurePull(t)
	begin := time.Now()
	apply(t, seed(t, "001-nginx-deployment-and-pp.yaml"))
	fleettest.Eventually(t, 90*time.Second, "nginx 6/4 in the members", func() error {
		return placedExactly(t, "nginx", map[string]int32{hangzhou: 6, shanghai: 4})
	})
	fleettest.Eventually(t, 60*time.Second, "hub shows nginx 10/10", func() error { return hubReady(t, "nginx", 10) })
	t.Logf("seed nginx 6 (push) + 4 (pull) ready and 10/10 on the hub %s after kubectl apply", time.Since(begin).Round(time.Millisecond))
	out := kubectl(t, "", "--context", localfleet.HubName, "get", "deploy", "nginx", "--no-headers")
	if f := strings.Fields(out); len(f) < 2 || f[1] != "10/10" {
		t.Errorf("kubectl get deploy nginx on the hub: %q, want READY 10/10", out)
	}
}

// spread is a Deployment over the three members at 1:1:1 that tolerates
// the readiness taints for 5 s, so failover moves it soon.
func spread(name string, n int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - {name: app, image: nginx:1.25, resources: {requests: {cpu: 10m, memory: 16Mi}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: %[1]s}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - {targetCluster: {clusterNames: [cluster-hangzhou]}, weight: 1}
        - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 1}
        - {targetCluster: {clusterNames: [cluster-frankfurt]}, weight: 1}
`, name, n)
}

// Stop the agent: Unknown after the grace period, failover moves its
// replicas; start it: Ready again, and the replicas the hub took away are
// gone from the member (nothing runs twice).
func TestStoppedAgentFailsOverAndComesBackWithoutDuplicates(t *testing.T) {
	ensurePull(t)
	ctx := context.Background()
	apply(t, spread("web", 6))
	fleettest.Eventually(t, 90*time.Second, "web 2/2/2", func() error {
		return placedExactly(t, "web", map[string]int32{hangzhou: 2, shanghai: 2, frankfurt: 2})
	})

	lastBeat := lease(t, shanghai).Spec.RenewTime.Time
	stopped := time.Now()
	if err := pull.stop(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ensurePull(t) })
	// Not before the grace period: the last heartbeat is at most one
	// interval old, so Ready holds until grace - interval after the stop.
	fleettest.Consistently(t, grace-heartbeat-time.Second, shanghai+" Ready while its last heartbeat is within the grace period", func() error {
		got, why, err := readyStatus(ctx, shanghai)
		if err != nil || got != metav1.ConditionTrue {
			return fmt.Errorf("Ready=%s (%s) %v", got, why, err)
		}
		return nil
	})
	waitCondition(t, shanghai, metav1.ConditionUnknown, grace+20*time.Second)
	unknown := time.Since(stopped)
	_, why, _ := readyStatus(ctx, shanghai)
	if !strings.Contains(why, "AgentHeartbeatMissed") {
		t.Errorf("Ready Unknown for %q, want reason AgentHeartbeatMissed", why)
	}
	t.Logf("figure: agent stopped -> %s Unknown in %s (last heartbeat %s before the stop, grace %s): %s",
		shanghai, unknown.Round(time.Millisecond), stopped.Sub(lastBeat).Round(time.Millisecond), grace, why)

	fleettest.Eventually(t, 90*time.Second, "web moved to the push members", func() error {
		var sum int32
		for _, c := range []string{hangzhou, frankfurt} {
			_, ready, _ := replicas(t, c, "web")
			sum += ready
		}
		if sum != 6 {
			return fmt.Errorf("%d of 6 ready in %s and %s", sum, hangzhou, frankfurt)
		}
		return nil
	})
	t.Logf("figure: agent stopped -> web's 6 replicas ready in the push members in %s", time.Since(stopped).Round(time.Millisecond))

	restarted := time.Now()
	ensurePull(t)
	t.Logf("figure: agent restarted (stored certificate) -> %s Ready in %s", shanghai, time.Since(restarted).Round(time.Millisecond))
	// The hub placed web elsewhere while the agent was away: the member's
	// copy must go, and the placement must stay whole.
	want := func() map[string]int32 {
		w := map[string]int32{}
		for _, tc := range binding(t, "web").Spec.Clusters {
			w[tc.Name] = tc.Replicas
		}
		return w
	}
	fleettest.Eventually(t, 60*time.Second, "web placed exactly as the binding says once the agent is back", func() error {
		return placedExactly(t, "web", want())
	})
	fleettest.Consistently(t, 5*time.Second, "web runs 6 replicas in all, as the binding says", func() error {
		return placedExactly(t, "web", want())
	})
}

// pinned is a Deployment on the pull member only that tolerates the
// readiness taints for ever: a partition must not move it.
func pinned(name string, n int, rev string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}, annotations: {rev: "%[3]s"}}
    spec:
      containers:
      - {name: app, image: nginx:1.25, resources: {requests: {cpu: 10m, memory: 16Mi}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: %[1]s}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  placement:
    clusterAffinity: {clusterNames: [cluster-shanghai]}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute}
`, name, n, rev)
}

// A 60 s partition of the hub link while the hub changes the workload: the
// member keeps everything (no pod deleted), the hub sees the cluster
// Unknown; on reconnect the agent catches up within one heartbeat and the
// hub's status follows.
func TestPartitionKeepsEverythingAndCatchesUp(t *testing.T) {
	ensurePull(t)
	ctx := context.Background()
	apply(t, pinned("ledger", 2, "1"))
	fleettest.Eventually(t, 90*time.Second, "ledger 2 in the pull member", func() error {
		return placedExactly(t, "ledger", map[string]int32{shanghai: 2})
	})
	member := fleettest.Client(t, fleet, shanghai)
	pods, err := member.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=ledger"})
	if err != nil {
		t.Fatal(err)
	}
	before := map[types.UID]string{}
	for _, p := range pods.Items {
		before[p.UID] = p.Name
	}

	const partition = 60 * time.Second
	begin := time.Now()
	if err := hubLink.Partition(); err != nil {
		t.Fatal(err)
	}
	healed := false
	t.Cleanup(func() {
		if !healed {
			_ = hubLink.Heal()
		}
	})
	out0, in0 := hubLink.Stats()
	relay0 := hubRelay.Counters()
	cut := func(what string) {
		out1, in1 := hubLink.Stats()
		t.Logf("partition: %s %s after the link was cut (%s); meanwhile the link dropped %d of %d packets out of the namespace and %d of %d into it, the relay carried %+v",
			what, time.Since(begin).Round(time.Millisecond), hubLink.Method(), out1.Dropped-out0.Dropped, out1.Packets-out0.Packets, in1.Dropped-in0.Dropped, in1.Packets-in0.Packets, hubRelay.Counters().Sub(relay0))
	}
	func() {
		defer cut(shanghai + " Unknown on the hub (or not)")
		waitCondition(t, shanghai, metav1.ConditionUnknown, grace+20*time.Second)
	}()
	kubectl(t, pinned("ledger", 3, "2"), "--context", localfleet.HubName, "apply", "-f", "-")

	fleettest.Consistently(t, partition-time.Since(begin), "the member keeps ledger as it was during the partition", func() error {
		spec, _, ok := replicas(t, shanghai, "ledger")
		if !ok || spec != 2 {
			return fmt.Errorf("ledger in %s: exists %t, spec %d, want 2 as before the partition", shanghai, ok, spec)
		}
		pods, err := member.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=ledger"})
		if err != nil {
			return err
		}
		now := map[types.UID]bool{}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				return fmt.Errorf("pod %s is being deleted", p.Name)
			}
			now[p.UID] = true
		}
		for uid, name := range before {
			if !now[uid] {
				return fmt.Errorf("pod %s was deleted", name)
			}
		}
		return nil
	})

	carried := hubRelay.Counters()
	requests := agentRequests(t, shanghai)
	if err := hubLink.Heal(); err != nil {
		t.Fatal(err)
	}
	healed = true
	healedAt := time.Now()
	var beat, synced, status time.Time
	fleettest.Eventually(t, 90*time.Second, "the agent catches up after the partition", func() error {
		now := time.Now()
		if beat.IsZero() {
			if rt := lease(t, shanghai).Spec.RenewTime; rt != nil && rt.After(healedAt) {
				beat = now
			}
		}
		if synced.IsZero() {
			d, err := member.AppsV1().Deployments("default").Get(ctx, "ledger", metav1.GetOptions{})
			if err == nil && *d.Spec.Replicas == 3 && d.Spec.Template.Annotations["rev"] == "2" {
				synced = now
			}
		}
		if status.IsZero() && hubReady(t, "ledger", 3) == nil {
			status = now
		}
		if beat.IsZero() || synced.IsZero() || status.IsZero() {
			return fmt.Errorf("heartbeat %t, member updated %t, hub status 3/3 %t", !beat.IsZero(), !synced.IsZero(), !status.IsZero())
		}
		return nil
	})
	since := func(at time.Time) time.Duration { return at.Sub(healedAt).Round(time.Millisecond) }
	t.Logf("figure: after a %s partition: first heartbeat through %s after the link healed, member updated after %s, hub shows 3/3 after %s; the catch-up took %d requests and %d bytes down the link",
		partition, since(beat), since(synced), since(status), int(agentRequests(t, shanghai)-requests), hubRelay.Counters().Sub(carried).Down)
	// Within one heartbeat of reconnecting: the update is in the member no
	// later than one interval (and the poll's slack) after the first
	// heartbeat that got through.
	if synced.Sub(beat) > heartbeat+500*time.Millisecond {
		t.Errorf("member updated %s after the first heartbeat that got through, want within one heartbeat (%s)", synced.Sub(beat).Round(time.Millisecond), heartbeat)
	}
	waitReady(t, shanghai, 30*time.Second)
}
