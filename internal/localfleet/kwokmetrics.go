package localfleet

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Every member's kwok emulates resource usage: it serves, per node it
// manages, a kubelet-like /metrics/nodes/<node>/metrics/resource endpoint
// (kwokMetrics) whose values come from the member's ResourceUsage and
// ClusterResourceUsage objects (kwokCRDs, installed before kwok starts), and
// lists those endpoints at /discovery/prometheus for the fleet's Prometheus.

//go:embed kwok-metrics.yaml
var kwokMetrics []byte

//go:embed kwok-crds.yaml
var kwokCRDsYAML []byte

// Files and flags of the members' kwok for usage emulation.
const (
	// KwokMetricsFile is the Metric configuration in the state dir.
	KwokMetricsFile = "kwok-metrics.yaml"
	// KwokMetricsPath is the path kwok serves a node's usage on.
	KwokMetricsPath = "/metrics/nodes/{nodeName}/metrics/resource"
	// KwokDiscoveryPath lists every node's usage endpoint in Prometheus'
	// HTTP service discovery format.
	KwokDiscoveryPath = "/discovery/prometheus"
	// kwokUsageCRDs are the kinds kwok watches for usage.
	kwokUsageCRDs = "ResourceUsage,ClusterResourceUsage"
)

// kwokUsageArgs are the arguments that turn on usage emulation; kwok
// refuses a kind both in --config and in --enable-crds, so the usage kinds
// are only CRDs and the Metric only configuration.
func kwokUsageArgs(metricsFile string) []string {
	return []string{"--config=" + metricsFile, "--enable-crds=" + kwokUsageCRDs}
}

// KwokCRDs returns the kwok.x-k8s.io CRDs of usage emulation
// (ResourceUsage, ClusterResourceUsage).
func KwokCRDs() ([]apiextensionsv1.CustomResourceDefinition, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(kwokCRDsYAML), 4096)
	var out []apiextensionsv1.CustomResourceDefinition
	for {
		var c apiextensionsv1.CustomResourceDefinition
		err := dec.Decode(&c)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("embedded %s: %w", "kwok-crds.yaml", err)
		}
		if c.Name == "" {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// KwokAddress returns host:port of the member's kwok server (usage
// endpoints and discovery), from its recorded process.
func (s *State) KwokAddress(member string) (string, bool) {
	p, ok := s.Process(member + "/kwok")
	if !ok || p.Port == 0 {
		return "", false
	}
	return "127.0.0.1:" + strconv.Itoa(p.Port), true
}
