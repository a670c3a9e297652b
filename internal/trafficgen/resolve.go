// Package trafficgen simulates the requests an Istio mesh would carry across
// the members of a fleet, without a data plane: it reads each member's
// VirtualServices, DestinationRules, Services and Deployments, works out where
// each request would go (Resolve, a pure function), and emits the metrics
// Istio's sidecars report (istio_requests_total,
// istio_request_duration_milliseconds) so Prometheus, and every rollout
// decision built on it, sees traffic follow the weights.
package trafficgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// ClusterLabel is Istio's endpoint label naming the cluster of a pod. It is
// not a pod label: a subset that selects it sends requests to that member.
const ClusterLabel = "topology.istio.io/cluster"

// VersionLabel is the pod label Istio reports as destination_version.
const VersionLabel = "version"

// Unknown is what Istio reports for a label it cannot find.
const Unknown = "unknown"

// Cluster is what one member holds, as the generator lists it.
type Cluster struct {
	Name             string
	VirtualServices  []*networkingv1.VirtualService
	DestinationRules []*networkingv1.DestinationRule
	Services         []*corev1.Service
	Deployments      []*appsv1.Deployment
}

// Options tune the resolution.
type Options struct {
	// RPS is the requests per second each VirtualService receives in each
	// source cluster.
	RPS float64
	// MatchShare is the share of requests that carry the header or cookie
	// of each route with a match, in route order; the first route without a
	// match takes what is left.
	MatchShare float64
}

// Flow is one stream of requests: from a source cluster, through one route
// and destination of a VirtualService, to one workload (or to a 503 when no
// ready workload serves the destination).
type Flow struct {
	SourceCluster string `json:"sourceCluster"`
	// VirtualService is namespace/name.
	VirtualService string `json:"virtualService"`
	// Route is the HTTP route's name, else its index as "http[i]".
	Route string `json:"route"`
	Match bool   `json:"match,omitempty"`
	// Mirror: a copy of the route's requests sent to its mirror.
	Mirror      bool        `json:"mirror,omitempty"`
	Destination Destination `json:"destination"`
	// Weight is the destination's weight in its route.
	Weight int32 `json:"weight"`
	// Share is the fraction of the VirtualService's requests in this flow.
	Share float64 `json:"share"`
	RPS   float64 `json:"rps"`

	// Service is the destination Service's FQDN; ServiceName and
	// ServiceNamespace its parts.
	Service          string `json:"service"`
	ServiceName      string `json:"serviceName"`
	ServiceNamespace string `json:"serviceNamespace"`
	// Cluster is the member whose pods serve the requests.
	Cluster string `json:"cluster"`
	// Workload is the serving Deployment ("unknown" when none matches).
	Workload          string `json:"workload"`
	WorkloadNamespace string `json:"workloadNamespace"`
	Version           string `json:"version"`
	// ResponseCode is 503 when nothing can serve the requests (Envoy's
	// "no healthy upstream"), else 0: the workload answers (200, or 500
	// at the rate of a fault).
	ResponseCode int `json:"responseCode,omitempty"`
	// Reason says why a flow fails with 503.
	Reason string `json:"reason,omitempty"`
}

// Destination is a route destination as written in the VirtualService.
type Destination struct {
	Host   string `json:"host"`
	Subset string `json:"subset,omitempty"`
}

// Key identifies a flow across ticks, so request counts carry over.
func (f Flow) Key() string {
	return strings.Join([]string{f.SourceCluster, f.VirtualService, f.Route, f.Destination.Host, f.Destination.Subset, f.Cluster, f.WorkloadNamespace, f.Workload}, "|")
}

// Resolve turns what the members hold into flows. Every VirtualService in a
// member sends opts.RPS requests per second that originate in that member.
// Flows come out in a stable order: clusters, VirtualServices (namespace,
// name), routes and destinations in their written order, workloads by name.
func Resolve(clusters []Cluster, opts Options) []Flow {
	byName := make(map[string]*index, len(clusters))
	names := make([]string, 0, len(clusters))
	for i := range clusters {
		byName[clusters[i].Name] = newIndex(&clusters[i])
		names = append(names, clusters[i].Name)
	}
	slices.Sort(names)
	var out []Flow
	for _, src := range names {
		idx := byName[src]
		vss := slices.Clone(idx.c.VirtualServices)
		slices.SortFunc(vss, func(a, b *networkingv1.VirtualService) int {
			return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
		})
		for _, vs := range vss {
			out = append(out, resolveVirtualService(src, vs, byName, opts)...)
		}
	}
	return out
}

// routeShares gives each HTTP route its share of a VirtualService's requests:
// MatchShare for each route with a match before the first route without
// one, the rest to that first route, nothing to the routes after it (Envoy
// stops at the first route that matches, and a route without match matches
// everything).
func routeShares(n int, hasMatch func(int) bool, matchShare float64) []float64 {
	shares := make([]float64, n)
	left := 1.0
	for i := range n {
		if hasMatch(i) {
			s := min(matchShare, left)
			shares[i] = s
			left -= s
			continue
		}
		shares[i] = left
		break
	}
	return shares
}

func resolveVirtualService(src string, vs *networkingv1.VirtualService, clusters map[string]*index, opts Options) []Flow {
	routes := vs.Spec.GetHttp()
	shares := routeShares(len(routes), func(i int) bool { return len(routes[i].GetMatch()) > 0 }, opts.MatchShare)
	var out []Flow
	for i, r := range routes {
		if shares[i] <= 0 {
			continue
		}
		name := r.GetName()
		if name == "" {
			name = "http[" + strconv.Itoa(i) + "]"
		}
		dests := r.GetRoute()
		weights := destinationWeights(dests)
		for j, d := range dests {
			share := shares[i] * weights[j]
			if share <= 0 {
				continue
			}
			base := Flow{
				SourceCluster:  src,
				VirtualService: vs.Namespace + "/" + vs.Name,
				Route:          name,
				Match:          len(r.GetMatch()) > 0,
				Destination:    Destination{Host: d.GetDestination().GetHost(), Subset: d.GetDestination().GetSubset()},
				Weight:         d.GetWeight(),
			}
			for _, f := range resolveDestination(base, vs.Namespace, clusters) {
				f.Share *= share
				f.RPS = f.Share * opts.RPS
				out = append(out, f)
			}
		}
		// A mirrored route also sends (a percentage of) its requests to the
		// mirror; Envoy does not wait for those answers, but the mirror's
		// sidecar reports them like any request.
		if m := r.GetMirror(); m != nil {
			pct := 100.0
			if p := r.GetMirrorPercentage(); p != nil {
				pct = p.GetValue()
			}
			base := Flow{
				SourceCluster: src, VirtualService: vs.Namespace + "/" + vs.Name, Route: name + "/mirror",
				Match: len(r.GetMatch()) > 0, Destination: Destination{Host: m.GetHost(), Subset: m.GetSubset()},
			}
			for _, f := range resolveDestination(base, vs.Namespace, clusters) {
				f.Mirror = true
				f.Share *= shares[i] * pct / 100
				f.RPS = f.Share * opts.RPS
				out = append(out, f)
			}
		}
	}
	return out
}

// destinationWeights are the fractions of a route's requests each
// destination gets: a lone destination takes all, otherwise each its weight
// over the sum (Istio's rule); weights all zero split evenly.
func destinationWeights(dests []*networkingv1alpha3.HTTPRouteDestination) []float64 {
	out := make([]float64, len(dests))
	if len(dests) == 1 {
		out[0] = 1
		return out
	}
	var sum float64
	for _, d := range dests {
		sum += float64(max(d.GetWeight(), 0))
	}
	for i, d := range dests {
		if sum == 0 {
			out[i] = 1 / float64(len(dests))
		} else {
			out[i] = float64(max(d.GetWeight(), 0)) / sum
		}
	}
	return out
}

// resolveDestination finds the Service, subset and ready Deployments behind
// one destination. Shares of the returned flows sum to 1.
func resolveDestination(f Flow, vsNamespace string, clusters map[string]*index) []Flow {
	f.Share = 1
	f.Cluster = f.SourceCluster
	f.Workload, f.Version = Unknown, Unknown
	name, ns, ok := serviceName(f.Destination.Host, vsNamespace)
	if !ok {
		return []Flow{fail(f, fmt.Sprintf("host %q is not a Service of the mesh (want name, name.namespace or name.namespace.svc.cluster.local)", f.Destination.Host))}
	}
	f.ServiceName, f.ServiceNamespace = name, ns
	f.Service = name + "." + ns + ".svc.cluster.local"
	f.WorkloadNamespace = ns
	src := clusters[f.SourceCluster]

	labels := map[string]string{}
	if f.Destination.Subset != "" {
		// istiod looks in the client's namespace first, then the Service's.
		dr := src.destinationRule(vsNamespace, f.Service)
		if dr == nil {
			dr = src.destinationRule(ns, f.Service)
		}
		if dr == nil {
			return []Flow{fail(f, fmt.Sprintf("subset %q: no DestinationRule for host %s in namespace %s or %s of %s", f.Destination.Subset, f.Service, vsNamespace, ns, f.SourceCluster))}
		}
		var found bool
		for _, s := range dr.Spec.GetSubsets() {
			if s.GetName() == f.Destination.Subset {
				found = true
				for k, v := range s.GetLabels() {
					labels[k] = v
				}
			}
		}
		if !found {
			return []Flow{fail(f, fmt.Sprintf("DestinationRule %s/%s in %s has no subset %q", dr.Namespace, dr.Name, f.SourceCluster, f.Destination.Subset))}
		}
	}
	if c, ok := labels[ClusterLabel]; ok {
		f.Cluster = c
		delete(labels, ClusterLabel)
	}
	dst, ok := clusters[f.Cluster]
	if !ok {
		return []Flow{fail(f, fmt.Sprintf("subset %q sends requests to cluster %q, which is not a member", f.Destination.Subset, f.Cluster))}
	}
	// The mesh knows the host from any member's registry; the pods that
	// serve it are the destination cluster's.
	svc := dst.service(name, ns)
	if svc == nil {
		svc = src.service(name, ns)
	}
	if svc == nil {
		return []Flow{fail(f, fmt.Sprintf("no Service %s/%s in %s or %s", ns, name, f.Cluster, f.SourceCluster))}
	}
	if len(svc.Spec.Selector) == 0 {
		return []Flow{fail(f, fmt.Sprintf("Service %s/%s has no selector, so no endpoints", ns, name))}
	}
	for k, v := range svc.Spec.Selector {
		if _, set := labels[k]; !set {
			labels[k] = v
		}
	}
	var matched, ready []*appsv1.Deployment
	for _, d := range dst.deployments(ns) {
		if !hasLabels(d.Spec.Template.Labels, labels) {
			continue
		}
		matched = append(matched, d)
		if d.Status.ReadyReplicas > 0 {
			ready = append(ready, d)
		}
	}
	if len(ready) == 0 {
		reason := fmt.Sprintf("no ready pod in %s matches %s", f.Cluster, formatLabels(labels))
		if len(matched) == 0 {
			return []Flow{fail(f, reason)}
		}
		// The workloads exist but serve nothing: their requests fail, and
		// are reported against them so a canary that is not ready fails its
		// analysis instead of having no data.
		out := make([]Flow, 0, len(matched))
		for _, d := range matched {
			g := fail(f, reason+" ("+d.Name+" has 0 ready replicas)")
			g.Workload, g.Version = d.Name, version(d)
			g.Share = 1 / float64(len(matched))
			out = append(out, g)
		}
		return out
	}
	// Pods are load-balanced: each workload gets its share of ready pods.
	var total int32
	for _, d := range ready {
		total += d.Status.ReadyReplicas
	}
	out := make([]Flow, 0, len(ready))
	for _, d := range ready {
		g := f
		g.Workload, g.Version = d.Name, version(d)
		g.Share = float64(d.Status.ReadyReplicas) / float64(total)
		out = append(out, g)
	}
	return out
}

func fail(f Flow, reason string) Flow {
	f.ResponseCode = 503
	f.Reason = reason
	return f
}

func version(d *appsv1.Deployment) string {
	if v := d.Spec.Template.Labels[VersionLabel]; v != "" {
		return v
	}
	return Unknown
}

// serviceName splits a destination host into a Service name and namespace:
// "name" (in the VirtualService's namespace), "name.ns", "name.ns.svc" or
// "name.ns.svc.cluster.local".
func serviceName(host, defaultNamespace string) (name, ns string, ok bool) {
	parts := strings.Split(host, ".")
	switch {
	case host == "" || strings.Contains(host, "*"):
		return "", "", false
	case len(parts) == 1:
		return parts[0], defaultNamespace, true
	case len(parts) == 2:
		return parts[0], parts[1], true
	case len(parts) == 3 && parts[2] == "svc":
		return parts[0], parts[1], true
	case len(parts) == 5 && parts[2] == "svc" && parts[3] == "cluster" && parts[4] == "local":
		return parts[0], parts[1], true
	}
	return "", "", false
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func formatLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// index looks objects of one cluster up by name.
type index struct {
	c        *Cluster
	services map[string]*corev1.Service
	// rules maps a DestinationRule's host FQDN to the rule, per namespace.
	rules       map[string]*networkingv1.DestinationRule
	byNamespace map[string][]*appsv1.Deployment
}

func newIndex(c *Cluster) *index {
	x := &index{c: c, services: map[string]*corev1.Service{}, rules: map[string]*networkingv1.DestinationRule{}, byNamespace: map[string][]*appsv1.Deployment{}}
	for _, s := range c.Services {
		x.services[s.Namespace+"/"+s.Name] = s
	}
	// Oldest rule first wins, as istiod merges them; ties by name.
	drs := slices.Clone(c.DestinationRules)
	slices.SortFunc(drs, func(a, b *networkingv1.DestinationRule) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, dr := range drs {
		name, ns, ok := serviceName(dr.Spec.GetHost(), dr.Namespace)
		if !ok {
			continue
		}
		key := dr.Namespace + "|" + name + "." + ns + ".svc.cluster.local"
		if _, seen := x.rules[key]; !seen {
			x.rules[key] = dr
		}
	}
	for _, d := range c.Deployments {
		x.byNamespace[d.Namespace] = append(x.byNamespace[d.Namespace], d)
	}
	for _, ds := range x.byNamespace {
		slices.SortFunc(ds, func(a, b *appsv1.Deployment) int { return strings.Compare(a.Name, b.Name) })
	}
	return x
}

func (x *index) service(name, ns string) *corev1.Service { return x.services[ns+"/"+name] }

// destinationRule is the rule for host fqdn defined in namespace ns.
func (x *index) destinationRule(ns, fqdn string) *networkingv1.DestinationRule {
	return x.rules[ns+"|"+fqdn]
}

func (x *index) deployments(ns string) []*appsv1.Deployment { return x.byNamespace[ns] }
