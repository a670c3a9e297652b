package objectstatus

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func TestRefresh(t *testing.T) {
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "a", "generation": int64(2)},
		"spec":     map[string]any{"replicas": int64(2)},
		"status":   map[string]any{"observedGeneration": int64(2), "updatedReplicas": int64(2), "availableReplicas": int64(2)},
	}}
	id := func(o int, kind, name string) workv1alpha1.ResourceIdentifier {
		return workv1alpha1.ResourceIdentifier{Ordinal: o, Group: "apps", Version: "v1", Kind: kind, Namespace: "a", Name: name}
	}
	old := &runtime.RawExtension{Raw: []byte(`{"kept":true}`)}
	work := &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Generation: 7}}
	work.Status.Conditions = []metav1.Condition{{Type: workv1alpha1.ConditionApplied, Status: metav1.ConditionTrue, ObservedGeneration: 7}}
	work.Status.ManifestStatuses = []workv1alpha1.ManifestStatus{
		{ResourceIdentifier: id(0, "Deployment", "web")},
		{ResourceIdentifier: id(1, "Deployment", "gone"), Health: workv1alpha1.ResourceHealthy, Status: old},
		{ResourceIdentifier: id(2, "Deployment", "unreadable"), Health: workv1alpha1.ResourceHealthy, Status: old},
		{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Ordinal: 3}, Status: old},
	}
	lookup := func(_ context.Context, id workv1alpha1.ResourceIdentifier) (*unstructured.Unstructured, error) {
		switch id.Name {
		case "web":
			return deploy, nil
		case "unreadable":
			return nil, errors.New("member unreachable")
		}
		return nil, nil
	}
	err := Refresh(context.Background(), work, lookup)
	if err == nil {
		t.Error("an unreadable object's error was not returned")
	}
	ms := work.Status.ManifestStatuses
	var st map[string]any
	if ms[0].Status == nil || json.Unmarshal(ms[0].Status.Raw, &st) != nil {
		t.Fatalf("present Deployment: no status collected: %+v", ms[0])
	}
	if ms[0].Health != workv1alpha1.ResourceHealthy || st[SpecReplicasKey] != float64(2) || st[GenerationKey] != float64(2) || st[AppliedGenerationKey] != float64(7) {
		t.Errorf("present Deployment: health %s, status %v; want Healthy with specReplicas 2, generation 2, appliedWorkGeneration 7", ms[0].Health, st)
	}
	if ms[1].Health != workv1alpha1.ResourceUnknownHealth || ms[1].Status != nil {
		t.Errorf("absent object: %+v; want Unknown health and no status", ms[1])
	}
	if ms[2].Health != workv1alpha1.ResourceHealthy || ms[2].Status != old {
		t.Errorf("unreadable object: %+v; want its previous values kept", ms[2])
	}
	if ms[3].Status != old || ms[3].Health != "" {
		t.Errorf("entry without a kind (dropped by execution): %+v; want it untouched", ms[3])
	}
}
