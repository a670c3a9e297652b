package execution

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// Latency of the execution controller alone, on the package's fleet:
//
//	go test -run '^$' -bench . -benchtime 20x ./test/e2e/execution
//
// Each Work carries one Deployment; times are from creating the Work on the
// hub to the Deployment seen in its member (ns/op, present-ms) and to all
// its replicas ready there (ready-ms), seen through member watches.

// BenchmarkWorkToMember: one Work at a time, the members in turn (each
// deleted, untimed, before the next).
func BenchmarkWorkToMember(b *testing.B) {
	const ns = "bench-single"
	seen := watchArrivals(b, ns)
	deleteWorksAfter(b, ns)
	ctx := context.Background()
	var present, ready []time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("single-%03d", i)
		c := names[i%2]
		i++
		w := newWork(c, name, types.NamespacedName{Namespace: ns, Name: name}, rawOf(b, deployment(ns, name, 1)))
		created := time.Now()
		if err := hub.Create(ctx, w); err != nil {
			b.Fatal(err)
		}
		a := seen.await(b, name, 30*time.Second)
		present = append(present, a.present.Sub(created))
		ready = append(ready, a.ready.Sub(created))
		// The members' fake nodes have room for a few hundred pods.
		b.StopTimer()
		deleteWorks(b, ns)
		b.StartTimer()
	}
	report(b, "present", present)
	report(b, "ready", ready)
}

// BenchmarkWorksAtOnce: 40 Works (2 replicas each, half per member)
// created together; one op is the whole burst, until the last is ready.
func BenchmarkWorksAtOnce(b *testing.B) {
	const n, ns = 40, "bench-burst"
	seen := watchArrivals(b, ns)
	deleteWorksAfter(b, ns)
	ctx := context.Background()
	var present, ready []time.Duration
	round := 0
	for b.Loop() {
		created := map[string]time.Time{}
		for i := range n {
			name := fmt.Sprintf("burst-%02d-%02d", round, i)
			w := newWork(names[i%2], name, types.NamespacedName{Namespace: ns, Name: name}, rawOf(b, deployment(ns, name, 2)))
			created[name] = time.Now()
			if err := hub.Create(ctx, w); err != nil {
				b.Fatal(err)
			}
		}
		round++
		for name, at := range created {
			a := seen.await(b, name, 2*time.Minute)
			present = append(present, a.present.Sub(at))
			ready = append(ready, a.ready.Sub(at))
		}
		// The members' fake nodes have room for a few hundred pods.
		b.StopTimer()
		deleteWorks(b, ns)
		b.StartTimer()
	}
	report(b, "present", present)
	report(b, "ready", ready)
}

// arrival is when a Deployment was first seen in its member, and seen ready.
type arrival struct {
	present, ready time.Time
	done           chan struct{} // closed once ready is set
}

// arrivals records, from watches on both members, when each Deployment of
// one namespace arrives and turns ready.
type arrivals struct {
	mu   sync.Mutex
	seen map[string]*arrival
}

func watchArrivals(b *testing.B, ns string) *arrivals {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	a := &arrivals{seen: map[string]*arrival{}}
	for _, c := range names {
		if _, err := members[c].CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
		wi, err := members[c].AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(wi.Stop)
		go func() {
			for ev := range wi.ResultChan() {
				if d, ok := ev.Object.(*appsv1.Deployment); ok && ev.Type != watch.Deleted {
					a.observe(d, time.Now())
				}
			}
		}()
	}
	return a
}

func (a *arrivals) entry(name string) *arrival {
	e := a.seen[name]
	if e == nil {
		e = &arrival{done: make(chan struct{})}
		a.seen[name] = e
	}
	return e
}

func (a *arrivals) observe(d *appsv1.Deployment, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.entry(d.Name)
	if e.present.IsZero() {
		e.present = now
	}
	if e.ready.IsZero() && d.Spec.Replicas != nil && d.Status.ReadyReplicas == *d.Spec.Replicas && d.Status.ObservedGeneration == d.Generation {
		e.ready = now
		close(e.done)
	}
}

// await waits until the named Deployment was seen ready, for at most timeout.
func (a *arrivals) await(b *testing.B, name string, timeout time.Duration) arrival {
	b.Helper()
	a.mu.Lock()
	e := a.entry(name)
	a.mu.Unlock()
	select {
	case <-e.done:
	case <-time.After(timeout):
		b.Fatalf("deployment %s not ready in its member within %s", name, timeout)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return *e
}

// report adds the median and the 99th percentile of d, in milliseconds.
func report(b *testing.B, what string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p int) float64 { return float64(d[(len(d)*p+99)/100-1]) / float64(time.Millisecond) }
	b.ReportMetric(at(50), what+"-p50-ms")
	b.ReportMetric(at(99), what+"-p99-ms")
}
