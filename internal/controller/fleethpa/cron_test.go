package fleethpa

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
)

func TestLastScheduleTime(t *testing.T) {
	at := func(m int) *metav1.Time { return &metav1.Time{Time: time.Date(2026, 3, 1, 12, m, 0, 0, time.UTC)} }
	tests := []struct {
		name string
		h    karmadaautoscalingv1alpha1.ExecutionHistory
		want *metav1.Time
	}{
		{name: "a rule that never fired has no last time", want: nil},
		{name: "the latest successful execution", h: karmadaautoscalingv1alpha1.ExecutionHistory{
			SuccessfulExecutions: []karmadaautoscalingv1alpha1.SuccessfulExecution{{ScheduleTime: at(1)}, {ScheduleTime: at(2)}}}, want: at(2)},
		{name: "a later failed execution counts: it is not retried", h: karmadaautoscalingv1alpha1.ExecutionHistory{
			SuccessfulExecutions: []karmadaautoscalingv1alpha1.SuccessfulExecution{{ScheduleTime: at(1)}},
			FailedExecutions:     []karmadaautoscalingv1alpha1.FailedExecution{{ScheduleTime: at(3)}}}, want: at(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lastScheduleTime(&tt.h)
			if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(tt.want.Time)) {
				t.Errorf("last = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeepLast(t *testing.T) {
	tests := []struct {
		name string
		in   []int
		n    int
		want []int
	}{
		{name: "within the limit all are kept", in: []int{1, 2}, n: 3, want: []int{1, 2}},
		{name: "over the limit the oldest go", in: []int{1, 2, 3, 4}, n: 3, want: []int{2, 3, 4}},
		{name: "a limit of 0 keeps none (failedHistoryLimit may be 0)", in: []int{1}, n: 0, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keepLast(tt.in, tt.n)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestDescribeApplied(t *testing.T) {
	tests := []struct {
		in   karmadaautoscalingv1alpha1.SuccessfulExecution
		want string
	}{
		{karmadaautoscalingv1alpha1.SuccessfulExecution{AppliedReplicas: ptr.To[int32](4)}, "replicas set to 4"},
		{karmadaautoscalingv1alpha1.SuccessfulExecution{AppliedMinReplicas: ptr.To[int32](3), AppliedMaxReplicas: ptr.To[int32](5)}, "bounds set to 3-5"},
		{karmadaautoscalingv1alpha1.SuccessfulExecution{AppliedMaxReplicas: ptr.To[int32](5)}, "maxReplicas set to 5"},
	}
	for _, tt := range tests {
		if got := describeApplied(tt.in); got != tt.want {
			t.Errorf("describeApplied = %q, want %q", got, tt.want)
		}
	}
}

func TestConfigDividesTheControllerDurations(t *testing.T) {
	e := &evaluator{opts: Options{TimeDivisor: 10}}
	c := e.config()
	if c.CPUInitializationPeriod != 30*time.Second || c.DelayOfInitialReadinessStatus != 3*time.Second || c.DownscaleStabilizationWindow != 30*time.Second || c.TimeDivisor != 10 {
		t.Errorf("config with divisor 10 = %+v, want 30s, 3s, 30s and the divisor passed on", c)
	}
	e = &evaluator{opts: Options{TimeDivisor: 1}}
	if c := e.config(); c.DownscaleStabilizationWindow != 5*time.Minute || c.Tolerance != 0 {
		t.Errorf("config = %+v, want Kubernetes' 5m window (tolerance left to HPADesired's default)", c)
	}
}
