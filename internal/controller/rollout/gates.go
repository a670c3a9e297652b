package rollout

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/analysis"
	core "github.com/kurator-go/kurator/pkg/analysis"
	"github.com/kurator-go/kurator/pkg/rollout"
)

// Gates runs the gates the rollout engine asks for: webhooks by Flagger
// type and Prometheus checks, per cluster. The Application controller
// runs its deliveries' gates with it too, describing the delivery as a
// Rollout (name, namespace, target workload, analysis, status).
type Gates struct {
	// PrometheusAddress is asked when a metric names no address.
	PrometheusAddress string

	hooks *analysis.Webhooks
	mu    sync.Mutex
	proms map[string]*analysis.Prometheus
}

// NewGates makes a gate runner.
func NewGates(prometheusAddress string) *Gates {
	return &Gates{PrometheusAddress: prometheusAddress, hooks: analysis.NewWebhooks(), proms: map[string]*analysis.Prometheus{}}
}

// Run runs what the state machine asked for and says how it went.
func (r *Gates) Run(ctx context.Context, ro *appsv1alpha1.Rollout, req rollout.Request) rollout.Outcome {
	now := metav1.Now()
	out := rollout.Outcome{Passed: true}
	record := func(g appsv1alpha1.GateResult) {
		g.Time, g.Cluster = now, req.Cluster
		out.Results = append(out.Results, g)
	}
	callAll := func(typ core.HookType) {
		for _, h := range r.hooksOf(ro, typ) {
			status, err := r.hooks.Call(ctx, h, r.payload(ro, req.Cluster))
			g := appsv1alpha1.GateResult{Gate: h.Name, Kind: "webhook", Value: strconv.Itoa(status)}
			switch {
			case typ == core.RollbackHook:
				if core.HookPassed(status) {
					out.Rollback = true
					g.Reason, g.Message = "RollbackRequested", fmt.Sprintf("rollback hook %s answered %d: roll back", h.Name, status)
				} else {
					g.Passed, g.Reason = true, "NotRequested"
					continue // not worth a status entry every check
				}
			case err != nil:
				out.Passed = false
				g.Reason, g.Message = "Refused", err.Error()
			default:
				g.Passed, g.Reason = true, "Passed"
				g.Message = fmt.Sprintf("%s hook %s answered %d", typ, h.Name, status)
			}
			record(g)
		}
	}
	switch req.Kind {
	case rollout.GateConfirmRollout:
		callAll(core.ConfirmRollout)
	case rollout.GateTrafficIncrease:
		callAll(core.ConfirmTrafficIncrease)
	case rollout.GatePromotion:
		callAll(core.ConfirmPromotion)
	case rollout.GateAnalysis:
		callAll(core.RollbackHook)
		if out.Rollback {
			return out
		}
		if req.First {
			callAll(core.PreRollout)
			return out
		}
		callAll(core.Rollout)
		if !out.Passed {
			return out
		}
		r.checkMetrics(ctx, ro, req, &out, record)
	}
	return out
}

// checkMetrics judges every metric of the analysis in the request's
// cluster; any failure fails the check, a metric still warming up holds it.
func (r *Gates) checkMetrics(ctx context.Context, ro *appsv1alpha1.Rollout, req rollout.Request, out *rollout.Outcome, record func(appsv1alpha1.GateResult)) {
	a := ro.Spec.RolloutPolicy.TrafficAnalysis
	if a == nil {
		return
	}
	for _, m := range a.Metrics {
		cm := core.Metric{Name: m.Name}
		// The workload's namespace: a Rollout's own (admission makes them
		// equal), an Application's target namespace.
		vars := core.Vars{Name: ro.Name, Cluster: req.Cluster, Namespace: cmp.Or(ro.Spec.Workload.Namespace, ro.Namespace), Target: ro.Spec.Workload.Name, Service: ro.Spec.ServiceName}
		address := r.PrometheusAddress
		if m.IntervalSeconds != nil {
			cm.Interval = time.Duration(*m.IntervalSeconds) * time.Second
		}
		if t := m.ThresholdRange; t != nil {
			cm.Min, cm.Max = t.Min, t.Max
		}
		if c := m.CustomMetric; c != nil {
			cm.Query = c.Query
			vars.Extra = c.TemplateVariables
			if c.Address != "" {
				address = c.Address
			}
		}
		g := appsv1alpha1.GateResult{Gate: m.Name, Kind: "metric"}
		prom, err := r.prometheus(address)
		if err != nil {
			out.Passed = false
			g.Reason, g.Message = core.ReasonQueryFailed, err.Error()
			record(g)
			continue
		}
		v, _ := analysis.Check(ctx, prom, cm, vars, req.WarmupDone, time.Now())
		g.Passed, g.Reason, g.Message = v.Passed, v.Reason, v.Message
		if v.Value != nil {
			g.Value = strconv.FormatFloat(*v.Value, 'f', 2, 64)
		}
		record(g)
		switch {
		case v.Failed():
			out.Passed = false
		case v.Reason == core.ReasonWarmingUp:
			out.WarmingUp = true
		}
	}
	if !out.Passed {
		out.WarmingUp = false
	}
}

// prometheus is one client per address, kept for the manager's life.
func (r *Gates) prometheus(address string) (*analysis.Prometheus, error) {
	if address == "" {
		return nil, fmt.Errorf("no Prometheus to ask: start the manager with --prometheus-address or set the metric's customMetric.address")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.proms[address]; ok {
		return p, nil
	}
	p, err := analysis.NewPrometheus(address, analysis.PrometheusOptions{Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	r.proms[address] = p
	return p, nil
}

func (r *Gates) hooksOf(ro *appsv1alpha1.Rollout, typ core.HookType) []analysis.Hook {
	a := ro.Spec.RolloutPolicy.TrafficAnalysis
	if a == nil {
		return nil
	}
	timeout := analysis.DefaultHookTimeout
	if a.Webhooks.TimeoutSeconds != nil {
		timeout = time.Duration(*a.Webhooks.TimeoutSeconds) * time.Second
	}
	var out []analysis.Hook
	for _, h := range a.Webhooks.Hooks {
		t, err := core.ParseHookType(h.Type)
		if err != nil || t != typ {
			continue
		}
		ht := timeout
		if h.TimeoutSeconds != nil {
			ht = time.Duration(*h.TimeoutSeconds) * time.Second
		}
		out = append(out, analysis.Hook{Name: h.Name, URL: h.URL, Type: t, Timeout: ht, Retries: h.Retries, Metadata: h.Metadata})
	}
	if typ == core.Rollout && len(a.Webhooks.Commands) > 0 && a.Webhooks.LoadTesterURL != "" {
		out = append(out, analysis.LoadTestHooks(a.Webhooks.LoadTesterURL, a.Webhooks.Commands, timeout)...)
	}
	return out
}

func (r *Gates) payload(ro *appsv1alpha1.Rollout, cluster string) core.Payload {
	md := map[string]string{"cluster": cluster, "revision": ro.Status.CanaryRevision, "stage": ro.Status.CurrentStage}
	return core.Payload{Name: ro.Name, Namespace: ro.Namespace, Phase: string(ro.Status.Phase), Checksum: ro.Status.CanaryRevision, Metadata: md}
}

// PostRollout calls the post-rollout hooks; their answer changes nothing.
func (r *Gates) PostRollout(ctx context.Context, ro *appsv1alpha1.Rollout, phase appsv1alpha1.RolloutPhase) {
	for _, h := range r.hooksOf(ro, core.PostRollout) {
		p := r.payload(ro, "")
		p.Phase = string(phase)
		if _, err := r.hooks.Call(ctx, h, p); err != nil {
			ctrl.LoggerFrom(ctx).Info("post-rollout hook failed", "rollout", ro.Name, "hook", h.Name, "error", err.Error())
		}
	}
}
