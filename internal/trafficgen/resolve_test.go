package trafficgen

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type dest struct {
	host, subset string
	weight       int32
}

type route struct {
	name  string
	match bool
	dests []dest
}

func virtualService(ns, name string, routes ...route) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, r := range routes {
		h := &networkingv1alpha3.HTTPRoute{Name: r.name}
		if r.match {
			h.Match = []*networkingv1alpha3.HTTPMatchRequest{{Headers: map[string]*networkingv1alpha3.StringMatch{
				"x-canary": {MatchType: &networkingv1alpha3.StringMatch_Exact{Exact: "insider"}},
			}}}
		}
		for _, d := range r.dests {
			h.Route = append(h.Route, &networkingv1alpha3.HTTPRouteDestination{
				Destination: &networkingv1alpha3.Destination{Host: d.host, Subset: d.subset}, Weight: d.weight,
			})
		}
		vs.Spec.Http = append(vs.Spec.Http, h)
	}
	return vs
}

func destinationRule(ns, name, host string, subsets map[string]map[string]string) *networkingv1.DestinationRule {
	dr := &networkingv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	dr.Spec.Host = host
	for _, n := range sortedKeys(subsets) {
		dr.Spec.Subsets = append(dr.Spec.Subsets, &networkingv1alpha3.Subset{Name: n, Labels: subsets[n]})
	}
	return dr
}

func service(ns, name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Selector: selector}}
}

func deployment(ns, name string, ready int32, labels map[string]string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	d.Spec.Template.Labels = labels
	d.Status.ReadyReplicas = ready
	return d
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// reviews is seed 001's example in one cluster: Service reviews, subsets
// v1/v2 on the version label, both versions ready.
func reviews(name string, v1Ready, v2Ready int32) Cluster {
	return Cluster{
		Name:             name,
		DestinationRules: []*networkingv1.DestinationRule{destinationRule("default", "reviews", "reviews", map[string]map[string]string{"v1": {"version": "v1"}, "v2": {"version": "v2"}})},
		Services:         []*corev1.Service{service("default", "reviews", map[string]string{"app": "reviews"})},
		Deployments: []*appsv1.Deployment{
			deployment("default", "reviews-v1", v1Ready, map[string]string{"app": "reviews", "version": "v1"}),
			deployment("default", "reviews-v2", v2Ready, map[string]string{"app": "reviews", "version": "v2"}),
		},
	}
}

// summary is a flow reduced to what the cases check.
func summary(f Flow) string {
	s := fmt.Sprintf("%s->%s/%s@%s %.3f", f.SourceCluster, f.WorkloadNamespace, f.Workload, f.Cluster, f.Share)
	if f.ResponseCode != 0 {
		s += fmt.Sprintf(" %d", f.ResponseCode)
	}
	return s
}

func TestResolve(t *testing.T) {
	split := func(host1, host2 string) *networkingv1.VirtualService {
		return virtualService("default", "reviews-route", route{dests: []dest{{host1, "v1", 90}, {host2, "v2", 10}}})
	}
	withVS := func(c Cluster, vs ...*networkingv1.VirtualService) Cluster {
		c.VirtualServices = vs
		return c
	}
	tests := []struct {
		name     string
		clusters []Cluster
		want     []string
		// reason, when set, must appear in the first failing flow's Reason.
		reason string
	}{
		{
			name:     "90/10 by subsets goes 90% to reviews-v1 and 10% to reviews-v2 in the source cluster",
			clusters: []Cluster{withVS(reviews("a", 2, 1), split("reviews", "reviews"))},
			want:     []string{"a->default/reviews-v1@a 0.900", "a->default/reviews-v2@a 0.100"},
		},
		{
			name: "a mirrored route also sends 100% of its requests to the mirror (blue/green's canary)",
			clusters: []Cluster{withVS(reviews("a", 2, 1), func() *networkingv1.VirtualService {
				vs := virtualService("default", "reviews", route{dests: []dest{{"reviews", "v1", 100}, {"reviews", "v2", 0}}})
				vs.Spec.Http[0].Mirror = &networkingv1alpha3.Destination{Host: "reviews", Subset: "v2"}
				return vs
			}())},
			want: []string{"a->default/reviews-v1@a 1.000", "a->default/reviews-v2@a 1.000"},
		},
		{
			name: "mirrorPercentage scales the mirrored share",
			clusters: []Cluster{withVS(reviews("a", 2, 1), func() *networkingv1.VirtualService {
				vs := virtualService("default", "reviews", route{dests: []dest{{"reviews", "v1", 100}}})
				vs.Spec.Http[0].Mirror = &networkingv1alpha3.Destination{Host: "reviews", Subset: "v2"}
				vs.Spec.Http[0].MirrorPercentage = &networkingv1alpha3.Percent{Value: 25}
				return vs
			}())},
			want: []string{"a->default/reviews-v1@a 1.000", "a->default/reviews-v2@a 0.250"},
		},
		{
			name: "short, namespaced and FQDN hosts name the same Service",
			clusters: []Cluster{withVS(reviews("a", 1, 1),
				split("reviews.default", "reviews.default.svc.cluster.local"))},
			want: []string{"a->default/reviews-v1@a 0.900", "a->default/reviews-v2@a 0.100"},
		},
		{
			name: "each VirtualService of each member is a source of its own",
			clusters: []Cluster{
				withVS(reviews("b", 1, 1), split("reviews", "reviews")),
				withVS(reviews("a", 1, 1), split("reviews", "reviews")),
			},
			want: []string{"a->default/reviews-v1@a 0.900", "a->default/reviews-v2@a 0.100", "b->default/reviews-v1@b 0.900", "b->default/reviews-v2@b 0.100"},
		},
		{
			name: "a subset on topology.istio.io/cluster sends its share to that member's pods",
			clusters: []Cluster{
				func() Cluster {
					c := reviews("a", 1, 0)
					c.DestinationRules = []*networkingv1.DestinationRule{destinationRule("default", "reviews", "reviews", map[string]map[string]string{
						"a": {ClusterLabel: "a"}, "b": {ClusterLabel: "b"},
					})}
					c.VirtualServices = []*networkingv1.VirtualService{virtualService("default", "reviews", route{dests: []dest{{"reviews", "a", 80}, {"reviews", "b", 20}}})}
					c.Deployments = c.Deployments[:1]
					return c
				}(),
				func() Cluster { c := reviews("b", 0, 3); c.Deployments = c.Deployments[1:]; return c }(),
			},
			want: []string{"a->default/reviews-v1@a 0.800", "a->default/reviews-v2@b 0.200"},
		},
		{
			name:     "a subset whose workload has no ready replica fails with 503, reported against that workload",
			clusters: []Cluster{withVS(reviews("a", 2, 0), split("reviews", "reviews"))},
			want:     []string{"a->default/reviews-v1@a 0.900", "a->default/reviews-v2@a 0.100 503"},
			reason:   "reviews-v2 has 0 ready replicas",
		},
		{
			name: "a subset no Deployment matches fails with 503 to workload unknown",
			clusters: []Cluster{withVS(func() Cluster { c := reviews("a", 2, 1); c.Deployments = c.Deployments[:1]; return c }(),
				split("reviews", "reviews"))},
			want:   []string{"a->default/reviews-v1@a 0.900", "a->default/unknown@a 0.100 503"},
			reason: "no ready pod in a matches {app=reviews,version=v2}",
		},
		{
			name: "a subset missing from the DestinationRule fails with 503 naming the rule",
			clusters: []Cluster{withVS(reviews("a", 1, 1),
				virtualService("default", "r", route{dests: []dest{{"reviews", "v1", 50}, {"reviews", "v3", 50}}}))},
			want:   []string{"a->default/reviews-v1@a 0.500", "a->default/unknown@a 0.500 503"},
			reason: `DestinationRule default/reviews in a has no subset "v3"`,
		},
		{
			name: "a host that is not a Service fails with 503",
			clusters: []Cluster{withVS(reviews("a", 1, 1),
				virtualService("default", "r", route{dests: []dest{{"ratings", "", 0}}}))},
			want:   []string{"a->default/unknown@a 1.000 503"},
			reason: "no Service default/ratings",
		},
		{
			name: "without subsets, the Service's pods share requests by ready replicas",
			clusters: []Cluster{withVS(reviews("a", 3, 1),
				virtualService("default", "r", route{dests: []dest{{"reviews", "", 0}}}))},
			want: []string{"a->default/reviews-v1@a 0.750", "a->default/reviews-v2@a 0.250"},
		},
		{
			name: "a route with match takes the match share, the first route without match the rest, later routes nothing",
			clusters: []Cluster{withVS(reviews("a", 1, 1),
				virtualService("default", "ab",
					route{name: "insiders", match: true, dests: []dest{{"reviews", "v2", 100}}},
					route{name: "everyone", dests: []dest{{"reviews", "v1", 100}}},
					route{name: "never", dests: []dest{{"reviews", "v2", 100}}},
				))},
			want: []string{"a->default/reviews-v2@a 0.100", "a->default/reviews-v1@a 0.900"},
		},
		{
			name: "a destination with weight 0 next to another gets nothing",
			clusters: []Cluster{withVS(reviews("a", 1, 1),
				virtualService("default", "r", route{dests: []dest{{"reviews", "v1", 100}, {"reviews", "v2", 0}}}))},
			want: []string{"a->default/reviews-v1@a 1.000"},
		},
		{
			name: "the DestinationRule of another namespace for the same host is not used",
			clusters: []Cluster{withVS(func() Cluster {
				c := reviews("a", 1, 1)
				c.DestinationRules[0].Namespace = "other"
				return c
			}(), split("reviews", "reviews"))},
			want:   []string{"a->default/unknown@a 0.900 503", "a->default/unknown@a 0.100 503"},
			reason: `subset "v1": no DestinationRule for host reviews.default.svc.cluster.local`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flows := Resolve(tt.clusters, Options{RPS: 20, MatchShare: 0.1})
			var got []string
			var total float64
			reason := ""
			for _, f := range flows {
				got = append(got, summary(f))
				if f.SourceCluster == flows[0].SourceCluster && f.VirtualService == flows[0].VirtualService && !f.Mirror {
					total += f.Share
				}
				if math.Abs(f.RPS-20*f.Share) > 1e-9 {
					t.Errorf("flow %s: rps %v, want 20 × share %v", summary(f), f.RPS, f.Share)
				}
				if f.ResponseCode != 0 && reason == "" {
					reason = f.Reason
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("flows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(flows) > 0 && math.Abs(total-1) > 1e-9 {
				t.Errorf("shares of %s (mirrors aside) sum to %v, want 1", flows[0].VirtualService, total)
			}
			if tt.reason != "" && !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", reason, tt.reason)
			}
		})
	}
}

func TestServiceName(t *testing.T) {
	tests := []struct {
		host, name, ns string
		ok             bool
	}{
		{"reviews", "reviews", "vsns", true},
		{"reviews.prod", "reviews", "prod", true},
		{"reviews.prod.svc", "reviews", "prod", true},
		{"reviews.prod.svc.cluster.local", "reviews", "prod", true},
		{"*.prod.svc.cluster.local", "", "", false},
		{"www.example.com", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q is name %q namespace %q ok %v", tt.host, tt.name, tt.ns, tt.ok), func(t *testing.T) {
			name, ns, ok := serviceName(tt.host, "vsns")
			if name != tt.name || ns != tt.ns || ok != tt.ok {
				t.Errorf("got %q %q %v", name, ns, ok)
			}
		})
	}
}
