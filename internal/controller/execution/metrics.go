package execution

import (
	"reflect"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// propagationDuration is how long applying one Work's changed manifests to
// its member took, per cluster.
var propagationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "kurator_propagation_duration_seconds",
	Help:    "Time to apply the changed manifests of one Work to its member cluster.",
	Buckets: prometheus.ExponentialBuckets(0.005, 2, 14), // 5ms .. ~41s
}, []string{"cluster"})

var registerOnce sync.Once

func registerMetrics() {
	registerOnce.Do(func() { metrics.Registry.MustRegister(propagationDuration) })
}

type eventUpdate = event.UpdateEvent

func equalStatus(a, b workv1alpha1.WorkStatus) bool {
	return reflect.DeepEqual(a, b)
}
