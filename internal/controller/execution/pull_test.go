package execution

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/apply"
	"github.com/kurator-go/kurator/internal/writepace"
)

// The controller has no member clients here: reaching for one would panic,
// so each case also proves the Work was left alone or released without
// contacting the member.
func TestPullClustersAreLeftToTheirAgent(t *testing.T) {
	pull := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.SystemNamespace, Name: "edge"},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
	}
	work := func(finalizer, deleting bool) *workv1alpha1.Work {
		w := &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Namespace: workv1alpha1.ExecutionNamespace("edge"), Name: "app"}}
		if finalizer {
			w.Finalizers = []string{Finalizer}
		}
		if deleting {
			now := metav1.Now()
			w.DeletionTimestamp = &now
		}
		return w
	}
	cases := []struct {
		name          string
		cluster       *clusterv1alpha1.AttachedCluster
		work          *workv1alpha1.Work
		wantFinalizer bool
		wantGone      bool
	}{
		{"pull cluster: no finalizer added, no status written", pull, work(false, false), false, false},
		{"pull cluster, Work deleted: the finalizer stays for the agent", pull, work(true, true), true, false},
		{"unregistered pull cluster, Work deleted: the finalizer is released", nil, work(true, true), false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(tc.work).WithStatusSubresource(&workv1alpha1.Work{})
			if tc.cluster != nil {
				b = b.WithObjects(tc.cluster)
			}
			c := b.Build()
			r := &Reconciler{Client: c, opts: Options{}.withDefaults(), applier: apply.New(nil), statusWrites: writepace.New(0, 0)}
			key := client.ObjectKeyFromObject(tc.work)
			if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			var got workv1alpha1.Work
			err := c.Get(context.Background(), types.NamespacedName(key), &got)
			if tc.wantGone {
				if err == nil {
					t.Fatalf("Work still there with finalizers %v; want it released and gone", got.Finalizers)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if has := controllerutil.ContainsFinalizer(&got, Finalizer); has != tc.wantFinalizer {
				t.Errorf("finalizer present = %v, want %v", has, tc.wantFinalizer)
			}
			if len(got.Status.Conditions) != 0 || len(got.Status.ManifestStatuses) != 0 {
				t.Errorf("status written for a Pull cluster's Work: %+v", got.Status)
			}
		})
	}
}
