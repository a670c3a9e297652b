// Package scalepolicy is the thin shell around pkg/autoscale for
// ScalePolicies: each evaluation reads the trigger's metric from Prometheus
// (a range over the whole duration, or the history a forecast needs), the
// cron schedule or the manual trigger annotation, asks autoscale.Decide what
// to do, and sets the workloads' replicas on their hub templates (the
// scheduler divides them) and the node pools' sizes (the NodePool
// controller adds or removes the nodes). Every execution is recorded in
// status with when, why, what changed and how it ended.
package scalepolicy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// Options configure the controller.
type Options struct {
	// ClusterNamespace holds AttachedClusters and NodePools (kurator-system).
	ClusterNamespace string
	// PrometheusAddress is read when a trigger names no Prometheus.
	PrometheusAddress string
	// TimeDivisor divides every duration of a policy except cron schedules
	// (tests run the 5-minute promotion window in 15 s with 20). Default 1.
	TimeDivisor float64
	// Clients reach the members, to flag the scaled workloads' failed pods.
	Clients *member.Registry
	// Clock is the time source (tests may step it).
	Clock clock.PassiveClock
}

// maxExecutions is how many executions status keeps.
const maxExecutions = 20

// Reconciler evaluates ScalePolicies.
type Reconciler struct {
	client   client.Client
	opts     Options
	metrics  *metricsClients
	recorder events.EventRecorder
}

// SetupWithManager registers the controller.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if opts.ClusterNamespace == "" {
		opts.ClusterNamespace = workv1alpha1.SystemNamespace
	}
	if opts.TimeDivisor <= 0 {
		opts.TimeDivisor = 1
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	r := &Reconciler{client: mgr.GetClient(), opts: opts, metrics: newMetricsClients(opts.PrometheusAddress), recorder: mgr.GetEventRecorder("kurator-scalepolicy")}
	return ctrl.NewControllerManagedBy(mgr).
		Named("scalepolicy").
		// Spec changes, and the trigger annotation of kurator scale trigger.
		For(&autoscalingv1alpha1.ScalePolicy{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// A pool's nodes turning Ready finish an execution; a pool or a
		// cluster that appears unblocks a policy waiting for it.
		Watches(&autoscalingv1alpha1.NodePool{}, handler.EnqueueRequestsFromMapFunc(r.allPolicies)).
		Watches(&clusterv1alpha1.AttachedCluster{}, handler.EnqueueRequestsFromMapFunc(r.allPolicies), builder.WithPredicates(predicate.Funcs{
			UpdateFunc: func(event.UpdateEvent) bool { return false },
		})).
		Complete(r)
}

// allPolicies enqueues every ScalePolicy: there are few, and a pool or a
// cluster may concern any of them.
func (r *Reconciler) allPolicies(ctx context.Context, _ client.Object) []reconcile.Request {
	var list autoscalingv1alpha1.ScalePolicyList
	if err := r.client.List(ctx, &list); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, p := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&p)})
	}
	return out
}

// Reconcile evaluates one policy and acts on the decision.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var p autoscalingv1alpha1.ScalePolicy
	if err := r.client.Get(ctx, req.NamespacedName, &p); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	before := p.Status.DeepCopy()
	var act *pending
	res, err := r.reconcileNormal(ctx, &p, &act)
	p.Status.ObservedGeneration = p.Generation
	// The execution is recorded before it is carried out, with the
	// resourceVersion: one decided on a stale copy fails here and is never
	// applied, and a crash between the two leaves a record, not a change
	// nobody knows the reason of (or, for "+30%", one applied twice).
	if !equality.Semantic.DeepEqual(before, &p.Status) {
		if uerr := r.client.Status().Update(ctx, &p); uerr != nil {
			if apierrors.IsConflict(uerr) {
				return reconcile.Result{RequeueAfter: time.Second}, nil
			}
			return reconcile.Result{}, uerr
		}
	}
	if act != nil {
		if err := r.carryOut(ctx, &p, act); err != nil {
			return reconcile.Result{}, err
		}
	}
	// Only what was recorded is told.
	r.recordEvents(&p, before)
	return res, err
}

// blocked marks the policy unable to act for reason, and retries later.
func blocked(p *autoscalingv1alpha1.ScalePolicy, cond, reason, msg string, retry time.Duration) (reconcile.Result, error) {
	p.Status.Phase = autoscalingv1alpha1.PhaseBlocked
	if cond != autoscalingv1alpha1.ConditionReady {
		status := metav1.ConditionFalse
		if cond == autoscalingv1alpha1.ConditionConflict {
			status = metav1.ConditionTrue
		}
		setCondition(p, cond, status, reason, msg)
	}
	setCondition(p, autoscalingv1alpha1.ConditionReady, metav1.ConditionFalse, reason, msg)
	return reconcile.Result{RequeueAfter: retry}, nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, act **pending) (reconcile.Result, error) {
	now := r.opts.Clock.Now()
	s, errs := autoscale.Resolve(p, r.opts.TimeDivisor)
	if len(errs) > 0 {
		return blocked(p, autoscalingv1alpha1.ConditionReady, "InvalidSpec", fmt.Sprintf("ScalePolicy %s/%s: %s", p.Namespace, p.Name, errs.ToAggregate().Error()), 5*time.Minute)
	}
	p.Status.Trigger = s.Trigger.Type

	w, msg, err := r.read(ctx, p, &s)
	if err != nil {
		return reconcile.Result{}, err
	}
	if msg != "" {
		return blocked(p, autoscalingv1alpha1.ConditionTargetsFound, "TargetNotFound", msg+"; retried when it appears", 15*time.Second)
	}
	setCondition(p, autoscalingv1alpha1.ConditionTargetsFound, metav1.ConditionTrue, "Found", w.describeTargets())

	if winner, err := r.yieldsTo(ctx, p, &s); err != nil {
		return reconcile.Result{}, err
	} else if winner != "" {
		return blocked(p, autoscalingv1alpha1.ConditionConflict, "Conflict", fmt.Sprintf("%s is also scaled by %s, which came first and acts; this policy waits until that one stops acting on it (delete one, or give them different workloads)", strings.Join(w.workloadKeys(), ", "), winner), 30*time.Second)
	}
	setCondition(p, autoscalingv1alpha1.ConditionConflict, metav1.ConditionFalse, "NoConflict", "no other policy or HorizontalPodAutoscaler scales these workloads")

	// Executions in flight are followed first: their readiness decides the
	// result, whatever the trigger says now.
	inFlight := r.follow(ctx, p, w, now)

	obs, err := r.observe(ctx, p, &s, w, now)
	if err != nil {
		return reconcile.Result{}, err
	}
	d := autoscale.Decide(s, p.Status, obs)
	p.Status.LastEvaluationTime = &metav1.Time{Time: now}
	if !d.NextEvaluation.IsZero() {
		p.Status.NextEvaluationTime = &metav1.Time{Time: d.NextEvaluation}
	}
	p.Status.Phase = d.Phase
	p.Status.ClearedSince = metaTime(d.ClearedSince)
	if obs.Manual {
		p.Status.HandledTrigger = p.Annotations[autoscalingv1alpha1.TriggerAnnotation]
	}
	if d.ScheduleTime != nil {
		p.Status.LastScheduleTime = &metav1.Time{Time: *d.ScheduleTime}
	}
	if d.Value != "" {
		p.Status.Value = d.Value
	}
	setCondition(p, autoscalingv1alpha1.ConditionReady, metav1.ConditionTrue, string(d.Phase), readyMessage(d))

	if d.Direction != "" {
		*act = r.execute(p, &s, w, d, now)
		inFlight = true
	}
	next := time.Until(d.NextEvaluation)
	if inFlight {
		next = min(next, 2*time.Second)
	}
	return reconcile.Result{RequeueAfter: max(next, 200*time.Millisecond)}, nil
}

// readyMessage says what the policy is waiting for.
func readyMessage(d autoscale.Decision) string {
	if d.Reason != "" {
		return d.Reason
	}
	return "evaluating; nothing to do"
}

func setCondition(p *autoscalingv1alpha1.ScalePolicy, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&p.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: p.Generation,
	})
}

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	return &metav1.Time{Time: *t}
}

// prependExecution records e as the newest execution, keeping at most
// maxExecutions.
func prependExecution(p *autoscalingv1alpha1.ScalePolicy, e autoscalingv1alpha1.ScaleExecution) {
	var id int32
	for _, old := range p.Status.Executions {
		id = max(id, old.ID)
	}
	e.ID = id + 1
	p.Status.Executions = slices.Insert(p.Status.Executions, 0, e)
	if len(p.Status.Executions) > maxExecutions {
		p.Status.Executions = p.Status.Executions[:maxExecutions]
	}
}

// recordEvents emits an event for each execution that started or ended in
// this evaluation, so kubectl describe and kubectl get events tell the story
// too.
func (r *Reconciler) recordEvents(p *autoscalingv1alpha1.ScalePolicy, before *autoscalingv1alpha1.ScalePolicyStatus) {
	old := map[int32]autoscalingv1alpha1.ExecutionResult{}
	for _, e := range before.Executions {
		old[e.ID] = e.Result
	}
	for _, e := range p.Status.Executions {
		prev, seen := old[e.ID]
		if seen && prev == e.Result {
			continue
		}
		typ, reason := corev1.EventTypeNormal, "Scale"+e.Direction
		note := fmt.Sprintf("execution %d (%s): %s", e.ID, e.Trigger, e.Reason)
		switch e.Result {
		case autoscalingv1alpha1.ResultSucceeded:
			reason, note = "Scaled"+e.Direction, fmt.Sprintf("execution %d succeeded: %s", e.ID, e.Message)
		case autoscalingv1alpha1.ResultFailed:
			typ, reason, note = corev1.EventTypeWarning, "ScaleFailed", fmt.Sprintf("execution %d failed: %s", e.ID, e.Message)
		}
		r.recorder.Eventf(p, nil, typ, reason, "Scale", "%s", note)
	}
}
