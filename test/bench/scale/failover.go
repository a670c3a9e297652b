package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/scale/harness"
)

// failedSet names the clusters of one failure round: -fail clusters evenly
// spread over the fleet, starting at offset, checked to leave every
// workload somewhere to go.
func (b *bench) failedSet(offset int) ([]string, map[string]bool, error) {
	names := b.m.Spread(b.o.fail, offset)
	down := map[string]bool{}
	for _, n := range names {
		down[n] = true
	}
	if err := b.m.CheckFailure(down); err != nil {
		return nil, nil, fmt.Errorf("failing %d clusters from %s: %w; choose another -fail", len(names), names[0], err)
	}
	return names, down, nil
}

// affected counts the bindings with a target among down, their replicas
// there, and how many of the down clusters hold any (a failed cluster that
// holds none has nothing to evict, so it never takes an eviction turn).
func (b *bench) affected(down map[string]bool) (bindings int, replicas int32, hosting int) {
	held := map[string]bool{}
	for i := range b.m.Workloads {
		rb := b.tracker.Binding(i)
		if rb == nil {
			continue
		}
		hit := false
		for _, t := range rb.Spec.Clusters {
			if down[t.Name] {
				hit, replicas = true, replicas+t.Replicas
				held[t.Name] = true
			}
		}
		if hit {
			bindings++
		}
	}
	return bindings, replicas, len(held)
}

func (b *bench) setDown(names []string, down bool) time.Time {
	at := time.Now()
	for _, n := range names {
		b.sim.SetDown(n, down)
	}
	return at
}

func describe(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:3], ", ") + ", ... " + names[len(names)-1]
}

// failureOff fails clusters with the pause off and follows the drain
// until every replica is placed again away from them, then brings them
// back.
func (b *bench) failureOff(ctx context.Context) error {
	names, down, err := b.failedSet(0)
	if err != nil {
		return err
	}
	w := len(b.m.Workloads)
	fmt.Printf("\n== failure of %d clusters at once, failover pause off (--failover-pause-share=1), eviction rate %g clusters/s\n", len(names), b.o.evictionRate)
	nb, nr, nh := b.affected(down)
	fmt.Printf("  failing %s: %d bindings target %d of them with %d replicas\n", describe(names), nb, nh, nr)
	b.acct.start("failure, pause off")
	t0 := b.setDown(names, true)
	progress := func(_ time.Duration, s harness.Summary) {
		fmt.Printf("  [%5.0fs] failed clusters still Ready %d, bindings on them %d, moves so far %d, %s\n",
			time.Since(t0).Seconds(), s.DownReady, s.OnDown, len(b.removalsFrom(t0, down)), s)
	}
	if _, _, err := b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, down, false,
		func(s harness.Summary) bool { return s.DownReady == 0 }, progress); err != nil {
		return fmt.Errorf("failed clusters not seen failing: %w", err)
	}
	detected := time.Since(t0)
	fmt.Printf("  all %d not Ready %s after the failure (probe every %s, failure threshold %s); evictions due %s after each\n",
		len(names), detected.Round(time.Millisecond), b.o.probeInterval, b.o.failureThreshold, b.o.toleration)
	_, _, err = b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, down, false,
		func(s harness.Summary) bool { return s.OnDown == 0 }, progress)
	drained := time.Since(t0)
	if err != nil {
		fmt.Printf("  the drain did not finish: %v\n", err)
	} else {
		fmt.Printf("  no ResourceBinding targets a failed cluster %s after the failure\n", drained.Round(time.Millisecond))
	}
	s, _, err := b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, down, true,
		func(s harness.Summary) bool { return s.Misplaced == 0 && s.Scheduled == w && s.Applied == s.Targets }, progress)
	if err != nil {
		fmt.Printf("  not every binding was placed again: %d misplaced (first: %v); %s\n", s.Misplaced, s.FirstMisplaced, s)
	} else {
		fmt.Printf("  every binding's replicas fully placed again away from the failed clusters and applied %s after the failure\n", time.Since(t0).Round(time.Millisecond))
		fmt.Printf("    (Duplicated: the group's live clusters; static: the Webster division over the live named clusters; dynamic: replicas summing to spec.replicas)\n")
	}
	b.printEvictions(t0, down)
	b.acct.end()
	b.printFailoverCounters()

	fmt.Printf("\n== the %d clusters come back\n", len(names))
	b.acct.start("recovery")
	t1 := b.setDown(names, false)
	if _, _, err := b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, down, false,
		func(s harness.Summary) bool { return s.DownReady == len(names) }, progress); err != nil {
		return fmt.Errorf("failed clusters did not come back: %w", err)
	}
	fmt.Printf("  all %d Ready again %s later (success threshold %s); their bindings stay where failover put them\n",
		len(names), time.Since(t1).Round(time.Millisecond), b.o.successThreshold)
	b.acct.end()
	return nil
}

// removalsFrom are the moves away from down clusters since t0.
func (b *bench) removalsFrom(t0 time.Time, down map[string]bool) []harness.Removal {
	var out []harness.Removal
	for _, r := range b.tracker.Removals(t0) {
		if down[r.Cluster] {
			out = append(out, r)
		}
	}
	return out
}

// printEvictions shows the pace of the drain: per 5 s after the failure,
// how many failed clusters saw their first binding leave (what the
// eviction rate limits) and how many bindings left one.
func (b *bench) printEvictions(t0 time.Time, down map[string]bool) {
	rs := b.removalsFrom(t0, down)
	if len(rs) == 0 {
		fmt.Println("  no binding left a failed cluster")
		return
	}
	first := map[string]time.Time{}
	var replicas int32
	for _, r := range rs {
		if f, ok := first[r.Cluster]; !ok || r.At.Before(f) {
			first[r.Cluster] = r.At
		}
		replicas += r.Replicas
	}
	const bucket = 5 * time.Second
	clusters, bindings := map[int]int{}, map[int]int{}
	last := 0
	for _, r := range rs {
		i := int(r.At.Sub(t0) / bucket)
		bindings[i]++
		last = max(last, i)
	}
	var starts []time.Time
	for _, at := range first {
		clusters[int(at.Sub(t0)/bucket)]++
		starts = append(starts, at)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	fmt.Printf("  %d moves off %d failed clusters (%d replicas); per 5 s after the failure:\n", len(rs), len(first), replicas)
	fmt.Printf("    %-10s %18s %14s\n", "after", "clusters started", "bindings moved")
	for i := 0; i <= last; i++ {
		if clusters[i] == 0 && bindings[i] == 0 {
			continue
		}
		fmt.Printf("    %3d-%3ds   %18d %14d\n", i*5, i*5+5, clusters[i], bindings[i])
	}
	if len(starts) > 1 {
		span := starts[len(starts)-1].Sub(starts[0])
		// The limiter's promise is a floor on the gaps between turns; the
		// mean pace is also bounded by when each cluster's eviction fell
		// due (detection spread over a probe interval, plus the toleration).
		tightest := span
		for i := 1; i < len(starts); i++ {
			tightest = min(tightest, starts[i].Sub(starts[i-1]))
		}
		fmt.Printf("  clusters started to be evicted at %.2f/s on average, the closest two %s apart (first %s, last %s after the failure; configured %g/s: %s apart, the first at once)\n",
			float64(len(starts)-1)/span.Seconds(), tightest.Round(10*time.Millisecond), starts[0].Sub(t0).Round(100*time.Millisecond),
			starts[len(starts)-1].Sub(t0).Round(100*time.Millisecond), b.o.evictionRate,
			time.Duration(float64(time.Second)/b.o.evictionRate).Round(10*time.Millisecond))
	}
}

// printFailoverCounters shows the manager's failover counters of the last
// phase.
func (b *bench) printFailoverCounters() {
	p := b.acct.phases[len(b.acct.phases)-1]
	var parts []string
	for k, v := range p.to.failover {
		if d := v - p.from.failover[k]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, d))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Printf("  manager failover counters in this phase: %s\n", strings.Join(parts, ", "))
}

// restartManager restarts the manager with the pause share of the
// protected round and waits until it has caught up: every Work
// reconciled once and every queue empty.
func (b *bench) restartManager(ctx context.Context) error {
	name := localfleet.ManagerProcess(1)
	fmt.Printf("\n== manager restart with --failover-pause-share=%g (SIGTERM: the Lease is released at once)\n", b.o.pauseShare)
	b.acct.start("manager restart")
	p, ok := b.st.Process(name)
	if !ok {
		return fmt.Errorf("no %s process", name)
	}
	b.acct.managerStopped(p.PID)
	t0 := time.Now()
	if err := b.st.Stop(name); err != nil {
		return err
	}
	for i := range b.st.Processes {
		if b.st.Processes[i].Name == name {
			// A later flag wins over the earlier one.
			b.st.Processes[i].Args = append(slices.Clone(b.st.Processes[i].Args), fmt.Sprintf("--failover-pause-share=%g", b.o.pauseShare))
		}
	}
	if err := b.st.Restart(ctx, name, true); err != nil {
		return err
	}
	healthy := time.Since(t0)
	// The old process's counters are gone with it.
	b.acct.current.from.ctrl, b.acct.current.from.failover = nil, nil
	b.sampler.Reset()
	fmt.Printf("  stopped and healthy again in %s\n", healthy.Round(time.Millisecond))
	targets := b.tracker.Summary(nil, false).Targets
	deadline := time.Now().Add(min(b.o.phaseTimeout, time.Until(b.deadline)))
	quiet, lastReport := 0, time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for quiet < 3 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		cs := b.sampler.Sample(ctx)
		depth := 0.0
		for _, c := range cs {
			depth += c.Depth
		}
		// An empty queue before the caches synced means nothing yet: the
		// execution controller must have seen every Work once.
		if cs != nil && depth == 0 && cs["execution"].Reconciles >= float64(targets) {
			quiet++
		} else {
			quiet = 0
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			fmt.Printf("  [%5.0fs] queued %.0f, execution reconciles %.0f of %d Works\n", time.Since(t0).Seconds(), depth, cs["execution"].Reconciles, targets)
		}
		if time.Now().After(deadline) {
			fmt.Printf("  the manager did not catch up within %s (or the budget ran out); going on\n", b.o.phaseTimeout)
			break
		}
	}
	fmt.Printf("  caught up (every Work reconciled, every queue empty for 3 s) %s after the stop\n", time.Since(t0).Round(time.Second))
	b.acct.end()
	return nil
}

// failureOn fails other clusters with the pause on and shows that nothing
// is evicted over a window after the evictions would be due, and what the
// Fleet and the bindings say. The clusters stay down: the bench ends.
func (b *bench) failureOn(ctx context.Context) error {
	step := len(b.m.Clusters) / b.o.fail
	names, down, err := b.failedSet(step / 2)
	if err != nil {
		return err
	}
	n := len(b.m.Clusters)
	fmt.Printf("\n== failure of %d clusters at once, failover pause on (--failover-pause-share=%g: more than %d of %d not Ready pauses)\n",
		len(names), b.o.pauseShare, int(b.o.pauseShare*float64(n)), n)
	nb, nr, nh := b.affected(down)
	fmt.Printf("  failing %s: %d bindings target %d of them with %d replicas\n", describe(names), nb, nh, nr)
	b.acct.start("failure, pause on")
	t0 := b.setDown(names, true)
	progress := func(_ time.Duration, s harness.Summary) {
		fmt.Printf("  [%5.0fs] failed clusters still Ready %d, bindings on them %d, moves %d\n",
			time.Since(t0).Seconds(), s.DownReady, s.OnDown, len(b.removalsFrom(t0, down)))
	}
	if _, _, err := b.waitFor(ctx, b.o.phaseTimeout, 10*time.Second, down, false,
		func(s harness.Summary) bool { return s.DownReady == 0 }, progress); err != nil {
		return fmt.Errorf("failed clusters not seen failing: %w", err)
	}
	detected := time.Since(t0)
	fmt.Printf("  all %d not Ready %s after the failure\n", len(names), detected.Round(time.Millisecond))
	s, _, err := b.waitFor(ctx, time.Minute, 10*time.Second, down, false,
		func(s harness.Summary) bool {
			return s.FailoverPaused != nil && s.FailoverPaused.Status == metav1.ConditionTrue
		}, progress)
	if err != nil {
		fmt.Printf("  the Fleet never reported FailoverPaused=True: %v\n", err)
	} else {
		fmt.Printf("  Fleet %s FailoverPaused=True (%s) %s after the failure: %s\n", harness.FleetName, s.FailoverPaused.Reason,
			time.Since(t0).Round(time.Millisecond), s.FailoverPaused.Message)
	}
	// Watching for something not to happen needs a window: evictions are
	// due toleration after each cluster's taint, so the window runs from
	// the last detection plus the toleration, for pauseWindow more.
	end := t0.Add(detected + b.o.toleration + b.o.pauseWindow)
	fmt.Printf("  watching for evictions until %s after the failure (evictions due from %s, plus a %s window)\n",
		end.Sub(t0).Round(time.Second), (detected + b.o.toleration).Round(time.Second), b.o.pauseWindow)
	if _, _, err := b.waitFor(ctx, time.Until(end)+time.Minute, 10*time.Second, down, false,
		func(harness.Summary) bool { return !time.Now().Before(end) }, progress); err != nil {
		return err
	}
	moved := b.removalsFrom(t0, down)
	s = b.tracker.Summary(down, false)
	if len(moved) == 0 {
		fmt.Printf("  nothing evicted: %d bindings still target the failed clusters, as before the failure\n", s.OnDown)
	} else {
		fmt.Printf("  %d bindings left a failed cluster despite the pause (the first %s after the failure)\n", len(moved), moved[0].At.Sub(t0).Round(time.Millisecond))
	}
	reasons := b.tracker.FailoverReasons()
	var parts []string
	for k, v := range reasons {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(parts)
	fmt.Printf("  bindings' Failover condition (status/reason): %s\n", strings.Join(parts, ", "))
	b.acct.end()
	b.printFailoverCounters()
	return nil
}
