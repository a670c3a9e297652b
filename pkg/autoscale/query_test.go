package autoscale

import (
	"regexp"
	"testing"
	"time"
)

func TestPodNamePatternMatchesOnlyTheWorkloadsPods(t *testing.T) {
	cases := []struct {
		name, kind, workload, pod string
		match                     bool
	}{
		{"a Deployment's pod matches", "Deployment", "order-service", "order-service-7d9f8c6b5d-x2x4z", true},
		{"a pod of order-service-db does not match order-service", "Deployment", "order-service", "order-service-db-7d9f8c6b5d-x2x4z", false},
		{"a pod of another Deployment with a longer name does not match", "Deployment", "order", "order-service-7d9f8c6b5d-x2x4z", false},
		{"a StatefulSet's pod matches by ordinal", "StatefulSet", "db", "db-12", true},
		{"a pod of StatefulSet db-1 does not match db", "StatefulSet", "db", "db-1-0", false},
		{"a Deployment pattern does not match a StatefulSet pod", "Deployment", "db", "db-0", false},
		{"dots in names are literal", "Deployment", "web.v2", "webxv2-7d9f8c6b5d-x2x4z", false},
		{"a ReplicaSet's pod matches", "ReplicaSet", "web-7d9f8c6b5d", "web-7d9f8c6b5d-x2x4z", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			re := regexp.MustCompile("^(?:" + PodNamePattern(c.kind, c.workload) + ")$") // as Prometheus anchors it
			if got := re.MatchString(c.pod); got != c.match {
				t.Errorf("%s matches %s: %v, want %v", PodNamePattern(c.kind, c.workload), c.pod, got, c.match)
			}
		})
	}
}

func TestQueries(t *testing.T) {
	cases := []struct {
		name, got, want string
	}{
		{"workload cpu: per-pod rate, averaged per cluster, over the request",
			WorkloadQuery("cpu", "shop", "Deployment", "order-service", 0.5),
			`100 * avg by (cluster) (sum by (cluster, pod) (rate(pod_cpu_usage_seconds_total{namespace="shop",pod=~"order-service-[a-z0-9]{1,10}-[a-z0-9]{5}"}[60s]))) / 0.5`},
		{"workload memory: working set over the request in bytes",
			WorkloadQuery("memory", "shop", "StatefulSet", "db", 536870912),
			`100 * avg by (cluster) (sum by (cluster, pod) (pod_memory_working_set_bytes{namespace="shop",pod=~"db-[0-9]+"})) / 536870912`},
		{"a shortened rate window",
			WorkloadQueryRate("cpu", "shop", "Deployment", "web", 0.25, 1500*time.Millisecond),
			`100 * avg by (cluster) (sum by (cluster, pod) (rate(pod_cpu_usage_seconds_total{namespace="shop",pod=~"web-[a-z0-9]{1,10}-[a-z0-9]{5}"}[1500ms]))) / 0.25`},
		{"a dot in a name is escaped for PromQL's string",
			WorkloadQuery("memory", "shop", "Deployment", "web.v2", 1),
			`100 * avg by (cluster) (sum by (cluster, pod) (pod_memory_working_set_bytes{namespace="shop",pod=~"web\\.v2-[a-z0-9]{1,10}-[a-z0-9]{5}"})) / 1`},
		{"cluster cpu: one term per cluster in name order, without clusters of no allocatable",
			ClusterQuery("cpu", map[string]float64{"south": 16, "north": 24, "empty": 0}),
			`(100 * sum by (cluster) (rate(node_cpu_usage_seconds_total{cluster="north"}[60s])) / 24) or (100 * sum by (cluster) (rate(node_cpu_usage_seconds_total{cluster="south"}[60s])) / 16)`},
		{"cluster memory", ClusterQuery("memory", map[string]float64{"north": 6.8719476736e+10}),
			`(100 * sum by (cluster) (node_memory_working_set_bytes{cluster="north"}) / 68719476736)`},
		{"no allocatable, no query", ClusterQuery("cpu", nil), ``},
		{"the cluster filter adds a matcher to each selector",
			ClusterFilter(WorkloadQuery("memory", "shop", "StatefulSet", "db", 2), []string{"north", "south.cn"}),
			`100 * avg by (cluster) (sum by (cluster, pod) (pod_memory_working_set_bytes{cluster=~"north|south\\.cn",namespace="shop",pod=~"db-[0-9]+"})) / 2`},
		{"no clusters, no filter", ClusterFilter("up", nil), "up"},
		{"a policy's own query gets its cluster and namespace",
			ExpandQuery(`avg(my_util{cluster="{{ cluster }}",namespace="{{namespace}}"})`, "north", "shop"),
			`avg(my_util{cluster="north",namespace="shop"})`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got\n  %s\nwant\n  %s", c.got, c.want)
			}
		})
	}
}
