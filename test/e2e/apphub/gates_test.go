package apphub

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// Gates between stages: a stage that needs approval waits for kurator app
// promote; a webhook check that fails rolls the updated cluster back.
func TestApprovalAndWebhookGates(t *testing.T) {
	fleettest.Kubectl(t, fleet, "apiVersion: v1\nkind: Namespace\nmetadata: {name: gates}\n", "apply", "-f", "-")
	for _, v := range []string{"v1.1", "v1.2"} {
		tarball, _ := imageTarball(t, v)
		fleettest.Kurator(t, fleet, "app", "push", "mes:"+v, "-n", "gates", "-f", "testdata/mes/"+v, "--image", "mes-system:"+v+"="+tarball)
	}
	var status atomic.Int32
	status.Store(http.StatusOK)
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(hook.Close)
	apply(t, fmt.Sprintf(`apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: mes, namespace: gates}
spec:
  source: {package: {version: v1.1}}
  syncPolicies: [{destination: {fleet: global-production}, kustomization: {targetNamespace: mes-gates}}]
  delivery:
    analysisTimes: 2
    analysis:
      checkIntervalSeconds: 10
      checkFailedTimes: 2
      webhooks:
        hooks: [{name: smoke, type: rollout, url: %q}]
    stages:
    - {name: pilot, clusterNames: [cluster-hangzhou]}
    - {name: plants, clusterNames: [cluster-shanghai, cluster-frankfurt], requireApproval: true}
`, hook.URL))
	fleettest.Eventually(t, 2*time.Minute, "stage plants waits for approval", func() error {
		app := getApp(t, "gates", "mes")
		out := fleettest.Kurator(t, fleet, "app", "status", "mes", "-n", "gates")
		for _, c := range app.Status.Delivery.Clusters {
			if c.Name == shanghai && strings.Contains(c.Message, "waiting for approval") && strings.Contains(out, "kurator app promote") {
				return nil
			}
		}
		return fmt.Errorf("%s", describe(app))
	})
	// Nothing happens without the approval.
	fleettest.Consistently(t, 5*time.Second, "plants not started before approval", func() error {
		for _, c := range getApp(t, "gates", "mes").Status.Clusters {
			if c.Name != hangzhou && c.Revision != "" {
				return fmt.Errorf("%s runs %s", c.Name, c.Revision)
			}
		}
		return nil
	})
	if calls.Load() < 2 {
		t.Errorf("the smoke hook was called %d times for the pilot, want at least analysisTimes=2", calls.Load())
	}
	fleettest.Kurator(t, fleet, "app", "promote", "mes", "-n", "gates")
	waitPhase(t, "gates", "mes", "v1.1", appsv1alpha1.PhaseSucceeded, 2*time.Minute, nil)

	// The hook starts failing: v1.2 fails its checks in the pilot and goes back.
	status.Store(http.StatusInternalServerError)
	fleettest.Kurator(t, fleet, "app", "deploy", "mes:v1.2", "-n", "gates")
	app := waitPhase(t, "gates", "mes", "v1.2", appsv1alpha1.PhaseFailed, 2*time.Minute, nil)
	failed := 0
	for _, g := range app.Status.Delivery.Gates {
		if g.Cluster == hangzhou && g.Gate == "smoke" && !g.Passed {
			failed++
		}
	}
	if failed < 2 {
		t.Errorf("%d failed smoke verdicts recorded for hangzhou, want checkFailedTimes=2: %+v", failed, app.Status.Delivery.Gates)
	}
	for _, c := range app.Status.Clusters {
		if c.Revision != "v1.1" {
			t.Errorf("%s runs %s after the failed v1.2, want v1.1", c.Name, c.Revision)
		}
	}
	fleettest.Kubectl(t, fleet, "", "delete", "application", "mes", "-n", "gates")
}

// A metric gate: the success rate Prometheus holds for the updated
// cluster (traffic from the traffic generator) decides; with half the
// requests failing in hangzhou, v2 fails its checks there and goes back.
func TestMetricGateRollsBackOnALowSuccessRate(t *testing.T) {
	fleettest.Kubectl(t, fleet, "apiVersion: v1\nkind: Namespace\nmetadata: {name: metrics}\n", "apply", "-f", "-")
	for _, v := range []string{"v1", "v2"} {
		fleettest.Kurator(t, fleet, "app", "push", "shop:"+v, "-n", "metrics", "-f", "testdata/shop/"+v)
	}
	apply(t, `apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: shop, namespace: metrics}
spec:
  source: {package: {version: v1}}
  syncPolicies: [{destination: {fleet: global-production}, kustomization: {targetNamespace: shop}}]
  delivery:
    timeoutSeconds: 120
    analysis:
      checkIntervalSeconds: 10
      checkFailedTimes: 2
      metrics:
      - {name: request-success-rate, intervalSeconds: 15, thresholdRange: {min: 99}}
    stages:
    - {name: pilot, clusterNames: [cluster-hangzhou]}
`)
	app := waitPhase(t, "metrics", "shop", "v1", appsv1alpha1.PhaseSucceeded, 3*time.Minute, nil)
	passed := 0
	for _, g := range app.Status.Delivery.Gates {
		if g.Kind == "metric" && g.Passed && g.Gate == "request-success-rate" {
			passed++
		}
	}
	if passed == 0 {
		t.Fatalf("v1 succeeded without a passing success-rate check: %+v", app.Status.Delivery.Gates)
	}
	setFaults(t, `[{"cluster":"cluster-hangzhou","namespace":"shop","workload":"shop","errorRate":0.5}]`)
	fleettest.Kurator(t, fleet, "app", "deploy", "shop:v2", "-n", "metrics")
	app = waitPhase(t, "metrics", "shop", "v2", appsv1alpha1.PhaseFailed, 3*time.Minute, nil)
	var low []string
	for _, g := range app.Status.Delivery.Gates {
		if g.Cluster == hangzhou && g.Kind == "metric" && !g.Passed && g.Reason == "BelowMin" {
			low = append(low, g.Value)
		}
	}
	if len(low) < 2 {
		t.Errorf("%d success-rate checks below 99 recorded in hangzhou (%v), want checkFailedTimes=2: %+v", len(low), low, app.Status.Delivery.Gates)
	}
	for _, c := range app.Status.Clusters {
		if c.Revision != "v1" {
			t.Errorf("%s runs %s after the failed v2, want v1", c.Name, c.Revision)
		}
	}
	fleettest.Kubectl(t, fleet, "", "delete", "application", "shop", "-n", "metrics")
}

// setFaults replaces the traffic generator's faults until the test ends.
func setFaults(t *testing.T, faults string) {
	t.Helper()
	put := func(body string) error {
		req, err := http.NewRequest(http.MethodPut, fleet.TrafficGenURL+"/faults", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("PUT /faults: %s", resp.Status)
		}
		return nil
	}
	if err := put(faults); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = put("[]") })
}
