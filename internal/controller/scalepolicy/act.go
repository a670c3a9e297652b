package scalepolicy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/autoscale"
)

// executionTimeout is how long an execution may take to become ready
// before it is Failed, before the time divisor.
const executionTimeout = 10 * time.Minute

// pending is an execution recorded in status and not carried out yet.
type pending struct {
	id      int32
	w       *world
	changes []autoscalingv1alpha1.ScaleChange
}

// execute records the decision's execution (InProgress, or final when it
// changes nothing or cannot be computed) and returns what to carry out
// once the record is written.
func (r *Reconciler) execute(p *autoscalingv1alpha1.ScalePolicy, s *autoscale.Settings, w *world, d autoscale.Decision, now time.Time) *pending {
	cur := w.current()
	var changes []autoscalingv1alpha1.ScaleChange
	e := autoscalingv1alpha1.ScaleExecution{Time: metav1.Time{Time: now}, Trigger: string(d.Trigger), Direction: string(d.Direction), Reason: d.Reason, Result: autoscalingv1alpha1.ResultInProgress}
	if d.Direction == autoscale.Out {
		var err error
		changes, err = autoscale.ScaleOutChanges(*s, cur, p.Status.Before)
		if err != nil {
			e.Result, e.Message, e.CompletionTime = autoscalingv1alpha1.ResultFailed, err.Error(), &metav1.Time{Time: now}
			prependExecution(p, e)
			return nil
		}
		p.Status.Before = autoscale.RecordBefore(p.Status.Before, changes)
	} else {
		changes = autoscale.ScaleInChanges(*s, cur, p.Status.Before)
		p.Status.Before = nil
	}
	e.Changes = changes
	if len(changes) == 0 {
		e.Result, e.Message, e.CompletionTime = autoscalingv1alpha1.ResultSucceeded, "every target already had its size", &metav1.Time{Time: now}
	}
	p.Status.LastScaleTime = &metav1.Time{Time: now}
	prependExecution(p, e)
	if len(changes) == 0 {
		return nil
	}
	return &pending{id: p.Status.Executions[0].ID, w: w, changes: changes}
}

// carryOut applies a recorded execution's changes. A refused change fails
// the execution, with a message naming the target and the reason.
func (r *Reconciler) carryOut(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, act *pending) error {
	var failed []string
	for _, c := range act.changes {
		if err := r.apply(ctx, act.w, c); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) == 0 {
		return nil
	}
	for i := range p.Status.Executions {
		e := &p.Status.Executions[i]
		if e.ID == act.id {
			now := metav1.Time{Time: r.opts.Clock.Now()}
			e.Result, e.Message, e.CompletionTime = autoscalingv1alpha1.ResultFailed, strings.Join(failed, "; "), &now
		}
	}
	return r.client.Status().Update(ctx, p)
}

// apply sets one target's size on the hub.
func (r *Reconciler) apply(ctx context.Context, w *world, c autoscalingv1alpha1.ScaleChange) error {
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, c.To))
	if c.Kind == "NodePool" {
		np := w.pools[c.Cluster]
		if err := r.client.Patch(ctx, np, patch); err != nil {
			return fmt.Errorf("NodePool %s/%s (%s of %s) to %d: %w", np.Namespace, np.Name, c.Name, c.Cluster, c.To, err)
		}
		return nil
	}
	for _, t := range w.workloads {
		if t.w.Kind == c.Kind && t.w.Namespace == c.Namespace && t.w.Name == c.Name {
			if err := r.client.Patch(ctx, t.template, patch); err != nil {
				return fmt.Errorf("%s to %d replicas: %w", t.w.Key(), c.To, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s %s/%s is not a target of this policy", c.Kind, c.Namespace, c.Name)
}

// follow updates the executions in flight from what the targets report:
// Succeeded once every target has its size, ready; Failed after the
// timeout, with the pods and nodes that are not running. It reports
// whether one is still in flight.
func (r *Reconciler) follow(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, w *world, now time.Time) bool {
	inFlight := false
	timeout := time.Duration(float64(executionTimeout) / r.opts.TimeDivisor)
	for i := range p.Status.Executions {
		e := &p.Status.Executions[i]
		if e.Result != autoscalingv1alpha1.ResultInProgress {
			continue
		}
		done := true
		for j := range e.Changes {
			c := &e.Changes[j]
			ready, have := w.readiness(c)
			c.Ready = ready
			if ready != c.To || have != c.To {
				done = false
			}
		}
		if done {
			e.Result, e.FailedPods, e.FailedNodes = autoscalingv1alpha1.ResultSucceeded, nil, nil
			e.Message = fmt.Sprintf("every target at its size and ready after %s", now.Sub(e.Time.Time).Round(100*time.Millisecond))
			e.CompletionTime = &metav1.Time{Time: now}
			continue
		}
		e.FailedNodes = w.failedNodes(e.Changes)
		e.FailedPods = r.failedPods(ctx, w, e.Changes)
		if now.Sub(e.Time.Time) > timeout {
			e.Result, e.CompletionTime = autoscalingv1alpha1.ResultFailed, &metav1.Time{Time: now}
			e.Message = fmt.Sprintf("not every target ready after %s: %s", timeout, notReady(e.Changes))
			continue
		}
		e.Message = "waiting for " + notReady(e.Changes)
		inFlight = true
	}
	return inFlight
}

// readiness is a target's ready and current size as reported now.
func (w *world) readiness(c *autoscalingv1alpha1.ScaleChange) (ready, have int32) {
	if c.Kind == "NodePool" {
		np := w.pools[c.Cluster]
		if np == nil {
			return 0, 0
		}
		return np.Status.ReadyReplicas, np.Status.Replicas
	}
	for _, t := range w.workloads {
		if t.w.Kind == c.Kind && t.w.Namespace == c.Namespace && t.w.Name == c.Name {
			ready, _, _ := unstructured.NestedInt64(t.template.Object, "status", "readyReplicas")
			have, _, _ := unstructured.NestedInt64(t.template.Object, "status", "replicas")
			return int32(ready), int32(have)
		}
	}
	return 0, 0
}

func notReady(changes []autoscalingv1alpha1.ScaleChange) string {
	var parts []string
	for _, c := range changes {
		if c.Ready != c.To {
			where := c.Namespace + "/" + c.Name
			if c.Kind == "NodePool" {
				where = c.Cluster + " " + c.Name
			}
			parts = append(parts, fmt.Sprintf("%s %s %d/%d ready", c.Kind, where, c.Ready, c.To))
		}
	}
	if len(parts) == 0 {
		return "the targets' status to settle"
	}
	return strings.Join(parts, ", ")
}

// failedNodes are the scaled pools' nodes that are not Ready.
func (w *world) failedNodes(changes []autoscalingv1alpha1.ScaleChange) []string {
	var out []string
	for _, c := range changes {
		if c.Kind != "NodePool" || w.pools[c.Cluster] == nil {
			continue
		}
		for _, n := range w.pools[c.Cluster].Status.Nodes {
			if !n.Ready {
				out = append(out, fmt.Sprintf("%s/%s: %s", c.Cluster, n.Name, orDefault(n.Message, "not Ready")))
			}
		}
	}
	return out
}

// maxFailedPods bounds the list in status.
const maxFailedPods = 20

// failedPods are the scaled workloads' pods in the target clusters that
// are not running and ready, with the reason a person can act on.
func (r *Reconciler) failedPods(ctx context.Context, w *world, changes []autoscalingv1alpha1.ScaleChange) []string {
	if r.opts.Clients == nil {
		return nil
	}
	var out []string
	for _, t := range w.workloads {
		if !changed(changes, t) {
			continue
		}
		sel, found, _ := unstructured.NestedStringMap(t.template.Object, "spec", "selector", "matchLabels")
		if !found || len(sel) == 0 {
			continue
		}
		for _, c := range w.clusters {
			kube, err := r.opts.Clients.Kubernetes(ctx, c)
			if err != nil {
				continue
			}
			pods, err := kube.CoreV1().Pods(t.w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel).String()})
			if err != nil {
				continue
			}
			for _, pod := range pods.Items {
				if reason := podProblem(&pod); reason != "" {
					out = append(out, fmt.Sprintf("%s/%s/%s: %s", c, pod.Namespace, pod.Name, reason))
				}
			}
		}
	}
	sort.Strings(out)
	if len(out) > maxFailedPods {
		out = append(out[:maxFailedPods], fmt.Sprintf("and %d more", len(out)-maxFailedPods))
	}
	return out
}

func changed(changes []autoscalingv1alpha1.ScaleChange, t target) bool {
	for _, c := range changes {
		if c.Kind == t.w.Kind && c.Namespace == t.w.Namespace && c.Name == t.w.Name {
			return true
		}
	}
	return false
}

// podProblem says why a pod is not running and ready, "" when it is (or is
// going away).
func podProblem(pod *corev1.Pod) string {
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded {
		return ""
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return orDefault(c.Reason, "Unschedulable") + ": " + c.Message
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "ContainerCreating" {
			return cs.State.Waiting.Reason + ": " + cs.State.Waiting.Message
		}
	}
	if pod.Status.Phase == corev1.PodFailed {
		return "Failed: " + pod.Status.Message
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
