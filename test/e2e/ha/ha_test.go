package ha

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// The leader is killed when about half of 100 Deployments have their Works;
// the rest are still being created. The standby takes the Lease within the
// crash bound, and at the end every Deployment runs in both targets with its
// share of replicas; no Work went back to an earlier content, and every
// member Deployment's generation equals the number of distinct specs its
// Work carried (nothing applied twice with different content).
func TestKillLeaderMidPropagation(t *testing.T) {
	const n = 100
	ns := namespace(t, "prop")
	works := watchWorks(t, ns)
	apply(t, fmt.Sprintf(`apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: all, namespace: %s}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment}
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou, cluster-shanghai]}
    spreadConstraints:
    - {spreadByField: cluster, maxGroups: 2}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - {targetCluster: {clusterNames: [cluster-hangzhou]}, weight: 1}
        - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 1}
`, ns))
	deleteDeployments(t, ns)
	// Deployments keep coming in while the leader dies. The cleanup stops
	// the stream before anything is deleted.
	ctx, cancel := context.WithCancel(context.Background())
	created := make(chan error, 1)
	go func() {
		for i := range n {
			if err := hub.Create(ctx, deployment(ns, fmt.Sprintf("web-%03d", i), 2)); err != nil {
				created <- err
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		created <- nil
	}()
	finished := false
	t.Cleanup(func() {
		cancel()
		if !finished {
			<-created
		}
	})
	fleettest.Eventually(t, 90*time.Second, "half the Works exist", func() error {
		if got := works.count(); got < n {
			return fmt.Errorf("%d of %d Works", got, 2*n)
		}
		return nil
	})
	atKill := works.count()
	k := signalLeader(t, syscall.SIGKILL, crashBound(leaseDuration, retryPeriod, 10*time.Second))
	t.Logf("killed %s with %d of %d Works written", k.old, atKill, 2*n)
	recordFailover(k)
	if limit := crashBound(leaseDuration, retryPeriod, 2*time.Second); k.acquired > limit {
		t.Errorf("%s took the Lease %s after the crash; want at most %s (lease %s, retry %s, 2s margin)", k.new, k.acquired, limit, leaseDuration, retryPeriod)
	}
	err := <-created
	finished = true
	if err != nil {
		t.Fatalf("create Deployments: %v", err)
	}

	fleettest.Eventually(t, 120*time.Second, "every Deployment runs 1 replica in each target", func() error {
		for _, c := range []string{hangzhou, shanghai} {
			list, err := fleettest.Client(t, fleet, c).AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			if len(list.Items) != n {
				return fmt.Errorf("%s has %d of %d Deployments", c, len(list.Items), n)
			}
			for _, d := range list.Items {
				if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
					return fmt.Errorf("%s: %s has spec.replicas %v, want 1", c, d.Name, d.Spec.Replicas)
				}
			}
		}
		return nil
	})
	if err := works.watchErr(); err != nil {
		t.Fatal(err)
	}
	if got := works.count(); got != 2*n {
		t.Errorf("saw %d Works, want %d (one per Deployment and target)", got, 2*n)
	}
	if flips := works.flips(); len(flips) > 0 {
		t.Errorf("%d Works went back to an earlier content:\n%s", len(flips), strings.Join(flips, "\n"))
	}
	var bad []string
	for key, w := range works.distinctObjects() {
		d, err := fleettest.Client(t, fleet, w.cluster).AppsV1().Deployments(ns).Get(context.Background(), w.name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("Work %s: %s in %s: %v", key, w.name, w.cluster, err)
			continue
		}
		if d.Generation != int64(w.specs) {
			bad = append(bad, fmt.Sprintf("%s/%s generation %d, Work %s carried %d distinct specs", w.cluster, w.name, d.Generation, key, w.specs))
		}
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Errorf("member objects applied other than their Works say:\n%s", strings.Join(bad, "\n"))
	}
}

// Frankfurt's API server dies; while its replicas are being evicted the
// leader is killed too. The new leader finishes the failover: 10 of 10
// ready in Hangzhou and Shanghai, no binding short of replicas, the
// eviction task ended.
func TestKillLeaderMidFailover(t *testing.T) {
	ns := namespace(t, "failover")
	apply(t, fmt.Sprintf(`apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: mid, namespace: %s}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: mid}
  placement:
    clusterAffinity:
      clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]
    spreadConstraints:
    - {spreadByField: cluster, maxGroups: 3}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - {targetCluster: {clusterNames: [cluster-hangzhou]}, weight: 4}
        - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 3}
        - {targetCluster: {clusterNames: [cluster-frankfurt]}, weight: 3}
`, ns))
	deleteDeployments(t, ns)
	if err := hub.Create(context.Background(), deployment(ns, "mid", 10)); err != nil {
		t.Fatal(err)
	}
	wantReady(t, 90*time.Second, ns, "mid", map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})

	down := fleettest.Kill(t, fleet, frankfurt+"/kube-apiserver", func(t *testing.T) { waitClusterReady(t, frankfurt) })
	fleettest.Eventually(t, 60*time.Second, "mid's eviction from frankfurt starts", func() error {
		b := binding(t, ns, "mid")
		if len(b.Spec.GracefulEvictionTasks) == 0 && b.Spec.TargetContains(frankfurt) {
			return fmt.Errorf("targets %v, no eviction task", b.Spec.TargetClusterNames())
		}
		return nil
	})
	t.Logf("eviction from frankfurt under way %s after its apiserver died", time.Since(down).Round(time.Millisecond))
	k := signalLeader(t, syscall.SIGKILL, crashBound(leaseDuration, retryPeriod, 10*time.Second))
	recordFailover(k)

	readyIn(t, 90*time.Second, ns, "mid", 10, hangzhou, shanghai)
	t.Logf("mid 10/10 ready in hangzhou+shanghai %s after frankfurt died, across the leader's death", time.Since(down).Round(time.Millisecond))
	b := binding(t, ns, "mid")
	if got := b.Spec.AssignedReplicas(); got != 10 || b.Spec.TargetContains(frankfurt) {
		t.Errorf("binding mid: %d of 10 replicas placed in %v, want 10 outside frankfurt", got, b.Spec.Clusters)
	}
	fleettest.Eventually(t, 60*time.Second, "mid's eviction task ends under the new leader", func() error {
		if tasks := binding(t, ns, "mid").Spec.GracefulEvictionTasks; len(tasks) > 0 {
			return fmt.Errorf("tasks %+v", tasks)
		}
		return nil
	})
}

// A leader told to stop (SIGTERM, as Kubernetes stops a Pod) releases the
// Lease on its way out: the standby leads within about one retry period
// after the old one has stopped, not after the lease duration.
func TestGracefulStopReleasesLease(t *testing.T) {
	k := signalLeader(t, syscall.SIGTERM, 2*leaseDuration+10*time.Second)
	// The release comes once the controllers have stopped; the standby
	// acquires at its next try (at most one jittered retry gap later).
	if limit := k.released + retryGap(retryPeriod) + time.Second; k.acquired > limit {
		t.Errorf("%s acquired the Lease %s after SIGTERM, %s after it was released; want within a jittered retry gap (%s) and 1s", k.new, k.acquired, k.acquired-k.released, retryGap(retryPeriod))
	}
	if k.released >= leaseDuration {
		t.Errorf("%s released the Lease %s after SIGTERM, no sooner than a crashed leader's would expire (%s)", k.old, k.released, leaseDuration)
	}
}

// The figure: leader failover time, from SIGKILL to the first reconcile by
// the new leader, over several crashes with the test's timings. The crashes
// of the other tests add to the range.
func TestLeaderFailoverTime(t *testing.T) {
	const runs = 3
	for i := range runs {
		k := signalLeader(t, syscall.SIGKILL, crashBound(leaseDuration, retryPeriod, 10*time.Second))
		recordFailover(k)
		restore(t, k.old)
		t.Logf("run %d of %d: %s", i+1, runs, k)
	}
	lo, hi := failoverRange()
	t.Logf("leader failover time (SIGKILL to the new leader's first reconcile, lease %s/renew %s/retry %s): %s to %s over %d crashes",
		leaseDuration, renewDeadline, retryPeriod, lo.Round(time.Millisecond), hi.Round(time.Millisecond), len(failovers))
}

// At the defaults (15s lease, 10s renew deadline, 2s retry) a crash costs
// about the lease duration and a clean stop about a retry period. Both
// replicas are restarted with the defaults and back with the test's timings
// after.
func TestDefaultTimings(t *testing.T) {
	const lease, renew, retry = 15 * time.Second, 10 * time.Second, 2 * time.Second
	setTimings(t, timingArgs(lease, renew, retry))
	t.Cleanup(func() { setTimings(t, timingArgs(leaseDuration, renewDeadline, retryPeriod)) })

	crash := signalLeader(t, syscall.SIGKILL, crashBound(lease, retry, 15*time.Second))
	restore(t, crash.old)
	t.Logf("defaults, SIGKILL: %s", crash)
	if limit := crashBound(lease, retry, 2*time.Second); crash.acquired > limit {
		t.Errorf("at the defaults %s took the Lease %s after the crash; want at most %s", crash.new, crash.acquired, limit)
	}
	stop := signalLeader(t, syscall.SIGTERM, 2*lease)
	t.Logf("defaults, SIGTERM: %s", stop)
	if limit := stop.released + retryGap(retry) + time.Second; stop.acquired > limit || stop.acquired >= lease/2 {
		t.Errorf("at the defaults %s acquired the Lease %s after SIGTERM (released at %s); want within a jittered retry gap (%s) of the release and far below the lease duration %s",
			stop.new, stop.acquired, stop.released, retryGap(retry), lease)
	}
}

// setTimings restarts every manager replica with args added (a later flag
// wins), one at a time so one always leads, the standby first.
func setTimings(t *testing.T, args []string) {
	t.Helper()
	leader, standby := roles(t)
	for _, name := range []string{standby, leader} {
		if err := fleet.Stop(name); err != nil {
			t.Fatal(err)
		}
		for i := range fleet.Processes {
			if fleet.Processes[i].Name == name {
				p := &fleet.Processes[i]
				p.Args = append(slices.DeleteFunc(slices.Clone(p.Args), func(a string) bool { return strings.HasPrefix(a, "--leader-elect-") }), args...)
			}
		}
		if err := fleet.Restart(context.Background(), name, true); err != nil {
			t.Fatal(err)
		}
	}
	roles(t)
}

// failovers are the SIGKILL takeovers of the package's tests.
var failovers []time.Duration

func recordFailover(k takeover) { failovers = append(failovers, k.reconciled) }

func failoverRange() (lo, hi time.Duration) {
	return slices.Min(failovers), slices.Max(failovers)
}

// namespace creates a hub namespace of its own for the test. The hub runs
// no namespace controller, so it stays; deleteDeployments empties it.
func namespace(t *testing.T, what string) string {
	t.Helper()
	ns := fmt.Sprintf("ha-%s-%d", what, time.Now().UnixNano()%1_000_000)
	if err := hub.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// deleteDeployments deletes the Deployments of ns when the test ends and
// waits until their Works are gone. Registered after the policies' apply,
// it runs before their deletion (cleanups run last in, first out).
func deleteDeployments(t *testing.T, ns string) {
	t.Helper()
	t.Cleanup(func() {
		// Deployments first (their Works and member objects go), waiting
		// until the Works are gone so the next test starts on a quiet hub.
		if err := hub.DeleteAllOf(context.Background(), &appsv1.Deployment{}, client.InNamespace(ns)); err != nil {
			t.Errorf("delete the Deployments of %s: %v", ns, err)
			return
		}
		fleettest.Eventually(t, 120*time.Second, "the Works of "+ns+" are gone", func() error {
			var list workv1alpha1.WorkList
			if err := hub.List(context.Background(), &list, client.MatchingLabels{workv1alpha1.BindingNamespaceLabel: ns}); err != nil {
				return err
			}
			if len(list.Items) > 0 {
				w := list.Items[0]
				return fmt.Errorf("%d Works left, e.g. %s/%s (deletionTimestamp %v, finalizers %v)", len(list.Items), w.Namespace, w.Name, w.DeletionTimestamp, w.Finalizers)
			}
			return nil
		})
	})
}

// apply applies YAML to the hub and deletes it when the test ends.
func apply(t *testing.T, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "--context", localfleet.HubName, "apply", "-f", "-")
	t.Cleanup(func() {
		fleettest.Kubectl(t, fleet, yaml, "--context", localfleet.HubName, "delete", "--ignore-not-found", "-f", "-")
	})
}

func deployment(ns, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "nginx:1.25",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi"),
					}},
				}}},
			},
		},
	}
}

// wantReady waits until the Deployment runs exactly want (spec = ready) in
// the listed members.
func wantReady(t *testing.T, timeout time.Duration, ns, name string, want map[string]int32) {
	t.Helper()
	fleettest.Eventually(t, timeout, fmt.Sprintf("%s placed as %v", name, want), func() error {
		for cluster, n := range want {
			d, err := fleettest.Client(t, fleet, cluster).AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s: %v", cluster, err)
			}
			if *d.Spec.Replicas != n || d.Status.ReadyReplicas != n {
				return fmt.Errorf("%s: spec %d ready %d, want %d", cluster, *d.Spec.Replicas, d.Status.ReadyReplicas, n)
			}
		}
		return nil
	})
}

// readyIn waits until the Deployment has replicas ready in the given
// members together.
func readyIn(t *testing.T, timeout time.Duration, ns, name string, replicas int32, clusters ...string) {
	t.Helper()
	fleettest.Eventually(t, timeout, fmt.Sprintf("%s: %d replicas ready in %v", name, replicas, clusters), func() error {
		var sum int32
		for _, c := range clusters {
			d, err := fleettest.Client(t, fleet, c).AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s: %v", c, err)
			}
			sum += d.Status.ReadyReplicas
		}
		if sum != replicas {
			return fmt.Errorf("%d ready in %v", sum, clusters)
		}
		return nil
	})
}

func binding(t *testing.T, ns, name string) *workv1alpha1.ResourceBinding {
	t.Helper()
	var b workv1alpha1.ResourceBinding
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: workv1alpha1.BindingName(name, "Deployment")}, &b); err != nil {
		t.Fatalf("binding of %s/%s: %v", ns, name, err)
	}
	return &b
}

func waitClusterReady(t *testing.T, name string) {
	t.Helper()
	fleettest.Eventually(t, 90*time.Second, name+" Ready again", func() error {
		var ac clusterv1alpha1.AttachedCluster
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: join.Namespace, Name: name}, &ac); err != nil {
			return err
		}
		if c := ac.ReadyCondition(); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("Ready %+v", c)
		}
		return nil
	})
}
