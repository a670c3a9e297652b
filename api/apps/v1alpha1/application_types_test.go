package v1alpha1

import (
	"testing"

	"sigs.k8s.io/yaml"
)

func TestHelmReleaseChartTakesANameOrKuratorsObjectForm(t *testing.T) {
	for _, c := range []struct{ name, doc, chart, version string }{
		{"a name", "chart: podinfo\nversion: 6.5.0", "podinfo", "6.5.0"},
		{"Kurator's object form", "releaseName: podinfo\nchart:\n  spec:\n    chart: podinfo\n    version: 6.5.0\ninstall: {createNamespace: true}", "podinfo", "6.5.0"},
		{"a top-level version wins over the object's", "version: 6.6.0\nchart: {spec: {chart: podinfo, version: 6.5.0}}", "podinfo", "6.6.0"},
		{"no chart", "releaseName: x", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h HelmRelease
			if err := yaml.Unmarshal([]byte(c.doc), &h); err != nil {
				t.Fatal(err)
			}
			if h.Chart != c.chart || h.Version != c.version {
				t.Errorf("chart %q version %q, want %q %q", h.Chart, h.Version, c.chart, c.version)
			}
		})
	}
	var h HelmRelease
	if err := yaml.Unmarshal([]byte("chart: [1]"), &h); err == nil {
		t.Error("a list as chart was accepted")
	}
}
