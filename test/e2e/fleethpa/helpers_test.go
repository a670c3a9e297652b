package fleethpa

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/fleetmetrics"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// deploymentYAML is a Deployment whose pods request 100m cpu and 64Mi.
func deploymentYAML(ns, name string, replicas int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  replicas: %[3]d
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: app
        image: registry.local/%[2]s:v1
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`, ns, name, replicas)
}

// readFile returns a test data file.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// templateReplicas is the hub Deployment's spec.replicas.
func templateReplicas(ctx context.Context, ns, name string) (int32, error) {
	scale, err := kube[localfleet.HubName].AppsV1().Deployments(ns).GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	return scale.Spec.Replicas, nil
}

// split is a workload's replicas per cluster: in its binding and in each
// member's Deployment (spec and ready).
type split struct {
	binding map[string]int32
	spec    map[string]int32
	ready   map[string]int32
}

func (s split) String() string {
	return fmt.Sprintf("binding %v, members %v, ready %v", s.binding, s.spec, s.ready)
}

// readSplit reads a workload's split.
func readSplit(ctx context.Context, ns, name string) (split, error) {
	s := split{binding: map[string]int32{}, spec: map[string]int32{}, ready: map[string]int32{}}
	var rb workv1alpha1.ResourceBinding
	if err := hub.Get(ctx, types.NamespacedName{Namespace: ns, Name: workv1alpha1.BindingName(name, "Deployment")}, &rb); err != nil {
		return s, err
	}
	for _, c := range rb.Spec.Clusters {
		s.binding[c.Name] = c.Replicas
	}
	for _, cluster := range []string{spot, ondemand} {
		d, err := kube[cluster].AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return s, err
		}
		if d.Spec.Replicas != nil {
			s.spec[cluster] = *d.Spec.Replicas
		}
		s.ready[cluster] = d.Status.ReadyReplicas
	}
	return s, nil
}

// weighted8020 checks n replicas are divided 80/20 between spot and
// on-demand, as the scheduler divides static weights (each cluster within
// one replica of its share), in the binding, the members and their ready
// pods.
func weighted8020(s split, n int32) error {
	for what, m := range map[string]map[string]int32{"binding": s.binding, "member spec": s.spec, "ready": s.ready} {
		if m[spot]+m[ondemand] != n {
			return fmt.Errorf("%s: %d+%d replicas, want %d in all (%s)", what, m[spot], m[ondemand], n, s)
		}
		if math.Abs(float64(m[spot])-0.8*float64(n)) >= 1 {
			return fmt.Errorf("%s: spot has %d of %d, want 80%% (%s)", what, m[spot], n, s)
		}
	}
	return nil
}

// change is one value of a workload template's replicas and when it was
// first seen.
type change struct {
	at       time.Time
	replicas int32
}

// recordReplicas polls a template's replicas every 100 ms and returns a
// function that stops and returns every value seen, with when.
func recordReplicas(t *testing.T, ns, name string) func() []change {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []change
	)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			n, err := templateReplicas(context.Background(), ns, name)
			if err == nil {
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1].replicas != n {
					seen = append(seen, change{at: time.Now(), replicas: n})
				}
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	stop := func() []change {
		once.Do(func() { close(done); <-stopped })
		mu.Lock()
		defer mu.Unlock()
		return append([]change(nil), seen...)
	}
	t.Cleanup(func() { stop() })
	return stop
}

func describeChanges(cs []change) string {
	if len(cs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			fmt.Fprintf(&b, " -(%s)-> ", c.at.Sub(cs[i-1].at).Round(100*time.Millisecond))
		}
		fmt.Fprintf(&b, "%d", c.replicas)
	}
	return b.String()
}

// getHPA reads an HPA on the hub.
func getHPA(ctx context.Context, ns, name string) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	var h autoscalingv2.HorizontalPodAutoscaler
	err := hub.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &h)
	return &h, err
}

// condition finds an HPA condition.
func condition(st autoscalingv2.HorizontalPodAutoscalerStatus, ct autoscalingv2.HorizontalPodAutoscalerConditionType) autoscalingv2.HorizontalPodAutoscalerCondition {
	for _, c := range st.Conditions {
		if c.Type == ct {
			return c
		}
	}
	return autoscalingv2.HorizontalPodAutoscalerCondition{Type: ct, Status: corev1.ConditionUnknown, Reason: "unset"}
}

func describeStatus(st autoscalingv2.HorizontalPodAutoscalerStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "current %d desired %d;", st.CurrentReplicas, st.DesiredReplicas)
	for _, m := range st.CurrentMetrics {
		if m.Resource != nil && m.Resource.Current.AverageUtilization != nil {
			fmt.Fprintf(&b, " %s %d%%;", m.Resource.Name, *m.Resource.Current.AverageUtilization)
		}
	}
	for _, c := range st.Conditions {
		fmt.Fprintf(&b, " %s=%s %s: %s;", c.Type, c.Status, c.Reason, c.Message)
	}
	return b.String()
}

// cpuUtilization is the first cpu utilisation in status (-1: none).
func cpuUtilization(st autoscalingv2.HorizontalPodAutoscalerStatus) int32 {
	for _, m := range st.CurrentMetrics {
		if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Current.AverageUtilization != nil {
			return *m.Resource.Current.AverageUtilization
		}
	}
	return -1
}

// waitPodUsage waits until Prometheus reads every pod of the workload in
// each cluster at the given cpu cores (within 10%), so an HPA created
// next sees full samples.
func waitPodUsage(t *testing.T, ns, prefix string, clusters []string, cores float64, pods int) {
	t.Helper()
	prom, err := fleetmetrics.New(fleet.PrometheusURL, fleetmetrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fleettest.Eventually(t, 90*time.Second, fmt.Sprintf("%s* pods at %gm cpu in Prometheus", prefix, cores*1000), func() error {
		names := map[string][]string{}
		total := 0
		for _, c := range clusters {
			list, err := kube[c].CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			for _, p := range list.Items {
				if strings.HasPrefix(p.Name, prefix) && p.DeletionTimestamp == nil {
					names[c] = append(names[c], p.Name)
					total++
				}
			}
		}
		if total != pods {
			return fmt.Errorf("%d pods, want %d", total, pods)
		}
		usage, err := prom.PodUsage(ctx, fleetmetrics.CPU, ns, names)
		if err != nil {
			return err
		}
		for c, ps := range names {
			for _, p := range ps {
				if v, ok := usage[c][p]; !ok || math.Abs(v-cores) > cores/10 {
					return fmt.Errorf("pod %s/%s at %v cores (read: %v)", c, p, v, ok)
				}
			}
		}
		return nil
	})
}

// reportSyncCost logs what one HPA evaluation costs: the mean of the
// controller's kurator_fleethpa_sync_duration_seconds per kind, from this
// process's registry or (when the manager runs the controller) from
// Prometheus, which scrapes the manager.
func reportSyncCost(t *testing.T) {
	t.Helper()
	if inProcess {
		families, err := ctrlmetrics.Registry.Gather()
		if err != nil {
			t.Logf("sync cost: %v", err)
			return
		}
		for _, f := range families {
			if f.GetName() != "kurator_fleethpa_sync_duration_seconds" {
				continue
			}
			for _, m := range f.GetMetric() {
				h := m.GetHistogram()
				if h.GetSampleCount() == 0 {
					continue
				}
				kind := ""
				for _, l := range m.GetLabel() {
					if l.GetName() == "kind" {
						kind = l.GetValue()
					}
				}
				t.Logf("%s evaluation: %d syncs, mean %s, %s", kind, h.GetSampleCount(),
					time.Duration(h.GetSampleSum()/float64(h.GetSampleCount())*float64(time.Second)).Round(100*time.Microsecond), bucketShare(h))
			}
		}
		return
	}
	prom, err := fleetmetrics.New(fleet.PrometheusURL, fleetmetrics.Options{})
	if err != nil {
		t.Logf("sync cost: %v", err)
		return
	}
	mean, err := prom.Instant(context.Background(), `sum(kurator_fleethpa_sync_duration_seconds_sum) / sum(kurator_fleethpa_sync_duration_seconds_count)`, time.Time{})
	if err != nil {
		t.Logf("sync cost: %v", err)
		return
	}
	t.Logf("HPA evaluation (manager, from Prometheus): mean %.1f ms", mean[""]*1000)
}

// bucketShare says which share of the syncs took at most 50 and 100 ms.
func bucketShare(h *dto.Histogram) string {
	var b strings.Builder
	for _, bk := range h.GetBucket() {
		if le := bk.GetUpperBound(); le == 0.05 || le == 0.1 {
			fmt.Fprintf(&b, "%.0f%% within %gms; ", 100*float64(bk.GetCumulativeCount())/float64(h.GetSampleCount()), le*1000)
		}
	}
	return strings.TrimSuffix(b.String(), "; ")
}
