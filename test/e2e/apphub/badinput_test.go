package apphub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// Bad input gives a condition that names the field and the fix; nothing
// is delivered.
func TestBadInputNamesTheFieldAndDeliversNothing(t *testing.T) {
	fleettest.Kubectl(t, fleet, "apiVersion: v1\nkind: Namespace\nmetadata: {name: bad}\n", "apply", "-f", "-")
	tarball, _ := imageTarball(t, "v1.1")
	fleettest.Kurator(t, fleet, "app", "push", "mes:v1.1", "-n", "bad", "-f", "testdata/mes/v1.1", "--image", "mes-system:v1.1="+tarball)
	// Refused at push: no object, a chart that does not render.
	for _, c := range []struct{ dir, want string }{
		{"testdata/bad/empty", "no Kubernetes object"},
		{"testdata/bad/chart", "deployment.yaml"},
	} {
		out, err := kuratorErr(t, "app", "push", "bad:v1", "-n", "bad", "-f", c.dir)
		if err == nil || !strings.Contains(out+err.Error(), c.want) {
			t.Errorf("kurator app push -f %s: err %v, output %q; want a refusal mentioning %q", c.dir, err, out, c.want)
		}
	}
	for _, c := range []struct{ name, spec, condition, want string }{
		{"no-fleet", `source: {package: {name: mes, version: v1.1}}
  syncPolicies: [{destination: {fleet: no-such-fleet}}]`, "Ready", "spec.syncPolicies[0].destination.fleet: Fleet no-such-fleet not found"},
		{"no-version", `source: {package: {name: mes, version: v9}}
  syncPolicies: [{destination: {fleet: global-production}}]`, appsv1alpha1.ConditionSourceReady, "spec.source.package: mes:v9 is not in AppHub; push it"},
		{"empty-stage", `source: {package: {name: mes, version: v1.1}}
  syncPolicies: [{destination: {fleet: global-production}, kustomization: {targetNamespace: bad-stage}}]
  delivery:
    stages: [{name: moon, clusterNames: [cluster-moon]}]`, "StagesSelectClusters", "spec.delivery.stages moon select none of the 3 clusters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			apply(t, fmt.Sprintf("apiVersion: apps.kurator.dev/v1alpha1\nkind: Application\nmetadata: {name: %s, namespace: bad}\nspec:\n  %s\n", c.name, c.spec))
			fleettest.Eventually(t, time.Minute, c.condition+" names the field", func() error {
				s, msg := condition(getApp(t, "bad", c.name), c.condition)
				if s != "False" || !strings.Contains(msg, c.want) {
					return fmt.Errorf("%s=%s %q", c.condition, s, msg)
				}
				return nil
			})
			var works struct {
				Items []any `json:"items"`
			}
			out := fleettest.Kubectl(t, fleet, "", "get", "works", "-A", "-l", "apps.kurator.dev/application=bad."+c.name, "-o", "json")
			if err := jsonUnmarshal(out, &works); err != nil || len(works.Items) != 0 {
				t.Errorf("%d Works written for a bad Application (%v)", len(works.Items), err)
			}
		})
	}
}

// Unstaged, every cluster takes the version at once; a cluster whose
// registry is unreachable holds the next release back (with a condition
// naming the registry) and the running version stays everywhere.
func TestUnstagedReleaseAndAnUnreachableRegistry(t *testing.T) {
	ctx := context.Background()
	fleettest.Kubectl(t, fleet, "apiVersion: v1\nkind: Namespace\nmetadata: {name: flat}\n", "apply", "-f", "-")
	digests := map[string]string{}
	for _, v := range []string{"v1.1", "v1.2"} {
		tarball, d := imageTarball(t, v)
		digests[v] = d
		fleettest.Kurator(t, fleet, "app", "push", "mes:"+v, "-n", "flat", "-f", "testdata/mes/"+v, "--image", "mes-system:"+v+"="+tarball)
	}
	start := time.Now()
	apply(t, `apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: mes, namespace: flat}
spec:
  source: {package: {version: v1.1}}
  syncPolicies: [{destination: {fleet: global-production}, kustomization: {targetNamespace: mes-flat}}]
`)
	waitPhase(t, "flat", "mes", "v1.1", appsv1alpha1.PhaseSucceeded, 3*time.Minute, nil)
	t.Logf("MES v1.1 unstaged on 3 clusters: push-to-fleet-Ready %s", time.Since(start).Round(100*time.Millisecond))

	good := registryOf(t, frankfurt)
	setRegistry := func(host string) {
		fleettest.Kubectl(t, fleet, "", "-n", "kurator-system", "patch", "attachedcluster", frankfurt, "--type=merge", "-p", fmt.Sprintf(`{"spec":{"registry":{"host":%q,"insecure":true}}}`, host))
	}
	setRegistry("127.0.0.1:1")
	t.Cleanup(func() { setRegistry(good) })
	fleettest.Kurator(t, fleet, "app", "deploy", "mes:v1.2", "-n", "flat")
	fleettest.Eventually(t, time.Minute, "ImagesSynced names the unreachable registry", func() error {
		s, msg := condition(getApp(t, "flat", "mes"), appsv1alpha1.ConditionImagesSynced)
		if s != "False" || !strings.Contains(msg, "127.0.0.1:1") || !strings.Contains(msg, frankfurt) {
			return fmt.Errorf("ImagesSynced=%s %q", s, msg)
		}
		return nil
	})
	// Nothing moved: every cluster still runs v1.1.
	for _, c := range members {
		dep, err := fleettest.Client(t, fleet, c).AppsV1().Deployments("mes-flat").Get(ctx, "mes-deployment", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if img := dep.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, "@"+digests["v1.1"]) {
			t.Errorf("%s runs %s while the release is held, want v1.1's digest", c, img)
		}
	}
	setRegistry(good)
	waitPhase(t, "flat", "mes", "v1.2", appsv1alpha1.PhaseSucceeded, 3*time.Minute, nil)
	fleettest.Kubectl(t, fleet, "", "delete", "application", "mes", "-n", "flat")
}
