package clusterstatus

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// WithReadinessTaint returns taints with the readiness taints matching ready
// (not-ready for False, unreachable for Unknown, none for True), each with
// both effects: NoSchedule keeps new work away, NoExecute makes the failover
// controller evict what does not tolerate it. The other readiness key is
// removed. It also reports whether anything changed. Taints of other keys
// keep their order; an existing matching taint keeps its TimeAdded, which
// tolerationSeconds count from.
func WithReadinessTaint(taints []corev1.Taint, ready metav1.ConditionStatus, now metav1.Time) ([]corev1.Taint, bool) {
	want := ""
	switch ready {
	case metav1.ConditionFalse:
		want = clusterv1alpha1.TaintClusterNotReady
	case metav1.ConditionUnknown:
		want = clusterv1alpha1.TaintClusterUnreachable
	}
	effects := []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute}
	out := make([]corev1.Taint, 0, len(taints)+len(effects))
	changed := false
	have := map[corev1.TaintEffect]bool{}
	for _, t := range taints {
		isReadiness := t.Key == clusterv1alpha1.TaintClusterNotReady || t.Key == clusterv1alpha1.TaintClusterUnreachable
		switch {
		case isReadiness && t.Key == want && !have[t.Effect]:
			have[t.Effect] = true
			out = append(out, t)
		case isReadiness:
			changed = true
		default:
			out = append(out, t)
		}
	}
	if want == "" {
		return out, changed
	}
	for _, e := range effects {
		if !have[e] {
			out = append(out, corev1.Taint{Key: want, Effect: e, TimeAdded: &now})
			changed = true
		}
	}
	return out, changed
}

// SyncReadinessTaints puts the readiness taints matching ready on the
// cluster's spec, or removes them, for Push and Pull clusters alike. It
// patches a copy so that a caller's deferred status patch still diffs
// against the object as read, then records the taints on ac.
func SyncReadinessTaints(ctx context.Context, c client.Client, ac *clusterv1alpha1.AttachedCluster, ready metav1.ConditionStatus, now time.Time) error {
	taints, changed := WithReadinessTaint(ac.Spec.Taints, ready, metav1.NewTime(now))
	if !changed {
		return nil
	}
	obj := ac.DeepCopy()
	base := obj.DeepCopy()
	obj.Spec.Taints = taints
	if err := c.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("set readiness taints of AttachedCluster %s: %w", ac.Name, err)
	}
	ac.Spec.Taints = taints
	return nil
}
