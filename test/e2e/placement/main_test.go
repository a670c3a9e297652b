// Package placement tests the hub's path from resource templates to Works:
// the detector, scheduling and binding controllers, run in-process against a
// real local fleet's hub. No cluster or execution controller runs: the
// AttachedClusters get their status by hand, the tests read Works, not
// member objects, and a stand-in releases deleted Works.
package placement

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/binding"
	"github.com/kurator-go/kurator/internal/controller/detector"
	"github.com/kurator-go/kurator/internal/controller/scheduling"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const clusterNamespace = "kurator-system"

// hub is a direct (uncached) client of the hub.
var hub client.Client

func TestMain(m *testing.M) {
	var fleet *localfleet.State
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e-placement",
		Members:        localfleet.DefaultMembers()[:2],
		NodesPerMember: 1,
	}, false, &fleet, setup))
}

// setup creates the AttachedClusters by hand and starts the controllers
// under test in a manager against the hub.
func setup(ctx context.Context, fleet *localfleet.State) (stop func(), err error) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	rc, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 200, 400
	hub, err = client.New(rc, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return nil, err
	}
	// Frankfurt has no member behind it: nothing here applies Works.
	for _, m := range localfleet.DefaultMembers() {
		if err := attach(ctx, m); err != nil {
			return nil, fmt.Errorf("attach %s: %w", m.Name, err)
		}
	}
	// As cmd/kurator-manager: templates are read from the detector's caches.
	opts := ctrl.Options{Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}}}
	return fleettest.RunManager(rc, opts, func(mgr ctrl.Manager) error {
		if err := detector.SetupWithManager(mgr, detector.Options{}); err != nil {
			return err
		}
		if err := scheduling.SetupWithManager(mgr, scheduling.Options{}); err != nil {
			return err
		}
		if err := binding.SetupWithManager(mgr, binding.Options{}); err != nil {
			return err
		}
		// Works are created with the execution controller's finalizer; this
		// stands in for it on deletion (there is nothing to remove in members).
		return ctrl.NewControllerManagedBy(mgr).Named("release-works").For(&workv1alpha1.Work{}).
			Complete(reconcile.Func(releaseDeletedWork(mgr.GetClient())))
	})
}

// releaseDeletedWork removes the execution finalizer from Works being deleted.
func releaseDeletedWork(c client.Client) func(context.Context, reconcile.Request) (reconcile.Result, error) {
	return func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		var w workv1alpha1.Work
		if err := c.Get(ctx, req.NamespacedName, &w); err != nil || w.DeletionTimestamp.IsZero() {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
		if controllerutil.RemoveFinalizer(&w, workv1alpha1.ExecutionFinalizer) {
			return reconcile.Result{}, client.IgnoreNotFound(c.Update(ctx, &w))
		}
		return reconcile.Result{}, nil
	}
}

// attach creates an AttachedCluster with the status a cluster controller
// would give a healthy cluster: Ready, API enablements unknown, capacity.
func attach(ctx context.Context, m localfleet.Member) error {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: clusterNamespace},
		Spec: clusterv1alpha1.AttachedClusterSpec{
			Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: m.Name + "-kubeconfig"},
			Provider:   m.Provider, Region: m.Region, Zone: m.Zone,
			Labels: map[string]string{"region": m.Region, "provider": m.Provider, "env": "production"},
		},
	}
	if err := hub.Create(ctx, ac); err != nil {
		return err
	}
	ac.Status.Conditions = []metav1.Condition{{
		Type: clusterv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Healthy",
		Message: "set by the placement e2e test", LastTransitionTime: metav1.Now(),
	}}
	ac.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{
		Allocatable: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("64"),
			corev1.ResourceMemory: resource.MustParse("256Gi"),
			corev1.ResourcePods:   resource.MustParse("1100"),
		},
	}
	return hub.Status().Update(ctx, ac)
}
