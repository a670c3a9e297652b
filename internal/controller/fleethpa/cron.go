package fleethpa

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// cronIdle is how long a CronFederatedHPA whose rules have no next time
// (all suspended or invalid) waits before it is looked at again; a spec
// change wakes it at once.
const cronIdle = 5 * time.Minute

// cronWakeMargin is how long after a schedule time the rule is run, so the
// reconcile sees the time as passed.
const cronWakeMargin = 50 * time.Millisecond

// cronReconciler runs CronFederatedHPA rules.
type cronReconciler struct {
	e        *evaluator
	recorder events.EventRecorder
}

func setupCron(mgr ctrl.Manager, e *evaluator) error {
	r := &cronReconciler{e: e, recorder: mgr.GetEventRecorder("kurator-cronfederatedhpa")}
	return ctrl.NewControllerManagedBy(mgr).Named("cronfederatedhpa").
		For(&karmadaautoscalingv1alpha1.CronFederatedHPA{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// Reconcile fires the rules whose schedule time has come (each once per
// time: the history holds the last one), records the executions, and asks
// to run again at the earliest next time.
func (r *cronReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var c karmadaautoscalingv1alpha1.CronFederatedHPA
	if err := r.e.hub.Get(ctx, req.NamespacedName, &c); err != nil {
		return reconcile.Result{}, ctrlIgnoreNotFound(err)
	}
	if !c.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, nil
	}
	now := r.e.opts.Clock.Now()
	before := c.Status.DeepCopy()
	have := map[string]karmadaautoscalingv1alpha1.ExecutionHistory{}
	for _, h := range c.Status.ExecutionHistories {
		have[h.RuleName] = h
	}
	var histories []karmadaautoscalingv1alpha1.ExecutionHistory
	var wake time.Time
	for i, rule := range c.Spec.Rules {
		h, ok := have[rule.Name]
		if !ok {
			h = karmadaautoscalingv1alpha1.ExecutionHistory{RuleName: rule.Name}
		}
		next, err := r.runRule(ctx, &c, i, rule, &h, now)
		if err != nil {
			r.recorder.Eventf(&c, nil, corev1.EventTypeWarning, "InvalidRule", "Schedule", "%v", err)
		}
		if !next.IsZero() && (wake.IsZero() || next.Before(wake)) {
			wake = next
		}
		histories = append(histories, h)
	}
	c.Status.ExecutionHistories = histories
	if !equality.Semantic.DeepEqual(before, &c.Status) {
		if err := r.e.hub.Status().Update(ctx, &c); err != nil {
			if apierrors.IsConflict(err) {
				return reconcile.Result{RequeueAfter: time.Second}, nil
			}
			return reconcile.Result{}, fmt.Errorf("update status of CronFederatedHPA %s: %w", req, err)
		}
	}
	if wake.IsZero() {
		return reconcile.Result{RequeueAfter: cronIdle}, nil
	}
	return reconcile.Result{RequeueAfter: max(wake.Sub(now), 0) + cronWakeMargin}, nil
}

// runRule fires one rule if a schedule time of it has come since it last
// fired (or since the CronFederatedHPA was created) and records the
// execution in h. It returns the rule's next schedule time (zero when it is
// suspended or its schedule is invalid, with an error saying what to fix).
func (r *cronReconciler) runRule(ctx context.Context, c *karmadaautoscalingv1alpha1.CronFederatedHPA, i int, rule karmadaautoscalingv1alpha1.CronFederatedHPARule, h *karmadaautoscalingv1alpha1.ExecutionHistory, now time.Time) (time.Time, error) {
	if ptr.Deref(rule.Suspend, false) {
		h.NextExecutionTime = nil
		return time.Time{}, nil
	}
	sched, err := autoscale.ParseSchedule(rule.Schedule, ptr.Deref(rule.TimeZone, ""))
	if err != nil {
		h.NextExecutionTime = nil
		return time.Time{}, fmt.Errorf("CronFederatedHPA %s/%s rule %s: %w; fix spec.rules[%d]", c.Namespace, c.Name, rule.Name, err, i)
	}
	due, next := sched.Due(lastScheduleTime(h), c.CreationTimestamp.Time, now)
	h.NextExecutionTime = &metav1.Time{Time: next}
	if due == nil {
		return next, nil
	}
	scheduled := &metav1.Time{Time: *due}
	executed := &metav1.Time{Time: now}
	applied, err := r.apply(ctx, c, rule)
	if err != nil {
		h.FailedExecutions = append(h.FailedExecutions, karmadaautoscalingv1alpha1.FailedExecution{ScheduleTime: scheduled, ExecutionTime: executed, Message: err.Error()})
		h.FailedExecutions = keepLast(h.FailedExecutions, int(ptr.Deref(rule.FailedHistoryLimit, 3)))
		r.recorder.Eventf(c, nil, corev1.EventTypeWarning, "FailedExecution", "Schedule", "rule %s at %s: %v", rule.Name, due.Format(time.RFC3339), err)
		return next, nil
	}
	applied.ScheduleTime, applied.ExecutionTime = scheduled, executed
	h.SuccessfulExecutions = keepLast(append(h.SuccessfulExecutions, applied), int(ptr.Deref(rule.SuccessfulHistoryLimit, 3)))
	r.recorder.Eventf(c, nil, corev1.EventTypeNormal, "SuccessfulExecution", "Schedule", "rule %s at %s: %s", rule.Name, due.Format(time.RFC3339), describeApplied(applied))
	return next, nil
}

// apply sets what a rule sets: a workload template's replicas, or a
// FederatedHPA's bounds.
func (r *cronReconciler) apply(ctx context.Context, c *karmadaautoscalingv1alpha1.CronFederatedHPA, rule karmadaautoscalingv1alpha1.CronFederatedHPARule) (karmadaautoscalingv1alpha1.SuccessfulExecution, error) {
	ref := c.Spec.ScaleTargetRef
	if ref.Kind == KindFederatedHPA && groupOf(ref.APIVersion) == karmadaautoscalingv1alpha1.GroupVersion.Group {
		return r.applyFederatedHPA(ctx, c.Namespace, ref.Name, rule)
	}
	if rule.TargetReplicas == nil {
		return karmadaautoscalingv1alpha1.SuccessfulExecution{}, fmt.Errorf("rule %s sets no targetReplicas: a workload target (%s %s) needs targetReplicas", rule.Name, ref.Kind, ref.Name)
	}
	target, scale, err := r.e.templateScale(ctx, c.Namespace, ref)
	if err != nil {
		return karmadaautoscalingv1alpha1.SuccessfulExecution{}, err
	}
	if scale.Spec.Replicas != *rule.TargetReplicas {
		if err := r.e.writeReplicas(ctx, target, scale, *rule.TargetReplicas); err != nil {
			return karmadaautoscalingv1alpha1.SuccessfulExecution{}, err
		}
	}
	return karmadaautoscalingv1alpha1.SuccessfulExecution{AppliedReplicas: ptr.To(*rule.TargetReplicas)}, nil
}

func (r *cronReconciler) applyFederatedHPA(ctx context.Context, namespace, name string, rule karmadaautoscalingv1alpha1.CronFederatedHPARule) (karmadaautoscalingv1alpha1.SuccessfulExecution, error) {
	if rule.TargetMinReplicas == nil && rule.TargetMaxReplicas == nil {
		return karmadaautoscalingv1alpha1.SuccessfulExecution{}, fmt.Errorf("rule %s sets neither targetMinReplicas nor targetMaxReplicas: a FederatedHPA target needs one of them", rule.Name)
	}
	var f karmadaautoscalingv1alpha1.FederatedHPA
	if err := r.e.hub.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &f); err != nil {
		if apierrors.IsNotFound(err) {
			return karmadaautoscalingv1alpha1.SuccessfulExecution{}, fmt.Errorf("FederatedHPA %s/%s not found: create it, or fix spec.scaleTargetRef", namespace, name)
		}
		return karmadaautoscalingv1alpha1.SuccessfulExecution{}, fmt.Errorf("read FederatedHPA %s/%s: %w", namespace, name, err)
	}
	minR, maxR := ptr.Deref(f.Spec.MinReplicas, 1), f.Spec.MaxReplicas
	if rule.TargetMinReplicas != nil {
		minR = *rule.TargetMinReplicas
	}
	if rule.TargetMaxReplicas != nil {
		maxR = *rule.TargetMaxReplicas
	}
	if minR > maxR {
		return karmadaautoscalingv1alpha1.SuccessfulExecution{}, fmt.Errorf("rule %s would set FederatedHPA %s/%s to minReplicas %d above maxReplicas %d: set both bounds in the rule, or fix the other one", rule.Name, namespace, name, minR, maxR)
	}
	out := karmadaautoscalingv1alpha1.SuccessfulExecution{}
	if rule.TargetMinReplicas != nil {
		out.AppliedMinReplicas = ptr.To(minR)
	}
	if rule.TargetMaxReplicas != nil {
		out.AppliedMaxReplicas = ptr.To(maxR)
	}
	if ptr.Deref(f.Spec.MinReplicas, 1) == minR && f.Spec.MaxReplicas == maxR {
		return out, nil
	}
	f.Spec.MinReplicas, f.Spec.MaxReplicas = ptr.To(minR), maxR
	if err := r.e.hub.Update(ctx, &f); err != nil {
		return karmadaautoscalingv1alpha1.SuccessfulExecution{}, fmt.Errorf("set the bounds of FederatedHPA %s/%s: %w", namespace, name, err)
	}
	return out, nil
}

// lastScheduleTime is the latest schedule time a rule fired for.
func lastScheduleTime(h *karmadaautoscalingv1alpha1.ExecutionHistory) *time.Time {
	var last *time.Time
	see := func(t *metav1.Time) {
		if t != nil && (last == nil || t.After(*last)) {
			v := t.Time
			last = &v
		}
	}
	for _, s := range h.SuccessfulExecutions {
		see(s.ScheduleTime)
	}
	for _, f := range h.FailedExecutions {
		see(f.ScheduleTime)
	}
	return last
}

// keepLast keeps the last n entries.
func keepLast[T any](s []T, n int) []T {
	if n <= 0 {
		return nil
	}
	if len(s) > n {
		s = append([]T(nil), s[len(s)-n:]...)
	}
	return s
}

func describeApplied(s karmadaautoscalingv1alpha1.SuccessfulExecution) string {
	switch {
	case s.AppliedReplicas != nil:
		return fmt.Sprintf("replicas set to %d", *s.AppliedReplicas)
	case s.AppliedMinReplicas != nil && s.AppliedMaxReplicas != nil:
		return fmt.Sprintf("bounds set to %d-%d", *s.AppliedMinReplicas, *s.AppliedMaxReplicas)
	case s.AppliedMinReplicas != nil:
		return fmt.Sprintf("minReplicas set to %d", *s.AppliedMinReplicas)
	case s.AppliedMaxReplicas != nil:
		return fmt.Sprintf("maxReplicas set to %d", *s.AppliedMaxReplicas)
	}
	return "nothing to set"
}

func ctrlIgnoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
