// Package traffic tests TrafficPolicies end to end on a local fleet of two
// members started like `kurator up` (real kurator-manager, Istio CRDs on the
// hub and every member): the VirtualService each member receives carries the
// weights the policy asks for, a member whose kube-apiserver is killed loses
// its share within the cluster failure threshold plus one reconcile, and it
// ramps back in steps after it returns. Bad input is refused at admission.
package traffic

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

const (
	hangzhou = "cluster-hangzhou"
	shanghai = "cluster-shanghai"
)

func TestMain(m *testing.M) {
	cfg := localfleet.Config{Name: "e2e-traffic", NodesPerMember: 1, Members: localfleet.DefaultMembers()[:2]}
	os.Exit(fleettest.Main(m, cfg, true, &fleet, func(_ context.Context, st *localfleet.State) (func(), error) {
		var err error
		hub, err = fleettest.HubClient(st)
		return func() {}, err
	}))
}

// app is a Deployment of replicas divided hangzhou:shanghai as weights
// (tolerating a not-ready member for an hour, so failover leaves it in
// place) and its Service (to both members).
func app(name string, replicas, hzWeight, shWeight int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: default}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        resources: {requests: {cpu: 10m, memory: 16Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: default}
spec:
  selector: {app: %[1]s}
  ports: [{name: http, port: 80}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: %[1]s, namespace: default}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  - {apiVersion: v1, kind: Service, name: %[1]s}
  placement:
    clusterAffinity: {clusterNames: [cluster-hangzhou, cluster-shanghai]}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - {targetCluster: {clusterNames: [cluster-hangzhou]}, weight: %[3]d}
        - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: %[4]d}
`, name, replicas, hzWeight, shWeight)
}

// trafficPolicy is the TrafficPolicy of app name with the given spec lines
// after `service:`.
func trafficPolicy(name, spec string) string {
	return fmt.Sprintf(`apiVersion: networking.kurator.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: %[1]s, namespace: default}
spec:
  service: %[1]s
%[2]s`, name, spec)
}

// deploy applies app and waits until the hub shows all its replicas ready
// (the binding's per-cluster status is in). A TrafficPolicy created before
// would see clusters whose pods are not ready yet, and ramp them in as they
// become ready, like recovered ones.
func deploy(t *testing.T, name string, replicas, hzWeight, shWeight int) {
	t.Helper()
	apply(t, name, app(name, replicas, hzWeight, shWeight))
	fleettest.Eventually(t, 120*time.Second, fmt.Sprintf("%s: %d replicas ready on the hub", name, replicas), func() error {
		d, err := fleettest.Client(t, fleet, localfleet.HubName).AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != int32(replicas) {
			return fmt.Errorf("%d/%d ready", d.Status.ReadyReplicas, replicas)
		}
		return nil
	})
}

// apply applies YAML to the hub; when the test ends it deletes it again and
// waits until no Work of the TrafficPolicy is left.
func apply(t *testing.T, name, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "--context", localfleet.HubName, "apply", "-f", "-")
	t.Cleanup(func() {
		fleettest.Kubectl(t, fleet, yaml, "--context", localfleet.HubName, "delete", "--ignore-not-found", "-f", "-")
		fleettest.Eventually(t, 60*time.Second, "the Works of TrafficPolicy "+name+" are deleted", func() error {
			out := fleettest.Kubectl(t, fleet, "", "--context", localfleet.HubName, "get", "works", "-A", "-o", "name",
				"-l", networkingv1alpha1.PolicyLabel+"="+networkingv1alpha1.PolicyLabelValue("default", name))
			if strings.TrimSpace(out) != "" {
				return fmt.Errorf("left: %s", out)
			}
			return nil
		})
	})
}

var vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

// memberWeights reads the VirtualService name in a member and returns its
// route's weights per subset, as "cluster-a=40 cluster-b=60" (name order).
func memberWeights(t *testing.T, cluster, name string) (string, error) {
	t.Helper()
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		t.Fatal(err)
	}
	rc.Timeout = 5 * time.Second
	dc, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := dc.Resource(vsGVR).Namespace("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return routeWeights(vs)
}

func routeWeights(vs *unstructured.Unstructured) (string, error) {
	http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	if len(http) != 1 {
		return "", fmt.Errorf("VirtualService %s has %d http routes, want 1", vs.GetName(), len(http))
	}
	route, _, _ := unstructured.NestedSlice(http[0].(map[string]any), "route")
	var parts []string
	for _, r := range route {
		d := r.(map[string]any)
		subset, _, _ := unstructured.NestedString(d, "destination", "subset")
		w, _, _ := unstructured.NestedInt64(d, "weight")
		parts = append(parts, fmt.Sprintf("%s=%d", subset, w))
	}
	sort.Strings(parts)
	return strings.Join(parts, " "), nil
}

// waitWeights waits until every listed member's VirtualService has want.
func waitWeights(t *testing.T, timeout time.Duration, name, want string, clusters ...string) {
	t.Helper()
	fleettest.Eventually(t, timeout, fmt.Sprintf("VirtualService %s in %v routes %s", name, clusters, want), func() error {
		for _, c := range clusters {
			got, err := memberWeights(t, c, name)
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			if got != want {
				return fmt.Errorf("%s: %s", c, got)
			}
		}
		return nil
	})
}

func policy(t *testing.T, name string) *networkingv1alpha1.TrafficPolicy {
	t.Helper()
	var tp networkingv1alpha1.TrafficPolicy
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &tp); err != nil {
		t.Fatalf("TrafficPolicy %s: %v", name, err)
	}
	return &tp
}

func waitReady(t *testing.T, cluster string, want bool) {
	t.Helper()
	fleettest.Eventually(t, 60*time.Second, fmt.Sprintf("%s Ready=%v", cluster, want), func() error {
		var ac clusterv1alpha1.AttachedCluster
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: join.Namespace, Name: cluster}, &ac); err != nil {
			return err
		}
		if ac.IsReady() != want {
			return fmt.Errorf("Ready=%v", ac.IsReady())
		}
		return nil
	})
}
