package status

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// With no member clients, collecting would panic: the Work of a Pull
// cluster must be skipped before any member is reached.
func TestWorkStatusSkipsPullClusters(t *testing.T) {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.SystemNamespace, Name: "edge"},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
	}
	w := &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.ExecutionNamespace("edge"), Name: "app"}}
	w.Status.ManifestStatuses = []workv1alpha1.ManifestStatus{{ResourceIdentifier: workv1alpha1.ResourceIdentifier{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "cfg"}}}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(ac, w).WithStatusSubresource(&workv1alpha1.Work{}).Build()
	r := &WorkReconciler{Client: c, opts: Options{ClusterNamespace: workv1alpha1.SystemNamespace}, writes: newPacer(DefaultWriteInterval)}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)})
	if err != nil || res != (ctrl.Result{}) {
		t.Fatalf("Reconcile = %+v, %v; want nothing to do", res, err)
	}
	var got workv1alpha1.Work
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(w), &got); err != nil {
		t.Fatal(err)
	}
	if ms := got.Status.ManifestStatuses[0]; ms.Health != "" || ms.Status != nil {
		t.Errorf("status collected for a Pull cluster's Work: %+v", ms)
	}
}
