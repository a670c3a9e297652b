package clusterstatus

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

func TestWithReadinessTaint(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	earlier := metav1.NewTime(now.Add(-time.Hour))
	notReady := clusterv1alpha1.TaintClusterNotReady
	unreachable := clusterv1alpha1.TaintClusterUnreachable
	taint := func(key string, e corev1.TaintEffect) corev1.Taint {
		return corev1.Taint{Key: key, Effect: e, TimeAdded: &earlier}
	}
	other := corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
	const ns, ne = corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute
	tests := []struct {
		name        string
		in          []corev1.Taint
		ready       metav1.ConditionStatus
		want        []string // key:effect
		wantChanged bool
	}{
		{name: "ready and untainted: nothing to do", in: []corev1.Taint{other}, ready: metav1.ConditionTrue, want: []string{"dedicated:NoSchedule"}},
		{name: "False adds not-ready with both effects", in: []corev1.Taint{other}, ready: metav1.ConditionFalse,
			want: []string{"dedicated:NoSchedule", notReady + ":NoSchedule", notReady + ":NoExecute"}, wantChanged: true},
		{name: "Unknown swaps not-ready for unreachable", in: []corev1.Taint{taint(notReady, ns), taint(notReady, ne)}, ready: metav1.ConditionUnknown,
			want: []string{unreachable + ":NoSchedule", unreachable + ":NoExecute"}, wantChanged: true},
		{name: "True removes readiness taints, keeps others", in: []corev1.Taint{taint(unreachable, ns), other, taint(unreachable, ne)}, ready: metav1.ConditionTrue,
			want: []string{"dedicated:NoSchedule"}, wantChanged: true},
		{name: "False adds the missing NoExecute", in: []corev1.Taint{taint(notReady, ns)}, ready: metav1.ConditionFalse,
			want: []string{notReady + ":NoSchedule", notReady + ":NoExecute"}, wantChanged: true},
		{name: "False already tainted keeps TimeAdded", in: []corev1.Taint{taint(notReady, ns), taint(notReady, ne)}, ready: metav1.ConditionFalse,
			want: []string{notReady + ":NoSchedule", notReady + ":NoExecute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed := WithReadinessTaint(tt.in, tt.ready, now)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			var got []string
			for _, t := range out {
				got = append(got, t.Key+":"+string(t.Effect))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("taints = %v, want %v", got, tt.want)
			}
			if !changed {
				for _, t2 := range out {
					if t2.TimeAdded != nil && !t2.TimeAdded.Equal(&earlier) {
						t.Errorf("TimeAdded of %s changed", t2.Key)
					}
				}
			}
		})
	}
}
