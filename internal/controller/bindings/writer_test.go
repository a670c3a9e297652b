package bindings

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/writepace"
)

func newTestWriter() *StatusWriter {
	return &StatusWriter{
		pace:    writepace.New(0, 0),
		queue:   workqueue.NewTypedDelayingQueue[types.NamespacedName](),
		entries: map[types.NamespacedName]*entry{},
	}
}

func binding(version string, conds ...metav1.Condition) *workv1alpha1.ResourceBinding {
	b := &workv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nginx-deployment", ResourceVersion: version}}
	b.Status.Conditions = conds
	return b
}

func cond(typ string, s metav1.ConditionStatus) metav1.Condition {
	return metav1.Condition{Type: typ, Status: s, Reason: "Test", LastTransitionTime: metav1.Now()}
}

func TestSetHoldsProgressAndOverlayShowsIt(t *testing.T) {
	w := newTestWriter()
	defer w.queue.ShutDown()
	b := binding("5")
	st := &workv1alpha1.ResourceBindingStatus{SchedulerObservedGeneration: 1, Conditions: []metav1.Condition{cond(workv1alpha1.ConditionScheduled, metav1.ConditionTrue)}}
	w.Set(b, PartScheduler, &b.Status, st, false)
	if n := w.queue.Len(); n != 0 {
		t.Fatalf("a successful schedule is held for the Works' status, but %d writes are due now", n)
	}
	read := binding("5")
	w.Overlay(read)
	if !read.Status.IsScheduled() || read.Status.SchedulerObservedGeneration != 1 {
		t.Fatalf("the cache's copy does not show the pending part: %+v", read.Status)
	}

	// The binding controller's failure goes at once, with the held part.
	rendered := &workv1alpha1.ResourceBindingStatus{Conditions: []metav1.Condition{cond(workv1alpha1.ConditionWorksRendered, metav1.ConditionFalse)}}
	w.Set(b, PartBinding, &b.Status, rendered, true)
	if n := w.queue.Len(); n != 1 {
		t.Fatalf("an urgent part must be due at once, %d due", n)
	}
	e := w.entries[keyOf(b)]
	if e.pending[PartScheduler] == nil || e.pending[PartBinding] == nil {
		t.Fatalf("both parts must go in the one write: %+v", e.pending)
	}
}

func TestSetLeavesOutAnUnchangedPart(t *testing.T) {
	w := newTestWriter()
	defer w.queue.ShutDown()
	b := binding("7", cond(workv1alpha1.ConditionFullyApplied, metav1.ConditionTrue))
	// The caller's copy has nanoseconds; the hub stores seconds.
	w.Set(b, PartStatus, &b.Status, b.Status.DeepCopy(), true)
	if e := w.entries[keyOf(b)]; e != nil {
		t.Fatalf("an unchanged part must not be pending: %+v", e.pending)
	}
	// Another part's change does not make this one pending.
	now := b.Status.DeepCopy()
	now.AppliedOverrides = []workv1alpha1.OverrideReference{{Kind: "OverridePolicy", Namespace: "default", Name: "nginx"}}
	w.Set(b, PartStatus, &b.Status, now, true)
	if e := w.entries[keyOf(b)]; e != nil {
		t.Fatalf("only the status part's fields count: %+v", e.pending)
	}
	w.Set(b, PartBinding, &b.Status, now, true)
	if e := w.entries[keyOf(b)]; e == nil || e.pending[PartBinding] == nil || e.pending[PartStatus] != nil {
		t.Fatalf("the binding part must be pending alone: %+v", e)
	}
}

func TestOverlayShowsTheLastWriteUntilTheCacheDoes(t *testing.T) {
	w := newTestWriter()
	defer w.queue.ShutDown()
	b := binding("9")
	written := &workv1alpha1.ResourceBindingStatus{Conditions: []metav1.Condition{cond(workv1alpha1.ConditionScheduled, metav1.ConditionTrue)}}
	w.entries[keyOf(b)] = &entry{written: written, writtenVersion: "10"}

	stale := binding("9")
	w.Overlay(stale)
	if !stale.Status.IsScheduled() {
		t.Fatal("a cache older than the write must be overlaid with it")
	}
	// A newer version shows what it shows: another writer may have changed
	// it, and the write is in it.
	fresh := binding("11", cond(workv1alpha1.ConditionScheduled, metav1.ConditionFalse))
	w.Overlay(fresh)
	if meta.IsStatusConditionTrue(fresh.Status.Conditions, workv1alpha1.ConditionScheduled) {
		t.Fatal("a cache at or after the write must be left as it is")
	}
	if w.entries[keyOf(b)].written != nil {
		t.Fatal("the write is forgotten once the cache shows it")
	}
}

func TestNewerOrSame(t *testing.T) {
	for _, c := range []struct {
		v, w string
		want bool
	}{{"10", "10", true}, {"11", "10", true}, {"9", "10", false}, {"abc", "10", false}, {"abc", "abc", true}} {
		if got := newerOrSame(c.v, c.w); got != c.want {
			t.Errorf("newerOrSame(%q, %q) = %v, want %v", c.v, c.w, got, c.want)
		}
	}
}

func keyOf(b *workv1alpha1.ResourceBinding) types.NamespacedName {
	return types.NamespacedName{Namespace: b.Namespace, Name: b.Name}
}
