// Package cluster tests cluster registration and health end to end on a real
// two-member local fleet: the AttachedCluster and Fleet reconcilers run in
// this process against the hub, with short probe intervals and thresholds.
package cluster

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	clustercontroller "github.com/kurator-go/kurator/internal/controller/cluster"
	fleetcontroller "github.com/kurator-go/kurator/internal/controller/fleet"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	systemNamespace = "kurator-system"
	nodesPerMember  = 2

	// The local fleet's timings (kurator up uses the same).
	probeInterval    = time.Second
	failureThreshold = 3 * time.Second
	successThreshold = 3 * time.Second
)

var (
	fleet *localfleet.State
	hub   client.Client
	names = []string{"cluster-hangzhou", "cluster-shanghai"}
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{
		Name:           "e2e-cluster",
		Members:        localfleet.DefaultMembers()[:2],
		NodesPerMember: nodesPerMember,
	}, false, &fleet, func(ctx context.Context, _ *localfleet.State) (func(), error) { return setup(ctx) }))
}

// setup registers both members (a kubeconfig Secret and an AttachedCluster
// each; one in the seed's secretRef form, one in Kurator's flat form) and
// starts the reconcilers under test.
func setup(ctx context.Context) (stop func(), err error) {
	hubCfg, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		return nil, err
	}
	hub, err = client.New(hubCfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		c, _ := fleet.Cluster(name)
		raw, err := os.ReadFile(c.Kubeconfig)
		if err != nil {
			return nil, err
		}
		// The kubeconfig names its cert files by absolute path, so the
		// bytes flatten the same as the file would.
		secret, err := member.KubeconfigSecret(name+"-kubeconfig", systemNamespace, raw, "")
		if err != nil {
			return nil, err
		}
		if err := hub.Create(ctx, secret); err != nil {
			return nil, err
		}
		ref := clusterv1alpha1.KubeconfigReference{Name: secret.Name}
		if i == 0 {
			ref = clusterv1alpha1.KubeconfigReference{SecretRef: &clusterv1alpha1.SecretKeyReference{Name: secret.Name, Key: clusterv1alpha1.DefaultKubeconfigKey}}
		}
		ac := &clusterv1alpha1.AttachedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: systemNamespace},
			Spec: clusterv1alpha1.AttachedClusterSpec{
				Kubeconfig: &ref,
				// A taint of another key must survive the readiness taints.
				Taints: []corev1.Taint{{Key: "example.com/dedicated", Value: "e2e", Effect: corev1.TaintEffectPreferNoSchedule}},
			},
		}
		if err := hub.Create(ctx, ac); err != nil {
			return nil, err
		}
	}

	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	return fleettest.RunManager(hubCfg, ctrl.Options{}, func(mgr ctrl.Manager) error {
		if err := clustercontroller.SetupWithManager(mgr, clustercontroller.Options{
			Clients:          member.NewRegistry(mgr.GetClient()),
			ProbeInterval:    probeInterval,
			ProbeTimeout:     2 * time.Second,
			FailureThreshold: failureThreshold,
			SuccessThreshold: successThreshold,
		}); err != nil {
			return err
		}
		return fleetcontroller.SetupWithManager(mgr, fleetcontroller.Options{})
	})
}

// eventually polls cond every 100ms until it returns true or timeout passes;
// the last message explains the failure.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var msg string
	for {
		ok, m := cond()
		if ok {
			return
		}
		msg = m
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getCluster(t *testing.T, name string) *clusterv1alpha1.AttachedCluster {
	t.Helper()
	var ac clusterv1alpha1.AttachedCluster
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: systemNamespace, Name: name}, &ac); err != nil {
		t.Fatalf("get AttachedCluster %s: %v", name, err)
	}
	return &ac
}

func readyOf(ac *clusterv1alpha1.AttachedCluster) string {
	c := ac.ReadyCondition()
	if c == nil {
		return "no Ready condition"
	}
	return fmt.Sprintf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
}

func hasTaint(ac *clusterv1alpha1.AttachedCluster, key string) bool {
	for _, t := range ac.Spec.Taints {
		if t.Key == key && t.Effect == corev1.TaintEffectNoSchedule {
			return true
		}
	}
	return false
}
