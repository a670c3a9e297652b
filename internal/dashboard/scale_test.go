package dashboard

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

func scalePolicy(ns, name string) *autoscalingv1alpha1.ScalePolicy {
	threshold := int32(70)
	return &autoscalingv1alpha1.ScalePolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		ScalePolicySpec: autoscalingv1alpha1.ScalePolicySpec{
			TargetClusters: []string{"north-cluster", "south-cluster"},
			Trigger:        &autoscalingv1alpha1.ScaleTrigger{Type: "resource", Metric: "cpu", Threshold: &threshold},
			Action: &autoscalingv1alpha1.ScaleAction{NodePool: &autoscalingv1alpha1.NodePoolAction{Name: "worker-pool"},
				Deployment: &autoscalingv1alpha1.WorkloadAction{Name: "order-service", Replicas: intstr.FromInt32(30)}},
		},
		Status: autoscalingv1alpha1.ScalePolicyStatus{Phase: "ScaledOut", Executions: []autoscalingv1alpha1.ScaleExecution{{ID: 1, Direction: "Out", Result: "Failed",
			FailedPods: []string{"north-cluster/" + ns + "/order-service-x: ImagePullBackOff"}}}},
	}
}

func nodePool(cluster string) *autoscalingv1alpha1.NodePool {
	return &autoscalingv1alpha1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: cluster + "-worker-pool"},
		Spec: autoscalingv1alpha1.NodePoolSpec{Cluster: cluster, PoolName: "worker-pool", Replicas: 5, MinNodes: 2, MaxNodes: 5,
			Provider: autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}}},
		Status: autoscalingv1alpha1.NodePoolStatus{Provider: "kwok", Replicas: 5, ReadyReplicas: 5},
	}
}

// scaleServer is a dashboard over two ScalePolicies (shop and team-b) and
// the node pools of three clusters, for user "viewer" granted the reviews
// listed.
func scaleServer(t *testing.T, granted []string, unserved map[string]string) (http.Handler, string) {
	t.Helper()
	objs := []client.Object{
		scalePolicy("shop", "promo-scale-policy"), scalePolicy("team-b", "other"),
		nodePool("north-cluster"), nodePool("south-cluster"), nodePool("east-cluster"),
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "e1"}, InvolvedObject: corev1.ObjectReference{Kind: "ScalePolicy", Name: "promo-scale-policy"}, Reason: "ScaledOut"},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "e2"}, InvolvedObject: corev1.ObjectReference{Kind: "Rollout", Name: "promo-scale-policy"}, Reason: "Other"},
	}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).Build()
	if unserved == nil {
		unserved = map[string]string{}
	}
	s := &Server{opts: Options{ClusterNamespace: "kurator-system"}, store: &store{cache: readerCache{c: c}, unserved: unserved},
		auth: newAuthenticator(grants(granted...), "", identity{User: "admin"})}
	return s.routes(), s.auth.newSession(identity{User: "viewer"})
}

var shopScaler = []string{"list scalepolicies shop", "get scalepolicies shop", "list nodepools kurator-system", "list events shop"}

func TestScalePoliciesListShowsOnlyNamespacesTheUserMayList(t *testing.T) {
	h, sid := scaleServer(t, shopScaler, nil)
	var l dashboard.ScalePolicyList
	if code := get(t, h, sid, "/api/v1/scalepolicies", &l); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(l.Items) != 1 || l.Items[0].Namespace != "shop" || !slices.Equal(l.Namespaces, []string{"shop"}) {
		t.Fatalf("list %+v, want shop's policy only, and only shop as a choice", l)
	}
	if last := l.Items[0].Last; last == nil || last.Result != "Failed" || len(last.FailedPods) != 1 || last.FailedPods[0].Reason != "ImagePullBackOff" {
		t.Fatalf("last execution %+v, want the failed one with its pod", last)
	}
	var none dashboard.ScalePolicyList
	get(t, h, sid, "/api/v1/scalepolicies?namespace=team-b", &none)
	if none.Items == nil || len(none.Items) != 0 {
		t.Fatalf("team-b as the filter gave %+v, want an empty list (not null)", none.Items)
	}
}

func TestScalePolicyPage(t *testing.T) {
	cases := []struct {
		name    string
		granted []string
		path    string
		check   func(t *testing.T, code int, d dashboard.ScalePolicyDetail, e dashboard.Error)
	}{
		{"shows the pools it scales in its targets and only its own events", shopScaler, "/api/v1/scalepolicies/shop/promo-scale-policy",
			func(t *testing.T, code int, d dashboard.ScalePolicyDetail, _ dashboard.Error) {
				var pools []string
				for _, p := range d.NodePools {
					pools = append(pools, p.Cluster)
				}
				if code != http.StatusOK || strings.Join(pools, ",") != "north-cluster,south-cluster" || d.NodePoolsHidden != "" {
					t.Fatalf("%d, pools %v (hidden %q), want north and south, not east", code, pools, d.NodePoolsHidden)
				}
				if len(d.Events) != 1 || d.Events[0].Reason != "ScaledOut" {
					t.Fatalf("events %+v", d.Events)
				}
				if d.Summary.TriggerText != "cpu above 70% for 5m in north-cluster, south-cluster" {
					t.Fatalf("trigger %q", d.Summary.TriggerText)
				}
			}},
		{"without list on nodepools says why no pool shows", []string{"get scalepolicies shop"}, "/api/v1/scalepolicies/shop/promo-scale-policy",
			func(t *testing.T, code int, d dashboard.ScalePolicyDetail, _ dashboard.Error) {
				if code != http.StatusOK || len(d.NodePools) != 0 || !strings.Contains(d.NodePoolsHidden, "viewer may not list nodepools.autoscaling.kurator.dev in namespace kurator-system") {
					t.Fatalf("%d, pools %v, hidden %q", code, d.NodePools, d.NodePoolsHidden)
				}
				if len(d.Events) != 0 {
					t.Fatalf("events %+v shown to a user who may not list events", d.Events)
				}
			}},
		{"another namespace's policy answers 404 like a missing one", shopScaler, "/api/v1/scalepolicies/team-b/other",
			func(t *testing.T, code int, _ dashboard.ScalePolicyDetail, e dashboard.Error) {
				if code != http.StatusNotFound || e.Error != "no ScalePolicy team-b/other that viewer may read" || !strings.Contains(e.Hint, "Scaling page") {
					t.Fatalf("%d %+v", code, e)
				}
			}},
		{"a missing policy answers 404 with the same words", shopScaler, "/api/v1/scalepolicies/shop/nope",
			func(t *testing.T, code int, _ dashboard.ScalePolicyDetail, e dashboard.Error) {
				if code != http.StatusNotFound || e.Error != "no ScalePolicy shop/nope that viewer may read" {
					t.Fatalf("%d %+v", code, e)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, sid := scaleServer(t, c.granted, nil)
			var d dashboard.ScalePolicyDetail
			var e dashboard.Error
			code := get(t, h, sid, c.path, &d)
			get(t, h, sid, c.path, &e)
			c.check(t, code, d, e)
		})
	}
}

func TestNodePoolsList(t *testing.T) {
	h, sid := scaleServer(t, shopScaler, nil)
	var l dashboard.NodePoolList
	if code := get(t, h, sid, "/api/v1/nodepools", &l); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	var names []string
	for _, p := range l.Items {
		names = append(names, p.Cluster+"="+p.Health)
	}
	if strings.Join(names, ",") != "east-cluster=Healthy,north-cluster=Healthy,south-cluster=Healthy" {
		t.Fatalf("pools %v, want the three by cluster", names)
	}
	h, sid = scaleServer(t, []string{"list scalepolicies shop"}, nil)
	var none dashboard.NodePoolList
	if get(t, h, sid, "/api/v1/nodepools", &none); none.Items == nil || len(none.Items) != 0 {
		t.Fatalf("a user who may not list nodepools got %+v", none.Items)
	}
}

func TestScalingOnAHubWithoutTheCRDs(t *testing.T) {
	why := "the hub does not serve autoscaling.kurator.dev/v1alpha1 ScalePolicy: install Kurator's CRDs"
	unserved := map[string]string{fmt.Sprintf("%T", &autoscalingv1alpha1.ScalePolicy{}): why, fmt.Sprintf("%T", &autoscalingv1alpha1.NodePool{}): "no NodePool CRD"}
	h, sid := scaleServer(t, shopScaler, unserved)
	var l dashboard.ScalePolicyList
	if code := get(t, h, sid, "/api/v1/scalepolicies", &l); code != http.StatusOK || l.Unavailable != why || l.Items == nil {
		t.Fatalf("%d %+v, want an empty list saying why", code, l)
	}
	var e dashboard.Error
	if code := get(t, h, sid, "/api/v1/scalepolicies/shop/promo-scale-policy", &e); code != http.StatusNotFound || e.Error != why || !strings.Contains(e.Hint, "install the ScalePolicy CRD") {
		t.Fatalf("%d %+v", code, e)
	}
	var pools dashboard.NodePoolList
	if code := get(t, h, sid, "/api/v1/nodepools", &pools); code != http.StatusOK || pools.Unavailable != "no NodePool CRD" {
		t.Fatalf("%d %+v", code, pools)
	}
}
