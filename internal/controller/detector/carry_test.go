package detector

import (
	"maps"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

func TestCarryPolicyAnnotations(t *testing.T) {
	const other = "work.kurator.dev/scheduled-placement"
	for _, tc := range []struct {
		name    string
		binding map[string]string
		policy  map[string]string
		want    map[string]string
		changed bool
	}{
		{
			name:    "the policy's cost weight is copied, the scheduler's own annotation kept",
			binding: map[string]string{other: "d1"},
			policy:  map[string]string{scheduler.CostWeightAnnotation: "true", "note": "not carried"},
			want:    map[string]string{other: "d1", scheduler.CostWeightAnnotation: "true"},
			changed: true,
		},
		{
			name:    "a weight the binding already has is no change",
			binding: map[string]string{scheduler.CostWeightAnnotation: "40"},
			policy:  map[string]string{scheduler.CostWeightAnnotation: "40"},
			want:    map[string]string{scheduler.CostWeightAnnotation: "40"},
		},
		{
			name:    "a changed weight is updated",
			binding: map[string]string{scheduler.CostWeightAnnotation: "40"},
			policy:  map[string]string{scheduler.CostWeightAnnotation: "80"},
			want:    map[string]string{scheduler.CostWeightAnnotation: "80"},
			changed: true,
		},
		{
			name:    "a weight the policy dropped is removed",
			binding: map[string]string{scheduler.CostWeightAnnotation: "true", other: "d1"},
			policy:  nil,
			want:    map[string]string{other: "d1"},
			changed: true,
		},
		{
			name:    "no weight anywhere leaves a binding without annotations alone",
			binding: nil,
			policy:  map[string]string{"note": "x"},
			want:    nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &workv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Annotations: maps.Clone(tc.binding)}}
			if got := carryPolicyAnnotations(b, tc.policy); got != tc.changed {
				t.Errorf("changed = %v, want %v", got, tc.changed)
			}
			if got := b.GetAnnotations(); !maps.Equal(got, tc.want) {
				t.Errorf("annotations = %v, want %v", got, tc.want)
			}
		})
	}
}
