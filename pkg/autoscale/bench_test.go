package autoscale

import (
	"fmt"
	"testing"
	"time"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// One policy over 8 clusters, 300 samples each (a 5m window at a 1s step):
// the evaluation cost per policy and cycle, without the queries.
const benchClusters, benchSamples = 8, 300

func benchInput() (Settings, Window, map[string][]Sample) {
	s := Settings{Trigger: v1alpha1.ScaleTrigger{Type: v1alpha1.TriggerResource, Metric: "cpu"},
		Threshold: 70, ScaleInThreshold: 70, Duration: 5 * time.Minute, Interval: 30 * time.Second, Cooldown: 5 * time.Minute, ScaleIn: true}
	w := Window{Threshold: 70, ScaleInThreshold: 70, Duration: 5 * time.Minute, Step: time.Second}
	data := map[string][]Sample{}
	for c := 0; c < benchClusters; c++ {
		name := fmt.Sprintf("cluster-%d", c)
		s.Clusters = append(s.Clusters, name)
		vals := make([]float64, benchSamples+1)
		for i := range vals {
			vals[i] = 75 + float64((i*7+c)%10)
		}
		data[name] = series(t0.Add(-5*time.Minute), time.Second, vals...)
	}
	return s, w, data
}

// BenchmarkJudge judges the 8 clusters' windows of one policy.
func BenchmarkJudge(b *testing.B) {
	s, w, data := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range s.Clusters {
			if r := Judge(w, data[c], t0); r.Verdict != Above {
				b.Fatal(r.Message)
			}
		}
	}
}

// BenchmarkDecide is one cycle of a policy over 8 clusters: judge every
// window, decide, and compute the changes.
func BenchmarkDecide(b *testing.B) {
	s, w, data := benchInput()
	s.Workloads = []Workload{{Kind: "Deployment", Namespace: "shop", Name: "order-service", Replicas: intstrOf("+30%")}}
	s.Pool = &v1alpha1.NodePoolAction{Name: "worker-pool"}
	cur := Current{Workloads: map[string]int32{"Deployment shop/order-service": 20}, Pools: map[string]PoolSize{}}
	for _, c := range s.Clusters {
		cur.Pools[c] = PoolSize{Replicas: 3, Max: 5}
	}
	st := v1alpha1.ScalePolicyStatus{Phase: v1alpha1.PhaseWatching}
	b.ReportAllocs()
	for b.Loop() {
		o := Observation{Now: t0, Clusters: make(map[string]WindowResult, len(s.Clusters))}
		for _, c := range s.Clusters {
			o.Clusters[c] = Judge(w, data[c], t0)
		}
		d := Decide(s, st, o)
		if d.Direction != Out {
			b.Fatal(d.Reason)
		}
		if _, err := ScaleOutChanges(s, cur, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScheduleDue finds the due time of a minutely schedule for a
// policy whose last run was a day ago.
func BenchmarkScheduleDue(b *testing.B) {
	s := mustSchedule(b, "* * * * *", "Asia/Shanghai")
	last := t0.Add(-24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if due, _ := s.Due(&last, last, t0); due == nil {
			b.Fatal("nothing due")
		}
	}
}
