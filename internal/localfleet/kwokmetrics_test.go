package localfleet

import (
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func TestKwokCRDsAreTheTwoUsageKinds(t *testing.T) {
	crds, err := KwokCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range crds {
		got = append(got, c.Name+"/"+string(c.Spec.Scope))
		if len(c.Spec.Versions) != 1 || c.Spec.Versions[0].Name != "v1alpha1" || c.Spec.Versions[0].Schema == nil {
			t.Errorf("%s: want one served v1alpha1 version with a schema", c.Name)
		}
	}
	want := []string{"clusterresourceusages.kwok.x-k8s.io/Cluster", "resourceusages.kwok.x-k8s.io/Namespaced"}
	if !slices.Equal(got, want) {
		t.Errorf("CRDs %v, want %v", got, want)
	}
	// kwok --enable-crds takes kinds; each enabled kind has its CRD.
	for _, kind := range strings.Split(kwokUsageCRDs, ",") {
		if !slices.ContainsFunc(crds, func(c apiextensionsv1.CustomResourceDefinition) bool { return c.Spec.Names.Kind == kind }) {
			t.Errorf("kind %s is enabled in kwok but has no CRD", kind)
		}
	}
}

func TestKwokMetricServesTheUsageSeriesOnTheNodePath(t *testing.T) {
	var m struct {
		Kind string `json:"kind"`
		Spec struct {
			Path    string `json:"path"`
			Metrics []struct {
				Name      string `json:"name"`
				Kind      string `json:"kind"`
				Dimension string `json:"dimension"`
				Value     string `json:"value"`
			} `json:"metrics"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(kwokMetrics, &m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != "Metric" || m.Spec.Path != KwokMetricsPath {
		t.Fatalf("kind %q path %q, want a Metric on %s", m.Kind, m.Spec.Path, KwokMetricsPath)
	}
	have := map[string]string{}
	for _, s := range m.Spec.Metrics {
		if s.Value == "" || s.Dimension == "" {
			t.Errorf("series %s lacks a value or a dimension", s.Name)
		}
		have[s.Name] = s.Kind
	}
	for name, kind := range map[string]string{
		"pod_cpu_usage_seconds_total": "counter", "pod_memory_working_set_bytes": "gauge",
		"container_cpu_usage_seconds_total": "counter", "container_memory_working_set_bytes": "gauge",
		"node_cpu_usage_seconds_total": "counter", "node_memory_working_set_bytes": "gauge",
		"kube_pod_container_resource_requests": "gauge", "kube_node_status_allocatable": "gauge",
	} {
		if have[name] != kind {
			t.Errorf("series %s is %q, want a %s", name, have[name], kind)
		}
	}
}

func TestKwokAddressFromTheRecordedProcess(t *testing.T) {
	s := &State{Processes: []Process{{Name: "north/kwok", Port: 7001}, {Name: "south/kube-apiserver", Port: 6443}}}
	if got, ok := s.KwokAddress("north"); !ok || got != "127.0.0.1:7001" {
		t.Errorf("north: %q %v, want 127.0.0.1:7001", got, ok)
	}
	if _, ok := s.KwokAddress("south"); ok {
		t.Error("south has no kwok process, yet an address was found")
	}
}
