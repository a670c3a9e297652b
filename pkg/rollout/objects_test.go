package rollout

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/traffic"
)

func mustUnstructured(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPrimaryGetsItsOwnSelectorAndTheRevision(t *testing.T) {
	w := mustUnstructured(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews, namespace: prod, annotations: {team: a}}
spec:
  replicas: 9
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews, version: v2}}
    spec: {containers: [{name: app, image: nginx:1.26}]}
`)
	p, err := Primary(w, "abc", 2)
	if err != nil {
		t.Fatal(err)
	}
	sel, _, _ := unstructured.NestedStringMap(p.Object, "spec", "selector", "matchLabels")
	labels, _, _ := unstructured.NestedStringMap(p.Object, "spec", "template", "metadata", "labels")
	replicas, _, _ := unstructured.NestedInt64(p.Object, "spec", "replicas")
	switch {
	case p.GetName() != "reviews-primary":
		t.Errorf("name %s, want reviews-primary", p.GetName())
	case sel["app"] != "reviews-primary" || labels["app"] != "reviews-primary" || labels["version"] != "v2":
		t.Errorf("selector %v, pod labels %v: want app=reviews-primary on both, other labels kept", sel, labels)
	case p.GetAnnotations()[appsv1alpha1.RevisionAnnotation] != "abc" || p.GetAnnotations()["team"] != "a":
		t.Errorf("annotations %v: want the revision added, the rest kept", p.GetAnnotations())
	case replicas != 2:
		t.Errorf("replicas %d, want the cluster's 2", replicas)
	}
	if sel, _, _ := unstructured.NestedStringMap(w.Object, "spec", "selector", "matchLabels"); sel["app"] != "reviews" {
		t.Errorf("the workload itself was changed: selector %v", sel)
	}
	if _, err := Primary(mustUnstructured(t, "{apiVersion: apps/v1, kind: Deployment, metadata: {name: x}, spec: {}}"), "abc", 1); err == nil || !strings.Contains(err.Error(), "matchLabels") {
		t.Errorf("a workload without matchLabels: err %v, want one naming matchLabels", err)
	}
}

func TestServicesSelectPrimaryAndCanaryPods(t *testing.T) {
	svc := mustUnstructured(t, `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec:
  selector: {app: reviews, tier: web}
  ports: [{name: http, port: 9080, targetPort: 8080}]
  clusterIP: 10.0.0.1
`)
	p, c, err := Services(svc, map[string]string{"app": "reviews"})
	if err != nil {
		t.Fatal(err)
	}
	ps, _, _ := unstructured.NestedStringMap(p, "spec", "selector")
	cs, _, _ := unstructured.NestedStringMap(c, "spec", "selector")
	if ps["app"] != "reviews-primary" || ps["tier"] != "web" || cs["app"] != "reviews" {
		t.Errorf("primary selector %v, canary selector %v", ps, cs)
	}
	if _, ok, _ := unstructured.NestedString(p, "spec", "clusterIP"); ok {
		t.Errorf("the copy kept the hub Service's clusterIP")
	}
	ports, _, _ := unstructured.NestedSlice(c, "spec", "ports")
	if len(ports) != 1 || fmt.Sprint(ports[0].(map[string]any)["targetPort"]) != "8080" {
		t.Errorf("ports %v, want the Service's port mapping", ports)
	}
}

func TestRoutes(t *testing.T) {
	exact := "insider"
	for _, tc := range []struct {
		name            string
		routing         *appsv1alpha1.TrafficRoutingConfig
		weight          int
		matched, mirror bool
		want            []string
		notWant         []string
	}{
		{"canary at 30: primary 70, canary 30, both on the cluster's subset", &appsv1alpha1.TrafficRoutingConfig{TimeoutSeconds: 2}, 30, false, false,
			[]string{`"host":"reviews-primary.prod.svc.cluster.local","port":{"number":9080},"subset":"cluster-a"`, `"weight":70`, `"weight":30`, `"timeout":"2s"`}, []string{"match", "mirror"}},
		{"A/B sends matched requests to the canary", &appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 3, Match: []appsv1alpha1.HTTPMatchRequest{{Headers: map[string]appsv1alpha1.StringMatch{"x-user": {Exact: &exact}}}}}, 0, true, false,
			[]string{`"name":"canary-match"`, `"x-user":{"exact":"insider"}`, `"weight":100`}, nil},
		{"blue/green under test mirrors the canary", &appsv1alpha1.TrafficRoutingConfig{AnalysisTimes: 3}, 0, false, true,
			[]string{`"mirror":{"host":"reviews-canary.prod.svc.cluster.local"`, `"mirrorPercentage":{"value":100}`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &appsv1alpha1.RolloutSpec{ServiceName: "reviews", Port: 9080, RolloutPolicy: appsv1alpha1.RolloutPolicy{TrafficRouting: tc.routing}}
			vs, drs, err := Routes(spec, "prod", "cluster-a", tc.weight, tc.matched, tc.mirror)
			if err != nil {
				t.Fatal(err)
			}
			m, err := traffic.Manifest(vs)
			if err != nil {
				t.Fatal(err)
			}
			got := mustJSONString(t, m)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("VirtualService %s\nlacks %s", got, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("VirtualService %s\nhas %s", got, w)
				}
			}
			if len(drs) != 2 || drs[1].Spec.Subsets[0].Labels["topology.istio.io/cluster"] != "cluster-a" {
				t.Errorf("DestinationRules %v: want one per host with the cluster's subset", drs)
			}
		})
	}
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

func TestCanaryReplicasAndWeight(t *testing.T) {
	st := &appsv1alpha1.RolloutStatus{Phase: appsv1alpha1.PhaseProgressing, Clusters: []appsv1alpha1.ClusterRollout{
		{Name: "new"},
		{Name: "idle", Initialized: true, Phase: appsv1alpha1.ClusterPending, AppliedWeight: intp(0)},
		{Name: "draining", Initialized: true, Phase: appsv1alpha1.ClusterSucceeded, AppliedWeight: intp(30)},
		{Name: "testing", Initialized: true, Phase: appsv1alpha1.ClusterProgressing, CanaryWeight: 20},
		{Name: "promoting", Initialized: true, Phase: appsv1alpha1.ClusterPromoting, CanaryWeight: 50},
		{Name: "done", Initialized: true, Phase: appsv1alpha1.ClusterSucceeded, AppliedWeight: intp(0)},
	}}
	for _, tc := range []struct {
		cluster  string
		replicas int32
		weight   int
	}{
		{"unknown", 4, 100}, {"new", 4, 100}, {"idle", 0, 0}, {"testing", 4, 20}, {"promoting", 4, 50}, {"done", 0, 0},
		// The member still sends it 30%: the canary stays until that changes.
		{"draining", 4, 0},
	} {
		if got := CanaryReplicas(st, tc.cluster, 4); got != tc.replicas {
			t.Errorf("%s: canary replicas %d, want %d", tc.cluster, got, tc.replicas)
		}
		if got, _ := CanaryWeight(st, tc.cluster); got != tc.weight {
			t.Errorf("%s: canary weight %d, want %d", tc.cluster, got, tc.weight)
		}
	}
}
