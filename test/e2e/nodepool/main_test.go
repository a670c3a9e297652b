// Package nodepool tests NodePools end to end on a real two-member local
// fleet: the NodePool controller runs in this process against the hub,
// kwok in each member makes the pool's fake nodes Ready, and Cluster API's
// real CRDs (hack/capi/crds) are installed in the hub for the clusterAPI
// provider. cluster-hangzhou is joined at the start; cluster-shanghai only
// in the test that shows a pool waiting for its cluster.
package nodepool

import (
	"context"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kurator-go/kurator/internal/controller/nodepool"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	hangzhou = "cluster-hangzhou"
	shanghai = "cluster-shanghai"
	// nodesPerMember is the local fleet's fake nodes per member, all in
	// pool worker-pool.
	nodesPerMember = 3
)

var (
	fleet   *localfleet.State
	hub     client.Client
	members = map[string]kubernetes.Interface{}
)

func TestMain(m *testing.M) {
	cfg := localfleet.Config{Name: "e2e-nodepool", Members: localfleet.DefaultMembers()[:2], NodesPerMember: nodesPerMember}
	os.Exit(fleettest.Main(m, cfg, false, &fleet, setup))
}

// setup joins cluster-hangzhou, creates the fleet's worker pools as
// `kurator up` does (cluster-shanghai's waits for its cluster) and starts
// the NodePool controller.
func setup(ctx context.Context, st *localfleet.State) (func(), error) {
	var err error
	if hub, err = fleettest.HubClient(st); err != nil {
		return nil, err
	}
	for _, name := range []string{hangzhou, shanghai} {
		rc, err := st.RESTConfig(name)
		if err != nil {
			return nil, err
		}
		if members[name], err = kubernetes.NewForConfig(rc); err != nil {
			return nil, err
		}
	}
	if err := joinMember(ctx, hangzhou); err != nil {
		return nil, err
	}
	if err := localfleet.CreateNodePools(ctx, hub, st); err != nil {
		return nil, err
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	hubCfg, err := st.RESTConfig(localfleet.HubName)
	if err != nil {
		return nil, err
	}
	return fleettest.RunManager(hubCfg, ctrl.Options{}, func(mgr ctrl.Manager) error {
		return nodepool.SetupWithManager(mgr, nodepool.Options{
			Clients:                member.NewRegistry(mgr.GetClient()),
			ClusterAPIPollInterval: 3 * time.Second,
		})
	})
}

func joinMember(ctx context.Context, name string) error {
	c, _ := fleet.Cluster(name)
	kc, err := member.FlattenKubeconfigFile(c.Kubeconfig, "")
	if err != nil {
		return err
	}
	return join.Join(ctx, hub, join.Options{Name: name, Kubeconfig: kc, Region: "asia-east", Zone: name + "-a", Provider: "alibaba"})
}
