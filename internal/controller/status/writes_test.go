package status

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestWriteLogStale(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "w"}
	cases := []struct {
		name     string
		wrote    bool
		from, to string
		cached   string
		want     bool
	}{
		{name: "never written: not stale", cached: "5"},
		{name: "cache shows the version before our write: stale", wrote: true, from: "5", to: "6", cached: "5", want: true},
		{name: "cache caught up: not stale", wrote: true, from: "5", to: "6", cached: "6"},
		{name: "a write that changed nothing is no reason to call the cache stale", wrote: true, from: "5", to: "5", cached: "5"},
		{name: "someone else wrote since: not stale", wrote: true, from: "5", to: "6", cached: "7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newWriteLog()
			if tc.wrote {
				l.wrote(key, tc.from, tc.to)
			}
			if got := l.stale(key, tc.cached); got != tc.want {
				t.Errorf("stale = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWriteLogForgets(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "w"}
	l := newWriteLog()
	l.wrote(key, "5", "6")
	if !l.stale(key, "5") {
		t.Fatal("not stale right after the write")
	}
	if l.stale(key, "6"); len(l.last) != 0 {
		t.Errorf("entry kept after the cache caught up: %v", l.last)
	}
	l.wrote(key, "6", "7")
	l.forget(key)
	if len(l.last) != 0 {
		t.Errorf("forget kept %v", l.last)
	}
}
