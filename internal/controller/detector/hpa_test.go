package detector

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestHPATarget(t *testing.T) {
	obj := func(apiVersion, kind string, spec map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "spec": spec}}
		return u
	}
	ref := map[string]any{"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cost-sensitive-app"}}
	tests := []struct {
		name     string
		obj      *unstructured.Unstructured
		wantKind string
		wantName string
		wantOK   bool
	}{
		{name: "an autoscaling/v2 HPA names its target", obj: obj("autoscaling/v2", "HorizontalPodAutoscaler", ref), wantKind: "Deployment", wantName: "cost-sensitive-app", wantOK: true},
		{name: "an autoscaling/v1 HPA names its target", obj: obj("autoscaling/v1", "HorizontalPodAutoscaler", ref), wantKind: "Deployment", wantName: "cost-sensitive-app", wantOK: true},
		{name: "an HPA without a target is not one to skip", obj: obj("autoscaling/v2", "HorizontalPodAutoscaler", map[string]any{}), wantOK: false},
		{name: "a Deployment is not an HPA", obj: obj("apps/v1", "Deployment", ref), wantOK: false},
		{name: "Karmada's FederatedHPA is never propagated anyway, and is not matched here", obj: obj("autoscaling.karmada.io/v1alpha1", "FederatedHPA", ref), wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, kind, name, ok := hpaTarget(tt.obj)
			if ok != tt.wantOK || (ok && (kind != tt.wantKind || name != tt.wantName)) {
				t.Errorf("hpaTarget = %s %s %v, want %s %s %v", kind, name, ok, tt.wantKind, tt.wantName, tt.wantOK)
			}
		})
	}
}
