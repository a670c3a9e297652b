package status

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func work(cluster string, applied metav1.ConditionStatus, msg string, statuses ...workv1alpha1.ManifestStatus) workv1alpha1.Work {
	w := workv1alpha1.Work{}
	w.Namespace = workv1alpha1.ExecutionNamespace(cluster)
	if applied != "" {
		w.Status.Conditions = []metav1.Condition{{Type: workv1alpha1.ConditionApplied, Status: applied, Message: msg}}
	}
	w.Status.ManifestStatuses = statuses
	return w
}

func TestItems(t *testing.T) {
	spec := &workv1alpha1.ResourceBindingSpec{
		Resource: workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx"},
		Clusters: []workv1alpha1.TargetCluster{{Name: "shanghai", Replicas: 4}, {Name: "hangzhou", Replicas: 6}, {Name: "beijing", Replicas: 1}},
	}
	raw := &runtime.RawExtension{Raw: []byte(`{"readyReplicas":6}`)}
	works := []workv1alpha1.Work{
		work("shanghai", metav1.ConditionFalse, "quota exceeded"),
		work("hangzhou", metav1.ConditionTrue, "ok",
			workv1alpha1.ManifestStatus{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Version: "v1", Kind: "Namespace", Name: "default"}, Health: workv1alpha1.ResourceHealthy},
			workv1alpha1.ManifestStatus{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Ordinal: 1, Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "default", Name: "nginx"}, Status: raw, Health: workv1alpha1.ResourceHealthy}),
		work("unselected", metav1.ConditionTrue, "ok"),
	}
	items := Items(spec, works)
	if len(items) != 3 || items[0].ClusterName != "beijing" || items[1].ClusterName != "hangzhou" || items[2].ClusterName != "shanghai" {
		t.Fatalf("want one item per target in name order, got %+v", items)
	}
	if items[0].Applied || items[0].AppliedMessage == "" || items[0].Health != workv1alpha1.ResourceUnknownHealth {
		t.Errorf("target without Work: %+v", items[0])
	}
	if !items[1].Applied || items[1].Status != raw || items[1].Health != workv1alpha1.ResourceHealthy {
		t.Errorf("applied target takes the template's manifest status, not the namespace's: %+v", items[1])
	}
	if items[2].Applied || items[2].AppliedMessage != "quota exceeded" {
		t.Errorf("failed target carries the member's message: %+v", items[2])
	}
	c := FullyApplied(items, 1)
	if c.Status != metav1.ConditionFalse || c.Reason != workv1alpha1.ReasonNotFullyApplied {
		t.Errorf("condition %+v", c)
	}
	items[0].Applied, items[2].Applied = true, true
	if c := FullyApplied(items, 1); c.Status != metav1.ConditionTrue || c.Reason != workv1alpha1.ReasonFullyApplied {
		t.Errorf("all applied: %+v", c)
	}
	if c := FullyApplied(nil, 1); c.Status != metav1.ConditionFalse {
		t.Errorf("no targets: %+v", c)
	}
}
