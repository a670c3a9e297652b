package failover

import (
	"testing"
	"time"
)

func TestAdmission(t *testing.T) {
	type ask struct {
		cluster string
		at      time.Duration // after t0
		forget  bool          // forget the cluster instead of asking
		want    time.Duration
	}
	cases := []struct {
		name      string
		perSecond float64
		asks      []ask
	}{
		{name: "the first cluster goes at once", perSecond: 0.5, asks: []ask{{cluster: "fra", want: 0}}},
		{name: "an admitted cluster stays admitted", perSecond: 0.5, asks: []ask{
			{cluster: "fra", want: 0}, {cluster: "fra", at: time.Second, want: 0}}},
		{name: "the second cluster waits one interval, and its turn holds as time passes", perSecond: 0.5, asks: []ask{
			{cluster: "fra", want: 0},
			{cluster: "hz", want: 2 * time.Second},
			{cluster: "hz", at: 1500 * time.Millisecond, want: 500 * time.Millisecond},
			{cluster: "hz", at: 2 * time.Second, want: 0}}},
		{name: "the third cluster waits two intervals", perSecond: 0.1, asks: []ask{
			{cluster: "fra", want: 0}, {cluster: "hz", want: 10 * time.Second}, {cluster: "sh", want: 20 * time.Second}}},
		{name: "a cluster asking after a quiet interval goes at once", perSecond: 0.5, asks: []ask{
			{cluster: "fra", want: 0}, {cluster: "hz", at: 5 * time.Second, want: 0}}},
		{name: "a forgotten cluster's next outage waits for a new turn", perSecond: 0.5, asks: []ask{
			{cluster: "fra", want: 0},
			{cluster: "hz", want: 2 * time.Second},
			{cluster: "fra", forget: true},
			{cluster: "fra", at: 3 * time.Second, want: time.Second}}},
		{name: "forgetting a cluster that never asked changes nothing", perSecond: 0.5, asks: []ask{
			{cluster: "sh", forget: true}, {cluster: "fra", want: 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAdmission(tc.perSecond)
			for i, q := range tc.asks {
				if q.forget {
					a.Forget(q.cluster)
					continue
				}
				if got := a.Wait(q.cluster, t0.Add(q.at)); got != q.want {
					t.Errorf("ask %d: %s at +%s waits %s, want %s", i, q.cluster, q.at, got, q.want)
				}
			}
		})
	}
}
