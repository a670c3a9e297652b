package measure

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Controller is what controller-runtime's metrics say about one controller
// (its workqueue shares its name): counters since the manager started, and
// the queue depth at the moment of reading.
type Controller struct {
	Reconciles, Errors float64
	// ReconcileSeconds is the time spent reconciling, summed.
	ReconcileSeconds float64
	// QueueWaitSeconds and QueueWaits sum the time items waited in the
	// queue before a worker took them, and how many did.
	QueueWaitSeconds, QueueWaits float64
	Depth                        float64
}

// Controllers reads every controller's figures from the manager's metrics.
func Controllers(fams map[string]*dto.MetricFamily) map[string]Controller {
	out := map[string]Controller{}
	get := func(m *dto.Metric, label string) (string, Controller) {
		name := Label(m, label)
		return name, out[name]
	}
	for _, m := range fams["controller_runtime_reconcile_total"].GetMetric() {
		name, c := get(m, "controller")
		c.Reconciles += Value(m)
		out[name] = c
	}
	for _, m := range fams["controller_runtime_reconcile_errors_total"].GetMetric() {
		name, c := get(m, "controller")
		c.Errors += Value(m)
		out[name] = c
	}
	for _, m := range fams["controller_runtime_reconcile_time_seconds"].GetMetric() {
		name, c := get(m, "controller")
		c.ReconcileSeconds += m.GetHistogram().GetSampleSum()
		out[name] = c
	}
	for _, m := range fams["workqueue_queue_duration_seconds"].GetMetric() {
		name, c := get(m, "name")
		c.QueueWaitSeconds += m.GetHistogram().GetSampleSum()
		c.QueueWaits += float64(m.GetHistogram().GetSampleCount())
		out[name] = c
	}
	for _, m := range fams["workqueue_depth"].GetMetric() {
		name, c := get(m, "name")
		c.Depth += Value(m)
		out[name] = c
	}
	delete(out, "")
	return out
}

// Sampler reads a manager's controller figures every interval and keeps
// the largest queue depth each controller had since the last Reset: a
// queue's depth is a moment's value, its maximum over a phase says how far
// the controller fell behind.
type Sampler struct {
	url string
	get func(ctx context.Context, url string) (io.ReadCloser, error)

	mu       sync.Mutex
	maxDepth map[string]float64
	last     map[string]Controller
	err      error
}

// NewSampler samples url (the manager's /metrics) every interval until ctx
// ends.
func NewSampler(ctx context.Context, url string, interval time.Duration) *Sampler {
	s := &Sampler{url: url, maxDepth: map[string]float64{}}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.Sample(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Sample reads the figures once now and returns them (nil on an error,
// which Err keeps).
func (s *Sampler) Sample(ctx context.Context) map[string]Controller {
	fams, err := Families(ctx, s.url, s.get)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return nil
	}
	cs := Controllers(fams)
	for name, c := range cs {
		s.maxDepth[name] = max(s.maxDepth[name], c.Depth)
	}
	s.last, s.err = cs, nil
	return cs
}

// Reset starts a new phase: the maximum depths count from now.
func (s *Sampler) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxDepth = map[string]float64{}
	for name, c := range s.last {
		s.maxDepth[name] = c.Depth
	}
}

// MaxDepth returns each controller's largest depth since Reset.
func (s *Sampler) MaxDepth() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]float64, len(s.maxDepth))
	for k, v := range s.maxDepth {
		out[k] = v
	}
	return out
}

// Err is the last sampling error (nil after a good sample).
func (s *Sampler) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// PrintControllers shows what each controller did between from and to:
// reconciles (errors), total and mean reconcile time, mean queue wait, and
// the largest queue depth seen (maxDepth, from a Sampler), busiest first;
// controllers that did nothing are left out.
func PrintControllers(w io.Writer, from, to map[string]Controller, maxDepth map[string]float64) {
	type row struct {
		name string
		d    Controller
		max  float64
	}
	var rows []row
	for name, t := range to {
		f := from[name]
		d := Controller{
			Reconciles: t.Reconciles - f.Reconciles, Errors: t.Errors - f.Errors,
			ReconcileSeconds: t.ReconcileSeconds - f.ReconcileSeconds,
			QueueWaitSeconds: t.QueueWaitSeconds - f.QueueWaitSeconds, QueueWaits: t.QueueWaits - f.QueueWaits,
			Depth: t.Depth,
		}
		if d.Reconciles == 0 && maxDepth[name] == 0 {
			continue
		}
		rows = append(rows, row{name, d, maxDepth[name]})
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(b.d.ReconcileSeconds, a.d.ReconcileSeconds), cmp.Compare(a.name, b.name))
	})
	fmt.Fprintf(w, "  %-24s %10s %7s %11s %11s %13s %9s\n", "controller", "reconciles", "errors", "busy", "mean", "mean q-wait", "max depth")
	for _, r := range rows {
		mean, wait := time.Duration(0), time.Duration(0)
		if r.d.Reconciles > 0 {
			mean = time.Duration(r.d.ReconcileSeconds / r.d.Reconciles * float64(time.Second))
		}
		if r.d.QueueWaits > 0 {
			wait = time.Duration(r.d.QueueWaitSeconds / r.d.QueueWaits * float64(time.Second))
		}
		fmt.Fprintf(w, "  %-24s %10.0f %7.0f %10.1fs %11s %13s %9.0f\n", r.name, r.d.Reconciles, r.d.Errors,
			r.d.ReconcileSeconds, mean.Round(10*time.Microsecond), wait.Round(time.Millisecond), r.max)
	}
}
