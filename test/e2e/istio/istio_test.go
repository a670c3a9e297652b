package istio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/internal/trafficgen"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// seedCanary is seed 001 §4.3 (lines 446-479), byte for byte.
const seedCanary = "../../../api/testdata/seeds/001-reviews-canary-virtualservice-and-pp.yaml"

// reviewsV2 is the Deployment the seed's PropagationPolicy names, and the
// ClusterPropagationPolicy that sends VirtualServices to every member.
const reviewsV2 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v2
  namespace: default
  labels:
    app: reviews
    version: v2
spec:
  replicas: 2
  selector:
    matchLabels:
      app: reviews
      version: v2
  template:
    metadata:
      labels:
        app: reviews
        version: v2
    spec:
      containers:
      - name: reviews
        image: docker.io/istio/examples-bookinfo-reviews-v2:1.20.1
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: istio-virtualservices
spec:
  resourceSelectors:
    - apiVersion: networking.istio.io/v1beta1
      kind: VirtualService
  placement:
    clusterAffinity:
      clusterNames:
        - cluster-hangzhou
        - cluster-shanghai
`

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	return fleettest.Kubectl(t, fleet, "", args...)
}

// Every member and the hub serve the networking.istio.io kinds.
func TestIstioCRDsOnHubAndMembers(t *testing.T) {
	for _, c := range []string{localfleet.HubName, hangzhou, shanghai} {
		for _, crd := range []string{"virtualservices.networking.istio.io", "destinationrules.networking.istio.io", "gateways.networking.istio.io", "serviceentries.networking.istio.io"} {
			t.Run(c+" serves "+crd, func(t *testing.T) {
				got := kubectl(t, "--context", c, "get", "crd", crd, "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
				if got != "True" {
					t.Errorf("CRD %s on %s: Established=%q, want True", crd, c, got)
				}
			})
		}
	}
}

// Seed 001 §4.3 applies to the hub verbatim; with a ClusterPropagationPolicy
// for networking.istio.io/v1beta1 VirtualServices the VirtualService reaches
// every member with the hub's spec, and reviews-v2 runs only in shanghai.
func TestSeedCanaryPropagates(t *testing.T) {
	seed, err := os.ReadFile(seedCanary)
	if err != nil {
		t.Fatal(err)
	}
	out := fleettest.Kubectl(t, fleet, string(seed)+"\n---\n"+reviewsV2, "--context", localfleet.HubName, "apply", "-f", "-")
	for _, want := range []string{"virtualservice.networking.istio.io/reviews-route", "propagationpolicy.policy.karmada.io/reviews-canary", "deployment.apps/reviews-v2", "clusterpropagationpolicy.policy.karmada.io/istio-virtualservices"} {
		if !strings.Contains(out, want) {
			t.Fatalf("kubectl apply did not apply %s:\n%s", want, out)
		}
	}
	hubSpec := specOf(t, localfleet.HubName, "virtualservices.v1beta1.networking.istio.io", "default", "reviews-route")
	var parsed struct {
		HTTP []struct {
			Route []struct{ Weight int }
		}
	}
	if err := json.Unmarshal([]byte(hubSpec), &parsed); err != nil || len(parsed.HTTP) != 1 || len(parsed.HTTP[0].Route) != 2 || parsed.HTTP[0].Route[0].Weight != 90 {
		t.Fatalf("hub's VirtualService spec %s (%v): want one route 90/10", hubSpec, err)
	}
	for _, c := range []string{hangzhou, shanghai} {
		fleettest.Eventually(t, 60*time.Second, "VirtualService reviews-route in "+c, func() error {
			got, err := trySpecOf(c, "virtualservices.v1beta1.networking.istio.io", "default", "reviews-route")
			if err != nil {
				return err
			}
			if got != hubSpec {
				return fmt.Errorf("spec %s, want the hub's %s", got, hubSpec)
			}
			return nil
		})
	}

	ctx := context.Background()
	sh := fleettest.Client(t, fleet, shanghai)
	fleettest.Eventually(t, 90*time.Second, "reviews-v2 ready in "+shanghai, func() error {
		d, err := sh.AppsV1().Deployments("default").Get(ctx, "reviews-v2", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != 2 {
			return fmt.Errorf("%d of 2 replicas ready", d.Status.ReadyReplicas)
		}
		return nil
	})
	hz := fleettest.Client(t, fleet, hangzhou)
	fleettest.Consistently(t, 3*time.Second, "reviews-v2 absent from "+hangzhou, func() error {
		_, err := hz.AppsV1().Deployments("default").Get(ctx, "reviews-v2", metav1.GetOptions{})
		return fleettest.Absent("Deployment default/reviews-v2 in "+hangzhou, err)
	})
}

func trySpecOf(cluster, resource, ns, name string) (string, error) {
	cmdOut, err := runKubectl(fleet, "--context", cluster, "-n", ns, "get", resource, name, "-o", "jsonpath={.spec}")
	if err != nil {
		return "", fmt.Errorf("%s %s/%s in %s: %v: %s", resource, ns, name, cluster, err, cmdOut)
	}
	return canonicalJSON(cmdOut)
}

func specOf(t *testing.T, cluster, resource, ns, name string) string {
	t.Helper()
	s, err := trySpecOf(cluster, resource, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// canonicalJSON re-encodes JSON with sorted keys, so equal specs compare equal.
func canonicalJSON(s string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", fmt.Errorf("spec %q is not JSON: %w", s, err)
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// The loop: Deployments and Services in two members, a VirtualService 80/20
// across them written into hangzhou; the generator sends hangzhou's requests
// by those weights, Prometheus scrapes it, and its rates show 80/20; a fault
// of errorRate 0.2 on the canary gives it an 80% success rate.
func TestWeightsBecomeTrafficInPrometheus(t *testing.T) {
	if fleet.PrometheusURL == "" || fleet.TrafficGenURL == "" {
		t.Fatalf("the fleet runs no Prometheus (%q) or traffic generator (%q)", fleet.PrometheusURL, fleet.TrafficGenURL)
	}
	const ns = "shop"
	workload := func(name, version string) string {
		return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: web, version: %[2]s}
  template:
    metadata:
      labels: {app: web, version: %[2]s}
    spec:
      containers:
      - name: web
        image: registry.example/web:%[2]s
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
`, name, version)
	}
	nsDoc := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
	fleettest.Kubectl(t, fleet, nsDoc+workload("web-v1", "v1"), "--context", hangzhou, "apply", "-f", "-")
	fleettest.Kubectl(t, fleet, nsDoc+workload("web-v2", "v2"), "--context", shanghai, "apply", "-f", "-")
	ctx := context.Background()
	for c, d := range map[string]string{hangzhou: "web-v1", shanghai: "web-v2"} {
		cs := fleettest.Client(t, fleet, c)
		fleettest.Eventually(t, 90*time.Second, d+" ready in "+c, func() error {
			got, err := cs.AppsV1().Deployments(ns).Get(ctx, d, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if got.Status.ReadyReplicas < 1 {
				return fmt.Errorf("no ready replica yet")
			}
			return nil
		})
	}
	routing := `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web
  namespace: shop
spec:
  host: web.shop.svc.cluster.local
  subsets:
  - name: stable
    labels: {version: v1, topology.istio.io/cluster: cluster-hangzhou}
  - name: canary
    labels: {version: v2, topology.istio.io/cluster: cluster-shanghai}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: shop
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination: {host: web, subset: stable}
      weight: 80
    - destination: {host: web, subset: canary}
      weight: 20
`
	fleettest.Kubectl(t, fleet, routing, "--context", hangzhou, "apply", "-f", "-")
	written := time.Now()

	// What the generator resolved: hangzhou's requests, 80% to web-v1 in
	// hangzhou and 20% to web-v2 in shanghai.
	fleettest.Eventually(t, 30*time.Second, "the generator's routes for shop/web", func() error {
		var r trafficgen.Routes
		if err := getJSON(fleet.TrafficGenURL+"/routes", &r); err != nil {
			return err
		}
		got := map[string]string{}
		for _, f := range r.Flows {
			if f.VirtualService == "shop/web" {
				got[f.Workload] = fmt.Sprintf("%s->%s %.0f%% %d", f.SourceCluster, f.Cluster, 100*f.Share, f.ResponseCode)
			}
		}
		want := map[string]string{"web-v1": hangzhou + "->" + hangzhou + " 80% 0", "web-v2": hangzhou + "->" + shanghai + " 20% 0"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("flows %v, want %v", got, want)
		}
		return nil
	})

	// A rate over [30s] is judged once its window holds only requests sent
	// along these weights (plus a scrape): earlier, it mixes in the start.
	const window = 32 * time.Second
	var seen string
	share := `sum by (destination_workload) (rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop"}[30s]))`
	fleettest.Eventually(t, 90*time.Second, "Prometheus shows 80/20 between web-v1 and web-v2", func() error {
		rates, err := query(fleet.PrometheusURL, share, "destination_workload")
		if err != nil {
			return err
		}
		total := rates["web-v1"] + rates["web-v2"]
		if total == 0 {
			return fmt.Errorf("no requests yet: %v", rates)
		}
		v1 := 100 * rates["web-v1"] / total
		if math.Abs(v1-80) > 10 {
			return fmt.Errorf("web-v1 has %.1f%% of requests (%v), want 80 ±10", v1, rates)
		}
		if time.Since(written) < window {
			return fmt.Errorf("the [30s] window still holds the time before the VirtualService (%v)", rates)
		}
		// Hangzhou's VirtualService gets --rps 20: 4 per second to the canary.
		if math.Abs(rates["web-v2"]-4) > 0.8 {
			return fmt.Errorf("web-v2 gets %.2f requests/s, want 4 ±0.8 (20%% of 20)", rates["web-v2"])
		}
		seen = fmt.Sprintf("web-v1 %.1f%% (%.2f/s), web-v2 %.2f/s", v1, rates["web-v1"], rates["web-v2"])
		return nil
	})
	t.Logf("Prometheus: %s, %.1fs after the VirtualService was written", seen, time.Since(written).Seconds())

	putJSON(t, fleet.TrafficGenURL+"/faults", []trafficgen.Fault{{Cluster: shanghai, Namespace: ns, Workload: "web-v2", ErrorRate: 0.2}})
	faulted := time.Now()
	// Flagger's request-success-rate for the canary.
	success := `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"web-v2",response_code!~"5.*"}[30s])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"web-v2"}[30s])) * 100`
	stableSuccess := strings.ReplaceAll(success, `=~"web-v2"`, `=~"web-v1"`)
	fleettest.Eventually(t, 120*time.Second, "web-v2's success rate at 80% with the fault", func() error {
		rates, err := query(fleet.PrometheusURL, success, "")
		if err != nil {
			return err
		}
		if time.Since(faulted) < window {
			return fmt.Errorf("the [30s] window still holds requests from before the fault (success rate %v)", rates)
		}
		if v, ok := rates[""]; !ok || math.Abs(v-80) > 5 {
			return fmt.Errorf("success rate %v, want 80 ±5", rates)
		}
		stable, err := query(fleet.PrometheusURL, stableSuccess, "")
		if err != nil {
			return err
		}
		if stable[""] != 100 {
			return fmt.Errorf("web-v1's success rate %v, want 100: the fault is on web-v2 only", stable)
		}
		seen = fmt.Sprintf("web-v2 success rate %.1f%%, web-v1 %.1f%%", rates[""], stable[""])
		return nil
	})
	t.Logf("Prometheus: %s, %.1fs after the fault was set", seen, time.Since(faulted).Seconds())
	putJSON(t, fleet.TrafficGenURL+"/faults", []trafficgen.Fault{})
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func putJSON(t *testing.T, u string, v any) {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT %s %s: %s: %s", u, body, resp.Status, b)
	}
}

// query runs an instant PromQL query and returns each series' value keyed
// by its label (or "" for an unlabelled result).
func query(base, promql, label string) (map[string]float64, error) {
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(base+"/api/v1/query?query="+url.QueryEscape(promql), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", promql, r.Error)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %w", promql, s.Value[1], err)
		}
		out[s.Metric[label]] = v
	}
	return out, nil
}

// runKubectl runs the fleet's kubectl and returns its output and error, for
// polls that must not fail the test on one failed try.
func runKubectl(st *localfleet.State, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(localfleet.DefaultBinDir(), "kubectl"), append([]string{"--kubeconfig", st.Kubeconfig}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return strings.TrimSpace(stderr.String()), err
	}
	return string(out), nil
}
