// Package traffic reconciles TrafficPolicies: it reads the Service's and the
// workload's ResourceBindings and the member clusters' health, asks
// pkg/traffic for the weights, and writes one Work per member that holds the
// Service, with the Namespace, the VirtualService and the DestinationRule
// (the same in every member: Istio config is per primary). Works of clusters
// that no longer hold the Service are deleted, and all of them when the
// policy goes (its finalizer).
//
// Health reaches the weights within one reconcile: the controller watches
// AttachedClusters (their Ready condition) and both bindings (spec and
// status). The weights, targets and last step times live in status, so a
// restarted manager resumes a ramp where it was.
package traffic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/works"
	"github.com/kurator-go/kurator/pkg/traffic"
)

// PolicyAnnotation, on a Work, is "<namespace>/<name>" of its TrafficPolicy
// (the label may be hashed; the annotation maps a Work back).
const PolicyAnnotation = "networking.kurator.dev/traffic-policy"

// LatencySource returns a cluster's p99 request latency of a workload, in
// milliseconds; found is false without data.
type LatencySource interface {
	P99(ctx context.Context, address, cluster, namespace, workload string, window time.Duration, at time.Time) (ms float64, found bool, err error)
}

// Options configure the traffic controller.
type Options struct {
	// ClusterNamespace is where AttachedClusters live (default
	// kurator-system).
	ClusterNamespace string
	// PrometheusAddress is the Prometheus of Latency weighting when the
	// policy names none.
	PrometheusAddress string
	// Latency answers p99 queries; nil uses Prometheus (internal/analysis).
	Latency LatencySource
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Reconciler writes the routes of TrafficPolicies.
type Reconciler struct {
	client   client.Client
	opts     Options
	recorder events.EventRecorder

	namespaces works.Namespaces
}

// SetupWithManager registers the traffic controller with mgr.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Latency == nil {
		opts.Latency = &prometheusLatency{}
	}
	r := &Reconciler{client: mgr.GetClient(), opts: opts, recorder: mgr.GetEventRecorder("kurator-traffic")}
	return ctrl.NewControllerManagedBy(mgr).
		Named("traffic").
		For(&networkingv1alpha1.TrafficPolicy{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, deleting{}))).
		// The Service's binding says which clusters hold it; the
		// workload's says where it runs and how healthy it is there
		// (status), so both spec and status changes count.
		Watches(&workv1alpha1.ResourceBinding{}, handler.EnqueueRequestsFromMapFunc(r.policiesOfBinding)).
		// A cluster's Ready condition moves its share at once.
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.allPolicies), builder.WithPredicates(readyChanged{})).
		// A Work edited or deleted by hand is written again.
		Watches(&workv1alpha1.Work{}, handler.EnqueueRequestsFromMapFunc(policyOfWork), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// deleting passes updates that set the deletion timestamp.
type deleting struct{ predicate.Funcs }

func (deleting) Update(e event.UpdateEvent) bool {
	return e.ObjectNew.GetDeletionTimestamp() != nil && e.ObjectOld.GetDeletionTimestamp() == nil
}

// readyChanged passes cluster creations, deletions and changes of the Ready
// condition's status.
type readyChanged struct{ predicate.Funcs }

func (readyChanged) Create(event.CreateEvent) bool { return true }
func (readyChanged) Delete(event.DeleteEvent) bool { return true }
func (readyChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*clusterv1alpha1.AttachedCluster)
	n, ok2 := e.ObjectNew.(*clusterv1alpha1.AttachedCluster)
	return !ok1 || !ok2 || o.IsReady() != n.IsReady()
}

// Reconcile retries write conflicts quietly: the next round reads the
// winner's version.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := r.reconcile(ctx, req)
	if apierrors.IsConflict(err) {
		return reconcile.Result{RequeueAfter: 20 * time.Millisecond}, nil
	}
	return res, err
}

func (r *Reconciler) reconcile(ctx context.Context, req reconcile.Request) (_ reconcile.Result, reterr error) {
	tp := &networkingv1alpha1.TrafficPolicy{}
	if err := r.client.Get(ctx, req.NamespacedName, tp); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, r.deleteWorks(ctx, req.NamespacedName, nil)
		}
		return reconcile.Result{}, err
	}
	if !tp.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, tp)
	}
	if controllerutil.AddFinalizer(tp, networkingv1alpha1.Finalizer) {
		if err := r.client.Update(ctx, tp); err != nil {
			return reconcile.Result{}, err
		}
	}
	before := tp.DeepCopy()
	defer func() {
		tp.Status.ObservedGeneration = tp.Generation
		if equality.Semantic.DeepEqual(before.Status, tp.Status) {
			return
		}
		err := r.client.Status().Patch(ctx, tp, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if err = client.IgnoreNotFound(err); err != nil && reterr == nil {
			reterr = err
		}
	}()
	return r.reconcileNormal(ctx, tp)
}

func (r *Reconciler) reconcileDelete(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy) (reconcile.Result, error) {
	if err := r.deleteWorks(ctx, client.ObjectKeyFromObject(tp), nil); err != nil {
		return reconcile.Result{}, err
	}
	if controllerutil.RemoveFinalizer(tp, networkingv1alpha1.Finalizer) {
		if err := r.client.Update(ctx, tp); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
	}
	return reconcile.Result{}, nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy) (reconcile.Result, error) {
	key := client.ObjectKeyFromObject(tp)
	svcBinding, problem, err := r.serviceBinding(ctx, tp)
	if err != nil || problem != nil {
		if problem != nil {
			setReady(tp, metav1.ConditionFalse, problem.reason, problem.message)
		}
		return reconcile.Result{}, err
	}
	holders := svcBinding.Spec.TargetClusterNames()
	slices.Sort(holders)
	if len(holders) == 0 {
		setReady(tp, metav1.ConditionFalse, networkingv1alpha1.ReasonServiceNotPropagated,
			fmt.Sprintf("Service %s/%s is not scheduled to any cluster yet; see kurator describe rb %s", tp.Namespace, tp.Spec.Service, svcBinding.Name))
		return reconcile.Result{}, r.deleteWorks(ctx, key, nil)
	}
	workload, problem, err := r.workloadBinding(ctx, tp)
	if err != nil || problem != nil {
		if problem != nil {
			setReady(tp, metav1.ConditionFalse, problem.reason, problem.message)
		}
		return reconcile.Result{}, err
	}
	observed, err := r.observe(ctx, tp, holders, workload)
	if err != nil {
		return reconcile.Result{}, err
	}
	now := r.opts.Now()
	res := traffic.Weights(traffic.Input{Spec: &tp.Spec, Clusters: observed, Previous: tp.Status.Clusters, Now: now})
	if !res.Writable {
		tp.Status.Clusters = res.Clusters
		setReady(tp, metav1.ConditionFalse, networkingv1alpha1.ReasonNoHealthyCluster,
			fmt.Sprintf("no cluster can take traffic (%s) and none had a share before, so no routes are written; make the workload %s healthy in one of them", reasons(res.Clusters), workload.Spec.Resource.Name))
		return reconcile.Result{}, nil
	}
	weights := traffic.WeightsOf(res.Clusters)
	vs, dr, err := traffic.Render(tp, weights)
	if err != nil {
		return reconcile.Result{}, err
	}
	manifests := []map[string]any{{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": tp.Namespace}}}
	for _, obj := range []any{vs, dr} {
		m, err := traffic.Manifest(obj)
		if err != nil {
			return reconcile.Result{}, err
		}
		manifests = append(manifests, m)
	}
	errs := make([]error, len(holders))
	var wg sync.WaitGroup
	for i, cluster := range holders {
		wg.Go(func() { errs[i] = r.applyWork(ctx, tp, cluster, manifests) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var ce *works.ConflictError
		if errors.As(err, &ce) {
			setReady(tp, metav1.ConditionFalse, networkingv1alpha1.ReasonWorkConflict, err.Error())
		}
		return reconcile.Result{}, err
	}
	if err := r.deleteWorks(ctx, key, holders); err != nil {
		return reconcile.Result{}, err
	}

	// The members have the new weights: record them.
	tp.Status.Clusters = res.Clusters
	if res.Changed {
		tp.Status.History = append(tp.Status.History, networkingv1alpha1.WeightChange{Time: metav1.NewTime(now), Weights: weights, Reason: res.Cause})
		if n := len(tp.Status.History) - networkingv1alpha1.HistoryLimit; n > 0 {
			tp.Status.History = slices.Delete(tp.Status.History, 0, n)
		}
		typ := corev1.EventTypeNormal
		if res.NoHealthyCluster || res.Cause != networkingv1alpha1.ClusterRecovering && res.Cause != "TargetChanged" {
			typ = corev1.EventTypeWarning
		}
		r.recorder.Eventf(tp, nil, typ, "WeightsChanged", "Route", "weights %s (%s)", traffic.FormatWeights(res.Clusters, false), res.Cause)
	}
	if res.NoHealthyCluster {
		setReady(tp, metav1.ConditionFalse, networkingv1alpha1.ReasonNoHealthyCluster,
			fmt.Sprintf("no cluster can take traffic (%s); the members keep the last weights %s until one recovers", reasons(res.Clusters), traffic.FormatWeights(res.Clusters, false)))
	} else {
		msg := fmt.Sprintf("weights %s written to %d clusters", traffic.FormatWeights(res.Clusters, false), len(holders))
		if ramp := recovering(res.Clusters); ramp != "" {
			msg += "; " + ramp
		}
		setReady(tp, metav1.ConditionTrue, networkingv1alpha1.ReasonWeightsApplied, msg)
	}
	requeue := res.RequeueAfter
	if tp.Spec.Weighting.Type == networkingv1alpha1.WeightingLatency {
		requeue = minDuration(requeue, latencyWindow(tp))
	}
	return reconcile.Result{RequeueAfter: requeue}, nil
}

// problem is a reason to stop that the user must fix, for the Ready
// condition.
type problem struct{ reason, message string }

// serviceBinding returns the Service's binding, or the problem that there
// is none.
func (r *Reconciler) serviceBinding(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy) (*workv1alpha1.ResourceBinding, *problem, error) {
	var b workv1alpha1.ResourceBinding
	name := workv1alpha1.BindingName(tp.Spec.Service, "Service")
	err := r.client.Get(ctx, types.NamespacedName{Namespace: tp.Namespace, Name: name}, &b)
	if err == nil {
		return &b, nil, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, nil, err
	}
	if err := r.deleteWorks(ctx, client.ObjectKeyFromObject(tp), nil); err != nil {
		return nil, nil, err
	}
	var svc corev1.Service
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: tp.Namespace, Name: tp.Spec.Service}, &svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &problem{networkingv1alpha1.ReasonServiceNotFound, fmt.Sprintf("Service %s/%s not found on the hub; create it or fix spec.service", tp.Namespace, tp.Spec.Service)}, nil
		}
		return nil, nil, err
	}
	return nil, &problem{networkingv1alpha1.ReasonServiceNotPropagated, fmt.Sprintf("Service %s/%s has no binding; propagate it to the member clusters with a PropagationPolicy that selects it", tp.Namespace, tp.Spec.Service)}, nil
}

// workloadBinding returns the workload's binding: spec.workload's, or that
// of the one Deployment the Service selects.
func (r *Reconciler) workloadBinding(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy) (*workv1alpha1.ResourceBinding, *problem, error) {
	kind, name := networkingv1alpha1.DefaultWorkloadKind, ""
	if w := tp.Spec.Workload; w != nil {
		name = w.Name
		if w.Kind != "" {
			kind = w.Kind
		}
	} else {
		var p *problem
		var err error
		if name, p, err = r.selectedDeployment(ctx, tp); err != nil || p != nil {
			return nil, p, err
		}
	}
	var b workv1alpha1.ResourceBinding
	err := r.client.Get(ctx, types.NamespacedName{Namespace: tp.Namespace, Name: workv1alpha1.BindingName(name, kind)}, &b)
	if apierrors.IsNotFound(err) {
		return nil, &problem{networkingv1alpha1.ReasonWorkloadNotBound, fmt.Sprintf("%s %s/%s has no binding; propagate it to the clusters of Service %s", kind, tp.Namespace, name, tp.Spec.Service)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &b, nil, nil
}

// selectedDeployment is the one Deployment of the namespace whose pod
// labels the Service selects.
func (r *Reconciler) selectedDeployment(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy) (string, *problem, error) {
	var svc corev1.Service
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: tp.Namespace, Name: tp.Spec.Service}, &svc); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &problem{networkingv1alpha1.ReasonServiceNotFound, fmt.Sprintf("Service %s/%s not found on the hub; create it or fix spec.service", tp.Namespace, tp.Spec.Service)}, nil
		}
		return "", nil, err
	}
	var deps appsv1.DeploymentList
	if err := r.client.List(ctx, &deps, client.InNamespace(tp.Namespace)); err != nil {
		return "", nil, err
	}
	var names []string
	if len(svc.Spec.Selector) > 0 {
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, d := range deps.Items {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				names = append(names, d.Name)
			}
		}
	}
	slices.Sort(names)
	switch len(names) {
	case 1:
		return names[0], nil, nil
	case 0:
		return "", &problem{networkingv1alpha1.ReasonWorkloadNotFound, fmt.Sprintf("no Deployment in %s has pods that Service %s selects; set spec.workload to the workload behind it", tp.Namespace, tp.Spec.Service)}, nil
	}
	return "", &problem{networkingv1alpha1.ReasonWorkloadAmbiguous, fmt.Sprintf("Service %s selects the pods of Deployments %s; set spec.workload to the one whose health should steer the weights", tp.Spec.Service, strings.Join(names, ", "))}, nil
}

// observe gathers each holder's health from its AttachedCluster and the
// workload's binding (and its p99 for Latency weighting).
func (r *Reconciler) observe(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy, holders []string, workload *workv1alpha1.ResourceBinding) ([]traffic.Observed, error) {
	var acs clusterv1alpha1.AttachedClusterList
	if err := r.client.List(ctx, &acs, client.InNamespace(r.opts.ClusterNamespace)); err != nil {
		return nil, err
	}
	ready := make(map[string]bool, len(acs.Items))
	for i := range acs.Items {
		ready[acs.Items[i].Name] = acs.Items[i].IsReady()
	}
	items := make(map[string]*workv1alpha1.AggregatedStatusItem, len(workload.Status.AggregatedStatus))
	for i := range workload.Status.AggregatedStatus {
		items[workload.Status.AggregatedStatus[i].ClusterName] = &workload.Status.AggregatedStatus[i]
	}
	counts := countsReplicas(workload.Spec.Resource)
	out := make([]traffic.Observed, 0, len(holders))
	for _, c := range holders {
		o := traffic.Observed{Name: c, ClusterReady: ready[c], WorkloadPlaced: workload.Spec.TargetContains(c)}
		if it := items[c]; it != nil && it.Status != nil && len(it.Status.Raw) > 0 {
			if counts {
				// A workload with replicas can take traffic while some
				// are ready, even when the binding calls it Unhealthy
				// (a rollout, a lost pod): its ready replicas decide.
				n := readyReplicas(it.Status.Raw)
				o.ReadyReplicas, o.WorkloadHealthy = &n, true
			} else {
				o.WorkloadHealthy = it.Health == workv1alpha1.ResourceHealthy
			}
		}
		out = append(out, o)
	}
	if tp.Spec.Weighting.Type == networkingv1alpha1.WeightingLatency {
		r.observeLatency(ctx, tp, workload.Spec.Resource.Name, out)
	}
	return out, nil
}

// observeLatency fills in the p99 of healthy clusters; a failed query
// leaves the cluster without data (it keeps its replica share) and is
// logged.
func (r *Reconciler) observeLatency(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy, workload string, obs []traffic.Observed) {
	addr := r.opts.PrometheusAddress
	if l := tp.Spec.Weighting.Latency; l != nil && l.Prometheus != "" {
		addr = l.Prometheus
	}
	if addr == "" {
		ctrl.LoggerFrom(ctx).Info("Latency weighting without a Prometheus: set spec.weighting.latency.prometheus or the manager's --prometheus-address", "trafficpolicy", client.ObjectKeyFromObject(tp))
		return
	}
	now := r.opts.Now()
	for i := range obs {
		if !obs[i].ClusterReady || !obs[i].WorkloadPlaced {
			continue
		}
		ms, found, err := r.opts.Latency.P99(ctx, addr, obs[i].Name, tp.Namespace, workload, latencyWindow(tp), now)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "p99 latency", "trafficpolicy", client.ObjectKeyFromObject(tp), "cluster", obs[i].Name)
			continue
		}
		if found {
			obs[i].P99Milliseconds = &ms
		}
	}
}

func latencyWindow(tp *networkingv1alpha1.TrafficPolicy) time.Duration {
	secs := int32(networkingv1alpha1.DefaultLatencyIntervalSeconds)
	if l := tp.Spec.Weighting.Latency; l != nil && l.IntervalSeconds >= 10 {
		secs = l.IntervalSeconds
	}
	return time.Duration(secs) * time.Second
}

// countsReplicas says whether the workload kind reports ready replicas
// (and omits the field when there are none).
func countsReplicas(ref workv1alpha1.ObjectReference) bool {
	if !strings.HasPrefix(ref.APIVersion, "apps/") {
		return false
	}
	switch ref.Kind {
	case "Deployment", "StatefulSet", "ReplicaSet":
		return true
	}
	return false
}

// readyReplicas reads status.readyReplicas from a member's status (absent
// means 0).
func readyReplicas(raw []byte) int32 {
	var s struct {
		ReadyReplicas int32 `json:"readyReplicas"`
	}
	_ = json.Unmarshal(raw, &s)
	return s.ReadyReplicas
}

// applyWork writes one cluster's Work.
func (r *Reconciler) applyWork(ctx context.Context, tp *networkingv1alpha1.TrafficPolicy, cluster string, manifests []map[string]any) error {
	ns := workv1alpha1.ExecutionNamespace(cluster)
	if err := r.namespaces.Ensure(ctx, r.client, ns); err != nil {
		return err
	}
	key := types.NamespacedName{Namespace: ns, Name: networkingv1alpha1.WorkName(tp.Namespace, tp.Name)}
	if err := works.Apply(ctx, r.client, key, workLabels(tp, cluster), manifests); err != nil {
		return err
	}
	// The annotation maps the Work back to the policy (the label may be
	// hashed). Set once, after creation.
	var w workv1alpha1.Work
	if err := r.client.Get(ctx, key, &w); err != nil {
		return client.IgnoreNotFound(err)
	}
	want := tp.Namespace + "/" + tp.Name
	if w.Annotations[PolicyAnnotation] == want {
		return nil
	}
	patch := client.MergeFrom(w.DeepCopy())
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
	w.Annotations[PolicyAnnotation] = want
	return r.client.Patch(ctx, &w, patch)
}

func workLabels(tp *networkingv1alpha1.TrafficPolicy, cluster string) map[string]string {
	return map[string]string{
		networkingv1alpha1.PolicyLabel: networkingv1alpha1.PolicyLabelValue(tp.Namespace, tp.Name),
		workv1alpha1.ClusterLabel:      cluster,
	}
}

// deleteWorks deletes the policy's Works except those of keep clusters.
func (r *Reconciler) deleteWorks(ctx context.Context, policy types.NamespacedName, keep []string) error {
	return works.DeleteExcept(ctx, r.client, client.MatchingLabels{networkingv1alpha1.PolicyLabel: networkingv1alpha1.PolicyLabelValue(policy.Namespace, policy.Name)}, keep)
}

func setReady(tp *networkingv1alpha1.TrafficPolicy, s metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&tp.Status.Conditions, metav1.Condition{Type: networkingv1alpha1.ConditionReady, Status: s, Reason: reason, Message: msg, ObservedGeneration: tp.Generation})
}

// reasons lists why clusters cannot take traffic: "a: ClusterNotReady, ...".
func reasons(clusters []networkingv1alpha1.ClusterTraffic) string {
	var parts []string
	for _, c := range clusters {
		if !c.Healthy {
			parts = append(parts, c.Name+": "+c.Reason)
		}
	}
	return strings.Join(parts, ", ")
}

// recovering says which clusters ramp back: "b recovering (20 of 50)".
func recovering(clusters []networkingv1alpha1.ClusterTraffic) string {
	var parts []string
	for _, c := range clusters {
		if c.Reason == networkingv1alpha1.ClusterRecovering {
			parts = append(parts, fmt.Sprintf("%s recovering (%d of %d)", c.Name, c.Weight, c.TargetWeight))
		}
	}
	return strings.Join(parts, ", ")
}

func minDuration(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}

// policiesOfBinding maps a binding to the policies of its namespace whose
// Service or workload it binds (by name and kind; a policy with a default
// workload is matched on any Deployment binding).
func (r *Reconciler) policiesOfBinding(ctx context.Context, obj client.Object) []reconcile.Request {
	b := obj.(*workv1alpha1.ResourceBinding)
	var list networkingv1alpha1.TrafficPolicyList
	if err := r.client.List(ctx, &list, client.InNamespace(b.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list traffic policies")
		return nil
	}
	res := b.Spec.Resource
	var out []reconcile.Request
	for i := range list.Items {
		tp := &list.Items[i]
		match := res.Kind == "Service" && res.Name == tp.Spec.Service
		switch w := tp.Spec.Workload; {
		case w != nil:
			match = match || res.Name == w.Name && (w.Kind == "" || w.Kind == res.Kind)
		default:
			match = match || res.Kind == networkingv1alpha1.DefaultWorkloadKind
		}
		if match {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(tp)})
		}
	}
	return out
}

func (r *Reconciler) allPolicies(ctx context.Context, _ client.Object) []reconcile.Request {
	var list networkingv1alpha1.TrafficPolicyList
	if err := r.client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list traffic policies")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}

func policyOfWork(_ context.Context, obj client.Object) []reconcile.Request {
	ns, name, ok := strings.Cut(obj.GetAnnotations()[PolicyAnnotation], "/")
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
}
