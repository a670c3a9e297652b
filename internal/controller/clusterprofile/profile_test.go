package clusterprofile

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	multiclusterv1alpha1 "github.com/kurator-go/kurator/api/multicluster/v1alpha1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func cluster(ready *metav1.Condition, version string) *clusterv1alpha1.AttachedCluster {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-hangzhou", Namespace: "kurator-system"},
		Status:     clusterv1alpha1.AttachedClusterStatus{KubernetesVersion: version},
	}
	if ready != nil {
		ac.Status.Conditions = []metav1.Condition{*ready}
	}
	return ac
}

func readyCond(status metav1.ConditionStatus, reason, msg string) *metav1.Condition {
	return &metav1.Condition{Type: clusterv1alpha1.ConditionReady, Status: status, Reason: reason, Message: msg, LastTransitionTime: metav1.NewTime(t0.Add(-time.Minute))}
}

func TestConditionsFollowTheClustersReadyCondition(t *testing.T) {
	cases := []struct {
		name                   string
		ac                     *clusterv1alpha1.AttachedCluster
		health, joined         metav1.ConditionStatus
		healthReason, joinedRn string
		healthMsg              string
	}{
		{"Ready True: healthy and joined", cluster(readyCond(metav1.ConditionTrue, clusterv1alpha1.ReasonClusterReady, "answers /readyz"), "v1.37.2"),
			metav1.ConditionTrue, metav1.ConditionTrue, clusterv1alpha1.ReasonClusterReady, ReasonJoined, "answers /readyz"},
		{"Ready False after it was reached: unhealthy with the probe's reason, still joined", cluster(readyCond(metav1.ConditionFalse, "ClusterNotReachable", "connection refused: check the API server"), "v1.37.2"),
			metav1.ConditionFalse, metav1.ConditionTrue, "ClusterNotReachable", ReasonJoined, "connection refused: check the API server"},
		{"no Ready condition yet: both Unknown", cluster(nil, ""),
			metav1.ConditionUnknown, metav1.ConditionUnknown, ReasonNotProbed, ReasonNotYetReached, "has not probed cluster cluster-hangzhou yet"},
		{"kubeconfig invalid and never reached: health Unknown, not joined", cluster(readyCond(metav1.ConditionUnknown, clusterv1alpha1.ReasonKubeconfigInvalid, "Secret not found: recreate it with kurator join"), ""),
			metav1.ConditionUnknown, metav1.ConditionFalse, clusterv1alpha1.ReasonKubeconfigInvalid, clusterv1alpha1.ReasonKubeconfigInvalid, "Secret not found"},
		{"unreachable and never reached: unhealthy, joining not yet known", cluster(readyCond(metav1.ConditionFalse, "ClusterNotReachable", "no route"), ""),
			metav1.ConditionFalse, metav1.ConditionUnknown, "ClusterNotReachable", ReasonNotYetReached, "no route"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := desiredStatus(tc.ac, 3, observation{now: t0, refresh: time.Minute}, multiclusterv1alpha1.ClusterProfileStatus{})
			h := meta.FindStatusCondition(st.Conditions, multiclusterv1alpha1.ClusterConditionControlPlaneHealthy)
			j := meta.FindStatusCondition(st.Conditions, multiclusterv1alpha1.ClusterConditionJoined)
			if h == nil || j == nil {
				t.Fatalf("conditions %+v: want ControlPlaneHealthy and Joined", st.Conditions)
			}
			if h.Status != tc.health || h.Reason != tc.healthReason || !strings.Contains(h.Message, tc.healthMsg) {
				t.Errorf("ControlPlaneHealthy %s/%s %q, want %s/%s containing %q", h.Status, h.Reason, h.Message, tc.health, tc.healthReason, tc.healthMsg)
			}
			if j.Status != tc.joined || j.Reason != tc.joinedRn {
				t.Errorf("Joined %s/%s, want %s/%s", j.Status, j.Reason, tc.joined, tc.joinedRn)
			}
			if h.ObservedGeneration != 3 || j.ObservedGeneration != 3 {
				t.Errorf("observedGeneration %d/%d, want 3", h.ObservedGeneration, j.ObservedGeneration)
			}
			if ready := tc.ac.ReadyCondition(); ready != nil && !h.LastTransitionTime.Equal(&ready.LastTransitionTime) {
				t.Errorf("ControlPlaneHealthy transition %v, want the Ready condition's %v", h.LastTransitionTime, ready.LastTransitionTime)
			}
		})
	}
}

func TestVersionIsTheClustersAndSurvivesAnUnreachedProbe(t *testing.T) {
	st := desiredStatus(cluster(nil, "v1.37.2"), 1, observation{now: t0}, multiclusterv1alpha1.ClusterProfileStatus{})
	if st.Version.Kubernetes != "v1.37.2" {
		t.Errorf("version %q, want v1.37.2", st.Version.Kubernetes)
	}
	prev := multiclusterv1alpha1.ClusterProfileStatus{Version: multiclusterv1alpha1.ClusterVersion{Kubernetes: "v1.36.0"}}
	if st := desiredStatus(cluster(nil, ""), 1, observation{now: t0}, prev); st.Version.Kubernetes != "v1.36.0" {
		t.Errorf("version %q, want the last one seen, v1.36.0", st.Version.Kubernetes)
	}
}

func names(ps []multiclusterv1alpha1.Property) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name+"="+p.Value)
	}
	return out
}

func TestPropertiesListTheMembersThenKuratorsOwn(t *testing.T) {
	ac := cluster(readyCond(metav1.ConditionTrue, clusterv1alpha1.ReasonClusterReady, ""), "v1.37.2")
	ac.Spec.Labels = map[string]string{"provider": "alibaba", "region": "asia-east"}
	ac.Spec.Zones = []string{"hz-a", "hz-b"}
	ac.Status.NodeSummary = &clusterv1alpha1.NodeSummary{TotalNum: 3, ReadyNum: 2}
	ac.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{Allocatable: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("24"), corev1.ResourceMemory: resource.MustParse("96Gi")}}
	member := map[string]string{
		"clusterset.k8s.io":         "prod-set",
		"cluster.clusterset.k8s.io": "hz-1",
		"empty.example.com":         "",
		"huge.example.com":          strings.Repeat("x", MaxValueLength+1),
	}
	st := desiredStatus(ac, 1, observation{memberProperties: member, now: t0, refresh: time.Minute}, multiclusterv1alpha1.ClusterProfileStatus{})
	want := []string{
		"cluster.clusterset.k8s.io=hz-1", "clusterset.k8s.io=prod-set",
		"kurator.dev/node-count=3", "kurator.dev/ready-node-count=2",
		"kurator.dev/provider=alibaba", "kurator.dev/region=asia-east", "kurator.dev/zones=hz-a,hz-b",
		"kurator.dev/allocatable-cpu=24", "kurator.dev/allocatable-memory=96Gi",
	}
	if got := names(st.Properties); !reflect.DeepEqual(got, want) {
		t.Errorf("properties\n got %v\nwant %v (empty and over-long values dropped)", got, want)
	}
	for _, p := range st.Properties {
		if !p.LastObservedTime.Time.Equal(t0) {
			t.Errorf("%s observed %v, want now %v", p.Name, p.LastObservedTime, t0)
		}
	}
}

func TestPropertyTimes(t *testing.T) {
	old := metav1.NewTime(t0.Add(-30 * time.Second))
	cases := []struct {
		name     string
		prev     []multiclusterv1alpha1.Property
		member   map[string]string
		want     []string
		wantTime map[string]time.Time
	}{
		{
			name:     "unchanged value younger than the refresh keeps its time",
			prev:     []multiclusterv1alpha1.Property{{Name: "clusterset.k8s.io", Value: "a", LastObservedTime: old}},
			member:   map[string]string{"clusterset.k8s.io": "a"},
			want:     []string{"clusterset.k8s.io=a"},
			wantTime: map[string]time.Time{"clusterset.k8s.io": old.Time},
		},
		{
			name:     "changed value is observed now",
			prev:     []multiclusterv1alpha1.Property{{Name: "clusterset.k8s.io", Value: "a", LastObservedTime: old}},
			member:   map[string]string{"clusterset.k8s.io": "b"},
			want:     []string{"clusterset.k8s.io=b"},
			wantTime: map[string]time.Time{"clusterset.k8s.io": t0},
		},
		{
			name:     "unchanged value older than the refresh is observed now",
			prev:     []multiclusterv1alpha1.Property{{Name: "clusterset.k8s.io", Value: "a", LastObservedTime: metav1.NewTime(t0.Add(-2 * time.Minute))}},
			member:   map[string]string{"clusterset.k8s.io": "a"},
			want:     []string{"clusterset.k8s.io=a"},
			wantTime: map[string]time.Time{"clusterset.k8s.io": t0},
		},
		{
			name:     "member not read: its last properties stay with their times, Kurator's are recomputed",
			prev:     []multiclusterv1alpha1.Property{{Name: "clusterset.k8s.io", Value: "a", LastObservedTime: old}, {Name: PropertyProvider, Value: "gone", LastObservedTime: old}},
			member:   nil,
			want:     []string{"clusterset.k8s.io=a"},
			wantTime: map[string]time.Time{"clusterset.k8s.io": old.Time},
		},
		{
			name:   "member read without the CRD: its properties are gone",
			prev:   []multiclusterv1alpha1.Property{{Name: "clusterset.k8s.io", Value: "a", LastObservedTime: old}},
			member: map[string]string{},
			want:   nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ac := cluster(readyCond(metav1.ConditionTrue, clusterv1alpha1.ReasonClusterReady, ""), "v1.37.2")
			st := desiredStatus(ac, 1, observation{memberProperties: tc.member, now: t0, refresh: time.Minute},
				multiclusterv1alpha1.ClusterProfileStatus{Properties: tc.prev})
			if got := names(st.Properties); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("properties %v, want %v", got, tc.want)
			}
			for _, p := range st.Properties {
				if w, ok := tc.wantTime[p.Name]; ok && !p.LastObservedTime.Time.Equal(w) {
					t.Errorf("%s observed %v, want %v", p.Name, p.LastObservedTime.Time, w)
				}
			}
		})
	}
}

func TestAccessProviderIsTheServerAndCAWithoutCredentials(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:6443", BearerToken: "secret-token",
		TLSClientConfig: rest.TLSClientConfig{CAData: []byte("CA"), ServerName: "member", KeyData: []byte("KEY")}}
	st := desiredStatus(cluster(nil, ""), 1, observation{server: cfg, now: t0}, multiclusterv1alpha1.ClusterProfileStatus{})
	if len(st.AccessProviders) != 1 {
		t.Fatalf("access providers %+v, want one", st.AccessProviders)
	}
	ap := st.AccessProviders[0]
	if ap.Name != AccessProviderName || ap.Cluster.Server != cfg.Host || string(ap.Cluster.CertificateAuthorityData) != "CA" || ap.Cluster.TLSServerName != "member" {
		t.Errorf("access provider %+v", ap)
	}
	prev := multiclusterv1alpha1.ClusterProfileStatus{AccessProviders: st.AccessProviders}
	if again := desiredStatus(cluster(nil, ""), 1, observation{now: t0}, prev); !reflect.DeepEqual(again.AccessProviders, st.AccessProviders) {
		t.Errorf("without clients the last access provider stays, got %+v", again.AccessProviders)
	}
}
