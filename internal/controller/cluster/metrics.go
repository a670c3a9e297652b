package cluster

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	clusterReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kurator_cluster_ready",
		Help: "1 when the member cluster's recorded Ready condition is True, else 0.",
	}, []string{"cluster"})
	probeDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kurator_cluster_probe_duration_seconds",
		Help: "Duration of the last health probe of the member cluster's API server.",
	}, []string{"cluster"})

	registerOnce sync.Once
)

func registerMetrics() {
	registerOnce.Do(func() {
		metrics.Registry.MustRegister(clusterReady, probeDuration)
	})
}

func forgetMetrics(cluster string) {
	clusterReady.DeleteLabelValues(cluster)
	probeDuration.DeleteLabelValues(cluster)
}
