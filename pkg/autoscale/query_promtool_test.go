package autoscale

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestQueriesOnPrometheus evaluates the built-in queries with Prometheus'
// own engine (promtool test rules) on synthetic series: the utilisation
// comes out per cluster, and a pod of order-service-db does not count for
// order-service. Skipped without promtool (Debian's prometheus package).
func TestQueriesOnPrometheus(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not in PATH (apt-get install prometheus)")
	}
	dir := t.TempDir()
	// Counters rise by rate*15 every 15s: 0.4 and 0.3 cores for two
	// order-service pods in north (80% and 60% of 0.5 requested), 1 core
	// for order-service-db's pod, 0.5 cores in south; nodes: 6 of 24
	// cores in north, 8 of 16 in south.
	test := fmt.Sprintf(`rule_files: [rules.yml]
evaluation_interval: 15s
tests:
- interval: 15s
  input_series:
  - {series: 'pod_cpu_usage_seconds_total{cluster="north",namespace="shop",pod="order-service-7d9f8c6b5d-x2x4z"}', values: '0+6x20'}
  - {series: 'pod_cpu_usage_seconds_total{cluster="north",namespace="shop",pod="order-service-7d9f8c6b5d-abcde"}', values: '0+4.5x20'}
  - {series: 'pod_cpu_usage_seconds_total{cluster="north",namespace="shop",pod="order-service-db-6f7c8d9b5d-zzzzz"}', values: '0+15x20'}
  - {series: 'pod_cpu_usage_seconds_total{cluster="south",namespace="shop",pod="order-service-7d9f8c6b5d-qqqqq"}', values: '0+7.5x20'}
  - {series: 'pod_memory_working_set_bytes{cluster="north",namespace="shop",pod="db-0"}', values: '268435456x20'}
  - {series: 'pod_memory_working_set_bytes{cluster="north",namespace="shop",pod="db-1"}', values: '536870912x20'}
  - {series: 'node_cpu_usage_seconds_total{cluster="north",node="n1"}', values: '0+90x20'}
  - {series: 'node_cpu_usage_seconds_total{cluster="south",node="s1"}', values: '0+60x20'}
  - {series: 'node_cpu_usage_seconds_total{cluster="south",node="s2"}', values: '0+60x20'}
  promql_expr_test:
  - expr: %q
    eval_time: 4m
    exp_samples: [{labels: '{cluster="north"}', value: 70}, {labels: '{cluster="south"}', value: 100}]
  - expr: %q
    eval_time: 4m
    exp_samples: [{labels: '{cluster="north"}', value: 75}]
  - expr: %q
    eval_time: 4m
    exp_samples: [{labels: '{cluster="north"}', value: 25}, {labels: '{cluster="south"}', value: 50}]
  - expr: %q
    eval_time: 4m
    exp_samples: [{labels: '{cluster="south"}', value: 100}]
`,
		WorkloadQuery("cpu", "shop", "Deployment", "order-service", 0.5),
		WorkloadQuery("memory", "shop", "StatefulSet", "db", 536870912),
		ClusterQuery("cpu", map[string]float64{"north": 24, "south": 16}),
		ClusterFilter(WorkloadQuery("cpu", "shop", "Deployment", "order-service", 0.5), []string{"south"}))
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), []byte("groups: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
