package crd

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestCRDsDecodesEveryGeneratedFile(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name      string
		scope     apiextensionsv1.ResourceScope
		shortName string
		status    bool
	}{
		{"applications.apps.kurator.dev", apiextensionsv1.NamespaceScoped, "app", true},
		{"appversions.apps.kurator.dev", apiextensionsv1.NamespaceScoped, "appver", false},
		{"attachedclusters.cluster.kurator.dev", apiextensionsv1.NamespaceScoped, "ac", true},
		{"cronfederatedhpas.autoscaling.karmada.io", apiextensionsv1.NamespaceScoped, "cronfhpa", true},
		{"federatedhpas.autoscaling.karmada.io", apiextensionsv1.NamespaceScoped, "fhpa", true},
		{"nodepools.autoscaling.kurator.dev", apiextensionsv1.NamespaceScoped, "np", true},
		{"scalepolicies.autoscaling.kurator.dev", apiextensionsv1.NamespaceScoped, "sp", true},
		// SIG-Multicluster's CRD has no short name; ours matches it.
		{"clusterprofiles.multicluster.x-k8s.io", apiextensionsv1.NamespaceScoped, "", true},
		{"clusteroverridepolicies.policy.karmada.io", apiextensionsv1.ClusterScoped, "cop", true},
		{"clusterpropagationpolicies.policy.karmada.io", apiextensionsv1.ClusterScoped, "cpp", true},
		{"clusterresourcebindings.work.kurator.dev", apiextensionsv1.ClusterScoped, "crb", true},
		{"fleets.fleet.kurator.dev", apiextensionsv1.NamespaceScoped, "fl", true},
		{"overridepolicies.policy.karmada.io", apiextensionsv1.NamespaceScoped, "op", true},
		{"propagationpolicies.policy.karmada.io", apiextensionsv1.NamespaceScoped, "pp", true},
		{"resourcebindings.work.kurator.dev", apiextensionsv1.NamespaceScoped, "rb", true},
		{"rollouts.apps.kurator.dev", apiextensionsv1.NamespaceScoped, "ro", true},
		{"storageadaptations.apps.kurator.dev", apiextensionsv1.ClusterScoped, "stad", false},
		{"trafficpolicies.networking.kurator.dev", apiextensionsv1.NamespaceScoped, "tp", true},
		{"works.work.kurator.dev", apiextensionsv1.NamespaceScoped, "wk", true},
	}
	got := map[string]apiextensionsv1.CustomResourceDefinition{}
	var names []string
	for _, c := range crds {
		got[c.Name] = c
		names = append(names, c.Name)
	}
	if len(names) != len(want) {
		t.Errorf("CRDs %v: want %d", names, len(want))
	}
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			c, ok := got[w.name]
			if !ok {
				t.Fatal("missing; run make generate")
			}
			if c.Spec.Scope != w.scope {
				t.Errorf("scope %s, want %s", c.Spec.Scope, w.scope)
			}
			if w.shortName == "" {
				if len(c.Spec.Names.ShortNames) != 0 {
					t.Errorf("short names %v, want none", c.Spec.Names.ShortNames)
				}
			} else if len(c.Spec.Names.ShortNames) != 1 || c.Spec.Names.ShortNames[0] != w.shortName {
				t.Errorf("short names %v, want [%s]", c.Spec.Names.ShortNames, w.shortName)
			}
			hasStatus := c.Spec.Versions[0].Subresources != nil && c.Spec.Versions[0].Subresources.Status != nil
			if hasStatus != w.status {
				t.Errorf("status subresource %v, want %v", hasStatus, w.status)
			}
		})
	}
}
