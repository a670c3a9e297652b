package fleethpa

import (
	"context"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
)

// An HPA newer than a ScalePolicy on the same Deployment leaves it to the
// policy; an older one keeps it.
func TestOtherAutoscalerYieldsToAnOlderScalePolicy(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	policy := &autoscalingv1alpha1.ScalePolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "catalog-first", Namespace: "shop", CreationTimestamp: metav1.NewTime(t0)},
		Spec: &autoscalingv1alpha1.ScalePolicySpec{
			TargetClusters: []string{"east"},
			Trigger:        &autoscalingv1alpha1.ScaleTrigger{Type: autoscalingv1alpha1.TriggerResource, Metric: "cpu", Threshold: ptr.To[int32](90)},
			Action:         &autoscalingv1alpha1.ScaleAction{Deployment: &autoscalingv1alpha1.WorkloadAction{Name: "catalog", Replicas: intstr.FromString("+50%")}},
		},
	}
	ref := autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "catalog"}
	hpa := func(created time.Time) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{Name: "catalog", Namespace: "shop", CreationTimestamp: metav1.NewTime(created)},
			Spec:       autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MaxReplicas: 10},
		}
	}
	for _, tc := range []struct {
		name    string
		created time.Time
		want    string
	}{
		{"a newer HPA yields to the policy", t0.Add(time.Minute), "ScalePolicy shop/catalog-first"},
		{"an older HPA keeps the workload", t0.Add(-time.Minute), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hpa(tc.created)
			c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(policy, h).Build()
			e := &evaluator{hub: c}
			got, err := e.otherAutoscaler(context.Background(), KindHPA, h, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("yields to %q, want %q", got, tc.want)
			}
		})
	}
}
