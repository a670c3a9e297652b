// Package execution tests Work execution and status aggregation end to end on
// a real two-member local fleet: the execution and status controllers run in
// this process against the hub, with member clients from member.Registry.
// Bindings and Works are written by hand, so no other controller is needed.
package execution

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/execution"
	"github.com/kurator-go/kurator/internal/controller/status"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/internal/memberwatch"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const systemNamespace = "kurator-system"

// resync is short so the drift test stays quick; the watch usually reverts
// much sooner.
const resync = 5 * time.Second

var (
	fleet   *localfleet.State
	hub     client.Client
	members = map[string]kubernetes.Interface{}
	names   = []string{"cluster-hangzhou", "cluster-shanghai"}
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e-execution",
		Members:        localfleet.DefaultMembers()[:2],
		NodesPerMember: 2,
	}, false, &fleet, func(ctx context.Context, _ *localfleet.State) (func(), error) { return setup(ctx) }))
}

// setup joins the members by hand (Secret + AttachedCluster marked Ready)
// and starts the controllers under test.
func setup(ctx context.Context) (stop func(), err error) {
	hubCfg, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		return nil, err
	}
	hub, err = client.New(hubCfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		c, _ := fleet.Cluster(name)
		raw, err := os.ReadFile(c.Kubeconfig)
		if err != nil {
			return nil, err
		}
		secret, err := member.KubeconfigSecret(name+"-kubeconfig", systemNamespace, raw, "")
		if err != nil {
			return nil, err
		}
		if err := hub.Create(ctx, secret); err != nil {
			return nil, err
		}
		if err := createCluster(ctx, name, true); err != nil {
			return nil, err
		}
		if err := hub.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: workv1alpha1.ExecutionNamespace(name)}}); err != nil {
			return nil, err
		}
		cfg, err := fleet.RESTConfig(name)
		if err != nil {
			return nil, err
		}
		if members[name], err = kubernetes.NewForConfig(cfg); err != nil {
			return nil, err
		}
	}

	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	hubCfg.QPS, hubCfg.Burst = 200, 400
	return fleettest.RunManager(hubCfg, ctrl.Options{}, func(mgr ctrl.Manager) error {
		registry := member.NewRegistry(mgr.GetClient())
		watcher := memberwatch.New(registry)
		if err := mgr.Add(watcher); err != nil {
			return err
		}
		if err := execution.SetupWithManager(mgr, execution.Options{Clients: registry, Watcher: watcher, ResyncPeriod: resync}); err != nil {
			return err
		}
		return status.SetupWithManager(mgr, status.Options{})
	})
}

// createCluster creates an AttachedCluster and sets its Ready condition by
// hand (no cluster controller runs here).
func createCluster(ctx context.Context, name string, ready bool) error {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: systemNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: name + "-kubeconfig"}},
	}
	if err := hub.Create(ctx, ac); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	st := metav1.ConditionTrue
	reason, msg := "Healthy", "set by the test"
	if !ready {
		st, reason, msg = metav1.ConditionFalse, "Unreachable", "set by the test: the cluster does not exist"
	}
	ac.Status.Conditions = []metav1.Condition{{Type: clusterv1alpha1.ConditionReady, Status: st, Reason: reason, Message: msg, LastTransitionTime: metav1.Now()}}
	return hub.Status().Update(ctx, ac)
}
