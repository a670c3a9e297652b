package hub

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// Seed 001, section 4.2, verbatim: nginx with 10 replicas at 60:40 runs 6 in
// Hangzhou and 4 in Shanghai, and the hub shows 10/10 ready. Then the policy
// and the template change and the members follow.
func TestSeedNginxPropagation(t *testing.T) {
	hub := []string{"--context", localfleet.HubName}
	begin := time.Now()
	hubApply(t, seed(t, "001-nginx-deployment-and-pp.yaml"))
	hubDeleteAfter(t, seed(t, "001-nginx-deployment-and-pp.yaml"))
	wantReady(t, "nginx", map[string]int32{"cluster-hangzhou": 6, "cluster-shanghai": 4})
	t.Logf("seed nginx 6/4 ready in the members %s after kubectl apply", time.Since(begin).Round(time.Millisecond))

	eventually(t, 60*time.Second, "hub shows nginx 10/10 ready", func() error {
		out := kubectl(t, "", append(hub, "get", "deploy", "nginx", "--no-headers")...)
		if f := strings.Fields(out); len(f) < 2 || f[1] != "10/10" {
			return fmt.Errorf("kubectl get deploy nginx: %s", out)
		}
		return nil
	})
	out := kurator(t, "get", "workload", "--all-clusters")
	for _, re := range []string{`(?m)^default\s+Deployment\s+nginx\s+cluster-hangzhou\s+6\s+6\s`, `(?m)^default\s+Deployment\s+nginx\s+cluster-shanghai\s+4\s+4\s`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("kurator get workload --all-clusters lacks %s:\n%s", re, out)
		}
	}

	desc := kurator(t, "describe", "resourcebinding", "nginx-deployment")
	for _, re := range []string{`(?m)^Policy:\s+PropagationPolicy default/nginx-propagation$`, `(?m)^\s+cluster-hangzhou\s+6\s+6\s+true\s+Healthy`, `(?m)^\s+Scheduled\s+True`} {
		if !regexp.MustCompile(re).MatchString(desc) {
			t.Errorf("kurator describe resourcebinding lacks %s:\n%s", re, desc)
		}
	}
	if desc := kurator(t, "describe", "cluster", "cluster-hangzhou"); !regexp.MustCompile(`(?m)^\s+Ready\s+True\s`).MatchString(desc) {
		t.Errorf("kurator describe cluster does not show Ready True:\n%s", desc)
	}

	setWeights := func(hz, sh int) {
		kubectl(t, "", append(hub, "patch", "pp", "nginx-propagation", "--type=json", "-p",
			fmt.Sprintf(`[{"op":"replace","path":"/spec/placement/replicaScheduling/weightPreference/staticWeightList/0/weight","value":%d},`+
				`{"op":"replace","path":"/spec/placement/replicaScheduling/weightPreference/staticWeightList/1/weight","value":%d}]`, hz, sh))...)
	}
	setWeights(50, 50)
	wantReady(t, "nginx", map[string]int32{"cluster-hangzhou": 5, "cluster-shanghai": 5})

	setWeights(60, 40)
	kubectl(t, "", append(hub, "scale", "deploy", "nginx", "--replicas=20")...)
	wantReady(t, "nginx", map[string]int32{"cluster-hangzhou": 12, "cluster-shanghai": 8})

	// Shanghai leaves the policy's clusterNames: its nginx goes away.
	kubectl(t, "", append(hub, "patch", "pp", "nginx-propagation", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/placement/clusterAffinity/clusterNames","value":["cluster-hangzhou"]}]`)...)
	wantReady(t, "nginx", map[string]int32{"cluster-hangzhou": 20})

	// Editing replicas directly in a member is reverted.
	cs := clientFor(t, "cluster-hangzhou")
	ctx := context.Background()
	scale, err := cs.AppsV1().Deployments("default").GetScale(ctx, "nginx", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 3
	if _, err := cs.AppsV1().Deployments("default").UpdateScale(ctx, "nginx", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	drift := time.Now()
	wantReady(t, "nginx", map[string]int32{"cluster-hangzhou": 20})
	t.Logf("drift in cluster-hangzhou reverted in %s", time.Since(drift).Round(time.Millisecond))

	// Deleting the template removes it everywhere.
	kubectl(t, "", append(hub, "delete", "deploy", "nginx")...)
	wantReady(t, "nginx", map[string]int32{})
}

const globalApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: global-app
spec:
  replicas: 2
  selector:
    matchLabels: {app: global-app}
  template:
    metadata:
      labels: {app: global-app}
    spec:
      containers:
      - name: app
        image: global-app:1.4.2
        command: ["/app"]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: global-app
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    name: global-app
  placement:
    clusterAffinity:
      clusterNames: [cluster-hangzhou, cluster-frankfurt]
    replicaScheduling:
      replicaSchedulingType: Duplicated
`

// The seed's cross-cloud-config OverridePolicy: each member gets its registry
// and its --region flags.
func TestSeedCrossCloudOverrides(t *testing.T) {
	hubApply(t, seed(t, "001-op-cross-cloud-config.yaml"))
	hubDeleteAfter(t, seed(t, "001-op-cross-cloud-config.yaml"))
	hubApply(t, globalApp)
	hubDeleteAfter(t, globalApp)
	want := map[string]struct{ image, args string }{
		"cluster-hangzhou":  {"registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2", "/app --region=asia-east"},
		"cluster-frankfurt": {"registry.eu-central.example.com/company/global-app:1.4.2", "/app --region=eu-central --compliance=gdpr"},
	}
	for cluster, w := range want {
		eventually(t, 60*time.Second, "global-app overridden in "+cluster, func() error {
			d, err := deployment(cluster, "default", "global-app")
			if err != nil {
				return err
			}
			c := d.Spec.Template.Spec.Containers[0]
			if c.Image != w.image || strings.Join(c.Command, " ") != w.args {
				return fmt.Errorf("image %q command %q", c.Image, c.Command)
			}
			return nil
		})
	}
	// Not selected: cluster-shanghai answers that it has no global-app, and
	// still does a while after the others got theirs.
	fleettest.Consistently(t, 5*time.Second, "cluster-shanghai, not selected, has no global-app", func() error {
		_, err := deployment("cluster-shanghai", "default", "global-app")
		return fleettest.Absent("deployment global-app", err)
	})
}

const configAndService = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: web-config
spec:
  resourceSelectors:
  - apiVersion: v1
    kind: ConfigMap
    name: web-config
  - apiVersion: v1
    kind: Service
    name: web
  placement:
    clusterAffinity:
      clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]
    # The Fleet global-production spreads over at most 2 clusters; a policy
    # that wants all three says so.
    spreadConstraints:
    - maxGroups: 3
      minGroups: 1
`

// A Service and a ConfigMap selected by a policy appear in every selected member.
func TestServiceAndConfigMapEverywhere(t *testing.T) {
	hubApply(t, configAndService)
	hubDeleteAfter(t, configAndService)
	ctx := context.Background()
	for _, m := range fleet.Members {
		cs := clientFor(t, m.Name)
		eventually(t, 60*time.Second, "ConfigMap and Service in "+m.Name, func() error {
			cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "web-config", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if cm.Data["greeting"] != "hello" {
				return fmt.Errorf("data %v", cm.Data)
			}
			_, err = cs.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
			return err
		})
	}
	// A change to the template's data reaches every member.
	kubectl(t, "", "--context", localfleet.HubName, "patch", "configmap", "web-config", "--type=merge", "-p", `{"data":{"greeting":"hi"}}`)
	for _, m := range fleet.Members {
		cs := clientFor(t, m.Name)
		eventually(t, 60*time.Second, "ConfigMap update in "+m.Name, func() error {
			cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "web-config", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if cm.Data["greeting"] != "hi" {
				return fmt.Errorf("data %v", cm.Data)
			}
			return nil
		})
	}
}
