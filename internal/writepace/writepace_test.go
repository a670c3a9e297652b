package writepace

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestPacer(t *testing.T) {
	start := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	key := types.NamespacedName{Namespace: "ns", Name: "w"}
	cases := []struct {
		name string
		run  func(p *Pacer, at func(time.Duration)) time.Duration
		want time.Duration
	}{
		{"a settled status is written at once", func(p *Pacer, at func(time.Duration)) time.Duration {
			return p.Wait(key, true)
		}, 0},
		{"progress waits for the hold", func(p *Pacer, at func(time.Duration)) time.Duration {
			return p.Wait(key, false)
		}, 2 * time.Second},
		{"progress seen again waits only what is left of the hold", func(p *Pacer, at func(time.Duration)) time.Duration {
			p.Wait(key, false)
			at(1500 * time.Millisecond)
			return p.Wait(key, false)
		}, 500 * time.Millisecond},
		{"progress pending for the hold is written", func(p *Pacer, at func(time.Duration)) time.Duration {
			p.Wait(key, false)
			at(2 * time.Second)
			return p.Wait(key, false)
		}, 0},
		{"progress after a write waits for the interval", func(p *Pacer, at func(time.Duration)) time.Duration {
			p.Wrote(key)
			at(time.Second)
			return p.Wait(key, false)
		}, 4 * time.Second},
		{"a settled status right after a write is not held", func(p *Pacer, at func(time.Duration)) time.Duration {
			p.Wrote(key)
			return p.Wait(key, true)
		}, 0},
		{"a change that went back starts its hold again", func(p *Pacer, at func(time.Duration)) time.Duration {
			p.Wait(key, false)
			at(1900 * time.Millisecond)
			p.Settle(key)
			return p.Wait(key, false)
		}, 2 * time.Second},
		{"a forgotten object starts afresh", func(p *Pacer, at func(time.Duration)) time.Duration {
			p.Wrote(key)
			p.Forget(key)
			return p.Wait(key, false)
		}, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := start
			p := New(2*time.Second, 5*time.Second)
			p.now = func() time.Time { return now }
			got := tc.run(p, func(d time.Duration) { now = start.Add(d) })
			if got != tc.want {
				t.Fatalf("Wait = %v, want %v", got, tc.want)
			}
		})
	}
}
