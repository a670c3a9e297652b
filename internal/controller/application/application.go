// Package application is the thin shell around the rollout engine
// (pkg/rollout, Update strategy) for Applications: it resolves the
// source's revision (importing Git, Helm and OCI revisions into AppHub),
// picks the clusters of the sync policies' fleets, copies each cluster's
// images to its registry, runs the engine over what the members report,
// and writes per cluster one Work holding every object of the revision
// that cluster is given, adapted to it (override policies, storage
// adaptations, image references in its registry).
//
// Every revision is in AppHub, so any cluster can be rendered at any
// earlier revision: a rollback re-renders the stable revision from there.
package application

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/apphub"
	rolloutctrl "github.com/kurator-go/kurator/internal/controller/rollout"
	"github.com/kurator-go/kurator/internal/controller/works"
	pkgapphub "github.com/kurator-go/kurator/pkg/apphub"
	"github.com/kurator-go/kurator/pkg/rollout"
)

// Finalizer removes an Application's Works from every member first.
const Finalizer = "apps.kurator.dev/application"

// WorkLabel names the Application ("<namespace>.<name>") on its Works.
const WorkLabel = "apps.kurator.dev/application"

// ConditionStagesSelectClusters is False when a stage selects no cluster.
const ConditionStagesSelectClusters = "StagesSelectClusters"

// Options configure the controller.
type Options struct {
	// ClusterNamespace holds AttachedClusters and Fleets (kurator-system).
	ClusterNamespace string
	// PrometheusAddress is asked by delivery analysis metrics.
	PrometheusAddress string
	// MaxConcurrentReconciles (default 4).
	MaxConcurrentReconciles int
}

// Reconciler delivers Applications.
type Reconciler struct {
	client client.Client
	// reader reads without the cache: ConfigMaps (AppHub's blobs, its
	// registry) and Secrets, which the manager does not watch.
	reader   client.Client
	store    apphub.Store
	opts     Options
	recorder events.EventRecorder
	gates    *rolloutctrl.Gates
	images   *syncer
	revs     revisions
	ns       works.Namespaces
	pkgs     packageCache
	hubReg   struct {
		mu  sync.Mutex
		val hubRegistry
		at  time.Time
	}
}

// SetupWithManager registers the controller.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 4
	}
	direct, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return err
	}
	r := &Reconciler{client: mgr.GetClient(), reader: direct, store: apphub.Store{Client: direct}, opts: opts,
		recorder: mgr.GetEventRecorder("kurator-application"), gates: rolloutctrl.NewGates(opts.PrometheusAddress),
		images: &syncer{jobs: map[string]*syncJob{}}, revs: revisions{seen: map[string]fetched{}}, pkgs: packageCache{m: map[string]*cachedPackage{}, rendered: map[string][]*unstructured.Unstructured{}}}
	return ctrl.NewControllerManagedBy(mgr).
		Named("application").
		// Spec changes, and the action annotation of kurator app promote|abort.
		For(&appsv1alpha1.Application{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// What the members report decides every step.
		Watches(&workv1alpha1.Work{}, handler.EnqueueRequestsFromMapFunc(applicationOfWork)).
		// A version pushed after the Application named it.
		Watches(&appsv1alpha1.AppVersion{}, handler.EnqueueRequestsFromMapFunc(r.applicationsOfVersion)).
		// Cluster readiness, labels (stages, selectors, storage traits)
		// and registries; fleet membership; storage adaptations.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.allApplications), builder.WithPredicates(predicate.Or[client.Object](rolloutctrl.ReadinessOrLabelsChanged{}, predicate.GenerationChangedPredicate{}))).
		Watches(&fleetv1alpha1.Fleet{}, handler.EnqueueRequestsFromMapFunc(r.allApplications), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&appsv1alpha1.StorageAdaptation{}, handler.EnqueueRequestsFromMapFunc(r.allApplications)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile takes one step of one Application.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var app appsv1alpha1.Application
	if err := r.client.Get(ctx, req.NamespacedName, &app); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !app.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, &app)
	}
	if controllerutil.AddFinalizer(&app, Finalizer) {
		if err := r.client.Update(ctx, &app); err != nil {
			return reconcile.Result{}, err
		}
	}
	before := app.Status.DeepCopy()
	w, res, err := r.reconcileNormal(ctx, &app)
	app.Status.ObservedGeneration = app.Generation
	// The step is recorded before it is acted on, with the
	// resourceVersion: a step decided on a stale copy fails here and is
	// never applied twice.
	if !equality.Semantic.DeepEqual(before, &app.Status) {
		if uerr := r.client.Status().Update(ctx, &app); uerr != nil {
			if apierrors.IsConflict(uerr) {
				return reconcile.Result{RequeueAfter: time.Second}, nil
			}
			return reconcile.Result{}, uerr
		}
	}
	if err != nil || w == nil {
		return res, err
	}
	r.record(ctx, &app, w)
	pending, err := r.writeWorks(ctx, &app, w)
	if err != nil {
		return reconcile.Result{}, err
	}
	if pending {
		res.RequeueAfter = minPositive(res.RequeueAfter, 2*time.Second)
	}
	return res, nil
}

// reconcileNormal reads the world and steps the delivery. A nil world
// means nothing is to be written (the conditions say why); the running
// revision stays untouched.
func (r *Reconciler) reconcileNormal(ctx context.Context, app *appsv1alpha1.Application) (*world, reconcile.Result, error) {
	ver, poll, err := r.resolve(ctx, app)
	var se *sourceError
	if errors.As(err, &se) {
		setCondition(app, appsv1alpha1.ConditionSourceReady, metav1.ConditionFalse, se.reason, se.msg)
		setCondition(app, rolloutctrl.ConditionReady, metav1.ConditionFalse, se.reason, se.msg+"; the clusters keep the revision they run")
		return nil, reconcile.Result{RequeueAfter: 30 * time.Second}, nil
	}
	if err != nil {
		return nil, reconcile.Result{}, err
	}
	app.Status.Revision, app.Status.Digest = ver.Spec.Version, ver.Spec.Digest
	setCondition(app, appsv1alpha1.ConditionSourceReady, metav1.ConditionTrue, "Resolved", fmt.Sprintf("revision %s (%s) from %s", ver.Spec.Version, short(ver.Spec.Digest), orUpload(ver.Spec.Source)))

	w, msg, err := r.read(ctx, app, ver)
	if err != nil {
		return nil, reconcile.Result{}, err
	}
	if msg != "" {
		setCondition(app, rolloutctrl.ConditionReady, metav1.ConditionFalse, "NotReady", msg+"; the clusters keep the revision they run")
		return nil, reconcile.Result{RequeueAfter: 30 * time.Second}, nil
	}
	// Step until no new gate is asked for; each gate runs once.
	ro := w.asRollout(app)
	outcomes := map[rollout.Request]rollout.Outcome{}
	for range 5 {
		w.out = rollout.Step(w.cfg, &app.Status.Delivery, w.in, outcomes)
		if len(w.out.Requests) == 0 {
			break
		}
		for _, req := range w.out.Requests {
			outcomes[req] = r.gates.Run(ctx, ro, req)
		}
	}
	app.Status.Delivery = w.out.Status
	r.summarize(app, w)
	res := reconcile.Result{RequeueAfter: w.out.RequeueAfter}
	if w.waitImages {
		res.RequeueAfter = minPositive(res.RequeueAfter, 2*time.Second)
	}
	if poll > 0 {
		res.RequeueAfter = minPositive(res.RequeueAfter, poll)
	}
	return w, res, nil
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || b < a {
		return b
	}
	return a
}

// record publishes the step's events and, when a release ended, calls
// the post-rollout hooks.
func (r *Reconciler) record(ctx context.Context, app *appsv1alpha1.Application, w *world) {
	for _, e := range w.out.Events {
		typ := corev1.EventTypeNormal
		if strings.HasPrefix(e, "RollingBack") || strings.HasPrefix(e, "Failed") {
			typ = corev1.EventTypeWarning
		}
		reason, _, _ := strings.Cut(e, ":")
		r.recorder.Eventf(app, nil, typ, reason, "Deliver", "%s", e)
	}
	if w.out.Finished != "" {
		r.gates.PostRollout(ctx, w.asRollout(app), w.out.Finished)
	}
}

// reconcileDelete removes the Application's Works (and so its objects
// from every member), then the finalizer.
func (r *Reconciler) reconcileDelete(ctx context.Context, app *appsv1alpha1.Application) (reconcile.Result, error) {
	if err := works.DeleteExcept(ctx, r.client, client.MatchingLabels{WorkLabel: app.Namespace + "." + app.Name}, nil); err != nil {
		return reconcile.Result{}, err
	}
	if controllerutil.RemoveFinalizer(app, Finalizer) {
		return reconcile.Result{}, client.IgnoreNotFound(r.client.Update(ctx, app))
	}
	return reconcile.Result{}, nil
}

// WorkName is an Application's Work in every execution namespace:
// "app-<ns>-<name>", cut to 63 characters with a hash when longer.
func WorkName(app *appsv1alpha1.Application) string {
	name := "app-" + app.Namespace + "-" + app.Name
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(app.Namespace + "/" + app.Name))
	return fmt.Sprintf("%s-%08x", name[:54], h.Sum32())
}

func setCondition(app *appsv1alpha1.Application, typ string, s metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&app.Status.Conditions, metav1.Condition{Type: typ, Status: s, Reason: reason, Message: msg, ObservedGeneration: app.Generation})
}

func short(digest string) string {
	if _, hex, ok := strings.Cut(digest, ":"); ok && len(hex) > 12 {
		return digest[:len(digest)-len(hex)] + hex[:12]
	}
	return digest
}

func orUpload(s string) string {
	if s == "" {
		return "an upload"
	}
	return s
}

// applicationOfWork maps a Work to its Application by label.
func applicationOfWork(_ context.Context, obj client.Object) []reconcile.Request {
	v, ok := obj.GetLabels()[WorkLabel]
	if !ok {
		return nil
	}
	ns, name, _ := strings.Cut(v, ".")
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
}

func (r *Reconciler) applications(ctx context.Context, namespace string, match func(*appsv1alpha1.Application) bool) []reconcile.Request {
	var list appsv1alpha1.ApplicationList
	if err := r.client.List(ctx, &list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if match(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

func (r *Reconciler) applicationsOfVersion(ctx context.Context, obj client.Object) []reconcile.Request {
	v, ok := obj.(*appsv1alpha1.AppVersion)
	if !ok {
		return nil
	}
	return r.applications(ctx, obj.GetNamespace(), func(a *appsv1alpha1.Application) bool { return a.AppHubName() == v.Spec.App })
}

func (r *Reconciler) allApplications(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.applications(ctx, "", func(*appsv1alpha1.Application) bool { return true })
}

// packageCache keeps rendered-ready packages by digest: AppHub content is
// immutable, so a digest always names the same files.
type packageCache struct {
	mu       sync.Mutex
	m        map[string]*cachedPackage
	rendered map[string][]*unstructured.Unstructured
}

type cachedPackage struct {
	pkg  pkgapphub.Package
	used time.Time
}
