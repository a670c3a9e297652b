package analysis

import (
	"context"
	"time"

	core "github.com/kurator-go/kurator/pkg/analysis"
)

// Querier runs one instant query; *Prometheus is one.
type Querier interface {
	Query(ctx context.Context, promql string, at time.Time) core.Result
}

// Check renders metric m for v (v.Cluster names the cluster in the
// verdict), runs it at time at and judges the answer. It returns the
// verdict and the PromQL that ran (empty when rendering failed, which
// is reported as QueryFailed: Validate the metric at admission to avoid it).
func Check(ctx context.Context, q Querier, m core.Metric, v core.Vars, warmupDone bool, at time.Time) (core.Verdict, string) {
	promql, err := core.Render(m, v)
	if err != nil {
		return core.Judge(m, v.Cluster, core.Result{Err: err}, warmupDone), ""
	}
	return core.Judge(m, v.Cluster, q.Query(ctx, promql, at), warmupDone), promql
}
