package failover

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/pkg/failover"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// An application that stays unhealthy in one member (an override makes its
// pods unschedulable in Frankfurt) is moved away after tolerationSeconds;
// purgeMode Directly removes it from Frankfurt at once. Every member must
// serve first: right after a restart a member's controllers are still
// starting, and a 5 s toleration would rightly evict the workload from it
// as well.
func TestApplicationFailover(t *testing.T) {
	for _, c := range []string{hangzhou, shanghai, frankfurt} {
		waitReady(t, c, metav1.ConditionTrue)
		waitServes(t, c)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("on failure:\n%s\n%s", fleettest.Kurator(t, fleet, "get", "clusters", "-o", "wide"), fleettest.Kurator(t, fleet, "describe", "rb", "app-deployment"))
		}
	})
	apply(t, workload("app", 10, `    application:
      decisionConditions: {tolerationSeconds: 5}
      purgeMode: Directly
`)+`---
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: app-too-big-for-frankfurt
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: app}
  overrideRules:
  - targetCluster: {clusterNames: [cluster-frankfurt]}
    overriders:
      plaintext:
      - {path: /spec/template/spec/containers/0/resources/requests/cpu, operator: replace, value: "100000"}
`)
	start := time.Now()
	readyElsewhere(t, 90*time.Second, "app", 10, hangzhou, shanghai)
	t.Logf("app 10/10 ready in hangzhou+shanghai %s after apply", time.Since(start).Round(time.Millisecond))
	b := binding(t, "app")
	if b.Spec.TargetContains(frankfurt) || len(b.Spec.GracefulEvictionTasks) > 1 {
		t.Errorf("app binding: targets %v, tasks %+v", b.Spec.Clusters, b.Spec.GracefulEvictionTasks)
	}
	eventually(t, 30*time.Second, "app removed from frankfurt (Directly)", func() error {
		if _, _, err := memberReplicas(t, frankfurt, "app"); !apierrors.IsNotFound(err) {
			return fmt.Errorf("app in frankfurt: %v", err)
		}
		return nil
	})
	// No flapping: it stays out of Frankfurt, evicted once.
	fleettest.Consistently(t, 5*time.Second, "app stays out of frankfurt", func() error {
		if b := binding(t, "app"); b.Spec.TargetContains(frankfurt) {
			return fmt.Errorf("app is back in frankfurt: %v", b.Spec.Clusters)
		}
		return nil
	})
	desc := fleettest.Kurator(t, fleet, "describe", "rb", "app-deployment")
	if !strings.Contains(desc, "the application has been Unhealthy in cluster-frankfurt") {
		t.Errorf("kurator describe rb app-deployment does not explain the eviction:\n%s", desc)
	}
	if n := strings.Count(desc, "evicted from cluster-frankfurt"); n != 1 {
		t.Errorf("app evicted %d times from frankfurt, want once (no flapping):\n%s", n, desc)
	}
	noneShort(t, "app")
}

// Frankfurt fails: its 3 replicas move to Hangzhou and Shanghai and the hub
// shows 10/10 again. With the default purge mode (Gracefully) the old
// objects are removed when Frankfurt returns; with purgeMode Never they stay.
// Nothing moves back by itself; kurator reschedule moves it back.
func TestClusterFailover(t *testing.T) {
	apply(t, workload("web", 10, ""))
	apply(t, workload("keep", 10, "    cluster:\n      purgeMode: Never\n"))
	for _, name := range []string{"web", "keep"} {
		wantPlaced(t, 90*time.Second, name, map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})
	}

	down := kill(t, frankfurt)
	waitReady(t, frankfurt, metav1.ConditionFalse)
	t.Logf("%s Ready=False %s after its apiserver was killed", frankfurt, time.Since(down).Round(time.Millisecond))
	for _, name := range []string{"web", "keep"} {
		readyElsewhere(t, 60*time.Second, name, 10, hangzhou, shanghai)
		t.Logf("%s: 10/10 ready in hangzhou+shanghai and on the hub %s after the kill", name, time.Since(down).Round(time.Millisecond))
	}
	noneShort(t, "web", "keep")

	// Gracefully: the task ends once the new placement is healthy.
	eventually(t, 30*time.Second, "web's eviction task ends", func() error {
		if b := binding(t, "web"); len(b.Spec.GracefulEvictionTasks) > 0 || b.Spec.TargetContains(frankfurt) {
			return fmt.Errorf("targets %v, tasks %+v", b.Spec.TargetClusterNames(), b.Spec.GracefulEvictionTasks)
		}
		return nil
	})
	keep := binding(t, "keep")
	if len(keep.Spec.GracefulEvictionTasks) != 1 || keep.Spec.GracefulEvictionTasks[0].FromCluster != frankfurt ||
		keep.Spec.GracefulEvictionTasks[0].SuppressDeletion == nil || !*keep.Spec.GracefulEvictionTasks[0].SuppressDeletion {
		t.Errorf("keep's eviction task: %+v, want one from %s with suppressDeletion", keep.Spec.GracefulEvictionTasks, frankfurt)
	}
	eventually(t, 10*time.Second, "kurator describe rb web-deployment shows the failover's history", func() error {
		desc := fleettest.Kurator(t, fleet, "describe", "rb", "web-deployment")
		for _, re := range []string{`Evicted\s.*evicted from cluster-frankfurt: cluster cluster-frankfurt is not Ready`, `EvictionCompleted\s.*left cluster-frankfurt`, `Failover\s+False\s+FailoverCompleted`} {
			if !regexp.MustCompile(re).MatchString(desc) {
				return fmt.Errorf("lacks %q:\n%s", re, desc)
			}
		}
		return nil
	})
	if desc := fleettest.Kurator(t, fleet, "describe", "rb", "keep-deployment"); !strings.Contains(desc, "Never (kept until the task is removed)") {
		t.Errorf("kurator describe rb keep-deployment does not show the kept eviction:\n%s", desc)
	}

	restart(t, frankfurt)
	eventually(t, 60*time.Second, "web's old objects removed from the recovered frankfurt", func() error {
		if _, _, err := memberReplicas(t, frankfurt, "web"); !apierrors.IsNotFound(err) {
			return fmt.Errorf("web in frankfurt: %v", err)
		}
		return nil
	})
	if spec, _, err := memberReplicas(t, frankfurt, "keep"); err != nil || spec != 3 {
		t.Errorf("purgeMode Never: keep in frankfurt after its return: spec %d, %v; want its 3 replicas kept", spec, err)
	}
	fleettest.Consistently(t, 5*time.Second, "web stays out of the recovered frankfurt", func() error {
		if b := binding(t, "web"); b.Spec.TargetContains(frankfurt) {
			return fmt.Errorf("web moved back to frankfurt by itself: %v", b.Spec.Clusters)
		}
		return nil
	})

	out := fleettest.Kurator(t, fleet, "reschedule", "deployment/web")
	if !strings.Contains(out, "cluster-frankfurt:3") {
		t.Errorf("kurator reschedule deployment/web: %s", out)
	}
	wantPlaced(t, 60*time.Second, "web", map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})

	// Never: the task stays until the user ends it.
	out = fleettest.Kurator(t, fleet, "reschedule", "keep", "--drop-evictions")
	if !strings.Contains(out, "ended 1 eviction task") || !strings.Contains(out, "cluster-frankfurt:3") {
		t.Errorf("kurator reschedule keep --drop-evictions: %s", out)
	}
	wantPlaced(t, 60*time.Second, "keep", map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})
	if b := binding(t, "keep"); len(b.Spec.GracefulEvictionTasks) != 0 {
		t.Errorf("keep still has eviction tasks: %+v", b.Spec.GracefulEvictionTasks)
	}
}

// The manager is killed right after it evicted a workload from the failed
// member, and started again: the failover completes and no binding is left
// with fewer replicas than it wants.
func TestManagerRestartDuringFailover(t *testing.T) {
	apply(t, workload("mid", 10, ""))
	wantPlaced(t, 90*time.Second, "mid", map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})

	down := kill(t, frankfurt)
	eventually(t, 60*time.Second, "mid evicted from frankfurt", func() error {
		if b := binding(t, "mid"); b.Spec.TargetContains(frankfurt) {
			return fmt.Errorf("targets %v", b.Spec.TargetClusterNames())
		}
		return nil
	})
	// Cleanups run last in, first out: the manager is back before the
	// member's return is awaited (which needs the manager) and before the
	// workloads are deleted.
	manager := localfleet.HubName + "/kurator-manager"
	t.Cleanup(func() {
		if err := fleettest.Restore(fleet, manager); err != nil {
			t.Errorf("bring the manager back after the test: %v", err)
		}
	})
	if err := fleet.Kill(manager); err != nil {
		t.Fatal(err)
	}
	t.Logf("manager killed %s after frankfurt", time.Since(down).Round(time.Millisecond))
	if err := fleet.Restart(context.Background(), manager, true); err != nil {
		t.Fatal(err)
	}
	readyElsewhere(t, 90*time.Second, "mid", 10, hangzhou, shanghai)
	t.Logf("mid 10/10 ready elsewhere %s after the kill, across a manager restart", time.Since(down).Round(time.Millisecond))
	noneShort(t, "mid")

	// Frankfurt returns and the manager starts once more: mid stays where
	// it is (its static weights are not divided again on start-up).
	restart(t, frankfurt)
	eventually(t, 30*time.Second, "mid's eviction task ends", func() error {
		if n := len(binding(t, "mid").Spec.GracefulEvictionTasks); n > 0 {
			return fmt.Errorf("%d tasks", n)
		}
		return nil
	})
	if err := fleet.Stop(manager); err != nil {
		t.Fatal(err)
	}
	if err := fleet.Restart(context.Background(), manager, true); err != nil {
		t.Fatal(err)
	}
	// A new workload through the whole flow: the restarted manager has
	// worked through its start-up events by then.
	apply(t, workload("after", 10, ""))
	wantPlaced(t, 90*time.Second, "after", map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})
	fleettest.Consistently(t, 5*time.Second, "mid stays out of frankfurt across the manager's restart", func() error {
		if b := binding(t, "mid"); b.Spec.TargetContains(frankfurt) {
			return fmt.Errorf("mid moved back to frankfurt by itself when the manager restarted: %v", b.Spec.Clusters)
		}
		return nil
	})
}

// Two of three members fail together: more than the 50% share the local
// fleet allows, so nothing is evicted and the Fleet and the binding say why.
func TestTwoClustersDownPausesFailover(t *testing.T) {
	apply(t, workload("pause", 10, ""))
	wantPlaced(t, 90*time.Second, "pause", map[string]int32{hangzhou: 4, shanghai: 3, frankfurt: 3})

	kill(t, hangzhou)
	kill(t, frankfurt)
	waitReady(t, hangzhou, metav1.ConditionFalse)
	waitReady(t, frankfurt, metav1.ConditionFalse)
	eventually(t, 30*time.Second, "Fleet says failover is paused", func() error {
		var f fleetv1alpha1.Fleet
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: join.Namespace, Name: localfleet.FleetName}, &f); err != nil {
			return err
		}
		c := conditionOf(f.Status.Conditions, fleetv1alpha1.ConditionFailoverPaused)
		if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "2 of 3 clusters are not Ready") {
			return fmt.Errorf("FailoverPaused %+v", c)
		}
		return nil
	})
	// The toleration (5 s) passes: the evictions are due, and held back.
	eventually(t, 30*time.Second, "binding says its eviction is held back", func() error {
		c := conditionOf(binding(t, "pause").Status.Conditions, workv1alpha1.ConditionFailover)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != failover.ReasonFailoverPaused {
			return fmt.Errorf("Failover condition %+v", c)
		}
		return nil
	})
	// Held back for good, not merely late: twice the toleration later,
	// still nothing is evicted.
	fleettest.Consistently(t, 10*time.Second, "nothing evicted while failover is paused", func() error {
		b := binding(t, "pause")
		if !b.Spec.TargetContains(hangzhou) || !b.Spec.TargetContains(frankfurt) || len(b.Spec.GracefulEvictionTasks) > 0 {
			return fmt.Errorf("evicted while paused: targets %v, tasks %+v", b.Spec.Clusters, b.Spec.GracefulEvictionTasks)
		}
		return nil
	})
	noneShort(t, "pause")
	restart(t, hangzhou, frankfurt)
}
