package placement

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// BenchmarkTemplateToWorks measures the hub's path from a template to its
// Works (detector, scheduler, binding controller), one Deployment of 4
// replicas at a time over two clusters:
//
//	go test -run '^$' -bench TemplateToWorks -benchtime 30x ./test/e2e/placement
//
// ns/op is template created -> Works present in both clusters; binding-ms
// and scheduled-ms are the medians of template created -> binding created,
// and -> binding scheduled (polled every 2 ms, so phases shorter than that
// are seen together with the next).
func BenchmarkTemplateToWorks(b *testing.B) {
	pp := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "latency"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{
				APIVersion: "apps/v1", Kind: "Deployment",
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"bench": "latency"}},
			}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{hangzhou, shanghai}},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{
					ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
					ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
				},
			},
		},
	}
	ctx := context.Background()
	if err := hub.Create(ctx, pp); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = hub.DeleteAllOf(ctx, &appsv1.Deployment{}, client.InNamespace("default"), client.MatchingLabels{"bench": "latency"})
		_ = hub.Delete(ctx, pp)
	})
	var bound, scheduled []time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("latency-%03d", i)
		i++
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"bench": "latency"}},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](4),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.25"}}},
				},
			},
		}
		rb := types.NamespacedName{Namespace: "default", Name: name + "-deployment"}
		start := time.Now()
		if err := hub.Create(ctx, d); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(timeout)
		var seenBinding, seenScheduled bool
		for {
			var got workv1alpha1.ResourceBinding
			if err := hub.Get(ctx, rb, &got); err == nil {
				if !seenBinding {
					seenBinding = true
					bound = append(bound, time.Since(start))
				}
				if !seenScheduled && len(got.Spec.Clusters) > 0 {
					seenScheduled = true
					scheduled = append(scheduled, time.Since(start))
				}
			}
			_, e1 := workObjects(ctx, hangzhou, rb)
			_, e2 := workObjects(ctx, shanghai, rb)
			if e1 == nil && e2 == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: Works not present within %s: %v / %v", name, timeout, e1, e2)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for _, phase := range []struct {
		unit string
		d    []time.Duration
	}{{"binding-ms", bound}, {"scheduled-ms", scheduled}} {
		if len(phase.d) > 0 {
			slices.Sort(phase.d)
			b.ReportMetric(float64(phase.d[len(phase.d)/2])/float64(time.Millisecond), phase.unit)
		}
	}
}
