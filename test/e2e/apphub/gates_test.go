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
