package autoscale

import (
	"reflect"
	"testing"
	"time"
)

func TestConflicts(t *testing.T) {
	old, mid, young := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	cases := []struct {
		name   string
		claims []Claim
		want   map[string]string
	}{
		{"two policies on different workloads do not conflict", []Claim{
			{"ScalePolicy shop/promo", old, "Deployment shop/order-service"},
			{"ScalePolicy shop/night", young, "Deployment shop/cart"},
		}, map[string]string{}},
		{"the younger of two policies on one workload yields to the older", []Claim{
			{"ScalePolicy shop/night", young, "Deployment shop/order-service"},
			{"ScalePolicy shop/promo", old, "Deployment shop/order-service"},
		}, map[string]string{"ScalePolicy shop/night": "ScalePolicy shop/promo"}},
		{"created in the same second, the name decides", []Claim{
			{"ScalePolicy shop/b", old, "Deployment shop/web"},
			{"ScalePolicy shop/a", old, "Deployment shop/web"},
		}, map[string]string{"ScalePolicy shop/b": "ScalePolicy shop/a"}},
		{"a policy that yields blocks nobody: A and C act, B yields to A", []Claim{
			{"ScalePolicy shop/a", old, "Deployment shop/web"},
			{"ScalePolicy shop/b", mid, "Deployment shop/web"},
			{"ScalePolicy shop/b", mid, "Deployment shop/db"},
			{"ScalePolicy shop/c", young, "Deployment shop/db"},
		}, map[string]string{"ScalePolicy shop/b": "ScalePolicy shop/a"}},
		{"three on one workload all yield to the oldest", []Claim{
			{"ScalePolicy shop/c", young, "Deployment shop/web"},
			{"ScalePolicy shop/b", mid, "Deployment shop/web"},
			{"ScalePolicy shop/a", old, "Deployment shop/web"},
		}, map[string]string{"ScalePolicy shop/b": "ScalePolicy shop/a", "ScalePolicy shop/c": "ScalePolicy shop/a"}},
		{"a policy listing a workload twice does not conflict with itself", []Claim{
			{"ScalePolicy shop/a", old, "Deployment shop/web"},
			{"ScalePolicy shop/a", old, "Deployment shop/web"},
		}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Conflicts(c.claims); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestConflictDetailsNameTheSharedWorkloads(t *testing.T) {
	got := ConflictDetails([]Claim{
		{"ScalePolicy shop/promo", t0, "Deployment shop/web"},
		{"ScalePolicy shop/promo", t0, "Deployment shop/cart"},
		{"ScalePolicy shop/night", t0.Add(time.Minute), "Deployment shop/web"},
		{"ScalePolicy shop/night", t0.Add(time.Minute), "Deployment shop/cart"},
		{"ScalePolicy shop/night", t0.Add(time.Minute), "Deployment shop/db"},
	})
	want := Yield{To: "ScalePolicy shop/promo", Workloads: []string{"Deployment shop/cart", "Deployment shop/web"}}
	if !reflect.DeepEqual(got["ScalePolicy shop/night"], want) || len(got) != 1 {
		t.Errorf("got %+v, want night yielding %+v", got, want)
	}
}
