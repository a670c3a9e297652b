// Package rollout is the thin shell around pkg/rollout: it observes a
// Rollout's workload in every member through the Works' status, runs the
// gates the state machine asks for (webhooks, Prometheus checks), writes
// the state back to status and, per cluster, a Work with the primary and
// the -primary and -canary Services and one with the VirtualService and
// DestinationRules.
// The binding controller gives the workload itself (the canary) its
// replicas from the same status (rollout.CanaryReplicas).
//
// Revisions: each pod template seen is stored once as a ControllerRevision
// "<rollout>-<revision>" holding the hub template, so a primary can be
// rendered (with the cluster's overrides) at any earlier revision, and a
// restarted manager rolls back to exactly what ran before.
package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/binding"
	"github.com/kurator-go/kurator/internal/controller/snapshot"
	"github.com/kurator-go/kurator/internal/controller/status"
	"github.com/kurator-go/kurator/internal/controller/works"
	"github.com/kurator-go/kurator/pkg/rollout"
	"github.com/kurator-go/kurator/pkg/traffic"
)

// Finalizer holds a Rollout until its Works are gone.
const Finalizer = "apps.kurator.dev/rollout"

// Conditions of a Rollout: Ready is True when its workload, Service and
// binding exist; StagesSelectClusters is False while a stage selects none
// of the clusters holding the workload (checked again as clusters change).
const (
	ConditionReady                = "Ready"
	ConditionStagesSelectClusters = "StagesSelectClusters"
)

// Options configure the rollout controller.
type Options struct {
	// PrometheusAddress is the Prometheus HTTP API of the fleet (metrics
	// may name their own).
	PrometheusAddress string
	// ClusterNamespace holds AttachedClusters (default kurator-system).
	ClusterNamespace string
	// MaxConcurrentReconciles is how many Rollouts step at once (default
	// 4): one worker makes 100 concurrent rollouts wait their turn for
	// tens of seconds.
	MaxConcurrentReconciles int
}

// Reconciler drives Rollouts.
type Reconciler struct {
	client   client.Client
	opts     Options
	recorder events.EventRecorder
	gates    *Gates
}

// SetupWithManager registers the controller.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 4
	}
	r := &Reconciler{client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("kurator-rollout"), gates: NewGates(opts.PrometheusAddress)}
	return ctrl.NewControllerManagedBy(mgr).
		Named("rollout").
		// Spec changes, and the action annotation of kurator rollout.
		For(&appsv1alpha1.Rollout{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// The status of the primaries (our Works) and canaries (the
		// binding's Works) decides every step.
		Watches(&workv1alpha1.Work{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsOfWork)).
		// A new pod template starts a run.
		Watches(&appsv1.Deployment{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsOfWorkload), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A TrafficPolicy on the same Service blocks the Rollout.
		Watches(&networkingv1alpha1.TrafficPolicy{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsOfNamespace)).
		// Cluster readiness and labels (stages select by label); not the
		// status heartbeats, which would wake every Rollout each probe.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.allRollouts), builder.WithPredicates(ReadinessOrLabelsChanged{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile takes one step of one Rollout.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var ro appsv1alpha1.Rollout
	if err := r.client.Get(ctx, req.NamespacedName, &ro); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !ro.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, &ro)
	}
	if controllerutil.AddFinalizer(&ro, Finalizer) {
		if err := r.client.Update(ctx, &ro); err != nil {
			return reconcile.Result{}, err
		}
	}
	before := ro.Status.DeepCopy()
	w, out, err := r.step(ctx, &ro)
	if err != nil || w == nil {
		if !equality.Semantic.DeepEqual(before, &ro.Status) {
			if uerr := r.client.Status().Update(ctx, &ro); uerr != nil && err == nil {
				err = uerr
			}
		}
		return reconcile.Result{RequeueAfter: 30 * time.Second}, client.IgnoreNotFound(err)
	}
	// The step is recorded first and acted on only once recorded: Update
	// (not patch) carries the resourceVersion, so a step decided on a
	// stale copy of the Rollout fails here instead of being applied twice
	// (no double promotion, no hook run twice for one transition).
	if !equality.Semantic.DeepEqual(before, &ro.Status) {
		if uerr := r.client.Status().Update(ctx, &ro); uerr != nil {
			if apierrors.IsConflict(uerr) {
				return reconcile.Result{RequeueAfter: time.Second}, nil
			}
			return reconcile.Result{}, uerr
		}
	}
	r.record(ctx, &ro, out)
	if err := r.writeWorks(ctx, &ro, w); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: out.RequeueAfter}, nil
}

// world is what one reconcile reads.
type world struct {
	tmpl    *unstructured.Unstructured
	svc     *unstructured.Unstructured
	binding *workv1alpha1.ResourceBinding
	cfg     rollout.Config
	in      rollout.Input
	// replicas scheduled per cluster.
	replicas map[string]int32
	// emptyStages name the stages of the spec that select none of the
	// clusters holding the workload.
	emptyStages []string
}

// step reads the world and runs the state machine on ro's status. A nil
// world means the Rollout cannot act yet (its Ready condition says why).
func (r *Reconciler) step(ctx context.Context, ro *appsv1alpha1.Rollout) (*world, rollout.Output, error) {
	w, msg, err := r.read(ctx, ro)
	if err != nil {
		return nil, rollout.Output{}, err
	}
	if msg != "" {
		setReady(ro, metav1.ConditionFalse, "NotReady", msg)
		return nil, rollout.Output{}, nil
	}
	if err := r.saveRevision(ctx, ro, w.in.Revision, w.tmpl); err != nil {
		return nil, rollout.Output{}, err
	}
	// Step until no new gate is asked for; each gate runs once.
	outcomes := map[rollout.Request]rollout.Outcome{}
	var out rollout.Output
	for range 5 {
		out = rollout.Step(w.cfg, &ro.Status, w.in, outcomes)
		if len(out.Requests) == 0 {
			break
		}
		for _, req := range out.Requests {
			outcomes[req] = r.gates.Run(ctx, ro, req)
		}
	}
	ro.Status = out.Status
	ro.Status.ObservedGeneration = ro.Generation
	setReady(ro, metav1.ConditionTrue, "Ready", readyMessage(ro))
	if len(w.emptyStages) > 0 {
		setCondition(ro, ConditionStagesSelectClusters, metav1.ConditionFalse, "StageEmpty", fmt.Sprintf("stages %s select none of the clusters holding %s (%d clusters); fix their clusterSelector or clusterNames, or the workload's placement", strings.Join(w.emptyStages, ", "), ro.Spec.Workload.Name, len(w.in.Clusters)))
	} else {
		setCondition(ro, ConditionStagesSelectClusters, metav1.ConditionTrue, "Selected", "every stage selects at least one cluster")
	}
	return w, out, nil
}

// record publishes a recorded step: its events, and the post-rollout hooks
// when the run ended.
func (r *Reconciler) record(ctx context.Context, ro *appsv1alpha1.Rollout, out rollout.Output) {
	for _, e := range out.Events {
		typ := corev1.EventTypeNormal
		if strings.HasPrefix(e, "RollingBack") || strings.HasPrefix(e, "Failed") {
			typ = corev1.EventTypeWarning
		}
		reason, _, _ := strings.Cut(e, ":")
		r.recorder.Eventf(ro, nil, typ, reason, "Step", "%s", e)
	}
	if out.Finished != "" {
		r.gates.PostRollout(ctx, ro, out.Finished)
	}
}

func readyMessage(ro *appsv1alpha1.Rollout) string {
	if ro.Spec.RolloutPolicy.Suspend {
		return "suspended (spec.rolloutPolicy.suspend); kurator rollout resume " + ro.Name + " goes on"
	}
	return fmt.Sprintf("phase %s, stable revision %s", ro.Status.Phase, ro.Status.StableRevision)
}

// read gathers the template, Service, binding, clusters and the members'
// status. A non-empty message says what is missing.
func (r *Reconciler) read(ctx context.Context, ro *appsv1alpha1.Rollout) (*world, string, error) {
	w := &world{replicas: map[string]int32{}}
	if ns := ro.Spec.Workload.Namespace; ns != "" && ns != ro.Namespace {
		return nil, fmt.Sprintf("spec.workload.namespace %s differs from the Rollout's namespace %s; create the Rollout in %s", ns, ro.Namespace, ns), nil
	}
	get := func(kind, name string) (*unstructured.Unstructured, error) {
		u := &unstructured.Unstructured{}
		api := "apps/v1"
		if kind == "Service" {
			api = "v1"
		}
		u.SetAPIVersion(api)
		u.SetKind(kind)
		err := r.client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: name}, u)
		return u, err
	}
	var err error
	if w.tmpl, err = get("Deployment", ro.Spec.Workload.Name); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("Deployment %s/%s not found on the hub; create it (and a PropagationPolicy for it)", ro.Namespace, ro.Spec.Workload.Name), nil
		}
		return nil, "", err
	}
	if w.svc, err = get("Service", ro.Spec.ServiceName); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("Service %s/%s (spec.serviceName) not found on the hub; create it and propagate it with the workload", ro.Namespace, ro.Spec.ServiceName), nil
		}
		return nil, "", err
	}
	// Both would write the VirtualService "<service>" in every member.
	var tps networkingv1alpha1.TrafficPolicyList
	if err := r.client.List(ctx, &tps, client.InNamespace(ro.Namespace), client.UnsafeDisableDeepCopy); err != nil && !meta.IsNoMatchError(err) {
		return nil, "", err
	}
	for _, tp := range tps.Items {
		if tp.Spec.Service == ro.Spec.ServiceName {
			return nil, fmt.Sprintf("TrafficPolicy %s also routes Service %s: both would write the VirtualService %s in every member; delete the TrafficPolicy while the Rollout exists, or roll out behind another Service", tp.Name, ro.Spec.ServiceName, ro.Spec.ServiceName), nil
		}
	}
	w.binding = &workv1alpha1.ResourceBinding{}
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: workv1alpha1.BindingName(ro.Spec.Workload.Name, "Deployment")}, w.binding); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("Deployment %s is not propagated (no ResourceBinding); add a PropagationPolicy that selects it", ro.Spec.Workload.Name), nil
		}
		return nil, "", err
	}
	if len(w.binding.Spec.Clusters) == 0 {
		return nil, fmt.Sprintf("Deployment %s is not scheduled to any cluster yet; see its ResourceBinding's Scheduled condition", ro.Spec.Workload.Name), nil
	}
	var clusters clusterv1alpha1.AttachedClusterList
	// Read-only: the clusters' status is large.
	if err := r.client.List(ctx, &clusters, client.InNamespace(r.opts.ClusterNamespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, "", err
	}
	byName := map[string]*clusterv1alpha1.AttachedCluster{}
	for i := range clusters.Items {
		byName[clusters.Items[i].Name] = &clusters.Items[i]
	}
	var selErr error
	w.cfg = rollout.ConfigOf(&ro.Spec, func(s appsv1alpha1.RolloutStage) func(string, map[string]string) bool {
		f, err := rollout.StageSelector(s)
		selErr = errors.Join(selErr, err)
		return f
	})
	if selErr != nil {
		return nil, selErr.Error() + "; fix spec.stages", nil
	}
	podTemplate, _, _ := unstructured.NestedMap(w.tmpl.Object, "spec", "template")
	w.in = rollout.Input{Revision: rollout.Revision(podTemplate), Action: ro.Annotations[appsv1alpha1.ActionAnnotation], Now: time.Now()}
	bindingKey := client.ObjectKeyFromObject(w.binding)
	for _, tc := range w.binding.Spec.Clusters {
		w.replicas[tc.Name] = tc.Replicas
		o := rollout.Observed{Name: tc.Name}
		if ac := byName[tc.Name]; ac != nil {
			o.Labels = maps.Clone(ac.Labels)
			o.Ready = meta.IsStatusConditionTrue(ac.Status.Conditions, clusterv1alpha1.ConditionReady)
		}
		ns := workv1alpha1.ExecutionNamespace(tc.Name)
		if o.Primary, err = r.observe(ctx, types.NamespacedName{Namespace: ns, Name: WorkName(ro, "")}, rollout.PrimaryName(ro.Spec.Workload.Name)); err != nil {
			return nil, "", err
		}
		if o.Canary, err = r.observe(ctx, types.NamespacedName{Namespace: ns, Name: workv1alpha1.WorkName(bindingKey)}, ro.Spec.Workload.Name); err != nil {
			return nil, "", err
		}
		if o.Split, err = r.observeSplit(ctx, types.NamespacedName{Namespace: ns, Name: WorkName(ro, RoutesSuffix)}, ro.Spec.ServiceName); err != nil {
			return nil, "", err
		}
		w.in.Clusters = append(w.in.Clusters, o)
	}
	w.emptyStages = w.cfg.EmptyStages(w.in.Clusters, len(ro.Spec.Stages))
	return w, "", nil
}

// observe reads one Deployment of a Work: its revision annotation and
// whether the status collected for the Work's current generation is
// healthy. Status of an older generation is stale and counts as not ready.
func (r *Reconciler) observe(ctx context.Context, key types.NamespacedName, name string) (rollout.Workload, error) {
	var work workv1alpha1.Work
	if err := r.client.Get(ctx, key, &work); err != nil {
		return rollout.Workload{}, client.IgnoreNotFound(err)
	}
	var out rollout.Workload
	for i, raw := range work.Spec.Workload.Manifests {
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				Replicas *int32 `json:"replicas"`
			} `json:"spec"`
		}
		if json.Unmarshal(raw.Raw, &m) != nil || m.Kind != "Deployment" || m.Metadata.Name != name {
			continue
		}
		out.Revision = m.Metadata.Annotations[appsv1alpha1.RevisionAnnotation]
		out.Replicas = 1 // the API default
		if m.Spec.Replicas != nil {
			out.Replicas = *m.Spec.Replicas
		}
		for _, ms := range work.Status.ManifestStatuses {
			if ms.Ordinal != i || ms.Health != workv1alpha1.ResourceHealthy || ms.Status == nil {
				continue
			}
			var st map[string]any
			if json.Unmarshal(ms.Status.Raw, &st) != nil {
				continue
			}
			if g, ok := st[status.AppliedGenerationKey].(float64); ok && int64(g) == work.Generation {
				out.Ready = true
			}
		}
	}
	return out, nil
}

// RoutesSuffix ends the name of the Work holding a Rollout's routes.
const RoutesSuffix = "-routes"

// observeSplit reads the split the routes Work carries and whether the
// member has it: the Work is Applied at its current generation.
func (r *Reconciler) observeSplit(ctx context.Context, key types.NamespacedName, svc string) (rollout.Split, error) {
	var work workv1alpha1.Work
	if err := r.client.Get(ctx, key, &work); err != nil {
		return rollout.Split{}, client.IgnoreNotFound(err)
	}
	c := meta.FindStatusCondition(work.Status.Conditions, workv1alpha1.ConditionApplied)
	out := rollout.Split{InEffect: c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == work.Generation}
	for _, raw := range work.Spec.Workload.Manifests {
		var vs struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				HTTP []struct {
					Name  string `json:"name"`
					Route []struct {
						Weight int `json:"weight"`
					} `json:"route"`
				} `json:"http"`
			} `json:"spec"`
		}
		if json.Unmarshal(raw.Raw, &vs) != nil || vs.Kind != "VirtualService" || vs.Metadata.Name != svc {
			continue
		}
		for _, h := range vs.Spec.HTTP {
			if len(h.Route) < 2 {
				continue
			}
			switch h.Name {
			case rollout.MainRoute:
				out.Weight = h.Route[1].Weight
			case rollout.MatchRoute:
				out.Matched = h.Route[1].Weight == 100
			}
		}
	}
	return out, nil
}

// WorkName is a Rollout's Work in every execution namespace:
// "rollout-<ns>-<name><suffix>" (suffix "" for the primary and its
// Services, RoutesSuffix for the VirtualService and DestinationRules), cut
// to 63 characters with a hash when longer.
func WorkName(ro *appsv1alpha1.Rollout, suffix string) string {
	name := "rollout-" + ro.Namespace + "-" + ro.Name
	if len(name)+len(suffix) <= 63 {
		return name + suffix
	}
	h := fnv.New32a()
	h.Write([]byte(ro.Namespace + "/" + ro.Name))
	return fmt.Sprintf("%s-%08x%s", name[:54-len(suffix)], h.Sum32(), suffix)
}

func workLabels(ro *appsv1alpha1.Rollout, cluster string) map[string]string {
	return map[string]string{appsv1alpha1.RolloutLabel: ro.Namespace + "." + ro.Name, workv1alpha1.ClusterLabel: cluster}
}

// revisionName is the ControllerRevision of one revision.
func revisionName(ro *appsv1alpha1.Rollout, rev string) string {
	return ro.Name + "-" + rev
}

// saveRevision stores the template of a revision once.
func (r *Reconciler) saveRevision(ctx context.Context, ro *appsv1alpha1.Rollout, rev string, tmpl *unstructured.Unstructured) error {
	var cr appsv1.ControllerRevision
	key := types.NamespacedName{Namespace: ro.Namespace, Name: revisionName(ro, rev)}
	if err := r.client.Get(ctx, key, &cr); err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	t := tmpl.DeepCopy()
	unstructured.RemoveNestedField(t.Object, "status")
	unstructured.RemoveNestedField(t.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(t.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(t.Object, "metadata", "uid")
	raw, err := json.Marshal(t.Object)
	if err != nil {
		return err
	}
	cr = appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: map[string]string{appsv1alpha1.RolloutLabel: ro.Namespace + "." + ro.Name}},
		Data:       runtime.RawExtension{Raw: raw},
		Revision:   time.Now().UnixNano(),
	}
	if err := controllerutil.SetOwnerReference(ro, &cr, r.client.Scheme()); err != nil {
		return err
	}
	if err := r.client.Create(ctx, &cr); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("save revision %s of Rollout %s/%s: %w", rev, ro.Namespace, ro.Name, err)
	}
	return nil
}

func (r *Reconciler) loadRevision(ctx context.Context, ro *appsv1alpha1.Rollout, rev string) (*unstructured.Unstructured, error) {
	var cr appsv1.ControllerRevision
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: ro.Namespace, Name: revisionName(ro, rev)}, &cr); err != nil {
		return nil, fmt.Errorf("revision %s of Rollout %s/%s: %w", rev, ro.Namespace, ro.Name, err)
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(cr.Data.Raw, &u.Object); err != nil {
		return nil, fmt.Errorf("revision %s of Rollout %s/%s is corrupt: %w", rev, ro.Namespace, ro.Name, err)
	}
	return u, nil
}

// writeWorks writes each cluster's primary, Services and routes, and
// deletes the Works of clusters that no longer hold the workload.
func (r *Reconciler) writeWorks(ctx context.Context, ro *appsv1alpha1.Rollout, w *world) error {
	// Render the primaries of every revision in use once.
	rendered := map[string]map[string]*unstructured.Unstructured{}
	_, view, err := snapshot.Load(ctx, r.client, r.opts.ClusterNamespace)
	if err != nil {
		return err
	}
	for _, c := range ro.Status.Clusters {
		rev := c.PrimaryRevision
		if _, ok := rendered[rev]; ok || rev == "" {
			continue
		}
		tmpl, err := r.loadRevision(ctx, ro, rev)
		if err != nil {
			return err
		}
		objs, _, err := binding.Render(ctx, r.client, view.Info, &w.binding.Spec, tmpl)
		if err != nil {
			return fmt.Errorf("render the primary of revision %s: %w", rev, err)
		}
		rendered[rev] = objs
	}
	sel, _, _ := unstructured.NestedStringMap(w.tmpl.Object, "spec", "selector", "matchLabels")
	psvc, csvc, err := rollout.Services(w.svc, sel)
	if err != nil {
		return err
	}
	mirror := w.cfg.Strategy == rollout.BlueGreen
	var errs []error
	for _, c := range ro.Status.Clusters {
		obj := rendered[c.PrimaryRevision][c.Name]
		if obj == nil {
			continue
		}
		primary, err := rollout.Primary(obj, c.PrimaryRevision, w.replicas[c.Name])
		if err != nil {
			return err
		}
		weight, matched := rollout.CanaryWeight(&ro.Status, c.Name)
		vs, drs, err := rollout.Routes(&ro.Spec, ro.Namespace, c.Name, weight, matched, mirror && c.Phase == appsv1alpha1.ClusterProgressing && weight == 0)
		if err != nil {
			return err
		}
		ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ro.Namespace}}
		// Two Works: the routes change at every step, and the primary's
		// status must not turn stale (a new Work generation) with them.
		routes := []map[string]any{ns}
		for _, o := range append([]any{vs}, anySlice(drs)...) {
			m, err := traffic.Manifest(o)
			if err != nil {
				return err
			}
			routes = append(routes, m)
		}
		execNS := workv1alpha1.ExecutionNamespace(c.Name)
		for _, wk := range []struct {
			name      string
			manifests []map[string]any
		}{
			{WorkName(ro, ""), []map[string]any{ns, primary.Object, psvc, csvc}},
			{WorkName(ro, RoutesSuffix), routes},
		} {
			if err := works.Apply(ctx, r.client, types.NamespacedName{Namespace: execNS, Name: wk.name}, workLabels(ro, c.Name), wk.manifests); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	keep := make([]string, 0, len(ro.Status.Clusters))
	for _, c := range ro.Status.Clusters {
		keep = append(keep, c.Name)
	}
	return r.deleteWorks(ctx, ro, keep)
}

func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i := range in {
		out[i] = in[i]
	}
	return out
}

func (r *Reconciler) deleteWorks(ctx context.Context, ro *appsv1alpha1.Rollout, keep []string) error {
	return works.DeleteExcept(ctx, r.client, client.MatchingLabels{appsv1alpha1.RolloutLabel: ro.Namespace + "." + ro.Name}, keep)
}

// reconcileDelete gives the workload its replicas and traffic back: the
// clusters are marked not initialized (the binding controller renders the
// workload's full replicas), and with revertOnDeletion the primaries stay
// until the workload is ready again everywhere; then the Works go.
func (r *Reconciler) reconcileDelete(ctx context.Context, ro *appsv1alpha1.Rollout) (reconcile.Result, error) {
	changed := false
	for i := range ro.Status.Clusters {
		if ro.Status.Clusters[i].Initialized {
			ro.Status.Clusters[i].Initialized = false
			changed = true
		}
	}
	if changed {
		// Status writes do not trigger this controller: come back.
		return reconcile.Result{RequeueAfter: time.Second}, r.client.Status().Update(ctx, ro)
	}
	if ro.Spec.RolloutPolicy.RevertOnDeletion && ro.DeletionTimestamp.Add(2*time.Minute).After(time.Now()) {
		w, msg, err := r.read(ctx, ro)
		if err != nil {
			return reconcile.Result{}, err
		}
		if msg == "" {
			for _, o := range w.in.Clusters {
				if o.Ready && !o.Canary.Ready {
					return reconcile.Result{RequeueAfter: 2 * time.Second}, nil
				}
			}
		}
	}
	if err := r.deleteWorks(ctx, ro, nil); err != nil {
		return reconcile.Result{}, err
	}
	if controllerutil.RemoveFinalizer(ro, Finalizer) {
		return reconcile.Result{}, client.IgnoreNotFound(r.client.Update(ctx, ro))
	}
	return reconcile.Result{}, nil
}

func setReady(ro *appsv1alpha1.Rollout, s metav1.ConditionStatus, reason, msg string) {
	setCondition(ro, ConditionReady, s, reason, msg)
}

func setCondition(ro *appsv1alpha1.Rollout, typ string, s metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&ro.Status.Conditions, metav1.Condition{Type: typ, Status: s, Reason: reason, Message: msg, ObservedGeneration: ro.Generation})
}

// rollouts are the Rollouts of a namespace ("" for all) that match, as
// requests.
func (r *Reconciler) rollouts(ctx context.Context, namespace string, match func(*appsv1alpha1.Rollout) bool) []reconcile.Request {
	var list appsv1alpha1.RolloutList
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

func everyRollout(*appsv1alpha1.Rollout) bool { return true }

// rolloutsOfWork maps a Work to its Rollout: its own Works by label, the
// workload's binding Works by the binding's name.
func (r *Reconciler) rolloutsOfWork(ctx context.Context, obj client.Object) []reconcile.Request {
	l := obj.GetLabels()
	if v, ok := l[appsv1alpha1.RolloutLabel]; ok {
		ns, name, _ := strings.Cut(v, ".")
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
	}
	ns, name := l[workv1alpha1.BindingNamespaceLabel], l[workv1alpha1.BindingNameLabel]
	if ns == "" {
		return nil
	}
	return r.rollouts(ctx, ns, func(ro *appsv1alpha1.Rollout) bool {
		return workv1alpha1.BindingName(ro.Spec.Workload.Name, "Deployment") == name
	})
}

func (r *Reconciler) rolloutsOfWorkload(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.rollouts(ctx, obj.GetNamespace(), func(ro *appsv1alpha1.Rollout) bool { return ro.Spec.Workload.Name == obj.GetName() })
}

func (r *Reconciler) rolloutsOfNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.rollouts(ctx, obj.GetNamespace(), everyRollout)
}

// ReadinessOrLabelsChanged passes AttachedCluster updates that change its
// Ready condition's status or its labels.
type ReadinessOrLabelsChanged struct{ predicate.Funcs }

func (ReadinessOrLabelsChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	if !ok1 || !ok2 {
		return true
	}
	oc, nc := o.ReadyCondition(), n.ReadyCondition()
	return (oc == nil) != (nc == nil) || oc != nil && oc.Status != nc.Status || !maps.Equal(o.Labels, n.Labels)
}

func (r *Reconciler) allRollouts(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.rollouts(ctx, "", everyRollout)
}
