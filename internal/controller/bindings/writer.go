package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/writepace"
)

// Part is one controller's share of a binding's status.
type Part int

const (
	// PartScheduler: schedulerObservedGeneration,
	// schedulerObservedAffinityName, lastScheduledTime and the Scheduled
	// condition (the scheduling controller).
	PartScheduler Part = iota
	// PartBinding: the WorksRendered condition and appliedOverrides (the
	// binding controller).
	PartBinding
	// PartStatus: aggregatedStatus and the FullyApplied condition (the
	// status controller).
	PartStatus
	// PartFailover: the Failover condition (the eviction controller).
	PartFailover
	parts
)

// partConditions are the condition types each part owns.
var partConditions = [parts]string{
	PartScheduler: workv1alpha1.ConditionScheduled,
	PartBinding:   workv1alpha1.ConditionWorksRendered,
	PartStatus:    workv1alpha1.ConditionFullyApplied,
	PartFailover:  workv1alpha1.ConditionFailover,
}

// FieldManager owns every part of a binding's status that StatusWriter
// writes.
const FieldManager = "kurator-binding-status"

// StatusWriter is the one writer of (Cluster)ResourceBinding status for the
// scheduling, binding, status and eviction controllers. Each hands it its
// part; the writer sends all pending parts of a binding in one server-side apply, so
// a new workload's Scheduled, WorksRendered and first aggregate cost the hub
// one write instead of three, and a change that settles nothing waits
// (internal/writepace) for the changes that follow it.
//
// A part is written at once when the caller says it is urgent (a failure,
// or a status that settles: every cluster applied and healthy); otherwise
// it waits up to the pacer's hold. Until written, and until the cache shows
// the write, Overlay puts the parts into a binding read from the cache, so
// the controllers decide on what they last said, not on what the cache
// still shows.
//
// Pending parts live in the leader's memory. A manager that dies with some
// unwritten loses nothing that matters: its successor's controllers
// reconcile every binding at start and hand their parts again.
type StatusWriter struct {
	client client.Client
	pace   *writepace.Pacer
	queue  workqueue.TypedDelayingInterface[types.NamespacedName]

	mu      sync.Mutex
	entries map[types.NamespacedName]*entry
}

// noParts is an entry's pending parts when none is.
var noParts [parts]*workv1alpha1.ResourceBindingStatus

type entry struct {
	// pending holds the parts handed in since the last write (nil: none).
	pending [parts]*workv1alpha1.ResourceBindingStatus
	urgent  bool
	// written is the status the last write sent, kept until the cache shows
	// writtenVersion (or a later one).
	written        *workv1alpha1.ResourceBindingStatus
	writtenVersion string
}

// writers holds one StatusWriter per manager: every controller of a manager
// must hand its parts to the same writer, or one writer's apply would send
// another's fields from a stale cache.
var writers sync.Map // ctrl.Manager -> *StatusWriter

// StatusWriterFor returns mgr's StatusWriter, creating it (and adding its
// workers to mgr) on the first call.
func StatusWriterFor(mgr ctrl.Manager) (*StatusWriter, error) {
	if w, ok := writers.Load(mgr); ok {
		return w.(*StatusWriter), nil
	}
	w := &StatusWriter{
		client:  mgr.GetClient(),
		pace:    writepace.New(0, 0),
		queue:   workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[types.NamespacedName]{Name: "binding-status"}),
		entries: map[types.NamespacedName]*entry{},
	}
	actual, loaded := writers.LoadOrStore(mgr, w)
	if loaded {
		return actual.(*StatusWriter), nil
	}
	if err := mgr.Add(w); err != nil {
		return nil, fmt.Errorf("binding status writer: %w", err)
	}
	return w, nil
}

// NeedLeaderElection: only the leader's controllers hand in parts.
func (w *StatusWriter) NeedLeaderElection() bool { return true }

// Start runs the writer's workers until ctx ends.
func (w *StatusWriter) Start(ctx context.Context) error {
	const workers = 8
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for w.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	w.queue.ShutDown()
	wg.Wait()
	return nil
}

// Set hands in part p of binding b's status: old is the status as the
// caller read it (with Overlay), now as the caller computed it; only p's
// fields of both are read. A part that did not change is left out.
func (w *StatusWriter) Set(b client.Object, p Part, old, now *workv1alpha1.ResourceBindingStatus, urgent bool) {
	v := &workv1alpha1.ResourceBindingStatus{}
	copyPart(p, v, now)
	storedPrecision(v)
	seen := &workv1alpha1.ResourceBindingStatus{}
	copyPart(p, seen, old)
	storedPrecision(seen)
	if partEqual(p, seen, v) {
		return
	}
	key := client.ObjectKeyFromObject(b)
	w.mu.Lock()
	e := w.entries[key]
	if e == nil {
		e = &entry{}
		w.entries[key] = e
	}
	e.pending[p] = v
	e.urgent = e.urgent || urgent
	wait := w.pace.Wait(key, e.urgent)
	w.mu.Unlock()
	if wait > 0 {
		w.queue.AddAfter(key, wait)
		return
	}
	w.queue.Add(key)
}

// Overlay puts the parts handed in for b, written or not, into b's status
// where b (read from the cache) does not show them yet.
func (w *StatusWriter) Overlay(b client.Object) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e := w.entries[client.ObjectKeyFromObject(b)]; e != nil {
		_, st := workv1alpha1.BindingParts(b)
		e.overlay(b.GetResourceVersion(), st)
	}
}

// Forget drops what is known of a binding that is gone.
func (w *StatusWriter) Forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.entries, key)
	w.pace.Forget(key)
}

// overlay writes the written and pending parts into st, read at version.
func (e *entry) overlay(version string, st *workv1alpha1.ResourceBindingStatus) {
	if e.written != nil {
		if newerOrSame(version, e.writtenVersion) {
			e.written = nil
		} else {
			for p := range parts {
				copyPart(p, st, e.written)
			}
		}
	}
	for p := range parts {
		if e.pending[p] != nil {
			copyPart(p, st, e.pending[p])
		}
	}
}

// next writes one binding's pending parts; false when the queue is shut down.
func (w *StatusWriter) next(ctx context.Context) bool {
	key, shutdown := w.queue.Get()
	if shutdown {
		return false
	}
	defer w.queue.Done(key)
	if err := w.write(ctx, key); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "write binding status", "binding", key)
		w.queue.AddAfter(key, time.Second)
	}
	return true
}

func (w *StatusWriter) write(ctx context.Context, key types.NamespacedName) error {
	var b client.Object = &workv1alpha1.ResourceBinding{}
	if key.Namespace == "" {
		b = &workv1alpha1.ClusterResourceBinding{}
	}
	if err := w.client.Get(ctx, key, b); err != nil {
		if apierrors.IsNotFound(err) {
			w.Forget(key)
			return nil
		}
		return err
	}
	w.mu.Lock()
	e := w.entries[key]
	if e == nil || e.pending == noParts {
		w.mu.Unlock()
		return nil
	}
	if wait := w.pace.Wait(key, e.urgent); wait > 0 {
		w.mu.Unlock()
		w.queue.AddAfter(key, wait)
		return nil
	}
	_, st := workv1alpha1.BindingParts(b)
	shown := st.DeepCopy()
	e.overlay(b.GetResourceVersion(), shown) // everything handed in, written or not
	taken := e.pending
	e.pending, e.urgent = noParts, false
	if statusEqual(st, shown) {
		// The parts came back to what is stored: nothing to write.
		w.pace.Settle(key)
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()

	if err := applyStatus(ctx, w.client, b, shown); err != nil {
		if apierrors.IsNotFound(err) {
			w.Forget(key)
			return nil
		}
		// Hand the parts back unless newer ones came meanwhile.
		w.mu.Lock()
		for p := range parts {
			if e.pending[p] == nil {
				e.pending[p] = taken[p]
			}
		}
		w.mu.Unlock()
		return err
	}
	w.mu.Lock()
	e.written, e.writtenVersion = shown, b.GetResourceVersion()
	w.pace.Wrote(key)
	w.mu.Unlock()
	return nil
}

// applyStatus writes every part of st to b by server-side apply, forced:
// the fields it leaves out (an empty aggregatedStatus, say) are removed.
// Conditions are a map keyed by type, so conditions other writers set
// stay. b gets the written object back.
func applyStatus(ctx context.Context, c client.Client, b client.Object, st *workv1alpha1.ResourceBindingStatus) error {
	fields := map[string]any{"conditions": conditionValues(st.Conditions, partConditions[:])}
	if st.SchedulerObservedGeneration != 0 {
		fields["schedulerObservedGeneration"] = st.SchedulerObservedGeneration
	}
	if st.SchedulerObservedAffinityName != "" {
		fields["schedulerObservedAffinityName"] = st.SchedulerObservedAffinityName
	}
	if st.LastScheduledTime != nil {
		fields["lastScheduledTime"] = st.LastScheduledTime.UTC().Format(time.RFC3339)
	}
	if len(st.AggregatedStatus) > 0 {
		fields["aggregatedStatus"] = st.AggregatedStatus
	}
	if len(st.AppliedOverrides) > 0 {
		fields["appliedOverrides"] = st.AppliedOverrides
	}
	kind := "ResourceBinding"
	if _, ok := b.(*workv1alpha1.ClusterResourceBinding); ok {
		kind = "ClusterResourceBinding"
	}
	md := map[string]any{"name": b.GetName()}
	if b.GetNamespace() != "" {
		md["namespace"] = b.GetNamespace()
	}
	patch, err := json.Marshal(map[string]any{
		"apiVersion": workv1alpha1.GroupVersion.String(), "kind": kind,
		"metadata": md, "status": fields,
	})
	if err != nil {
		return fmt.Errorf("encode status of %s %s: %w", kind, client.ObjectKeyFromObject(b), err)
	}
	return c.Status().Patch(ctx, b, client.RawPatch(types.ApplyPatchType, patch), client.FieldOwner(FieldManager), client.ForceOwnership)
}

// copyPart sets part p's fields of dst to those of src.
func copyPart(p Part, dst, src *workv1alpha1.ResourceBindingStatus) {
	switch p {
	case PartScheduler:
		dst.SchedulerObservedGeneration = src.SchedulerObservedGeneration
		dst.SchedulerObservedAffinityName = src.SchedulerObservedAffinityName
		dst.LastScheduledTime = src.LastScheduledTime.DeepCopy()
	case PartBinding:
		dst.AppliedOverrides = append([]workv1alpha1.OverrideReference(nil), src.AppliedOverrides...)
	case PartStatus:
		dst.AggregatedStatus = nil
		for i := range src.AggregatedStatus {
			dst.AggregatedStatus = append(dst.AggregatedStatus, *src.AggregatedStatus[i].DeepCopy())
		}
	}
	typ := partConditions[p]
	if c := meta.FindStatusCondition(src.Conditions, typ); c != nil {
		setCondition(&dst.Conditions, *c)
	} else {
		meta.RemoveStatusCondition(&dst.Conditions, typ)
	}
}

// setCondition puts c into conds as it is, lastTransitionTime included
// (meta.SetStatusCondition would keep the old time of an unchanged status).
func setCondition(conds *[]metav1.Condition, c metav1.Condition) {
	for i := range *conds {
		if (*conds)[i].Type == c.Type {
			(*conds)[i] = c
			return
		}
	}
	*conds = append(*conds, c)
}

// partEqual says whether a and b agree on part p.
func partEqual(p Part, a, b *workv1alpha1.ResourceBindingStatus) bool {
	var x, y workv1alpha1.ResourceBindingStatus
	copyPart(p, &x, a)
	copyPart(p, &y, b)
	return equality.Semantic.DeepEqual(x, y)
}

// statusEqual says whether a and b agree on every part.
func statusEqual(a, b *workv1alpha1.ResourceBindingStatus) bool {
	for p := range parts {
		if !partEqual(p, a, b) {
			return false
		}
	}
	return true
}

// storedPrecision rounds st's times to the seconds the hub stores, so a part
// compares equal to itself read back.
func storedPrecision(st *workv1alpha1.ResourceBindingStatus) {
	if st.LastScheduledTime != nil {
		t := st.LastScheduledTime.Rfc3339Copy()
		st.LastScheduledTime = &t
	}
	for i := range st.Conditions {
		st.Conditions[i].LastTransitionTime = st.Conditions[i].LastTransitionTime.Rfc3339Copy()
	}
}

// newerOrSame says whether resourceVersion v is the same as or later than
// w. The hub's versions are etcd revisions; when either does not parse as
// one, only equal versions count.
func newerOrSame(v, w string) bool {
	if v == w {
		return true
	}
	a, err1 := strconv.ParseUint(v, 10, 64)
	b, err2 := strconv.ParseUint(w, 10, 64)
	return err1 == nil && err2 == nil && a >= b
}

// conditionValues lists the conditions of the given types present in conds,
// as apply values.
func conditionValues(conds []metav1.Condition, types []string) []any {
	out := []any{}
	for _, t := range types {
		if c := meta.FindStatusCondition(conds, t); c != nil {
			out = append(out, map[string]any{
				"type": c.Type, "status": string(c.Status), "reason": c.Reason, "message": c.Message,
				"observedGeneration": c.ObservedGeneration, "lastTransitionTime": c.LastTransitionTime.UTC().Format(time.RFC3339),
			})
		}
	}
	return out
}
