package status

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// aggregateJob: the Job is Complete once it completed in every target
// cluster, and Failed as soon as it failed in one. Counters are summed.
//
// The hub's API server checks a Job's status like the job controller's
// (batch validation of status updates), so the aggregate keeps its rules:
// Complete comes with SuccessCriteriaMet and a completionTime, Failed with
// FailureTarget, a finished Job has no active pods, startTime and
// completionTime never change once set, the succeeded and failed counters
// never decrease (a cluster leaving the targets does not take its counts
// back), ready is at most active, and a finished Job stays as it is.
func aggregateJob(t Template, members []member) map[string]any {
	var old batchv1.JobStatus
	if t.Status != nil {
		_ = runtime.DefaultUnstructuredConverter.FromUnstructured(t.Status, &old)
	}
	if jobConditionTrue(old.Conditions, batchv1.JobComplete) || jobConditionTrue(old.Conditions, batchv1.JobFailed) {
		return t.Status
	}
	sts := make([]batchv1.JobStatus, len(members))
	for i, m := range members {
		m.decode(&sts[i])
	}
	out := batchv1.JobStatus{
		Active:    sum(counter(sts, func(s *batchv1.JobStatus) int32 { return s.Active })),
		Succeeded: max(old.Succeeded, sum(counter(sts, func(s *batchv1.JobStatus) int32 { return s.Succeeded }))),
		Failed:    max(old.Failed, sum(counter(sts, func(s *batchv1.JobStatus) int32 { return s.Failed }))),
		StartTime: old.StartTime,
	}
	var ready *int32
	var latestCompletion *metav1.Time
	failed, failedIn := batchv1.JobCondition{}, ""
	complete := len(members) > 0
	for i, s := range sts {
		if s.Ready != nil {
			ready = ptr.To(ptr.Deref(ready, 0) + *s.Ready)
		}
		if old.StartTime == nil && s.StartTime != nil && (out.StartTime == nil || s.StartTime.Before(out.StartTime)) {
			out.StartTime = s.StartTime
		}
		if s.CompletionTime != nil && (latestCompletion == nil || latestCompletion.Before(s.CompletionTime)) {
			latestCompletion = s.CompletionTime
		}
		if c, ok := jobCondition(s.Conditions, batchv1.JobFailed); ok && c.Status == corev1.ConditionTrue && failedIn == "" {
			failed, failedIn = c, members[i].cluster
		}
		if !members[i].reported() || !jobConditionTrue(s.Conditions, batchv1.JobComplete) {
			complete = false
		}
	}
	var conds []condition
	switch {
	case failedIn != "":
		c := inCluster(condition{Reason: failed.Reason, Message: failed.Message}, failedIn)
		conds = []condition{
			{Type: string(batchv1.JobFailureTarget), Status: string(corev1.ConditionTrue), Reason: c.Reason, Message: c.Message},
			{Type: string(batchv1.JobFailed), Status: string(corev1.ConditionTrue), Reason: c.Reason, Message: c.Message},
		}
	case complete:
		msg := fmt.Sprintf("completed in all %d target clusters", len(members))
		conds = []condition{
			{Type: string(batchv1.JobSuccessCriteriaMet), Status: string(corev1.ConditionTrue), Reason: "CompletionsReached", Message: msg},
			{Type: string(batchv1.JobComplete), Status: string(corev1.ConditionTrue), Reason: "CompletionsReached", Message: msg},
		}
		out.CompletionTime = latestCompletion
		if out.CompletionTime == nil {
			out.CompletionTime = &t.Now
		}
	}
	if len(conds) > 0 { // finished
		out.Active, ready = 0, nil
		if out.StartTime == nil {
			out.StartTime = &t.Now
		}
		if out.CompletionTime != nil && out.CompletionTime.Before(out.StartTime) {
			// Member clocks differ; the API refuses a completion before the start.
			out.CompletionTime = out.StartTime
		}
	}
	if ready != nil {
		out.Ready = ptr.To(min(*ready, out.Active))
	}
	for _, c := range conds {
		transition, update := t.stamp(c)
		out.Conditions = append(out.Conditions, batchv1.JobCondition{
			Type: batchv1.JobConditionType(c.Type), Status: corev1.ConditionStatus(c.Status),
			Reason: c.Reason, Message: c.Message, LastTransitionTime: transition, LastProbeTime: update,
		})
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&out)
	if err != nil {
		return t.Status
	}
	return m
}

func jobCondition(conds []batchv1.JobCondition, typ batchv1.JobConditionType) (batchv1.JobCondition, bool) {
	for _, c := range conds {
		if c.Type == typ {
			return c, true
		}
	}
	return batchv1.JobCondition{}, false
}

func jobConditionTrue(conds []batchv1.JobCondition, typ batchv1.JobConditionType) bool {
	c, ok := jobCondition(conds, typ)
	return ok && c.Status == corev1.ConditionTrue
}
