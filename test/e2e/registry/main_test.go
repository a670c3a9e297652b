// Package registry tests the local fleet's registries end to end (`kurator
// up --registries`): a CNCF distribution registry for AppHub and one per
// member, each member's AttachedCluster naming its own, the AppHub
// ConfigMap on the hub, an image copied from AppHub's registry to every
// member's, a registry that comes back after a crash with its images, and
// `kurator down` (localfleet.Down) stopping them all.
package registry

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/imagesync"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/registry"
	"github.com/kurator-go/kurator/internal/testimage"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

var members = []localfleet.Member{
	{Name: "cluster-hangzhou", Region: "asia-east", Zone: "asia-east-1a", Provider: "alibaba"},
	{Name: "cluster-frankfurt", Region: "eu-central", Zone: "eu-central-1a", Provider: "aws"},
}

func TestMain(m *testing.M) {
	if err := registry.CheckBin(registry.DefaultBin()); err != nil {
		// Never a skip: `make test` and `make e2e` build it first.
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	}
	code := fleettest.Main(m, localfleet.Config{Name: "e2e-registry", Members: members, NodesPerMember: 1, Registries: true}, true, &fleet,
		func(_ context.Context, st *localfleet.State) (func(), error) {
			var err error
			hub, err = fleettest.HubClient(st)
			return func() {}, err
		})
	if code == 0 && fleet != nil {
		code = stoppedByDown(fleet)
	}
	os.Exit(code)
}

// stoppedByDown checks, after the fleet went down, that none of its
// registries answers any more.
func stoppedByDown(st *localfleet.State) int {
	for _, c := range st.Clusters {
		if c.Registry == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := registry.Ping(ctx, c.Registry)
		cancel()
		if err == nil {
			fmt.Fprintf(os.Stderr, "FAIL: registry %s of %s still answers after the fleet went down\n", c.Registry, c.Name)
			return 1
		}
	}
	return 0
}

func ping(t *testing.T, host string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := registry.Ping(ctx, host); err != nil {
		t.Error(err)
	}
}

func TestEveryMemberNamesARegistryOfItsOwn(t *testing.T) {
	if fleet.HubRegistry == "" {
		t.Fatal("the fleet state records no hub registry")
	}
	hosts := []string{fleet.HubRegistry}
	for _, m := range members {
		c, ok := fleet.Cluster(m.Name)
		if !ok || c.Registry == "" {
			t.Fatalf("the fleet state records no registry for %s", m.Name)
		}
		var ac clusterv1alpha1.AttachedCluster
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: m.Name}, &ac); err != nil {
			t.Fatal(err)
		}
		if ac.Spec.Registry == nil || ac.Spec.Registry.Host != c.Registry || !ac.Spec.Registry.Insecure {
			t.Errorf("AttachedCluster %s spec.registry = %+v, want host %s, insecure", m.Name, ac.Spec.Registry, c.Registry)
			continue
		}
		ping(t, ac.Spec.Registry.Host)
		if slices.Contains(hosts, c.Registry) {
			t.Errorf("%s shares registry %s with another cluster", m.Name, c.Registry)
		}
		hosts = append(hosts, c.Registry)
	}
}

func TestAppHubConfigMapNamesTheHubRegistry(t *testing.T) {
	var cm corev1.ConfigMap
	key := client.ObjectKey{Namespace: localfleet.SystemNamespace, Name: localfleet.AppHubConfigMap}
	if err := hub.Get(context.Background(), key, &cm); err != nil {
		t.Fatalf("ConfigMap %s: %v", key, err)
	}
	if cm.Data["registry"] != fleet.HubRegistry || cm.Data["insecure"] != "true" {
		t.Errorf("ConfigMap %s data = %v, want registry %s, insecure \"true\"", key, cm.Data, fleet.HubRegistry)
	}
	ping(t, cm.Data["registry"])
}

func TestImageCopiedFromAppHubToEveryMember(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pushed, err := testimage.Push(ctx, fleet.HubRegistry, testimage.Options{FillerMiB: 1}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		c, _ := fleet.Cluster(m.Name)
		to, err := imagesync.Rewrite(pushed.Ref+"@"+pushed.Digest, c.Registry)
		if err != nil {
			t.Fatal(err)
		}
		res, err := imagesync.Copy(ctx, pushed.Ref, to, imagesync.Options{InsecureSrc: true, InsecureDst: true,
			DstOwner: "AttachedCluster " + m.Name + " spec.registry.host"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Digest != pushed.Digest || res.Skipped {
			t.Errorf("copy to %s = %+v, want digest %s, not skipped", m.Name, res, pushed.Digest)
		}
		if got, err := imagesync.Resolve(ctx, to, true); err != nil || got != pushed.Digest {
			t.Errorf("%s's registry has %s at %s (%v), want %s", m.Name, got, to, err, pushed.Digest)
		}
	}
}

func TestRegistryComesBackWithItsImagesAfterACrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, _ := fleet.Cluster(members[0].Name)
	pushed, err := testimage.Push(ctx, c.Registry, testimage.Options{Tag: "crash-test"}, true)
	if err != nil {
		t.Fatal(err)
	}
	name := members[0].Name + "/registry"
	fleettest.Kill(t, fleet, name, nil)
	if err := registry.Ping(ctx, c.Registry); err == nil {
		t.Fatalf("registry %s answers after %s was killed", c.Registry, name)
	}
	if err := fleet.Restart(ctx, name, true); err != nil {
		t.Fatal(err)
	}
	if got, err := imagesync.Resolve(ctx, pushed.Ref, true); err != nil || got != pushed.Digest {
		t.Errorf("after the restart %s resolves to %s (%v), want %s", pushed.Ref, got, err, pushed.Digest)
	}
	sts, err := localfleet.Status(ctx, fleet)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, s := range sts {
		if s.Name == localfleet.HubName+"/registry" || slices.ContainsFunc(members, func(m localfleet.Member) bool { return s.Name == m.Name+"/registry" }) {
			seen++
			if !s.Healthy {
				t.Errorf("status of %s: not healthy (%s)", s.Name, s.Error)
			}
		}
	}
	if want := 1 + len(members); seen != want {
		t.Errorf("status lists %d registries, want %d", seen, want)
	}
}
