package scheduling

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// FirstPlacement returns what the detector calls on a binding it is about to
// create: it schedules the binding with the same core, snapshot and request
// as this controller, and on success writes the targets and the placement
// digest into b, so the binding is created already placed. That saves the
// hub one write per workload and the scheduler's round trip before Works can
// be rendered. The scheduler then records the result as its own (the
// Scheduled condition and the scheduling fields, placedByDetector) without
// scheduling again: by then the binding's own Works may have taken the
// capacity a dynamic weight division counted. On any failure b is left
// unplaced and the scheduler does the whole job, reporting why.
func FirstPlacement(src *snapshot.Source) func(ctx context.Context, b client.Object) {
	return func(ctx context.Context, b client.Object) {
		spec, status := workv1alpha1.BindingParts(b)
		if spec.Placement == nil || len(spec.Clusters) > 0 {
			return
		}
		snap, _, err := src.Get(ctx)
		if err != nil {
			return
		}
		req := RequestOf(spec, status)
		if req.CostWeight, err = scheduler.CostWeightOf(b.GetAnnotations()); err != nil {
			return
		}
		res, err := scheduler.Schedule(snap, req)
		if err != nil {
			return
		}
		spec.Clusters = make([]workv1alpha1.TargetCluster, len(res.Targets))
		for i, t := range res.Targets {
			spec.Clusters[i] = workv1alpha1.TargetCluster{Name: t.Name, Replicas: t.Replicas}
		}
		ann := b.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[workv1alpha1.ScheduledPlacementAnnotation] = PlacementDigest(spec.Placement)
		b.SetAnnotations(ann)
	}
}
