package v1alpha1

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestKubeconfigSecretRef(t *testing.T) {
	cases := []struct {
		name string
		ref  KubeconfigReference
		want SecretKeyReference
	}{
		{"seed form without key uses the default key", KubeconfigReference{SecretRef: &SecretKeyReference{Name: "cluster-01-kubeconfig"}}, SecretKeyReference{Name: "cluster-01-kubeconfig", Key: "kubeconfig"}},
		{"seed form with key", KubeconfigReference{SecretRef: &SecretKeyReference{Name: "s", Key: "config"}}, SecretKeyReference{Name: "s", Key: "config"}},
		{"Kurator form with key", KubeconfigReference{Name: "kurator-member1", Key: "kurator-member1.config"}, SecretKeyReference{Name: "kurator-member1", Key: "kurator-member1.config"}},
		{"Kurator form without key uses the default key", KubeconfigReference{Name: "m"}, SecretKeyReference{Name: "m", Key: "kubeconfig"}},
		{"neither form gives an empty name", KubeconfigReference{}, SecretKeyReference{Key: "kubeconfig"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &AttachedCluster{Spec: AttachedClusterSpec{Kubeconfig: &tc.ref}}
			if got := c.KubeconfigSecretRef(); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	pull := &AttachedCluster{Spec: AttachedClusterSpec{Mode: ModePull}}
	if got := pull.KubeconfigSecretRef(); got.Name != "" {
		t.Errorf("a Pull cluster without kubeconfig: got %+v, want no Secret name", got)
	}
}

func TestAgentUser(t *testing.T) {
	if c, ok := ClusterOfAgentUser(AgentUser("north")); c != "north" || !ok {
		t.Errorf("round trip gives %q %v", c, ok)
	}
	for _, u := range []string{"system:kurator:agent:", "system:serviceaccount:x:y", "north"} {
		if c, ok := ClusterOfAgentUser(u); ok {
			t.Errorf("ClusterOfAgentUser(%q) = %q, want no cluster", u, c)
		}
	}
}

func TestLocationFields(t *testing.T) {
	cases := []struct {
		name                   string
		meta                   map[string]string
		spec                   AttachedClusterSpec
		provider, region       string
		zones                  []string
		labelEnv, labelProvide string
	}{
		{
			name:     "fields win over labels",
			meta:     map[string]string{"provider": "meta"},
			spec:     AttachedClusterSpec{Provider: "aws", Region: "eu-central", Zone: "a", Zones: []string{"b", "a", "", "c"}, Labels: map[string]string{"provider": "spec", "region": "x", "zone": "z"}},
			provider: "aws", region: "eu-central", zones: []string{"a", "b", "c"},
			labelProvide: "spec",
		},
		{
			name:     "spec labels stand in for empty fields (seed 001)",
			spec:     AttachedClusterSpec{Labels: map[string]string{"provider": "alibaba", "region": "asia-east", "zone": "hz-a", "env": "production"}},
			provider: "alibaba", region: "asia-east", zones: []string{"hz-a"},
			labelEnv: "production", labelProvide: "alibaba",
		},
		{
			name:     "metadata labels are the last resort",
			meta:     map[string]string{"provider": "gcp", "env": "dev"},
			spec:     AttachedClusterSpec{Labels: map[string]string{"env": "prod"}},
			provider: "gcp", labelEnv: "prod", labelProvide: "gcp",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &AttachedCluster{ObjectMeta: metav1.ObjectMeta{Labels: tc.meta}, Spec: tc.spec}
			if got := c.ProviderName(); got != tc.provider {
				t.Errorf("provider %q, want %q", got, tc.provider)
			}
			if got := c.RegionName(); got != tc.region {
				t.Errorf("region %q, want %q", got, tc.region)
			}
			if got := c.Zones(); !reflect.DeepEqual(got, tc.zones) {
				t.Errorf("zones %v, want %v", got, tc.zones)
			}
			l := c.SchedulingLabels()
			if l["env"] != tc.labelEnv || l["provider"] != tc.labelProvide {
				t.Errorf("scheduling labels %v", l)
			}
		})
	}
}

func TestReadyAndServes(t *testing.T) {
	c := &AttachedCluster{Status: AttachedClusterStatus{
		Conditions:     []metav1.Condition{{Type: ConditionReady, Status: metav1.ConditionTrue}},
		APIEnablements: []APIEnablement{{GroupVersion: "apps/v1", Resources: []APIResource{{Name: "deployments", Kind: "Deployment"}}}},
	}}
	if !c.IsReady() || c.ReadyCondition() == nil {
		t.Error("want Ready")
	}
	if !c.Serves("apps/v1", "Deployment") || c.Serves("apps/v1", "StatefulSet") || c.Serves("v1", "Deployment") {
		t.Error("Serves must match group/version and kind")
	}
	if (&AttachedCluster{}).IsReady() {
		t.Error("no conditions means not Ready")
	}
}
