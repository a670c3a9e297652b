package rollout

import (
	"fmt"
	"testing"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// BenchmarkStep is one reconcile's decision for a rollout over 100
// clusters in two stages, mid-run (every first-stage cluster due a check).
func BenchmarkStep(b *testing.B) {
	spec := canarySpec(appsv1alpha1.RolloutStage{Name: "first", ClusterSelector: nil})
	var names []string
	for i := range 100 {
		names = append(names, fmt.Sprintf("cluster-%03d", i))
	}
	spec.Stages[0].ClusterNames = names[:50]
	w := newWorld(&testing.T{}, spec, names...)
	for range 3 {
		w.step()
		w.now = w.now.Add(w.cfg.Interval)
	}
	w.rev = "v2"
	w.step()
	w.now = w.now.Add(w.cfg.Interval)
	in := w.observe()
	outcomes := map[Request]Outcome{}
	for _, r := range Step(w.cfg, &w.st, in, nil).Requests {
		outcomes[r] = Outcome{Passed: true}
	}
	b.ReportAllocs()
	for b.Loop() {
		out := Step(w.cfg, &w.st, in, outcomes)
		if out.Status.Phase != appsv1alpha1.PhaseProgressing {
			b.Fatal(out.Status.Phase)
		}
	}
}
