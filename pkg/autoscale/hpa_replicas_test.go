package autoscale

import (
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The cases below are Kubernetes' replica calculator test vectors
// (pkg/controller/podautoscaler/replica_calculator_test.go: pods of 1 cpu,
// usage levels in millicores, a utilisation target) rewritten as tables,
// plus the fleet's own: pods of several clusters and Karmada's calibration.

var hpaTestNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// hpaTestPod describes a test pod; zero fields mean a running, ready pod
// that started long ago with a 1-cpu, 1Gi request.
type hpaTestPod struct {
	cluster  string
	phase    corev1.PodPhase
	notReady bool
	// hot: started 1 minute ago and ready for 30 s (inside the cpu
	// initialisation period, less than one metric window ready).
	hot        bool
	deleting   bool
	cpuRequest string // "-" for none
}

func hpaMakePods(specs ...hpaTestPod) []HPAPod {
	out := make([]HPAPod, len(specs))
	for i, s := range specs {
		if s.cluster == "" {
			s.cluster = "member-a"
		}
		if s.phase == "" {
			s.phase = corev1.PodRunning
		}
		start := hpaTestNow.Add(-time.Hour)
		transition := start.Add(10 * time.Second)
		if s.hot {
			start = hpaTestNow.Add(-time.Minute)
			transition = hpaTestNow.Add(-30 * time.Second)
		}
		status := corev1.ConditionTrue
		if s.notReady {
			status = corev1.ConditionFalse
		}
		req := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
		switch s.cpuRequest {
		case "":
			req[corev1.ResourceCPU] = resource.MustParse("1")
		case "-":
		default:
			req[corev1.ResourceCPU] = resource.MustParse(s.cpuRequest)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Namespace: "default"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: req}}}},
			Status: corev1.PodStatus{
				Phase:      s.phase,
				StartTime:  &metav1.Time{Time: start},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Time{Time: transition}}},
			},
		}
		if s.deleting {
			pod.DeletionTimestamp = &metav1.Time{Time: hpaTestNow}
		}
		out[i] = HPAPod{Cluster: s.cluster, Pod: pod}
	}
	return out
}

// hpaLevels gives pods[i] the value levels[i] (fewer levels than pods: the
// rest have no sample; more: samples of pods that do not exist).
func hpaLevels(pods []HPAPod, levels ...int64) map[HPAPodKey]HPAPodMetric {
	out := map[HPAPodKey]HPAPodMetric{}
	for i, v := range levels {
		k := HPAPodKey{Cluster: "member-a", Name: fmt.Sprintf("pod-%d", i)}
		if i < len(pods) {
			k = pods[i].Key()
		}
		out[k] = HPAPodMetric{Value: v, Timestamp: hpaTestNow, Window: time.Minute}
	}
	return out
}

func hpaCPUUtilization(target int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(target)},
	}}
}

func hpaPodsMetric(name string, target string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse(target))},
	}}
}

func TestHPAReplicasForMetric(t *testing.T) {
	n := func(k int) []hpaTestPod { return make([]hpaTestPod, k) }
	failed := hpaTestPod{phase: corev1.PodFailed, notReady: true}
	tests := []struct {
		name        string
		current     int32
		calibration float64
		pods        []hpaTestPod
		levels      []int64
		metric      autoscalingv2.MetricSpec
		upTolerance float64
		want        int32
		wantUtil    int32 // for utilisation metrics
		wantAverage string
		wantErr     string
	}{
		{name: "3 pods at 30/50/70% of a 30% target scale to 5", current: 3, pods: n(3), levels: []int64{300, 500, 700}, metric: hpaCPUUtilization(30), want: 5, wantUtil: 50, wantAverage: "500m"},
		{name: "an unready pod counts as idle on a scale-up: 4, not 6", current: 3,
			pods: []hpaTestPod{{notReady: true}, {}, {}}, levels: []int64{300, 500, 700}, metric: hpaCPUUtilization(30), want: 4, wantUtil: 60, wantAverage: "600m"},
		{name: "a pod ready for less than a metric window in its cpu initialisation counts as idle: 4", current: 3,
			pods: []hpaTestPod{{hot: true}, {}, {}}, levels: []int64{300, 500, 700}, metric: hpaCPUUtilization(30), want: 4, wantUtil: 60, wantAverage: "600m"},
		{name: "a scale-up that the idle unready pods would turn into a scale-down stays at 3", current: 3,
			pods: []hpaTestPod{{}, {notReady: true}, {notReady: true}}, levels: []int64{400, 500, 700}, metric: hpaCPUUtilization(30), want: 3, wantUtil: 40, wantAverage: "400m"},
		{name: "a hot unready pod is left out likewise: stays at 3", current: 3,
			pods: []hpaTestPod{{}, {hot: true, notReady: true}, {hot: true, notReady: true}}, levels: []int64{400, 500, 700}, metric: hpaCPUUtilization(30), want: 3, wantUtil: 40, wantAverage: "400m"},
		{name: "failed pods are ignored: 2 pods at 50/70% of 30% scale to 4", current: 2,
			pods: []hpaTestPod{{}, {}, failed, failed}, levels: []int64{500, 700}, metric: hpaCPUUtilization(30), want: 4, wantUtil: 60, wantAverage: "600m"},
		{name: "pods being deleted are ignored: 4", current: 2,
			pods: []hpaTestPod{{}, {}, {deleting: true}, {deleting: true}}, levels: []int64{500, 700}, metric: hpaCPUUtilization(30), want: 4, wantUtil: 60, wantAverage: "600m"},
		{name: "5 pods at 28% of a 50% target scale to 3", current: 5, pods: n(5), levels: []int64{100, 300, 500, 250, 250}, metric: hpaCPUUtilization(50), want: 3, wantUtil: 28, wantAverage: "280m"},
		{name: "a scale-down counts only the ready pods: 3 ready at 30% of 50% give 2", current: 5,
			pods: []hpaTestPod{{}, {}, {}, {notReady: true}, {notReady: true}}, levels: []int64{100, 300, 500, 250, 250}, metric: hpaCPUUtilization(50), want: 2, wantUtil: 30, wantAverage: "300m"},
		{name: "pending pods are left out: 1 running pod at 10% of 50% gives 1", current: 5,
			pods:   []hpaTestPod{{}, {phase: corev1.PodPending, notReady: true}, {phase: corev1.PodPending, notReady: true}, {phase: corev1.PodPending, notReady: true}, {phase: corev1.PodPending, notReady: true}},
			levels: []int64{100}, metric: hpaCPUUtilization(50), want: 1, wantUtil: 10, wantAverage: "100m"},
		{name: "a scale-down leaves out pods in their cpu initialisation: 2", current: 5,
			pods: []hpaTestPod{{}, {}, {}, {hot: true}, {hot: true}}, levels: []int64{100, 300, 500, 250, 250}, metric: hpaCPUUtilization(50), want: 2, wantUtil: 30, wantAverage: "300m"},
		{name: "failed pods do not count on a scale-down: 3", current: 5,
			pods: []hpaTestPod{{}, {}, {}, {}, {}, failed, failed}, levels: []int64{100, 300, 500, 250, 250}, metric: hpaCPUUtilization(50), want: 3, wantUtil: 28, wantAverage: "280m"},
		{name: "102% of a 100% target is within the tolerance: stays at 3", current: 3,
			pods: []hpaTestPod{{cpuRequest: "900m"}, {}, {cpuRequest: "1100m"}}, levels: []int64{1010, 1030, 1020}, metric: hpaCPUUtilization(100), want: 3, wantUtil: 102, wantAverage: "1020m"},
		{name: "a scale-up tolerance of 5% acts on 108%: 3 pods scale to 4", current: 3, pods: n(3), levels: []int64{1080, 1080, 1080}, metric: hpaCPUUtilization(100), upTolerance: 0.05, want: 4, wantUtil: 108, wantAverage: "1080m"},
		{name: "samples of pods that do not exist are dropped: 4 pods at 587% scale to 24", current: 4,
			pods: n(4), levels: []int64{4000, 9500, 3000, 7000, 3200, 2000}, metric: hpaCPUUtilization(100), want: 24, wantUtil: 587, wantAverage: "5875m"},
		{name: "pods without a sample count as at their request on a scale-down: 4 scale to 3", current: 4, pods: n(4), levels: []int64{400, 95}, metric: hpaCPUUtilization(100), want: 3, wantUtil: 24, wantAverage: "247m"},
		{name: "a missing sample with the others at the target: stays at 2", current: 2, pods: n(2), levels: []int64{1000}, metric: hpaCPUUtilization(100), want: 2, wantUtil: 100, wantAverage: "1"},
		{name: "a missing sample counted as idle brings a scale-up within the tolerance: stays at 2", current: 2, pods: n(2), levels: []int64{1900}, metric: hpaCPUUtilization(100), want: 2, wantUtil: 190, wantAverage: "1900m"},
		{name: "a missing sample counted as full keeps a scale-down at 2", current: 2, pods: n(2), levels: []int64{600}, metric: hpaCPUUtilization(100), want: 2, wantUtil: 60, wantAverage: "600m"},
		{name: "a missing sample at its request turns a scale-down into a scale-up: stays at 3", current: 3,
			pods: []hpaTestPod{{notReady: true}, {}, {}}, levels: []int64{100, 450}, metric: hpaCPUUtilization(50), want: 3, wantUtil: 45, wantAverage: "450m"},
		{name: "missing and unready pods idle on a scale-up: 3 scale to 4", current: 3,
			pods: []hpaTestPod{{notReady: true}, {}, {}}, levels: []int64{100, 2000}, metric: hpaCPUUtilization(50), want: 4, wantUtil: 200, wantAverage: "2"},
		{name: "a hot pod with a missing neighbour on a scale-up: 4", current: 3,
			pods: []hpaTestPod{{hot: true, notReady: true}, {}, {}}, levels: []int64{100, 2000}, metric: hpaCPUUtilization(50), want: 4, wantUtil: 200, wantAverage: "2"},
		{name: "a missing sample at its request on a scale-down with an unready pod: 4 scale to 3", current: 4,
			pods: []hpaTestPod{{notReady: true}, {}, {}, {}}, levels: []int64{100, 100, 100}, metric: hpaCPUUtilization(50), want: 3, wantUtil: 10, wantAverage: "100m"},
		{name: "pods of two clusters are one workload: 10 pods at 80% of 50% scale to 16", current: 10, calibration: 1,
			pods:   []hpaTestPod{{cluster: "spot"}, {cluster: "spot"}, {cluster: "spot"}, {cluster: "spot"}, {cluster: "spot"}, {cluster: "spot"}, {cluster: "spot"}, {cluster: "spot"}, {cluster: "ondemand"}, {cluster: "ondemand"}},
			levels: []int64{800, 800, 800, 800, 800, 800, 800, 800, 800, 800}, metric: hpaCPUUtilization(50), want: 16, wantUtil: 80, wantAverage: "800m"},
		{name: "calibration: two clusters running the full template of 3 (Duplicated) at 100% of 50% want 6, not 12", current: 3, calibration: 2,
			pods: []hpaTestPod{{}, {}, {}, {cluster: "member-b"}, {cluster: "member-b"}, {cluster: "member-b"}}, levels: []int64{1000, 1000, 1000, 1000, 1000, 1000}, metric: hpaCPUUtilization(50), want: 6, wantUtil: 100, wantAverage: "1"},
		{name: "pods metric: qps 20/10/30 for a target of 15 scales 3 to 4", current: 3, pods: n(3), levels: []int64{20000, 10000, 30000}, metric: hpaPodsMetric("qps", "15"), want: 4, wantAverage: "20"},
		{name: "pods metric: readiness does not matter for other metrics than cpu: 6", current: 3,
			pods: []hpaTestPod{{}, {}, {hot: true, notReady: true}}, levels: []int64{50000, 10000, 30000}, metric: hpaPodsMetric("qps", "15"), want: 6, wantAverage: "30"},
		{name: "pods metric: 5 pods at 12 of 20 scale to 3", current: 5, pods: n(5), levels: []int64{12000, 12000, 12000, 12000, 12000}, metric: hpaPodsMetric("qps", "20"), want: 3, wantAverage: "12"},
		{name: "pods metric: 20.666 of 20 is within the tolerance: stays at 3", current: 3, pods: n(3), levels: []int64{20000, 21000, 21000}, metric: hpaPodsMetric("qps", "20"), want: 3, wantAverage: "20666m"},
		{name: "memory average value: 3 pods at 300Mi for 200Mi scale to 5", current: 3, pods: n(3),
			levels: []int64{300 << 20 * 1000, 300 << 20 * 1000, 300 << 20 * 1000},
			metric: autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("200Mi"))}}},
			want: 5, wantAverage: "300Mi"},
		{name: "a container without a cpu request is an error that names it", current: 1, pods: []hpaTestPod{{cpuRequest: "-"}}, levels: []int64{200}, metric: hpaCPUUtilization(100),
			wantErr: "missing request for cpu in container app of pod pod-0 in cluster member-a"},
		{name: "no pods is an error", current: 1, levels: []int64{200}, metric: hpaCPUUtilization(100), wantErr: "no pods of the workload"},
		{name: "no sample of any ready pod is an error naming the unready ones", current: 2,
			pods: []hpaTestPod{{notReady: true}, {notReady: true}}, levels: []int64{200, 200}, metric: hpaCPUUtilization(100), wantErr: "did not receive metrics for any ready pods (2 not ready: member-a/pod-0, member-a/pod-1)"},
		{name: "samples of other pods only is an error", current: 1, pods: n(1), metric: hpaCPUUtilization(100), wantErr: "no metrics returned"},
		{name: "an object metric is refused with what to use instead", current: 1, pods: n(1), levels: []int64{1},
			metric: autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType}, wantErr: "use a Resource, ContainerResource or Pods metric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods := hpaMakePods(tt.pods...)
			cal := tt.calibration
			if cal == 0 {
				cal = 1
			}
			up := tt.upTolerance
			if up == 0 {
				up = 0.1
			}
			obs := HPAObservation{Pods: hpaLevels(pods, tt.levels...)}
			p, err := hpaReplicasForMetric(tt.metric, obs, hpaCalcInput{
				current: tt.current, pods: pods, calibration: cal, now: hpaTestNow, cfg: HPADefaultConfig(),
				upTolerance: up, downTolerance: 0.1,
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.replicas != tt.want {
				t.Errorf("replicas = %d, want %d", p.replicas, tt.want)
			}
			cur := hpaCurrent(p.status)
			if tt.wantUtil != 0 && ptr.Deref(cur.AverageUtilization, -1) != tt.wantUtil {
				t.Errorf("utilization = %v, want %d", ptr.Deref(cur.AverageUtilization, -1), tt.wantUtil)
			}
			if want := resource.MustParse(tt.wantAverage); cur.AverageValue == nil || cur.AverageValue.Cmp(want) != 0 {
				t.Errorf("average value = %v, want %s", cur.AverageValue, tt.wantAverage)
			}
		})
	}
}

func hpaCurrent(s autoscalingv2.MetricStatus) autoscalingv2.MetricValueStatus {
	switch {
	case s.Resource != nil:
		return s.Resource.Current
	case s.ContainerResource != nil:
		return s.ContainerResource.Current
	case s.Pods != nil:
		return s.Pods.Current
	}
	return autoscalingv2.MetricValueStatus{}
}

func TestHPAPodRequests(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	cpu := func(q string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Resources: cpu("5")}, {Name: "sidecar", RestartPolicy: &always, Resources: cpu("200m")}},
			Containers:     []corev1.Container{{Name: "app", Resources: cpu("500m")}, {Name: "log", Resources: cpu("100m")}},
		},
	}
	podLevel := pod.DeepCopy()
	podLevel.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}
	tests := []struct {
		name      string
		pod       *corev1.Pod
		container string
		want      int64
	}{
		{name: "a pod's request sums its containers and sidecars, not plain init containers: 800m", pod: pod, want: 800},
		{name: "a container's request is its own: app 500m", pod: pod, container: "app", want: 500},
		{name: "pod-level resources win over the containers': 2", pod: podLevel, want: 2000},
		{name: "a container metric ignores pod-level resources: log 100m", pod: podLevel, container: "log", want: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hpaPodRequests([]HPAPod{{Cluster: "c", Pod: tt.pod}}, tt.container, corev1.ResourceCPU)
			if err != nil {
				t.Fatal(err)
			}
			if v := got[HPAPodKey{Cluster: "c", Name: "p"}]; v != tt.want {
				t.Errorf("request = %dm, want %dm", v, tt.want)
			}
		})
	}
}

func TestHPAGroupPodsCPUInitialisation(t *testing.T) {
	mk := func(startAgo, transitionAgo time.Duration, ready corev1.ConditionStatus) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Status: corev1.PodStatus{
				Phase:      corev1.PodRunning,
				StartTime:  &metav1.Time{Time: hpaTestNow.Add(-startAgo)},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready, LastTransitionTime: metav1.Time{Time: hpaTestNow.Add(-transitionAgo)}}},
			},
		}
	}
	cfg := HPAConfig{CPUInitializationPeriod: 2 * time.Minute, DelayOfInitialReadinessStatus: 10 * time.Second}.withDefaults()
	tests := []struct {
		name        string
		pod         *corev1.Pod
		window      time.Duration
		sampleAgo   time.Duration
		wantUnready bool
	}{
		{name: "ready for longer than the window inside initialisation: counted", pod: mk(time.Minute, 30*time.Second, corev1.ConditionTrue), window: 30 * time.Second},
		{name: "ready for less than the window inside initialisation: left out", pod: mk(time.Minute, 30*time.Second, corev1.ConditionTrue), window: time.Minute, wantUnready: true},
		{name: "not ready inside initialisation: left out", pod: mk(time.Minute, 50*time.Second, corev1.ConditionFalse), window: time.Second, wantUnready: true},
		{name: "after initialisation, unready now but ready once: counted", pod: mk(10*time.Minute, 9*time.Minute, corev1.ConditionFalse)},
		{name: "after initialisation, never ready: left out", pod: mk(10*time.Minute, 9*time.Minute+54*time.Second, corev1.ConditionFalse), wantUnready: true},
		{name: "after initialisation, ready with an old sample: counted", pod: mk(3*time.Minute, 3*time.Minute, corev1.ConditionTrue), window: time.Minute, sampleAgo: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods := []HPAPod{{Cluster: "c", Pod: tt.pod}}
			m := map[HPAPodKey]HPAPodMetric{{Cluster: "c", Name: "p"}: {Value: 1, Timestamp: hpaTestNow.Add(-tt.sampleAgo), Window: tt.window}}
			g := hpaGroupPods(pods, m, corev1.ResourceCPU, hpaCalcInput{now: hpaTestNow, cfg: cfg})
			if got := len(g.unready) == 1; got != tt.wantUnready {
				t.Errorf("unready = %v, want %v", got, tt.wantUnready)
			}
			if g := hpaGroupPods(pods, m, corev1.ResourceMemory, hpaCalcInput{now: hpaTestNow, cfg: cfg}); g.ready != 1 {
				t.Errorf("for memory every running pod with a sample counts; ready = %d", g.ready)
			}
		})
	}
}

// TestHPAToleranceEdge is Kubernetes' computed tolerance test: 10 pods using
// half their request, with a target just far enough from 50% to leave the
// tolerance band scale down; a target a little closer does not.
func TestHPAToleranceEdge(t *testing.T) {
	pods := hpaMakePods(make([]hpaTestPod, 10)...)
	levels := make([]int64, 10)
	for i := range levels {
		levels[i] = 500
	}
	for _, tt := range []struct {
		name   string
		target int32
		want   int32
	}{
		{name: "target 56%: 50% of request is 0.89 of it, outside the tolerance: 9", target: 56, want: 9},
		{name: "target 55%: 0.909 of it, inside the tolerance: stays at 10", target: 55, want: 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := hpaReplicasForMetric(hpaCPUUtilization(tt.target), HPAObservation{Pods: hpaLevels(pods, levels...)},
				hpaCalcInput{current: 10, pods: pods, calibration: 1, now: hpaTestNow, cfg: HPADefaultConfig(), upTolerance: 0.1, downTolerance: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			if p.replicas != tt.want {
				t.Errorf("replicas = %d, want %d", p.replicas, tt.want)
			}
		})
	}
}
