// Package sync is the pull agent's Work sync: it keeps a member cluster in
// line with the Works in the cluster's execution namespace on the hub, the
// job the hub's execution controller does for push clusters,
// with the same code (internal/apply, internal/objectstatus).
//
//   - An informer watches the namespace's Works: a reconnect resumes the watch
//     from the last resourceVersion; client-go lists again only when the
//     watch expired.
//   - Each Work is applied with internal/apply (server-side apply, field
//     manager "kurator"); the applied objects are watched in the member
//     (internal/memberwatch), so drift and status changes requeue their Work,
//     and every Work is re-checked every ResyncPeriod from the local cache,
//     whether the hub is reachable or not.
//   - A Work being deleted has its objects deleted (unless
//     spec.preserveResourcesOnDeletion), then the agent removes the
//     execution finalizer: the hub's execution controller skips Pull
//     clusters. A Work deleted without the finalizer has its objects deleted
//     on the delete event.
//   - Work status (the Applied condition and each manifest's identity,
//     health and collected status) is written in batches: at most one write
//     per Work per StatusInterval, none when nothing changed, as one
//     server-side apply with field manager FieldManager.
//   - While the hub is unreachable the agent goes on applying what it has
//     and deletes nothing (deletions only follow the hub's word); status
//     waits and goes up on reconnect.
//
// API (for cmd/kurator-agent):
//
//	s, err := sync.New(sync.Options{
//		Cluster: name,                    // the AttachedCluster's name
//		Hub:     hubClient,               // client.WithWatch on the hub, scheme with work.kurator.dev
//		Member:  apply.Member{Dynamic: dyn, Mapper: mapper},
//		ResyncPeriod:   30 * time.Second, // --resync-period
//		StatusInterval: 2 * time.Second,  // --status-interval
//	})
//	go s.Run(ctx)      // blocks until ctx ends; returns nil then
//	s.HasSynced()      // the Works were listed once
//	s.Stats()          // counters: applies, status writes and bytes, lists, watches, ...
//
// The hub client needs, in the execution namespace: works get/list/watch
// and patch (the finalizer), works/status patch.
package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/apply"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/internal/objectstatus"
)

// FieldManager owns the Work status fields the agent writes on the hub.
const FieldManager = "kurator-agent"

// Defaults of Options.
const (
	DefaultResyncPeriod   = 30 * time.Second
	DefaultStatusInterval = 2 * time.Second
	DefaultWorkers        = 4
)

// Options configure a Syncer.
type Options struct {
	// Cluster is the member's name on the hub (required): its Works are in
	// workv1alpha1.ExecutionNamespace(Cluster).
	Cluster string
	// Hub reaches the hub (required). Its scheme must know work.kurator.dev.
	Hub client.WithWatch
	// Member reaches the member (Dynamic and Mapper required; Name defaults
	// to Cluster).
	Member apply.Member
	// ResyncPeriod is how often every Work is re-checked against the member
	// (default DefaultResyncPeriod): drift the member watch misses is
	// reverted within it.
	ResyncPeriod time.Duration
	// StatusInterval is the least time between two status writes of one Work
	// (default DefaultStatusInterval).
	StatusInterval time.Duration
	// Workers is how many Works are synced at once (default DefaultWorkers).
	Workers int

	// noWatchList lets tests turn off client-go's streaming list (fake
	// clients do not implement it).
	noWatchList bool
}

// Stats are the Syncer's counters since New.
type Stats struct {
	// Syncs is how many times a Work was synced (applied or deleted).
	Syncs int64
	// Applies is how many server-side applies the member accepted.
	Applies int64
	// ApplyFailures is how many manifest applies or prunes failed.
	ApplyFailures int64
	// Deletes is how many deleted Works had their objects removed.
	Deletes int64
	// StatusWrites is how many Work status writes the hub accepted, and
	// StatusBytes the size of their request bodies.
	StatusWrites int64
	StatusBytes  int64
	// StatusWriteFailures is how many status writes failed (they are retried).
	StatusWriteFailures int64
	// StatusPending is how many Works have a status waiting to be written.
	StatusPending int
	// FinalizerWrites is how many times the execution finalizer was added or
	// removed.
	FinalizerWrites int64
	// Lists is how many times every Work was fetched (a list, or a watch
	// streaming the initial state), and Watches how many watches were
	// opened: a reconnect that resumes from the last resourceVersion opens a
	// watch and fetches no list.
	Lists   int64
	Watches int64
}

type counters struct {
	syncs, applies, applyFailures, deletes       atomic.Int64
	statusWrites, statusBytes, statusWriteFailed atomic.Int64
	finalizerWrites, lists, watches              atomic.Int64
	// inflight is how many syncs are running (tests wait for 0).
	inflight atomic.Int64
}

// Syncer syncs one member with its Works on the hub.
type Syncer struct {
	opts      Options
	namespace string
	member    apply.Member
	applier   *apply.Applier
	watch     *memberwatch.Watcher
	informer  cache.SharedIndexInformer
	queue     workqueue.TypedRateLimitingInterface[string]
	status    *statusBatch
	stats     counters

	// warnedFinalizer: the missing permission to add finalizers was logged.
	warnedFinalizer atomic.Bool

	mu gosync.Mutex
	// gone holds Works deleted on the hub without the execution finalizer,
	// whose objects are still to be removed.
	gone map[string]*workv1alpha1.Work
	// released holds Works this agent removed the finalizer of: their delete
	// event needs no cleanup.
	released map[string]bool
}

// New checks opts and builds a Syncer; Run starts it.
func New(opts Options) (*Syncer, error) {
	if opts.Cluster == "" || opts.Hub == nil || opts.Member.Dynamic == nil || opts.Member.Mapper == nil {
		return nil, errors.New("agent sync: Options.Cluster, Options.Hub, Options.Member.Dynamic and Options.Member.Mapper are required")
	}
	if opts.ResyncPeriod <= 0 {
		opts.ResyncPeriod = DefaultResyncPeriod
	}
	if opts.StatusInterval <= 0 {
		opts.StatusInterval = DefaultStatusInterval
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Member.Name == "" {
		opts.Member.Name = opts.Cluster
	}
	s := &Syncer{
		opts:      opts,
		namespace: workv1alpha1.ExecutionNamespace(opts.Cluster),
		member:    opts.Member,
		status:    newStatusBatch(),
		gone:      map[string]*workv1alpha1.Work{},
		released:  map[string]bool{},
	}
	s.watch = memberwatch.New(singleMember{opts.Member.Dynamic})
	s.applier = apply.New(s.watch)
	s.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, opts.ResyncPeriod),
		workqueue.TypedRateLimitingQueueConfig[string]{})
	s.informer = cache.NewSharedIndexInformer(s.listWatch(), &workv1alpha1.Work{}, 0, cache.Indexers{})
	if _, err := s.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.enqueue(obj) },
		UpdateFunc: s.onUpdate,
		DeleteFunc: s.onDelete,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// singleMember gives memberwatch the one member the agent runs in.
type singleMember struct{ dyn dynamic.Interface }

func (m singleMember) Dynamic(context.Context, string) (dynamic.Interface, error) { return m.dyn, nil }

// listWatch lists and watches the Works of the execution namespace, counting
// both.
func (s *Syncer) listWatch() cache.ListerWatcher {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			s.stats.lists.Add(1)
			var list workv1alpha1.WorkList
			err := s.opts.Hub.List(ctx, &list, client.InNamespace(s.namespace), &client.ListOptions{Raw: &o, Limit: o.Limit, Continue: o.Continue})
			return &list, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			s.stats.watches.Add(1)
			if o.SendInitialEvents != nil && *o.SendInitialEvents {
				s.stats.lists.Add(1) // a streamed list: every Work comes again
			}
			return s.opts.Hub.Watch(ctx, &workv1alpha1.WorkList{}, client.InNamespace(s.namespace), &client.ListOptions{Raw: &o})
		},
	}
	if s.opts.noWatchList {
		return noWatchList{lw}
	}
	return lw
}

// noWatchList tells client-go's reflector to list, not stream, the initial
// state.
type noWatchList struct{ *cache.ListWatch }

func (noWatchList) IsWatchListSemanticsUnSupported() bool { return true }

// HasSynced reports whether the Works were listed from the hub once.
func (s *Syncer) HasSynced() bool { return s.informer.HasSynced() }

// Stats returns the counters.
func (s *Syncer) Stats() Stats {
	return Stats{
		Syncs:               s.stats.syncs.Load(),
		Applies:             s.stats.applies.Load(),
		ApplyFailures:       s.stats.applyFailures.Load(),
		Deletes:             s.stats.deletes.Load(),
		StatusWrites:        s.stats.statusWrites.Load(),
		StatusBytes:         s.stats.statusBytes.Load(),
		StatusWriteFailures: s.stats.statusWriteFailed.Load(),
		StatusPending:       s.status.pendingCount(),
		FinalizerWrites:     s.stats.finalizerWrites.Load(),
		Lists:               s.stats.lists.Load(),
		Watches:             s.stats.watches.Load(),
	}
}

// Run syncs until ctx ends, then returns nil; nothing is deleted from the
// member because Run stops. Call it once.
func (s *Syncer) Run(ctx context.Context) error {
	logger := log.FromContext(ctx).WithValues("cluster", s.opts.Cluster)
	ctx = log.IntoContext(ctx, logger)
	defer s.queue.ShutDown()

	sub := s.watch.Subscribe()
	var wg gosync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = s.watch.Start(ctx) })
	wg.Go(func() { s.forwardMemberEvents(ctx, sub) })
	wg.Go(func() { s.informer.RunWithContext(ctx) })

	logger.Info("waiting for the Works of the execution namespace", "namespace", s.namespace)
	if !cache.WaitForCacheSync(ctx.Done(), s.informer.HasSynced) {
		return nil
	}
	logger.Info("Works listed; syncing", "works", len(s.informer.GetStore().ListKeys()))

	for range s.opts.Workers {
		wg.Go(func() {
			for s.processNext(ctx) {
			}
		})
	}
	wg.Go(func() { s.resyncLoop(ctx) })
	wg.Go(func() { s.statusLoop(ctx) })
	<-ctx.Done()
	s.queue.ShutDown()
	return nil
}

// forwardMemberEvents requeues the Work of a member object that changed.
func (s *Syncer) forwardMemberEvents(ctx context.Context, sub <-chan event.GenericEvent) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub:
			if ev.Object != nil && ev.Object.GetNamespace() == s.namespace {
				s.queue.Add(ev.Object.GetName())
			}
		}
	}
}

// resyncLoop requeues every known Work each ResyncPeriod, from the local
// cache: drift is reverted while the hub is unreachable too.
func (s *Syncer) resyncLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.ResyncPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, key := range s.informer.GetStore().ListKeys() {
				if _, name, err := cache.SplitMetaNamespaceKey(key); err == nil {
					s.queue.Add(name)
				}
			}
		}
	}
}

func (s *Syncer) enqueue(obj any) {
	if w, ok := obj.(*workv1alpha1.Work); ok {
		s.queue.Add(w.Name)
	}
}

// onUpdate requeues a Work whose spec, deletion or finalizers changed; the
// agent's own status writes come back as updates that need no sync.
func (s *Syncer) onUpdate(oldObj, newObj any) {
	o, ok1 := oldObj.(*workv1alpha1.Work)
	n, ok2 := newObj.(*workv1alpha1.Work)
	if !ok1 || !ok2 {
		return
	}
	if o.Generation != n.Generation || !o.DeletionTimestamp.Equal(n.DeletionTimestamp) || !slices.Equal(o.Finalizers, n.Finalizers) {
		s.queue.Add(n.Name)
	}
}

// onDelete remembers a Work deleted without the execution finalizer (nobody
// was held to clean up after it) so its objects are removed.
func (s *Syncer) onDelete(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	w, ok := obj.(*workv1alpha1.Work)
	if !ok {
		return
	}
	s.mu.Lock()
	released := s.released[w.Name]
	delete(s.released, w.Name)
	if !released && !controllerutil.ContainsFinalizer(w, workv1alpha1.ExecutionFinalizer) {
		s.gone[w.Name] = w
	}
	s.mu.Unlock()
	s.queue.Add(w.Name)
}

func (s *Syncer) processNext(ctx context.Context) bool {
	name, shutdown := s.queue.Get()
	if shutdown {
		return false
	}
	s.stats.inflight.Add(1)
	defer s.stats.inflight.Add(-1) // after Done has requeued what came in meanwhile
	defer s.queue.Done(name)
	if err := s.sync(ctx, name); err != nil {
		if ctx.Err() == nil {
			log.FromContext(ctx).Error(err, "sync Work", "work", s.namespace+"/"+name)
		}
		s.queue.AddRateLimited(name)
		return true
	}
	s.queue.Forget(name)
	return true
}

// sync brings the member in line with one Work.
func (s *Syncer) sync(ctx context.Context, name string) error {
	obj, exists, err := s.informer.GetStore().GetByKey(s.namespace + "/" + name)
	if err != nil {
		return err
	}
	if !exists {
		return s.syncGone(ctx, name)
	}
	s.mu.Lock()
	delete(s.gone, name) // a Work of the same name is back: it owns the objects
	s.mu.Unlock()
	cached, ok := obj.(*workv1alpha1.Work)
	if !ok {
		return nil
	}
	s.stats.syncs.Add(1)
	work := cached.DeepCopy()
	if !work.DeletionTimestamp.IsZero() {
		return s.syncDelete(ctx, work)
	}
	return s.syncNormal(ctx, cached, work)
}

// syncGone removes the objects of a Work deleted without the finalizer.
func (s *Syncer) syncGone(ctx context.Context, name string) error {
	s.status.forget(name)
	s.mu.Lock()
	w := s.gone[name]
	s.mu.Unlock()
	if w == nil {
		return nil
	}
	if !preserved(w) {
		s.stats.syncs.Add(1)
		if err := s.applier.Delete(ctx, s.member, w); err != nil {
			return fmt.Errorf("remove the objects of deleted Work %s/%s from cluster %s: %w", w.Namespace, w.Name, s.opts.Cluster, err)
		}
		s.stats.deletes.Add(1)
	}
	s.mu.Lock()
	if s.gone[name] == w {
		delete(s.gone, name)
	}
	s.mu.Unlock()
	return nil
}

// syncDelete removes the Work's objects, then its execution finalizer.
func (s *Syncer) syncDelete(ctx context.Context, work *workv1alpha1.Work) error {
	s.status.forget(work.Name)
	if !controllerutil.ContainsFinalizer(work, workv1alpha1.ExecutionFinalizer) {
		return nil // not ours to hold
	}
	s.mu.Lock()
	done := s.released[work.Name]
	s.mu.Unlock()
	if done {
		return nil // released already; the cache has not seen it yet
	}
	if !preserved(work) {
		if err := s.applier.Delete(ctx, s.member, work); err != nil {
			return fmt.Errorf("remove the objects of deleted Work %s/%s from cluster %s: %w; the Work keeps finalizer %s until they are gone",
				work.Namespace, work.Name, s.opts.Cluster, err, workv1alpha1.ExecutionFinalizer)
		}
		s.stats.deletes.Add(1)
	}
	orig := work.DeepCopy()
	controllerutil.RemoveFinalizer(work, workv1alpha1.ExecutionFinalizer)
	s.mu.Lock()
	s.released[work.Name] = true
	s.mu.Unlock()
	if err := s.opts.Hub.Patch(ctx, work, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
		s.mu.Lock()
		delete(s.released, work.Name)
		s.mu.Unlock()
		return fmt.Errorf("remove finalizer %s from Work %s/%s: %w%s", workv1alpha1.ExecutionFinalizer, work.Namespace, work.Name, err, forbiddenHint(err, "patch on works"))
	}
	s.stats.finalizerWrites.Add(1)
	return nil
}

// syncNormal applies the Work and queues its status.
func (s *Syncer) syncNormal(ctx context.Context, cached, work *workv1alpha1.Work) error {
	var errs []error
	if !controllerutil.ContainsFinalizer(work, workv1alpha1.ExecutionFinalizer) {
		// Hold the Work until its objects are removed, as push mode does.
		// Applying does not wait for the hub: the Work is retried until it
		// takes.
		orig := work.DeepCopy()
		controllerutil.AddFinalizer(work, workv1alpha1.ExecutionFinalizer)
		if err := s.opts.Hub.Patch(ctx, work, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
			err = fmt.Errorf("add finalizer %s to Work %s/%s: %w%s", workv1alpha1.ExecutionFinalizer, work.Namespace, work.Name, err, forbiddenHint(err, "patch on works"))
			if !apierrors.IsForbidden(err) {
				errs = append(errs, err)
			} else if s.warnedFinalizer.CompareAndSwap(false, true) {
				// Without the finalizer a deleted Work's objects are still
				// removed, on its delete event; only an agent that is down
				// then misses it.
				log.FromContext(ctx).Error(err, "Works are synced without the execution finalizer")
			}
			work = cached.DeepCopy()
		} else {
			s.stats.finalizerWrites.Add(1)
		}
	}
	switch {
	case work.DispatchingSuspended():
		apply.SetApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonDispatchSuspended,
			"dispatching is suspended (spec.suspendDispatching): nothing is applied to "+s.opts.Cluster+" until it is unset")
	default:
		res, err := s.applier.Apply(ctx, s.member, work)
		if err != nil {
			apply.SetApplied(work, metav1.ConditionFalse, workv1alpha1.ReasonAppliedFailed, apply.DecodeFailedMessage(err))
			break
		}
		s.stats.applies.Add(int64(res.Applies))
		s.stats.applyFailures.Add(int64(len(res.Failed)))
		if msg := apply.Report(work, s.opts.Cluster, res, s.opts.ResyncPeriod); msg != "" {
			errs = append(errs, errors.New(msg))
		}
	}
	if err := objectstatus.Refresh(ctx, work, objectstatus.MemberLookup(s.member.Name, s.member.Dynamic, s.member.Mapper, s.applier)); err != nil {
		errs = append(errs, err)
	}
	s.status.offer(work.Name, &cached.Status, work)
	return errors.Join(errs...)
}

func preserved(w *workv1alpha1.Work) bool {
	return w.Spec.PreserveResourcesOnDeletion != nil && *w.Spec.PreserveResourcesOnDeletion
}

// forbiddenHint says which permission the agent lacks.
func forbiddenHint(err error, verb string) string {
	if !apierrors.IsForbidden(err) {
		return ""
	}
	return fmt.Sprintf(" (the agent's hub RBAC must allow %s in its execution namespace: ClusterRole kurator-agent)", verb)
}
