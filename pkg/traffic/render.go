package traffic

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istioapi "istio.io/api/networking/v1"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
)

// ManagedByLabel marks the Istio objects the hub writes.
const ManagedByLabel = "app.kubernetes.io/managed-by"

// Host is the FQDN of a Service: <service>.<namespace>.svc.cluster.local.
func Host(namespace, service string) string {
	return service + "." + namespace + ".svc.cluster.local"
}

// Render returns the VirtualService and DestinationRule of a TrafficPolicy,
// the same for every member: both named after the Service, one route with a
// destination per cluster (subset = cluster name; zero weights kept, so every
// cluster is listed) and one subset per cluster on topology.istio.io/cluster.
// weights must sum to 100 (Weights guarantees it); Render refuses otherwise,
// because Istio would refuse the VirtualService.
func Render(tp *networkingv1alpha1.TrafficPolicy, weights []networkingv1alpha1.ClusterWeight) (*istionet.VirtualService, *istionet.DestinationRule, error) {
	spec := &tp.Spec
	var sum int32
	for _, w := range weights {
		sum += w.Weight
	}
	if len(weights) == 0 || sum != 100 {
		return nil, nil, fmt.Errorf("TrafficPolicy %s/%s: weights %v sum to %d, not 100", tp.Namespace, tp.Name, weights, sum)
	}
	host := Host(tp.Namespace, spec.Service)
	meta := metav1.ObjectMeta{
		Name:      spec.Service,
		Namespace: tp.Namespace,
		Labels: map[string]string{
			ManagedByLabel:                 "kurator",
			networkingv1alpha1.PolicyLabel: networkingv1alpha1.PolicyLabelValue(tp.Namespace, tp.Name),
		},
	}

	route := &istioapi.HTTPRoute{Name: "clusters"}
	for _, w := range weights {
		d := &istioapi.HTTPRouteDestination{
			Destination: &istioapi.Destination{Host: host, Subset: w.Cluster},
			Weight:      w.Weight,
		}
		if spec.Port != nil {
			d.Destination.Port = &istioapi.PortSelector{Number: uint32(*spec.Port)}
		}
		route.Route = append(route.Route, d)
	}
	if spec.Timeout != "" {
		d, err := parseDuration(tp, "spec.timeout", spec.Timeout)
		if err != nil {
			return nil, nil, err
		}
		route.Timeout = d
	}
	if r := spec.Retries; r != nil {
		route.Retries = &istioapi.HTTPRetry{Attempts: r.Attempts, RetryOn: r.RetryOn}
		if r.PerTryTimeout != "" {
			d, err := parseDuration(tp, "spec.retries.perTryTimeout", r.PerTryTimeout)
			if err != nil {
				return nil, nil, err
			}
			route.Retries.PerTryTimeout = d
		}
	}
	hosts := spec.Hosts
	if len(hosts) == 0 {
		hosts = []string{host}
	}
	vs := &istionet.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: istionet.SchemeGroupVersion.String(), Kind: "VirtualService"},
		ObjectMeta: *meta.DeepCopy(),
		Spec: istioapi.VirtualService{
			Hosts:    hosts,
			Gateways: spec.Gateways,
			Http:     []*istioapi.HTTPRoute{route},
		},
	}

	od, err := outlierDetection(tp)
	if err != nil {
		return nil, nil, err
	}
	locality := &istioapi.LocalityLoadBalancerSetting{Enabled: wrapperspb.Bool(true)}
	for _, f := range spec.Failover {
		locality.Failover = append(locality.Failover, &istioapi.LocalityLoadBalancerSetting_Failover{From: f.From, To: f.To})
	}
	dr := &istionet.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: istionet.SchemeGroupVersion.String(), Kind: "DestinationRule"},
		ObjectMeta: *meta.DeepCopy(),
		Spec: istioapi.DestinationRule{
			Host: host,
			TrafficPolicy: &istioapi.TrafficPolicy{
				LoadBalancer:     &istioapi.LoadBalancerSettings{LocalityLbSetting: locality},
				OutlierDetection: od,
			},
		},
	}
	for _, w := range weights {
		dr.Spec.Subsets = append(dr.Spec.Subsets, &istioapi.Subset{
			Name:   w.Cluster,
			Labels: map[string]string{networkingv1alpha1.TopologyClusterLabel: w.Cluster},
		})
	}
	return vs, dr, nil
}

// outlierDetection is spec.outlierDetection with its defaults (on by
// default: without it Istio never marks an endpoint unhealthy and locality
// failover never happens).
func outlierDetection(tp *networkingv1alpha1.TrafficPolicy) (*istioapi.OutlierDetection, error) {
	consecutive := int32(networkingv1alpha1.DefaultConsecutive5xxErrors)
	interval, ejection := networkingv1alpha1.DefaultOutlierInterval, networkingv1alpha1.DefaultBaseEjectionTime
	maxPercent := int32(networkingv1alpha1.DefaultMaxEjectionPercent)
	if o := tp.Spec.OutlierDetection; o != nil {
		if o.Consecutive5xxErrors != nil {
			consecutive = *o.Consecutive5xxErrors
		}
		if o.Interval != "" {
			interval = o.Interval
		}
		if o.BaseEjectionTime != "" {
			ejection = o.BaseEjectionTime
		}
		if o.MaxEjectionPercent != nil {
			maxPercent = *o.MaxEjectionPercent
		}
	}
	iv, err := parseDuration(tp, "spec.outlierDetection.interval", interval)
	if err != nil {
		return nil, err
	}
	ej, err := parseDuration(tp, "spec.outlierDetection.baseEjectionTime", ejection)
	if err != nil {
		return nil, err
	}
	return &istioapi.OutlierDetection{
		Consecutive_5XxErrors: wrapperspb.UInt32(uint32(max(consecutive, 0))),
		Interval:              iv,
		BaseEjectionTime:      ej,
		MaxEjectionPercent:    maxPercent,
	}, nil
}

func parseDuration(tp *networkingv1alpha1.TrafficPolicy, field, s string) (*durationpb.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("TrafficPolicy %s/%s: %s %q is not a duration; write one like 5s or 1m30s", tp.Namespace, tp.Name, field, s)
	}
	return durationpb.New(d), nil
}

// Manifest turns a rendered Istio object into a plain JSON object for a
// Work: the protobuf specs marshal with their own JSON (field names as Istio
// documents them, zero values left out), and the empty status and creation
// timestamp are dropped so server-side apply does not claim them.
func Manifest(obj any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshal %T: %w", obj, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("unmarshal %T: %w", obj, err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return m, nil
}
