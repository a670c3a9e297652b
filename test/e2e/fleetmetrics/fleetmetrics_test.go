package fleetmetrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kurator-go/kurator/internal/fleetmetrics"
	"github.com/kurator-go/kurator/pkg/autoscale"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// A 4-replica Deployment requesting 100m cpu and 128Mi whose pods are set
// to use 80m and 64Mi reads back, in its own cluster only, as 80% cpu and
// 50% memory utilisation; every pod's usage reads back as set, and the
// range query over the last seconds has one sample per step.
func TestWorkloadUtilisationFollowsEmulatedUsage(t *testing.T) {
	ctx := context.Background()
	const ns, name = "shop", "order-service"
	pods := deployment(t, north, ns, name, 4, "100m", "128Mi")
	set := time.Now()
	fleettest.SetPodUsage(t, fleet, north, ns, name+"-", "80m", "64Mi")
	t.Cleanup(func() { fleettest.ClearPodUsage(t, fleet, north, ns, name+"-") })

	var memoryAt, cpuAt time.Duration
	fleettest.Eventually(t, 30*time.Second, "north: order-service memory utilisation 50%", func() error {
		got, err := prom.Instant(ctx, utilisationQuery(fleetmetrics.Memory, ns, name+"-", 0), time.Time{})
		if err != nil {
			return err
		}
		if err := near(got[north], 0.5, 0.001); err != nil {
			return fmt.Errorf("north %w (all: %v)", err, got)
		}
		memoryAt = time.Since(set)
		return nil
	})
	// The policies' own query (pkg/autoscale: usage over the request the
	// controller reads from the template, in percent), and the same from
	// the request series kwok serves.
	policyQuery := autoscale.WorkloadQueryRate("cpu", ns, "Deployment", name, 0.1, prom.RateWindow())
	fleettest.Eventually(t, 60*time.Second, "north: order-service cpu utilisation 80%", func() error {
		got, err := prom.Instant(ctx, policyQuery, time.Time{})
		if err != nil {
			return err
		}
		if _, ok := got[south]; ok {
			return fmt.Errorf("south has a series for a workload it does not run: %v", got)
		}
		if err := near(got[north], 80, 4); err != nil {
			return fmt.Errorf("north %w", err)
		}
		cpuAt = time.Since(set)
		fromRequests, err := prom.Instant(ctx, utilisationQuery(fleetmetrics.CPU, ns, name+"-", prom.RateWindow()), time.Time{})
		if err != nil {
			return err
		}
		if err := near(fromRequests[north], 0.8, 0.04); err != nil {
			return fmt.Errorf("north, over the request series: %w", err)
		}
		return nil
	})
	t.Logf("usage set -> memory gauge read back after %s (scrape to query); cpu rate at 80%% after %s (rate window %s)",
		memoryAt.Round(10*time.Millisecond), cpuAt.Round(10*time.Millisecond), prom.RateWindow())

	qctx, counter := fleetmetrics.CountQueries(ctx)
	cpu, err := prom.PodUsage(qctx, fleetmetrics.CPU, ns, map[string][]string{north: pods})
	if err != nil {
		t.Fatal(err)
	}
	memory, err := prom.PodUsage(qctx, fleetmetrics.Memory, ns, map[string][]string{north: pods})
	if err != nil {
		t.Fatal(err)
	}
	if counter.Queries() != 2 {
		t.Errorf("%d queries for cpu and memory of %d pods, want 2", counter.Queries(), len(pods))
	}
	for _, p := range pods {
		if err := near(cpu[north][p], 0.08, 0.008); err != nil {
			t.Errorf("pod %s cpu cores: %v", p, err)
		}
		if want := float64(64 << 20); memory[north][p] != want {
			t.Errorf("pod %s memory %v bytes, want %v", p, memory[north][p], want)
		}
	}

	end := time.Now()
	series, err := prom.Range(ctx, policyQuery, end.Add(-10*time.Second), end, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := series[north]
	if len(got) < 10 {
		t.Fatalf("range over 10s at 1s step: %d samples for north, want 10 or 11: %v", len(got), got)
	}
	if err := near(got[len(got)-1].V, 80, 4); err != nil {
		t.Errorf("last sample of the range: %v", err)
	}
}

// Rules for two prefixes in one namespace each keep their usage; the longer
// prefix wins for pods both cover, and clearing a rule hands its pods to
// the next rule that covers them, then to the default.
func TestUsageRulesOfSeveralPrefixesDoNotOverrideEachOther(t *testing.T) {
	ctx := context.Background()
	const ns = "mix"
	web := deployment(t, south, ns, "web", 2, "50m", "256Mi")
	api := deployment(t, south, ns, "web-api", 2, "50m", "256Mi")
	fleettest.SetPodUsage(t, fleet, south, ns, "web-", "10m", "100Mi")
	fleettest.SetPodUsage(t, fleet, south, ns, "web-api-", "20m", "200Mi")
	t.Cleanup(func() {
		fleettest.ClearPodUsage(t, fleet, south, ns, "web-")
		fleettest.ClearPodUsage(t, fleet, south, ns, "web-api-")
	})
	pods := map[string][]string{south: append(append([]string{}, web...), api...)}
	expect := func(what string, want map[string]float64) {
		t.Helper()
		fleettest.Eventually(t, 30*time.Second, what, func() error {
			got, err := prom.PodUsage(ctx, fleetmetrics.Memory, ns, pods)
			if err != nil {
				return err
			}
			for pod, w := range want {
				if got[south][pod] != w {
					return fmt.Errorf("pod %s: %v bytes, want %v (all: %v)", pod, got[south][pod], w, got)
				}
			}
			return nil
		})
	}
	mi := func(n float64) float64 { return n * (1 << 20) }
	expect("web pods 100Mi, web-api pods 200Mi", map[string]float64{web[0]: mi(100), web[1]: mi(100), api[0]: mi(200), api[1]: mi(200)})
	fleettest.ClearPodUsage(t, fleet, south, ns, "web-api-")
	expect("web-api pods follow the web- rule once their own is cleared", map[string]float64{web[0]: mi(100), api[0]: mi(100), api[1]: mi(100)})
	fleettest.ClearPodUsage(t, fleet, south, ns, "web-")
	expect("every pod at the default once no rule is left", map[string]float64{web[0]: mi(1), web[1]: mi(1), api[0]: mi(1), api[1]: mi(1)})
}

// Every node of every member has its usage and allocatable series, labelled
// with its cluster and node; a node's usage is the sum of its pods'.
func TestNodeUsageAppearsForEveryNode(t *testing.T) {
	ctx := context.Background()
	for _, cluster := range []string{north, south} {
		nodes, err := fleettest.Client(t, fleet, cluster).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes.Items) == 0 {
			t.Fatalf("%s has no nodes", cluster)
		}
		for _, n := range nodes.Items {
			fleettest.Eventually(t, 30*time.Second, fmt.Sprintf("%s: series of node %s", cluster, n.Name), func() error {
				sel := fleetmetrics.Selector(fleetmetrics.Equal("cluster", cluster), fleetmetrics.Equal("node", n.Name))
				mem, err := prom.Instant(ctx, fleetmetrics.NodeMemoryBytes+sel, time.Time{})
				if err != nil {
					return err
				}
				if _, ok := mem[cluster]; !ok {
					return fmt.Errorf("no %s for node %s: %v", fleetmetrics.NodeMemoryBytes, n.Name, mem)
				}
				cpuSel := fleetmetrics.Selector(fleetmetrics.Equal("cluster", cluster), fleetmetrics.Equal("node", n.Name), fleetmetrics.Equal("resource", "cpu"))
				alloc, err := prom.Instant(ctx, fleetmetrics.NodeAllocatable+cpuSel, time.Time{})
				if err != nil {
					return err
				}
				if want := n.Status.Allocatable.Cpu().AsApproximateFloat64(); alloc[cluster] != want {
					return fmt.Errorf("node %s allocatable cpu %v, want %v", n.Name, alloc, want)
				}
				return nil
			})
		}
		// Node and pod gauges of one node come from one scrape.
		sel := fleetmetrics.Selector(fleetmetrics.Equal("cluster", cluster))
		diff, err := prom.Instant(ctx, "sum by (cluster) ("+fleetmetrics.NodeMemoryBytes+sel+") - sum by (cluster) ("+fleetmetrics.PodMemoryBytes+sel+")", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := diff[cluster]; ok && v != 0 {
			t.Errorf("%s: node working sets minus pod working sets = %v bytes, want 0", cluster, v)
		}
	}
}

// A node created after the fleet started (as a node pool adds one) is
// scraped within kwok's discovery refresh plus a scrape, and its series end
// once it is deleted.
func TestNodeAddedLaterIsScraped(t *testing.T) {
	ctx := context.Background()
	cs := fleettest.Client(t, fleet, south)
	const name = "south-node-late"
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels:      map[string]string{corev1.LabelHostname: name, "type": "kwok"},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	created := time.Now()
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			_ = cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
	sel := fleetmetrics.Selector(fleetmetrics.Equal("cluster", south), fleetmetrics.Equal("node", name), fleetmetrics.Equal("resource", "cpu"))
	query := fleetmetrics.NodeAllocatable + sel
	var scraped time.Duration
	fleettest.Eventually(t, 20*time.Second, "the new node's series", func() error {
		got, err := prom.Instant(ctx, query, time.Time{})
		if err != nil {
			return err
		}
		if got[south] != 4 {
			return fmt.Errorf("%s: %v, want 4 cores", query, got)
		}
		scraped = time.Since(created)
		return nil
	})
	if err := cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deleted = true
	gone := time.Now()
	var ended time.Duration
	fleettest.Eventually(t, 30*time.Second, "the deleted node's series end", func() error {
		got, err := prom.Instant(ctx, query, time.Time{})
		if err != nil {
			return err
		}
		if len(got) != 0 {
			return fmt.Errorf("%s still answers %v", query, got)
		}
		ended = time.Since(gone)
		return nil
	})
	t.Logf("node created -> first sample queryable after %s; node deleted -> series gone after %s",
		scraped.Round(10*time.Millisecond), ended.Round(10*time.Millisecond))
}
