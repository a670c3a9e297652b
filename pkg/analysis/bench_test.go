package analysis

import (
	"testing"
	"time"
)

// BenchmarkRenderAndJudge is the pure cost of one metric check in one
// cluster: render the built-in query and judge a value.
func BenchmarkRenderAndJudge(b *testing.B) {
	m := Metric{Name: RequestSuccessRate, Min: ptr(99)}
	v := Vars{Cluster: "cluster-hangzhou", Namespace: "bookinfo", Target: "reviews", Interval: 30 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(m, v); err != nil {
			b.Fatal(err)
		}
		Judge(m, v.Cluster, Result{Value: 99.5, Found: true}, true)
	}
}
