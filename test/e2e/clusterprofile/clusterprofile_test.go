package clusterprofile

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	multiclusterv1alpha1 "github.com/kurator-go/kurator/api/multicluster/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/clusterprofile"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	// The local fleet's manager flags (internal/localfleet/hub.go).
	probeInterval    = time.Second
	failureThreshold = 3 * time.Second
	// resync is the controller's default ClusterProperty resync period.
	resync = 30 * time.Second
)

//go:embed testdata/clusterproperty-crd.yaml
var clusterPropertyCRD []byte

func key(name string) client.ObjectKey {
	return client.ObjectKey{Namespace: join.Namespace, Name: name}
}

// getProfile reads a member's profile; nil with the error when it cannot.
func getProfile(hub client.Client, name string) (*multiclusterv1alpha1.ClusterProfile, error) {
	var cp multiclusterv1alpha1.ClusterProfile
	if err := hub.Get(context.Background(), key(name), &cp); err != nil {
		return nil, err
	}
	return &cp, nil
}

// healthIs checks ControlPlaneHealthy of a member's profile.
func healthIs(hub client.Client, name string, want metav1.ConditionStatus) error {
	cp, err := getProfile(hub, name)
	if err != nil {
		return err
	}
	c := meta.FindStatusCondition(cp.Status.Conditions, multiclusterv1alpha1.ClusterConditionControlPlaneHealthy)
	if c == nil {
		return fmt.Errorf("ClusterProfile %s has no ControlPlaneHealthy condition: %+v", name, cp.Status.Conditions)
	}
	if c.Status != want {
		return fmt.Errorf("ClusterProfile %s ControlPlaneHealthy %s (%s: %s), want %s", name, c.Status, c.Reason, c.Message, want)
	}
	return nil
}

func property(cp *multiclusterv1alpha1.ClusterProfile, name string) (multiclusterv1alpha1.Property, bool) {
	for _, p := range cp.Status.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return multiclusterv1alpha1.Property{}, false
}

func TestEveryMemberHasAHealthyProfileWithItsVersion(t *testing.T) {
	hub := hubClient(t)
	for _, m := range members {
		t.Run(m.Name, func(t *testing.T) {
			v, err := fleettest.Client(t, fleet, m.Name).Discovery().ServerVersion()
			if err != nil {
				t.Fatal(err)
			}
			fleettest.Eventually(t, 60*time.Second, "profile of "+m.Name+" healthy at "+v.GitVersion, func() error {
				cp, err := getProfile(hub, m.Name)
				if err != nil {
					return err
				}
				if err := healthIs(hub, m.Name, metav1.ConditionTrue); err != nil {
					return err
				}
				if !meta.IsStatusConditionTrue(cp.Status.Conditions, multiclusterv1alpha1.ClusterConditionJoined) {
					return fmt.Errorf("not Joined: %+v", cp.Status.Conditions)
				}
				if cp.Status.Version.Kubernetes != v.GitVersion {
					return fmt.Errorf("version.kubernetes %q, want the member's %q", cp.Status.Version.Kubernetes, v.GitVersion)
				}
				if p, ok := property(cp, clusterprofile.PropertyNodeCount); !ok || p.Value != "1" {
					return fmt.Errorf("property %s = %+v, want 1 (one kwok node)", clusterprofile.PropertyNodeCount, p)
				}
				return nil
			})
			cp, _ := getProfile(hub, m.Name)
			if cp.Spec.ClusterManager.Name != "kurator" || cp.Labels[multiclusterv1alpha1.LabelClusterManagerKey] != "kurator" {
				t.Errorf("spec.clusterManager %q, label %q: want kurator for both", cp.Spec.ClusterManager.Name, cp.Labels[multiclusterv1alpha1.LabelClusterManagerKey])
			}
			if p, ok := property(cp, clusterprofile.PropertyProvider); !ok || p.Value != m.Provider {
				t.Errorf("property %s = %+v, want %s", clusterprofile.PropertyProvider, p, m.Provider)
			}
			if len(cp.Status.AccessProviders) != 1 || cp.Status.AccessProviders[0].Cluster.Server == "" {
				t.Errorf("access providers %+v, want one with the member's server", cp.Status.AccessProviders)
			}
			var ac clusterv1alpha1.AttachedCluster
			if err := hub.Get(context.Background(), key(m.Name), &ac); err != nil {
				t.Fatal(err)
			}
			if o := metav1.GetControllerOf(cp); o == nil || o.UID != ac.UID {
				t.Errorf("controller owner %+v, want AttachedCluster %s (uid %s)", o, ac.Name, ac.UID)
			}
		})
	}
}

// TestAConsumerListsTheFleetByTheClusterManagerLabel reads the profiles as a
// consumer does: kubectl (no Kurator types) with the label selector Kueue
// and Argo CD use.
func TestAConsumerListsTheFleetByTheClusterManagerLabel(t *testing.T) {
	var want []string
	for _, m := range members {
		want = append(want, m.Name)
	}
	var got []string
	fleettest.Eventually(t, 60*time.Second, "every member listed", func() error {
		out := fleettest.Kubectl(t, fleet, "", "get", "clusterprofiles.multicluster.x-k8s.io", "-A",
			"-l", "x-k8s.io/cluster-manager=kurator", "-o", "json")
		var list unstructured.UnstructuredList
		if err := json.Unmarshal([]byte(out), &list.Object); err != nil {
			return err
		}
		items, _, _ := unstructured.NestedSlice(list.Object, "items")
		got = got[:0]
		for _, it := range items {
			u := unstructured.Unstructured{Object: it.(map[string]any)}
			healthy := false
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				cm := c.(map[string]any)
				if cm["type"] == "ControlPlaneHealthy" && cm["status"] == "True" {
					healthy = true
				}
			}
			if healthy {
				got = append(got, u.GetName())
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("healthy profiles %v, want %v", got, want)
		}
		return nil
	})
}

func TestAStoppedAPIServerMakesTheControlPlaneUnhealthyAndBack(t *testing.T) {
	hub := hubClient(t)
	name := members[1].Name
	fleettest.Eventually(t, 60*time.Second, "healthy before the stop", func() error { return healthIs(hub, name, metav1.ConditionTrue) })
	killed := fleettest.Kill(t, fleet, name+"/kube-apiserver", func(t *testing.T) {
		fleettest.Eventually(t, 120*time.Second, "healthy again after the test", func() error { return healthIs(hub, name, metav1.ConditionTrue) })
	})
	// The probe sees the failure within one interval; the threshold holds
	// it back; one more interval and the reconcile make the bound.
	bound := failureThreshold + 2*probeInterval + 5*time.Second
	fleettest.Eventually(t, bound, "ControlPlaneHealthy=False within the failure threshold", func() error {
		return healthIs(hub, name, metav1.ConditionFalse)
	})
	t.Logf("ControlPlaneHealthy=False %.1fs after the kill (failure threshold %s)", time.Since(killed).Seconds(), failureThreshold)
	cp, _ := getProfile(hub, name)
	c := meta.FindStatusCondition(cp.Status.Conditions, multiclusterv1alpha1.ClusterConditionControlPlaneHealthy)
	if c.Reason == "" || c.Message == "" || !strings.Contains(c.Message, name) {
		t.Errorf("ControlPlaneHealthy False reason %q message %q: want the probe's reason and a message naming %s", c.Reason, c.Message, name)
	}

	if err := fleettest.Restore(fleet, name+"/kube-apiserver"); err != nil {
		t.Fatal(err)
	}
	restored := time.Now()
	fleettest.Eventually(t, 120*time.Second, "ControlPlaneHealthy=True after the restore", func() error {
		return healthIs(hub, name, metav1.ConditionTrue)
	})
	t.Logf("ControlPlaneHealthy=True %.1fs after the API server was back", time.Since(restored).Seconds())
}

func TestAMembersClusterPropertiesAppearInItsProfile(t *testing.T) {
	hub := hubClient(t)
	name, other := members[0].Name, members[1].Name
	rc, err := fleet.RESTConfig(name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(clusterPropertyCRD, &crd); err != nil {
		t.Fatal(err)
	}
	ext := apiextensionsclient.NewForConfigOrDie(rc)
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ext.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("remove the ClusterProperty CRD from %s: %v", name, err)
		}
	})
	dyn := dynamic.NewForConfigOrDie(rc)
	props := map[string]string{
		multiclusterv1alpha1.PropertyClusterID:  "hangzhou-e2e-1",
		multiclusterv1alpha1.PropertyClusterSet: "kurator-e2e",
	}
	fleettest.Eventually(t, 30*time.Second, "ClusterProperties created on "+name, func() error {
		for n, v := range props {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "about.k8s.io/v1alpha1", "kind": "ClusterProperty",
				"metadata": map[string]any{"name": n}, "spec": map[string]any{"value": v},
			}}
			// The CRD is served a moment after it is created.
			if _, err := dyn.Resource(clusterprofile.ClusterPropertyResource).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
		return nil
	})
	created := time.Now()
	fleettest.Eventually(t, resync+30*time.Second, "the ClusterProperties in the profile of "+name, func() error {
		cp, err := getProfile(hub, name)
		if err != nil {
			return err
		}
		for n, v := range props {
			p, ok := property(cp, n)
			if !ok || p.Value != v {
				return fmt.Errorf("property %s = %+v, want %q (properties %+v)", n, p, v, cp.Status.Properties)
			}
			if p.LastObservedTime.IsZero() {
				return fmt.Errorf("property %s has no lastObservedTime", n)
			}
		}
		return nil
	})
	t.Logf("the member's ClusterProperties reached its profile %.1fs after they were created (resync %s)", time.Since(created).Seconds(), resync)

	// The other member has no ClusterProperty CRD: normal, and its profile
	// stays healthy without those properties.
	cp, err := getProfile(hub, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := property(cp, multiclusterv1alpha1.PropertyClusterID); ok {
		t.Errorf("profile of %s has %s without the CRD", other, multiclusterv1alpha1.PropertyClusterID)
	}
	if err := healthIs(hub, other, metav1.ConditionTrue); err != nil {
		t.Error(err)
	}
}

func TestARemovedClusterTakesItsProfileWithIt(t *testing.T) {
	hub := hubClient(t)
	ctx := context.Background()
	name := members[1].Name
	fleettest.Eventually(t, 60*time.Second, "profile of "+name+" healthy", func() error { return healthIs(hub, name, metav1.ConditionTrue) })
	var ac clusterv1alpha1.AttachedCluster
	if err := hub.Get(ctx, key(name), &ac); err != nil {
		t.Fatal(err)
	}
	spec := *ac.Spec.DeepCopy()
	labels := ac.Labels
	t.Cleanup(func() {
		// Join the cluster again as it was, and wait for its profile.
		again := &clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: join.Namespace, Labels: labels}, Spec: spec}
		fleettest.Eventually(t, 60*time.Second, "AttachedCluster "+name+" back", func() error {
			err := hub.Create(context.Background(), again)
			if apierrors.IsAlreadyExists(err) {
				var cur clusterv1alpha1.AttachedCluster
				if err := hub.Get(context.Background(), key(name), &cur); err != nil {
					return err
				}
				if !cur.DeletionTimestamp.IsZero() {
					return fmt.Errorf("still being deleted")
				}
				return nil
			}
			return err
		})
		fleettest.Eventually(t, 120*time.Second, "profile of "+name+" back and healthy", func() error { return healthIs(hub, name, metav1.ConditionTrue) })
	})
	if err := hub.Delete(ctx, &ac); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 60*time.Second, "profile of "+name+" gone", func() error {
		_, err := getProfile(hub, name)
		return fleettest.Absent("ClusterProfile "+name, err)
	})
	// The other member's profile is untouched.
	if err := healthIs(hub, members[0].Name, metav1.ConditionTrue); err != nil {
		t.Error(err)
	}
}
