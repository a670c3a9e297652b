package rollout

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	istioapi "istio.io/api/networking/v1"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/traffic"
)

// Names of the objects a Rollout adds next to the workload in a member.
func PrimaryName(workload string) string { return workload + "-primary" }
func PrimaryService(svc string) string   { return svc + "-primary" }
func CanaryService(svc string) string    { return svc + "-canary" }

// primarySuffix marks the primary's selector label values, so the
// workload's own selector (the canary's) does not match primary pods.
const primarySuffix = "-primary"

// Find is a cluster's entry in status (nil when absent).
func Find(st *appsv1alpha1.RolloutStatus, cluster string) *appsv1alpha1.ClusterRollout {
	for i := range st.Clusters {
		if st.Clusters[i].Name == cluster {
			return &st.Clusters[i]
		}
	}
	return nil
}

// CanaryReplicas is how many replicas the workload itself gets in a
// cluster: all it was scheduled until the cluster's primary took over,
// all of them while its canary is being tested or promoted or has
// traffic (decided, or still applied in the member), and none otherwise. The binding controller renders the
// workload with it.
func CanaryReplicas(st *appsv1alpha1.RolloutStatus, cluster string, scheduled int32) int32 {
	c := Find(st, cluster)
	if c == nil || !c.Initialized || c.CanaryWeight > 0 || c.MatchedToCanary {
		return scheduled
	}
	// Routes and replicas reach the member separately: scale down only
	// once the member's routes send the canary nothing.
	if c.AppliedWeight == nil || *c.AppliedWeight > 0 || c.AppliedMatched {
		return scheduled
	}
	if st.Phase == appsv1alpha1.PhaseProgressing && (c.Phase == appsv1alpha1.ClusterProgressing || c.Phase == appsv1alpha1.ClusterPromoting) {
		return scheduled
	}
	return 0
}

// CanaryWeight is the canary's share of a cluster's traffic: all of it
// until the primary took over.
func CanaryWeight(st *appsv1alpha1.RolloutStatus, cluster string) (weight int, matched bool) {
	c := Find(st, cluster)
	if c == nil || !c.Initialized {
		return 100, false
	}
	return c.CanaryWeight, c.MatchedToCanary
}

// Primary turns the workload as rendered for a cluster (at the primary's
// revision) into its primary: renamed, its selector and pod labels given
// the -primary suffix, the revision annotated, and replicas set.
func Primary(workload *unstructured.Unstructured, revision string, replicas int32) (*unstructured.Unstructured, error) {
	p := workload.DeepCopy()
	p.SetName(PrimaryName(workload.GetName()))
	p.SetResourceVersion("")
	p.SetUID("")
	p.SetOwnerReferences(nil)
	ann := p.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	ann[appsv1alpha1.RevisionAnnotation] = revision
	p.SetAnnotations(ann)
	sel, found, err := unstructured.NestedStringMap(p.Object, "spec", "selector", "matchLabels")
	if err != nil || !found || len(sel) == 0 {
		return nil, fmt.Errorf("%s %s has no spec.selector.matchLabels; a rollout needs them to tell primary pods from canary pods", workload.GetKind(), workload.GetName())
	}
	labels, _, _ := unstructured.NestedStringMap(p.Object, "spec", "template", "metadata", "labels")
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range sel {
		sel[k] = v + primarySuffix
		labels[k] = v + primarySuffix
	}
	if err := unstructured.SetNestedStringMap(p.Object, sel, "spec", "selector", "matchLabels"); err != nil {
		return nil, err
	}
	if err := unstructured.SetNestedStringMap(p.Object, labels, "spec", "template", "metadata", "labels"); err != nil {
		return nil, err
	}
	if err := unstructured.SetNestedField(p.Object, int64(replicas), "spec", "replicas"); err != nil {
		return nil, err
	}
	unstructured.RemoveNestedField(p.Object, "status")
	return p, nil
}

// Services are "<svc>-primary" (selecting primary pods) and "<svc>-canary"
// (selecting the workload's own pods), copies of the workload's Service.
// primarySelector is the workload's selector: those keys get the suffix.
func Services(svc *unstructured.Unstructured, workloadSelector map[string]string) (primary, canary map[string]any, err error) {
	spec, _, err := unstructured.NestedMap(svc.Object, "spec")
	if err != nil {
		return nil, nil, fmt.Errorf("Service %s: %w", svc.GetName(), err)
	}
	sel, _, _ := unstructured.NestedStringMap(spec, "selector")
	make := func(name string, selector map[string]string) map[string]any {
		ports := []any{}
		if ps, ok := spec["ports"].([]any); ok {
			for _, p := range ps {
				if pm, ok := p.(map[string]any); ok {
					q := map[string]any{}
					for _, k := range []string{"name", "port", "targetPort", "protocol", "appProtocol"} {
						if v, ok := pm[k]; ok {
							q[k] = v
						}
					}
					ports = append(ports, q)
				}
			}
		}
		s := map[string]any{}
		for k, v := range selector {
			s[k] = v
		}
		return map[string]any{
			"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": name, "namespace": svc.GetNamespace(), "labels": map[string]any{traffic.ManagedByLabel: "kurator"}},
			"spec":     map[string]any{"type": "ClusterIP", "selector": s, "ports": ports},
		}
	}
	psel := map[string]string{}
	for k, v := range sel {
		if _, ok := workloadSelector[k]; ok {
			v += primarySuffix
		}
		psel[k] = v
	}
	return make(PrimaryService(svc.GetName()), psel), make(CanaryService(svc.GetName()), sel), nil
}

// Names of the VirtualService's HTTP routes: the main route splits by
// weight, the match route (A/B tests) sends the requests it matches to
// the canary. In both the canary is the second destination.
const (
	MainRoute  = "primary"
	MatchRoute = "canary-match"
)

// Routes are the VirtualService "<svc>" and the DestinationRules of the
// primary and canary hosts in one cluster. Each host gets the subset
// "<cluster>" on topology.istio.io/cluster: in a multi-primary mesh the
// canary host has endpoints in every cluster, and a cluster's canary must
// get only that cluster's share.
func Routes(spec *appsv1alpha1.RolloutSpec, namespace, cluster string, weight int, matched bool, mirror bool) (*istionet.VirtualService, []*istionet.DestinationRule, error) {
	svc := spec.ServiceName
	primaryHost, canaryHost := traffic.Host(namespace, PrimaryService(svc)), traffic.Host(namespace, CanaryService(svc))
	dest := func(host string, w int) *istioapi.HTTPRouteDestination {
		return &istioapi.HTTPRouteDestination{
			Destination: &istioapi.Destination{Host: host, Subset: cluster, Port: &istioapi.PortSelector{Number: uint32(spec.Port)}},
			Weight:      int32(w),
		}
	}
	route := func(w int) *istioapi.HTTPRoute {
		return &istioapi.HTTPRoute{Route: []*istioapi.HTTPRouteDestination{dest(primaryHost, 100-w), dest(canaryHost, w)}}
	}
	r := spec.RolloutPolicy.TrafficRouting
	main := route(weight)
	main.Name = MainRoute
	var http []*istioapi.HTTPRoute
	if r != nil && len(r.Match) > 0 {
		ab := route(0)
		if matched {
			ab = route(100)
		}
		ab.Name = MatchRoute
		for _, m := range r.Match {
			ab.Match = append(ab.Match, matchRequest(m))
		}
		http = append(http, ab)
	}
	if mirror {
		main.Mirror = &istioapi.Destination{Host: canaryHost, Subset: cluster, Port: &istioapi.PortSelector{Number: uint32(spec.Port)}}
		main.MirrorPercentage = &istioapi.Percent{Value: 100}
	}
	http = append(http, main)
	hosts := []string{svc}
	gateways := []string(nil)
	if r != nil {
		hosts = append(hosts, r.Hosts...)
		gateways = r.Gateways
		for _, h := range http {
			if r.TimeoutSeconds > 0 {
				h.Timeout = durationpb.New(time.Duration(r.TimeoutSeconds) * time.Second)
			}
			if rt := r.Retries; rt != nil {
				hr := &istioapi.HTTPRetry{Attempts: rt.Attempts, RetryOn: rt.RetryOn}
				if rt.PerTryTimeout != "" {
					d, err := time.ParseDuration(rt.PerTryTimeout)
					if err != nil {
						return nil, nil, fmt.Errorf("Rollout %s/%s: spec.rolloutPolicy.trafficRouting.retries.perTryTimeout %q is not a duration; write one like 2s", namespace, svc, rt.PerTryTimeout)
					}
					hr.PerTryTimeout = durationpb.New(d)
				}
				h.Retries = hr
			}
		}
	}
	labels := map[string]string{traffic.ManagedByLabel: "kurator"}
	vs := &istionet.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: metav1.ObjectMeta{Name: svc, Namespace: namespace, Labels: labels},
	}
	vs.Spec.Hosts = hosts
	vs.Spec.Gateways = gateways
	vs.Spec.Http = http
	var drs []*istionet.DestinationRule
	for _, name := range []string{PrimaryService(svc), CanaryService(svc)} {
		dr := &istionet.DestinationRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		}
		dr.Spec.Host = traffic.Host(namespace, name)
		dr.Spec.Subsets = []*istioapi.Subset{{Name: cluster, Labels: map[string]string{"topology.istio.io/cluster": cluster}}}
		drs = append(drs, dr)
	}
	return vs, drs, nil
}

func matchRequest(m appsv1alpha1.HTTPMatchRequest) *istioapi.HTTPMatchRequest {
	out := &istioapi.HTTPMatchRequest{}
	for k, v := range m.Headers {
		if out.Headers == nil {
			out.Headers = map[string]*istioapi.StringMatch{}
		}
		out.Headers[k] = stringMatch(v)
	}
	if m.URI != nil {
		out.Uri = stringMatch(*m.URI)
	}
	return out
}

func stringMatch(m appsv1alpha1.StringMatch) *istioapi.StringMatch {
	switch {
	case m.Exact != nil:
		return &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Exact{Exact: *m.Exact}}
	case m.Prefix != nil:
		return &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Prefix{Prefix: *m.Prefix}}
	case m.Regex != nil:
		return &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Regex{Regex: *m.Regex}}
	}
	return &istioapi.StringMatch{}
}
