package scale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kurator-go/kurator/test/bench/scale/harness"
	"github.com/kurator-go/kurator/test/bench/scale/mix"
)

// TestScaleHarness joins 50 simulated clusters, propagates the mix's
// Deployments and fails 5 clusters, checking the hub's every decision
// against the mix's own account of the policies.
func TestScaleHarness(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()

	if err := harness.Join(ctx, hub, sim, plan, 10); err != nil {
		t.Fatal(err)
	}
	if err := harness.CreateFleet(ctx, hub, plan); err != nil {
		t.Fatal(err)
	}
	wait(ctx, t, 60*time.Second, "every cluster Ready", nil, false, func(s harness.Summary) bool { return s.ClustersReady == clusters })
	t.Logf("%d clusters joined and Ready after %s", clusters, time.Since(begin).Round(time.Millisecond))

	if err := harness.CreatePolicies(ctx, hub, plan); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := harness.CreateWorkloads(ctx, hub, plan, 10, nil); err != nil {
		t.Fatal(err)
	}
	var scheduled, applied time.Duration
	s := wait(ctx, t, 90*time.Second, "every workload scheduled, applied and ready", nil, true, func(s harness.Summary) bool {
		if scheduled == 0 && s.Scheduled == workloads {
			scheduled = time.Since(start)
		}
		if applied == 0 && s.Scheduled == workloads && s.Applied == s.Targets {
			applied = time.Since(start)
		}
		return s.Done(workloads) && s.Misplaced == 0
	})
	t.Logf("all scheduled at %s, all Works applied at %s", scheduled.Round(time.Millisecond), applied.Round(time.Millisecond))
	t.Logf("%d workloads scheduled, %d Works applied, templates ready after %s", workloads, s.Applied, time.Since(start).Round(time.Millisecond))
	checkMembers(t, nil)

	names := plan.Spread(failing, 0)
	down := map[string]bool{}
	for _, n := range names {
		down[n] = true
	}
	if err := plan.CheckFailure(down); err != nil {
		t.Fatalf("the failed set %v would strand a workload: %v", names, err)
	}
	onDown := tracker.Summary(down, false).OnDown
	if onDown == 0 {
		t.Fatalf("no binding targets %v: the failure would test nothing", names)
	}
	failed := time.Now()
	for _, n := range names {
		sim.SetDown(n, true)
	}
	t.Cleanup(func() {
		for _, n := range names {
			sim.SetDown(n, false)
		}
	})
	// Milestones on the way, logged for whoever reads a slow run.
	var notReady, drained, placed time.Duration
	s = wait(ctx, t, 90*time.Second, fmt.Sprintf("%d bindings off the failed clusters %v and every replica placed again", onDown, names), down, true,
		func(s harness.Summary) bool {
			at := time.Since(failed)
			if notReady == 0 && s.DownReady == 0 {
				notReady = at
			}
			if drained == 0 && s.OnDown == 0 {
				drained = at
			}
			if placed == 0 && s.OnDown == 0 && s.Misplaced == 0 && s.Scheduled == workloads {
				placed = at
			}
			return s.DownReady == 0 && s.OnDown == 0 && s.Misplaced == 0 && s.Done(workloads)
		})
	t.Logf("after the failure: all failed clusters not Ready at %s, no binding on them at %s, every binding placed as its policy says at %s",
		notReady.Round(time.Millisecond), drained.Round(time.Millisecond), placed.Round(time.Millisecond))
	moved := 0
	for _, r := range tracker.Removals(failed) {
		if down[r.Cluster] {
			moved++
		}
	}
	if moved < onDown {
		t.Fatalf("%d bindings targeted the failed clusters but the watch saw only %d leave one", onDown, moved)
	}
	t.Logf("%d bindings moved off %d failed clusters and applied elsewhere %s after the failure", moved, failing, time.Since(failed).Round(time.Millisecond))
	checkMembers(t, down)
}

// wait returns the tracker's summary once done holds, and fails the test
// with the last summary when timeout passes first.
func wait(ctx context.Context, t *testing.T, timeout time.Duration, what string, down map[string]bool, check bool, done func(harness.Summary) bool) harness.Summary {
	t.Helper()
	s, _, err := tracker.WaitFor(ctx, timeout, 0, down, check, done, nil)
	if err != nil {
		t.Fatalf("%s: %v (misplaced %d, first: %v)", what, err, s.Misplaced, s.FirstMisplaced)
	}
	return s
}

// checkMembers checks that every binding's targets hold the Deployment in
// the simulated cluster with the replicas the binding gives it, ready, and
// that no target is a failed cluster.
func checkMembers(t *testing.T, down map[string]bool) {
	t.Helper()
	var errs []error
	for i, w := range plan.Workloads {
		b := tracker.Binding(i)
		if b == nil {
			errs = append(errs, fmt.Errorf("%s/%s: no binding", w.Namespace, w.Name))
			continue
		}
		for _, tc := range b.Spec.Clusters {
			if down[tc.Name] {
				errs = append(errs, fmt.Errorf("%s/%s targets failed cluster %s", w.Namespace, w.Name, tc.Name))
				continue
			}
			obj, ok := sim.Get(tc.Name, "apps/v1/deployments", w.Namespace, w.Name)
			if !ok {
				errs = append(errs, fmt.Errorf("%s/%s is not in %s", w.Namespace, w.Name, tc.Name))
				continue
			}
			spec, _ := obj["spec"].(map[string]any)
			status, _ := obj["status"].(map[string]any)
			if r, ok := number(spec["replicas"]); !ok || int32(r) != tc.Replicas {
				errs = append(errs, fmt.Errorf("%s/%s in %s has %v replicas, the binding gives it %d", w.Namespace, w.Name, tc.Name, spec["replicas"], tc.Replicas))
			}
			if r, ok := number(status["readyReplicas"]); !ok || int32(r) != tc.Replicas {
				errs = append(errs, fmt.Errorf("%s/%s in %s has %v ready replicas, want %d", w.Namespace, w.Name, tc.Name, status["readyReplicas"], tc.Replicas))
			}
		}
	}
	if len(errs) > 0 {
		t.Fatalf("%d problems in the simulated clusters, the first ones: %v", len(errs), errors.Join(errs[:min(len(errs), 5)]...))
	}
	counts := plan.Count()
	t.Logf("every target holds its Deployment (%d Duplicated, %d static, %d dynamic workloads)",
		counts.Workloads[mix.Duplicated], counts.Workloads[mix.Static], counts.Workloads[mix.Dynamic])
}

// number reads a JSON number however it was decoded.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
