package storageadapt

import (
	"testing"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/overrides"
)

// BenchmarkSelect is the cost a binding render adds for a StatefulSet with
// two claim templates and the three-plant template.
func BenchmarkSelect(b *testing.B) {
	sas := []appsv1alpha1.StorageAdaptation{mustAdaptation(b, plantsTemplate)}
	obj := mustObject(b, statefulSet)
	b.ReportAllocs()
	for b.Loop() {
		if len(Select(sas, obj)) != 1 {
			b.Fatal("no adaptation selected")
		}
	}
}

// BenchmarkSelectNotAClaim is the cost for every other object: a kind check.
func BenchmarkSelectNotAClaim(b *testing.B) {
	sas := []appsv1alpha1.StorageAdaptation{mustAdaptation(b, plantsTemplate)}
	obj := mustObject(b, `{apiVersion: apps/v1, kind: Deployment, metadata: {name: mes, namespace: mes}}`)
	b.ReportAllocs()
	for b.Loop() {
		if Select(sas, obj) != nil {
			b.Fatal("a Deployment selected")
		}
	}
}

// BenchmarkApplyPerCluster renders the StatefulSet for one ceph plant.
func BenchmarkApplyPerCluster(b *testing.B) {
	sas := []appsv1alpha1.StorageAdaptation{mustAdaptation(b, plantsTemplate)}
	obj := mustObject(b, statefulSet)
	selected := Select(sas, obj)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := overrides.ApplySelected(obj, plants[0], selected); err != nil {
			b.Fatal(err)
		}
	}
}
