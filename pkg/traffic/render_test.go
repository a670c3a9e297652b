package traffic

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
)

func policy(spec networkingv1alpha1.TrafficPolicySpec) *networkingv1alpha1.TrafficPolicy {
	return &networkingv1alpha1.TrafficPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "bookinfo", Name: "reviews-traffic"}, Spec: spec}
}

func cw(pairs ...any) []networkingv1alpha1.ClusterWeight {
	var out []networkingv1alpha1.ClusterWeight
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, networkingv1alpha1.ClusterWeight{Cluster: pairs[i].(string), Weight: int32(pairs[i+1].(int))})
	}
	return out
}

// The manifests as a member receives them: the VirtualService routes to one
// subset per cluster with the weights (a zero weight is left out by Istio's
// JSON, the destination stays), the DestinationRule has the subsets on
// topology.istio.io/cluster, locality failover and the default outlier
// detection.
func TestRenderDefaults(t *testing.T) {
	vs, dr, err := Render(policy(networkingv1alpha1.TrafficPolicySpec{Service: "reviews"}), cw("cluster-beijing", 0, "cluster-hangzhou", 40, "cluster-shanghai", 60))
	if err != nil {
		t.Fatal(err)
	}
	gotVS, err := Manifest(vs)
	if err != nil {
		t.Fatal(err)
	}
	gotDR, err := Manifest(dr)
	if err != nil {
		t.Fatal(err)
	}
	wantVS := `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
  labels: {app.kubernetes.io/managed-by: kurator, networking.kurator.dev/traffic-policy: bookinfo.reviews-traffic}
spec:
  hosts: [reviews.bookinfo.svc.cluster.local]
  http:
  - name: clusters
    route:
    - destination: {host: reviews.bookinfo.svc.cluster.local, subset: cluster-beijing}
    - destination: {host: reviews.bookinfo.svc.cluster.local, subset: cluster-hangzhou}
      weight: 40
    - destination: {host: reviews.bookinfo.svc.cluster.local, subset: cluster-shanghai}
      weight: 60
`
	wantDR := `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: bookinfo
  labels: {app.kubernetes.io/managed-by: kurator, networking.kurator.dev/traffic-policy: bookinfo.reviews-traffic}
spec:
  host: reviews.bookinfo.svc.cluster.local
  subsets:
  - {name: cluster-beijing, labels: {topology.istio.io/cluster: cluster-beijing}}
  - {name: cluster-hangzhou, labels: {topology.istio.io/cluster: cluster-hangzhou}}
  - {name: cluster-shanghai, labels: {topology.istio.io/cluster: cluster-shanghai}}
  trafficPolicy:
    loadBalancer:
      localityLbSetting: {enabled: true}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 100}
`
	sameYAML(t, "VirtualService", gotVS, wantVS)
	sameYAML(t, "DestinationRule", gotDR, wantDR)
}

func TestRenderPassThrough(t *testing.T) {
	spec := networkingv1alpha1.TrafficPolicySpec{
		Service:          "reviews",
		Port:             ptr.To[int32](9080),
		Hosts:            []string{"reviews", "reviews.example.com"},
		Gateways:         []string{"mesh", "bookinfo-gateway"},
		Timeout:          "5s",
		Retries:          &networkingv1alpha1.Retries{Attempts: 3, PerTryTimeout: "1.5s", RetryOn: "5xx,connect-failure"},
		OutlierDetection: &networkingv1alpha1.OutlierDetection{Consecutive5xxErrors: ptr.To[int32](2), Interval: "1m", MaxEjectionPercent: ptr.To[int32](50)},
		Failover:         []networkingv1alpha1.LocalityFailover{{From: "cn-east", To: "cn-north"}, {From: "cn-north", To: "cn-east"}},
	}
	vs, dr, err := Render(policy(spec), cw("a", 100))
	if err != nil {
		t.Fatal(err)
	}
	gotVS, _ := Manifest(vs)
	gotDR, _ := Manifest(dr)
	sameYAML(t, "VirtualService", gotVS, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
  labels: {app.kubernetes.io/managed-by: kurator, networking.kurator.dev/traffic-policy: bookinfo.reviews-traffic}
spec:
  hosts: [reviews, reviews.example.com]
  gateways: [mesh, bookinfo-gateway]
  http:
  - name: clusters
    timeout: 5s
    retries: {attempts: 3, perTryTimeout: 1.500s, retryOn: "5xx,connect-failure"}
    route:
    - destination: {host: reviews.bookinfo.svc.cluster.local, subset: a, port: {number: 9080}}
      weight: 100
`)
	sameYAML(t, "DestinationRule", gotDR, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: bookinfo
  labels: {app.kubernetes.io/managed-by: kurator, networking.kurator.dev/traffic-policy: bookinfo.reviews-traffic}
spec:
  host: reviews.bookinfo.svc.cluster.local
  subsets:
  - {name: a, labels: {topology.istio.io/cluster: a}}
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        enabled: true
        failover: [{from: cn-east, to: cn-north}, {from: cn-north, to: cn-east}]
    outlierDetection: {consecutive5xxErrors: 2, interval: 60s, baseEjectionTime: 30s, maxEjectionPercent: 50}
`)
}

func TestRenderRefuses(t *testing.T) {
	cases := []struct {
		name    string
		spec    networkingv1alpha1.TrafficPolicySpec
		weights []networkingv1alpha1.ClusterWeight
		want    string
	}{
		{"weights summing to 90 are refused (Istio would refuse the route)", networkingv1alpha1.TrafficPolicySpec{Service: "reviews"}, cw("a", 50, "b", 40), "sum to 90, not 100"},
		{"no weights are refused", networkingv1alpha1.TrafficPolicySpec{Service: "reviews"}, nil, "sum to 0, not 100"},
		{"a timeout that is not a duration names the field and the fix", networkingv1alpha1.TrafficPolicySpec{Service: "reviews", Timeout: "soon"}, cw("a", 100), `spec.timeout "soon" is not a duration; write one like 5s`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Render(policy(c.spec), c.weights)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "TrafficPolicy bookinfo/reviews-traffic") {
				t.Errorf("error %q does not name the TrafficPolicy", err)
			}
		})
	}
}

func sameYAML(t *testing.T, what string, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := yaml.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	// Compare through JSON so numbers have one type on both sides.
	norm := func(v any) any {
		raw, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(raw, &out)
		return out
	}
	if !reflect.DeepEqual(norm(got), norm(w)) {
		g, _ := yaml.Marshal(got)
		t.Errorf("%s:\n%s\nwant:\n%s", what, g, want)
	}
}
