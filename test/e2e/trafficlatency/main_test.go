// Package trafficlatency tests the Latency weighting of TrafficPolicies end
// to end: a local fleet of two members with the manager, Debian's
// Prometheus and our traffic generator, which sends Istio-shaped requests
// along the VirtualServices the policy writes into the members. A latency
// fault injected in one cluster's workload raises its p99 in Prometheus,
// the controller lowers that cluster's weight in both members, and once
// the fault is cleared the weight ramps back in steps. So the loop is
// weights -> traffic -> metrics -> weights.
package trafficlatency

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
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
	cfg := localfleet.Config{Name: "e2e-trafficlatency", NodesPerMember: 1, Members: localfleet.DefaultMembers()[:2], Prometheus: true, TrafficGen: true}
	os.Exit(fleettest.Main(m, cfg, true, &fleet, func(_ context.Context, st *localfleet.State) (func(), error) {
		var err error
		hub, err = fleettest.HubClient(st)
		return func() {}, err
	}))
}

// app is a Deployment with one replica in each member and its Service.
func app(name string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: default}
spec:
  replicas: 1
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
    replicaScheduling: {replicaSchedulingType: Duplicated}
`, name)
}

// apply applies YAML to the hub and deletes it when the test ends, waiting
// until no Work of the TrafficPolicy name is left.
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

// deploy applies app and waits until the workload's binding on the hub has
// a ready replica reported from both members, so that the policy starts at
// its targets (a cluster whose pods become ready later ramps in like a
// recovered one).
func deploy(t *testing.T, name string) {
	t.Helper()
	apply(t, name, app(name))
	fleettest.Eventually(t, 120*time.Second, name+": a ready replica in both members on the hub's binding", func() error {
		var rb workv1alpha1.ResourceBinding
		if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: workv1alpha1.BindingName(name, "Deployment")}, &rb); err != nil {
			return err
		}
		ready := map[string]bool{}
		for _, it := range rb.Status.AggregatedStatus {
			if it.Status == nil {
				continue
			}
			var s struct {
				ReadyReplicas int32 `json:"readyReplicas"`
			}
			if err := json.Unmarshal(it.Status.Raw, &s); err == nil && s.ReadyReplicas > 0 {
				ready[it.ClusterName] = true
			}
		}
		if !ready[hangzhou] || !ready[shanghai] {
			return fmt.Errorf("ready in %v", ready)
		}
		return nil
	})
}

var vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

var (
	dynMu      sync.Mutex
	dynClients = map[string]dynamic.Interface{}
)

// memberClient is a dynamic client of a member, made once (the tests poll).
func memberClient(t *testing.T, cluster string) dynamic.Interface {
	t.Helper()
	dynMu.Lock()
	defer dynMu.Unlock()
	if c, ok := dynClients[cluster]; ok {
		return c
	}
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		t.Fatal(err)
	}
	rc.Timeout = 5 * time.Second
	c, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	dynClients[cluster] = c
	return c
}

// memberWeights reads the VirtualService name in a member and returns its
// route's weight per subset (cluster).
func memberWeights(t *testing.T, cluster, name string) (map[string]int64, error) {
	t.Helper()
	vs, err := memberClient(t, cluster).Resource(vsGVR).Namespace("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cluster, err)
	}
	routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	if len(routes) != 1 {
		return nil, fmt.Errorf("%s: VirtualService %s has %d http routes, want 1", cluster, name, len(routes))
	}
	route, _ := routes[0].(map[string]any)["route"].([]any)
	out := map[string]int64{}
	for _, r := range route {
		d, _ := r.(map[string]any)
		dest, _ := d["destination"].(map[string]any)
		subset, _ := dest["subset"].(string)
		w, _ := d["weight"].(int64)
		out[subset] = w
	}
	return out, nil
}

// weightsInBoth reads the route of name in both members; it is an error
// when they differ.
func weightsInBoth(t *testing.T, name string) (map[string]int64, error) {
	t.Helper()
	hz, err := memberWeights(t, hangzhou, name)
	if err != nil {
		return nil, err
	}
	sh, err := memberWeights(t, shanghai, name)
	if err != nil {
		return nil, err
	}
	if format(hz) != format(sh) {
		return nil, fmt.Errorf("the members differ: %s in %s, %s in %s", format(hz), hangzhou, format(sh), shanghai)
	}
	return hz, nil
}

// format is "cluster-a=40 cluster-b=60" (name order).
func format(w map[string]int64) string {
	parts := make([]string, 0, len(w))
	for k, v := range w {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func policy(t *testing.T, name string) *networkingv1alpha1.TrafficPolicy {
	t.Helper()
	var tp networkingv1alpha1.TrafficPolicy
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &tp); err != nil {
		t.Fatalf("TrafficPolicy %s: %v", name, err)
	}
	return &tp
}

// clusterStatus is the status entry of cluster.
func clusterStatus(tp *networkingv1alpha1.TrafficPolicy, cluster string) *networkingv1alpha1.ClusterTraffic {
	for i := range tp.Status.Clusters {
		if tp.Status.Clusters[i].Name == cluster {
			return &tp.Status.Clusters[i]
		}
	}
	return nil
}

// setFaults replaces the traffic generator's faults ("[]" clears them).
func setFaults(t *testing.T, faults string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, fleet.TrafficGenURL+"/faults", bytes.NewBufferString(faults))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s/faults: %v", fleet.TrafficGenURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT %s/faults %s: %s", fleet.TrafficGenURL, faults, resp.Status)
	}
}
