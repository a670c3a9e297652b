// Package rollout tests fleet-wide progressive rollouts end to end: a real
// local fleet with the manager, Debian's Prometheus and our traffic
// generator, which sends Istio-shaped requests along the VirtualServices
// the rollout writes into the members. So every step goes weights ->
// traffic -> metrics -> decision, with faults the tests inject.
package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-rollout", NodesPerMember: 2, Prometheus: true, TrafficGen: true}, true, &fleet,
		func(_ context.Context, st *localfleet.State) (func(), error) {
			var err error
			hub, err = fleettest.HubClient(st)
			return func() {}, err
		}))
}

const (
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai"
	frankfurt = "cluster-frankfurt"
)

// app is a Deployment and its Service, propagated to shanghai and
// hangzhou with 2 replicas each.
func app(ns, name, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers:
      - name: app
        image: %[3]s
        ports: [{containerPort: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  selector: {app: %[2]s}
  ports: [{name: http, port: 9080, targetPort: 9080}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: %[2]s}
  - {apiVersion: v1, kind: Service, name: %[2]s}
  placement:
    clusterAffinity: {clusterNames: [cluster-shanghai, cluster-hangzhou]}
    replicaScheduling: {replicaSchedulingType: Duplicated}
`, ns, name, image)
}

func apply(t *testing.T, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "apply", "-f", "-")
}

func setImage(t *testing.T, ns, name, image string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, "", "-n", ns, "set", "image", "deployment/"+name, "app="+image)
}

func getRollout(t *testing.T, ns, name string) *appsv1alpha1.Rollout {
	t.Helper()
	var ro appsv1alpha1.Rollout
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ro); err != nil {
		t.Fatal(err)
	}
	return &ro
}

// waitPhase polls the Rollout until it reaches phase; any other terminal
// phase on the way fails the test at once.
func waitPhase(t *testing.T, ns, name string, phase appsv1alpha1.RolloutPhase, timeout time.Duration) *appsv1alpha1.Rollout {
	t.Helper()
	var last *appsv1alpha1.Rollout
	fleettest.Eventually(t, timeout, fmt.Sprintf("Rollout %s/%s %s", ns, name, phase), func() error {
		last = getRollout(t, ns, name)
		if last.Status.Phase == phase {
			return nil
		}
		return fmt.Errorf("phase %s, stage %q, clusters %s", last.Status.Phase, last.Status.CurrentStage, clusters(last))
	})
	return last
}

func clusters(ro *appsv1alpha1.Rollout) string {
	var b strings.Builder
	for _, c := range ro.Status.Clusters {
		fmt.Fprintf(&b, "[%s %s w=%d it=%d failed=%d %q] ", c.Name, c.Phase, c.CanaryWeight, c.Iterations, c.FailedChecks, c.Message)
	}
	return b.String()
}

// memberImage is the image of a Deployment in a member.
func memberImage(t *testing.T, cluster, ns, name string) string {
	t.Helper()
	d, err := fleettest.Client(t, fleet, cluster).AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return "error: " + err.Error()
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// memberVS reads a member's VirtualService.
func memberVS(t *testing.T, cluster, ns, name string) (*unstructured.Unstructured, error) {
	t.Helper()
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		return nil, err
	}
	c, err := client.New(rc, client.Options{})
	if err != nil {
		return nil, err
	}
	vs := &unstructured.Unstructured{}
	vs.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"})
	return vs, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, vs)
}

// setFaults replaces the traffic generator's faults.
func setFaults(t *testing.T, faults string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, fleet.TrafficGenURL+"/faults", bytes.NewBufferString(faults))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT /faults: %s", resp.Status)
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodPut, fleet.TrafficGenURL+"/faults", bytes.NewBufferString("[]"))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var metav1Get = metav1.GetOptions{}
