package failover

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// generation is the binding's generation in these tests.
const generation = 3

func noExecute(key string) corev1.Taint {
	added := metav1.NewTime(t0)
	return corev1.Taint{Key: key, Effect: corev1.TaintEffectNoExecute, TimeAdded: &added}
}

// down is a cluster the cluster controller has found not Ready: tainted
// not-ready NoSchedule and NoExecute since t0.
func down(name string) Cluster {
	added := metav1.NewTime(t0)
	return Cluster{Name: name, Taints: []corev1.Taint{
		{Key: clusterv1alpha1.TaintClusterNotReady, Effect: corev1.TaintEffectNoSchedule, TimeAdded: &added},
		noExecute(clusterv1alpha1.TaintClusterNotReady),
	}}
}

func up(name string) Cluster { return Cluster{Name: name, Ready: true} }

func tolerate(key string, seconds *int64) corev1.Toleration {
	return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds}
}

// spec433 is 10 replicas placed 4:3:3 on fra, hz and sh.
func spec433() *workv1alpha1.ResourceBindingSpec {
	return &workv1alpha1.ResourceBindingSpec{
		Replicas:  10,
		Placement: &policyv1alpha1.Placement{},
		Clusters:  []workv1alpha1.TargetCluster{{Name: "fra", Replicas: 4}, {Name: "hz", Replicas: 3}, {Name: "sh", Replicas: 3}},
	}
}

// withApp adds application failover with the given tolerationSeconds (nil:
// the default).
func withApp(spec *workv1alpha1.ResourceBindingSpec, seconds *int32) *workv1alpha1.ResourceBindingSpec {
	spec.Failover = &policyv1alpha1.FailoverBehavior{Application: &policyv1alpha1.ApplicationFailoverBehavior{
		DecisionConditions: policyv1alpha1.DecisionConditions{TolerationSeconds: seconds},
	}}
	return spec
}

func item(cluster string, health workv1alpha1.ResourceHealth, ready int32) workv1alpha1.AggregatedStatusItem {
	return workv1alpha1.AggregatedStatusItem{ClusterName: cluster, Applied: true, Health: health,
		Status: &runtime.RawExtension{Raw: fmt.Appendf(nil, `{"replicas":%d,"readyReplicas":%d}`, ready, ready)}}
}

// healthyStatus: scheduled at the generation, every target Healthy with its
// replicas ready.
func healthyStatus(spec *workv1alpha1.ResourceBindingSpec) *workv1alpha1.ResourceBindingStatus {
	s := &workv1alpha1.ResourceBindingStatus{Conditions: []metav1.Condition{
		{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionTrue, ObservedGeneration: generation}}}
	for _, c := range spec.Clusters {
		s.AggregatedStatus = append(s.AggregatedStatus, item(c.Name, workv1alpha1.ResourceHealthy, c.Replicas))
	}
	return s
}

// task is a graceful eviction task from cluster, created at t0.
func task(cluster string, mode policyv1alpha1.PurgeMode) workv1alpha1.GracefulEvictionTask {
	created := metav1.NewTime(t0)
	tk := workv1alpha1.GracefulEvictionTask{FromCluster: cluster, Reason: workv1alpha1.EvictionReasonTaintUntolerated, Message: "it failed",
		Producer: workv1alpha1.EvictionProducerTaintManager, PurgeMode: mode, CreationTimestamp: &created, Replicas: ptr.To[int32](4)}
	if mode == policyv1alpha1.PurgeNever {
		tk.SuppressDeletion = ptr.To(true)
	}
	return tk
}

// decide runs Decide with the test defaults filled in: generation 3, a
// healthy status, three Ready clusters, t0, the default options.
func decide(t *testing.T, in Input) Decision {
	t.Helper()
	if in.Generation == 0 {
		in.Generation = generation
	}
	if in.Spec == nil {
		in.Spec = spec433()
	}
	if in.Status == nil {
		in.Status = healthyStatus(in.Spec)
	}
	if in.Clusters == nil {
		in.Clusters = []Cluster{up("fra"), up("hz"), up("sh")}
	}
	if in.Now.IsZero() {
		in.Now = t0
	}
	before := in.Spec.DeepCopy()
	d, err := Decide(in)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if !equalSpec(before, in.Spec) {
		t.Fatal("Decide changed the spec it was given")
	}
	return d
}

func equalSpec(a, b *workv1alpha1.ResourceBindingSpec) bool {
	return reflect.DeepEqual(a, b)
}

func evicted(d Decision) []string {
	var out []string
	for _, e := range d.Evict {
		out = append(out, e.Cluster)
	}
	return out
}

func holdReasons(d Decision) []string {
	var out []string
	for _, h := range d.Holds {
		out = append(out, h.Reason)
	}
	return out
}

func ended(d Decision) []string {
	var out []string
	for _, e := range d.Ended {
		out = append(out, e.Cluster)
	}
	return out
}

func TestDecideClusterFailover(t *testing.T) {
	cases := []struct {
		name        string
		fra         Cluster
		tols        []corev1.Toleration
		alias       bool          // tolerations in placement.tolerations, not clusterTolerations
		at          time.Duration // after the taint's timeAdded
		wantEvict   []string
		wantRequeue time.Duration
		wantMessage string
	}{
		{name: "untolerated NoExecute taint: evicted at once, nothing to wait for", fra: down("fra"), at: time.Second,
			wantEvict: []string{"fra"}, wantMessage: "cluster fra is not Ready and taint cluster.kurator.dev/not-ready:NoExecute is not tolerated"},
		{name: "tolerated 30s, 10s after timeAdded: stays and looks again at timeAdded+30s", fra: down("fra"), at: 10 * time.Second,
			tols: []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, ptr.To[int64](30))}, wantRequeue: 20*time.Second + requeueSlack},
		{name: "tolerated 30s, at timeAdded+30s: evicted", fra: down("fra"), at: 30 * time.Second,
			tols:      []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, ptr.To[int64](30))},
			wantEvict: []string{"fra"}, wantMessage: "cluster fra is not Ready and taint cluster.kurator.dev/not-ready:NoExecute was tolerated for 30s"},
		{name: "toleration without tolerationSeconds: never evicted, no look again", fra: down("fra"), at: 24 * time.Hour,
			tols: []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, nil)}},
		{name: "Karmada's not-ready key tolerates our not-ready taint for its seconds", fra: down("fra"), at: 10 * time.Second,
			tols: []corev1.Toleration{tolerate("cluster.karmada.io/not-ready", ptr.To[int64](30))}, wantRequeue: 20*time.Second + requeueSlack},
		{name: "Karmada's unreachable key tolerates our unreachable taint for ever",
			fra: Cluster{Name: "fra", Taints: []corev1.Taint{noExecute(clusterv1alpha1.TaintClusterUnreachable)}}, at: time.Hour,
			tols: []corev1.Toleration{tolerate("cluster.karmada.io/unreachable", nil)}},
		{name: "Karmada's not-ready key does not tolerate the unreachable taint: evicted",
			fra: Cluster{Name: "fra", Taints: []corev1.Taint{noExecute(clusterv1alpha1.TaintClusterUnreachable)}}, at: time.Second,
			tols: []corev1.Toleration{tolerate("cluster.karmada.io/not-ready", nil)}, wantEvict: []string{"fra"}},
		{name: "placement.tolerations counts like clusterTolerations", fra: down("fra"), at: 10 * time.Second, alias: true,
			tols: []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, ptr.To[int64](30))}, wantRequeue: 20*time.Second + requeueSlack},
		{name: "NoSchedule taint alone: stays",
			fra: Cluster{Name: "fra", Taints: []corev1.Taint{{Key: clusterv1alpha1.TaintClusterNotReady, Effect: corev1.TaintEffectNoSchedule}}}, at: time.Hour},
		{name: "Ready cluster with an untolerated NoExecute taint of its own: evicted, the message says it is Ready",
			fra: Cluster{Name: "fra", Ready: true, Taints: []corev1.Taint{noExecute("example.com/maintenance")}}, at: time.Second,
			wantEvict: []string{"fra"}, wantMessage: "cluster fra is Ready but its taint example.com/maintenance:NoExecute is not tolerated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := spec433()
			if tc.alias {
				spec.Placement.Tolerations = tc.tols
			} else {
				spec.Placement.ClusterTolerations = tc.tols
			}
			d := decide(t, Input{Spec: spec, Clusters: []Cluster{tc.fra, up("hz"), up("sh")}, Now: t0.Add(tc.at)})
			if got := evicted(d); !slices.Equal(got, tc.wantEvict) {
				t.Fatalf("evicted %v, want %v (holds %+v)", got, tc.wantEvict, d.Holds)
			}
			if d.RequeueAfter != tc.wantRequeue {
				t.Errorf("requeue after %s, want %s", d.RequeueAfter, tc.wantRequeue)
			}
			if len(tc.wantEvict) == 0 {
				if d.Spec != nil {
					t.Errorf("spec written without an eviction: %+v", d.Spec)
				}
				return
			}
			e := d.Evict[0]
			if e.Message != tc.wantMessage && tc.wantMessage != "" {
				t.Errorf("message %q, want %q", e.Message, tc.wantMessage)
			}
			if e.Reason != workv1alpha1.EvictionReasonTaintUntolerated || e.Producer != workv1alpha1.EvictionProducerTaintManager {
				t.Errorf("reason %q producer %q, want TaintUntolerated by TaintManager", e.Reason, e.Producer)
			}
			if got := d.Spec.TargetClusterNames(); strings.Join(got, ",") != "hz,sh" {
				t.Errorf("targets after %v, want hz,sh", got)
			}
			if len(d.Spec.GracefulEvictionTasks) != 1 || d.Spec.GracefulEvictionTasks[0].FromCluster != "fra" || *d.Spec.GracefulEvictionTasks[0].Replicas != 4 {
				t.Errorf("tasks %+v, want one from fra with its 4 replicas", d.Spec.GracefulEvictionTasks)
			}
		})
	}
}

func TestDecideEvictionTaskFields(t *testing.T) {
	cases := []struct {
		name         string
		failover     *policyv1alpha1.FailoverBehavior
		cluster      bool // fra fails as a cluster; else its application fails
		wantReason   string
		wantMode     policyv1alpha1.PurgeMode
		wantSuppress bool
		wantGrace    *int32
	}{
		{name: "cluster failover without a failover section: Gracefully, the default grace", cluster: true,
			wantReason: workv1alpha1.EvictionReasonTaintUntolerated, wantMode: policyv1alpha1.PurgeGracefully},
		{name: "cluster failover purgeMode Never: task suppresses deletion", cluster: true,
			failover:   &policyv1alpha1.FailoverBehavior{Cluster: &policyv1alpha1.ClusterFailoverBehavior{PurgeMode: policyv1alpha1.PurgeNever}},
			wantReason: workv1alpha1.EvictionReasonTaintUntolerated, wantMode: policyv1alpha1.PurgeNever, wantSuppress: true},
		{name: "cluster failover purgeMode Immediately: recorded as Directly", cluster: true,
			failover:   &policyv1alpha1.FailoverBehavior{Cluster: &policyv1alpha1.ClusterFailoverBehavior{PurgeMode: policyv1alpha1.PurgeImmediately}},
			wantReason: workv1alpha1.EvictionReasonTaintUntolerated, wantMode: policyv1alpha1.PurgeDirectly},
		{name: "application failover with gracePeriodSeconds: the task carries it",
			failover: &policyv1alpha1.FailoverBehavior{Application: &policyv1alpha1.ApplicationFailoverBehavior{
				DecisionConditions: policyv1alpha1.DecisionConditions{TolerationSeconds: ptr.To[int32](60)}, GracePeriodSeconds: ptr.To[int32](90)}},
			wantReason: workv1alpha1.EvictionReasonApplicationFailure, wantMode: policyv1alpha1.PurgeGracefully, wantGrace: ptr.To[int32](90)},
		{name: "application failover purgeMode Directly: task of mode Directly",
			failover: &policyv1alpha1.FailoverBehavior{Application: &policyv1alpha1.ApplicationFailoverBehavior{
				DecisionConditions: policyv1alpha1.DecisionConditions{TolerationSeconds: ptr.To[int32](60)}, PurgeMode: policyv1alpha1.PurgeDirectly}},
			wantReason: workv1alpha1.EvictionReasonApplicationFailure, wantMode: policyv1alpha1.PurgeDirectly},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := spec433()
			spec.Failover = tc.failover
			in := Input{Spec: spec, Now: t0.Add(time.Minute)}
			if tc.cluster {
				in.Clusters = []Cluster{down("fra"), up("hz"), up("sh")}
			} else {
				in.Status = healthyStatus(spec)
				in.Status.AggregatedStatus[0] = item("fra", workv1alpha1.ResourceUnhealthy, 0)
				in.UnhealthySince = map[string]time.Time{"fra": t0}
			}
			d := decide(t, in)
			if d.Spec == nil || len(d.Spec.GracefulEvictionTasks) != 1 {
				t.Fatalf("want one task, got decision %+v", d)
			}
			tk := d.Spec.GracefulEvictionTasks[0]
			if tk.FromCluster != "fra" || tk.Reason != tc.wantReason || tk.PurgeMode != tc.wantMode || !tk.CreationTimestamp.Time.Equal(t0.Add(time.Minute)) {
				t.Errorf("task %+v, want from fra, reason %s, mode %s, created at the round", tk, tc.wantReason, tc.wantMode)
			}
			if got := tk.SuppressDeletion != nil && *tk.SuppressDeletion; got != tc.wantSuppress {
				t.Errorf("suppressDeletion %v, want %v", got, tc.wantSuppress)
			}
			if !ptr.Equal(tk.GracePeriodSeconds, tc.wantGrace) {
				t.Errorf("gracePeriodSeconds %v, want %v", ptr.Deref(tk.GracePeriodSeconds, -1), ptr.Deref(tc.wantGrace, -1))
			}
			if msg := d.Evict[0].EventMessage(); !strings.Contains(msg, "evicted from fra") || !strings.Contains(msg, "purgeMode "+string(tc.wantMode)) {
				t.Errorf("event %q does not name the cluster and the purge mode %s", msg, tc.wantMode)
			}
		})
	}
}

func TestDecidePause(t *testing.T) {
	cases := []struct {
		name       string
		clusters   []Cluster
		share      float64
		wantEvict  []string
		wantHolds  []string
		wantInCond string
	}{
		{name: "1 of 3 not Ready: evicted", clusters: []Cluster{down("fra"), up("hz"), up("sh")}, wantEvict: []string{"fra"}},
		{name: "2 of 3 not Ready, above the default 55%: both held with FailoverPaused",
			clusters:  []Cluster{down("fra"), down("hz"), up("sh")},
			wantHolds: []string{ReasonFailoverPaused, ReasonFailoverPaused}, wantInCond: "fra must be left (taint cluster.kurator.dev/not-ready:NoExecute is not tolerated) but 2 of 3 clusters are not Ready (67% > 55%)"},
		{name: "clusters outside the placement count: 3 of 5 not Ready pauses",
			clusters:  []Cluster{down("fra"), up("hz"), up("sh"), down("x"), down("y")},
			wantHolds: []string{ReasonFailoverPaused}, wantInCond: "3 of 5 clusters are not Ready"},
		{name: "share 1 never pauses: 2 of 3 not Ready are evicted", clusters: []Cluster{down("fra"), down("hz"), up("sh")}, share: 1,
			wantEvict: []string{"fra", "hz"}},
		{name: "share 0.7: 2 of 3 not Ready (67%) are evicted", clusters: []Cluster{down("fra"), down("hz"), up("sh")}, share: 0.7,
			wantEvict: []string{"fra", "hz"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asked := 0
			d := decide(t, Input{Clusters: tc.clusters, Now: t0.Add(time.Second), Options: Options{PauseShare: tc.share},
				Admit: func(string) time.Duration { asked++; return 0 }})
			if got := evicted(d); !slices.Equal(got, tc.wantEvict) {
				t.Errorf("evicted %v, want %v", got, tc.wantEvict)
			}
			if got := holdReasons(d); !slices.Equal(got, tc.wantHolds) {
				t.Errorf("holds %v, want %v", got, tc.wantHolds)
			}
			if len(tc.wantHolds) == 0 {
				return
			}
			if asked != 0 {
				t.Errorf("the rate limit was asked %d times during a pause: a paused cluster took a turn", asked)
			}
			if d.Spec != nil {
				t.Error("a paused round wrote the spec")
			}
			c := d.Condition
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ReasonFailoverPaused || !strings.Contains(c.Message, tc.wantInCond) {
				t.Fatalf("condition %+v, want False/FailoverPaused with %q", c, tc.wantInCond)
			}
			if !d.AnnounceHold {
				t.Error("a new pause is not announced")
			}
		})
	}
}

func TestDecideRateLimit(t *testing.T) {
	cases := []struct {
		name        string
		wait        map[string]time.Duration
		wantEvict   []string
		wantHolds   []string
		wantRequeue time.Duration
		wantInCond  string
	}{
		{name: "admitted at once: evicted", wantEvict: []string{"fra"}},
		{name: "its turn is in 4s: held with EvictionRateLimited, looked at again then",
			wait: map[string]time.Duration{"fra": 4 * time.Second}, wantHolds: []string{ReasonRateLimited}, wantRequeue: 4*time.Second + requeueSlack,
			wantInCond: "fra must be left (taint cluster.kurator.dev/not-ready:NoExecute is not tolerated); the fleet-wide eviction rate (--failover-eviction-rate) lets it go in 4s"},
		{name: "one admitted, one waiting: the admitted one is evicted, the other held",
			wait: map[string]time.Duration{"hz": 1500 * time.Millisecond}, wantEvict: []string{"fra"}, wantHolds: []string{ReasonRateLimited}, wantRequeue: 1500*time.Millisecond + requeueSlack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clusters := []Cluster{down("fra"), up("hz"), up("sh"), up("x")}
			if _, ok := tc.wait["hz"]; ok {
				clusters[1] = down("hz")
			}
			d := decide(t, Input{Clusters: clusters, Now: t0.Add(time.Second),
				Admit: func(c string) time.Duration { return tc.wait[c] }})
			if got := evicted(d); !slices.Equal(got, tc.wantEvict) {
				t.Errorf("evicted %v, want %v", got, tc.wantEvict)
			}
			if got := holdReasons(d); !slices.Equal(got, tc.wantHolds) {
				t.Errorf("holds %v, want %v", got, tc.wantHolds)
			}
			if d.RequeueAfter != tc.wantRequeue {
				t.Errorf("requeue after %s, want %s", d.RequeueAfter, tc.wantRequeue)
			}
			if tc.wantInCond != "" && (d.Condition == nil || d.Condition.Reason != ReasonRateLimited || d.Condition.Message != tc.wantInCond) {
				t.Errorf("condition %+v, want EvictionRateLimited %q", d.Condition, tc.wantInCond)
			}
		})
	}
	t.Run("a tolerated taint does not ask the rate limit for a turn", func(t *testing.T) {
		spec := spec433()
		spec.Placement.ClusterTolerations = []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, ptr.To[int64](60))}
		asked := 0
		decide(t, Input{Spec: spec, Clusters: []Cluster{down("fra"), up("hz"), up("sh")}, Now: t0.Add(time.Second),
			Admit: func(string) time.Duration { asked++; return 0 }})
		if asked != 0 {
			t.Errorf("asked %d times before the toleration ended", asked)
		}
	})
}

func TestDecideNoAlternative(t *testing.T) {
	unschedulable := &scheduler.UnschedulableError{Clusters: 3, Feasible: 2, Detail: "no enough resource"}
	cases := []struct {
		name       string
		dryRun     error
		tasks      []workv1alpha1.GracefulEvictionTask
		wantEvict  []string
		wantHolds  []string
		wantEnded  []string
		wantErr    bool
		wantInCond string
	}{
		{name: "the replicas fit elsewhere: evicted", wantEvict: []string{"fra"}},
		{name: "no other cluster can take the replicas: held with NoAlternativeCluster, nothing evicted", dryRun: unschedulable,
			wantHolds: []string{ReasonNoAlternative}, wantInCond: "fra must be left but no other cluster can take its replicas ("},
		{name: "a wrapped unschedulable error holds too", dryRun: fmt.Errorf("schedule default/web: %w", unschedulable),
			wantHolds: []string{ReasonNoAlternative}, wantInCond: "add capacity or widen the placement"},
		{name: "tasks still end while an eviction is held back", dryRun: unschedulable,
			tasks:     []workv1alpha1.GracefulEvictionTask{task("old", policyv1alpha1.PurgeGracefully)},
			wantHolds: []string{ReasonNoAlternative}, wantEnded: []string{"old"}},
		{name: "a dry run that cannot run ends the round with its error", dryRun: errors.New("list fleets: cache not synced"), wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := spec433()
			spec.GracefulEvictionTasks = tc.tasks
			var seen *workv1alpha1.ResourceBindingSpec
			in := Input{Generation: generation, Spec: spec, Status: healthyStatus(spec), Clusters: []Cluster{down("fra"), up("hz"), up("sh")}, Now: t0.Add(time.Second),
				DryRun: func(after *workv1alpha1.ResourceBindingSpec) error { seen = after; return tc.dryRun }}
			d, err := Decide(in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if seen == nil || slices.Contains(seen.TargetClusterNames(), "fra") || !slices.ContainsFunc(seen.GracefulEvictionTasks, func(t workv1alpha1.GracefulEvictionTask) bool { return t.FromCluster == "fra" }) {
				t.Errorf("the dry run saw %+v, want the spec after leaving fra", seen)
			}
			if got := evicted(d); !slices.Equal(got, tc.wantEvict) {
				t.Errorf("evicted %v, want %v", got, tc.wantEvict)
			}
			if got := holdReasons(d); !slices.Equal(got, tc.wantHolds) {
				t.Errorf("holds %v, want %v", got, tc.wantHolds)
			}
			if got := ended(d); !slices.Equal(got, tc.wantEnded) {
				t.Errorf("ended %v, want %v", got, tc.wantEnded)
			}
			if len(tc.wantHolds) > 0 && d.Spec != nil && !slices.Contains(d.Spec.TargetClusterNames(), "fra") {
				t.Errorf("a held eviction left fra anyway: %v", d.Spec.TargetClusterNames())
			}
			if tc.wantInCond != "" && (d.Condition == nil || d.Condition.Reason != ReasonNoAlternative || !strings.Contains(d.Condition.Message, tc.wantInCond)) {
				t.Errorf("condition %+v, want NoAlternativeCluster with %q", d.Condition, tc.wantInCond)
			}
		})
	}
	t.Run("nothing due: no dry run", func(t *testing.T) {
		called := false
		decide(t, Input{DryRun: func(*workv1alpha1.ResourceBindingSpec) error { called = true; return nil }})
		if called {
			t.Error("the dry run ran without an eviction")
		}
	})
}

func TestDecideApplicationFailover(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := []struct {
		name        string
		seconds     *int32 // decisionConditions.tolerationSeconds
		noApp       bool   // the policy has no application failover
		health      workv1alpha1.ResourceHealth
		fra         Cluster
		since       map[string]time.Time
		now         time.Duration
		wantEvict   []string
		wantSince   map[string]time.Time
		wantRequeue time.Duration
		wantMessage string
	}{
		{name: "first seen Unhealthy: the clock starts now and looks again after tolerationSeconds", seconds: ptr.To[int32](60), health: workv1alpha1.ResourceUnhealthy,
			now: time.Minute, wantSince: map[string]time.Time{"fra": at(time.Minute)}, wantRequeue: time.Minute + requeueSlack},
		{name: "Unhealthy 59s of 60s: stays", seconds: ptr.To[int32](60), health: workv1alpha1.ResourceUnhealthy,
			since: map[string]time.Time{"fra": t0}, now: 59 * time.Second, wantSince: map[string]time.Time{"fra": t0}, wantRequeue: time.Second + requeueSlack},
		{name: "Unhealthy 60s of 60s: evicted", seconds: ptr.To[int32](60), health: workv1alpha1.ResourceUnhealthy,
			since: map[string]time.Time{"fra": t0}, now: time.Minute, wantEvict: []string{"fra"}, wantSince: map[string]time.Time{"fra": t0},
			wantMessage: "the application has been Unhealthy in fra for 1m0s (tolerationSeconds 60)"},
		{name: "default toleration 300s: not evicted at 299s", health: workv1alpha1.ResourceUnhealthy,
			since: map[string]time.Time{"fra": t0}, now: 299 * time.Second, wantSince: map[string]time.Time{"fra": t0}, wantRequeue: time.Second + requeueSlack},
		{name: "default toleration 300s: evicted at 300s", health: workv1alpha1.ResourceUnhealthy,
			since: map[string]time.Time{"fra": t0}, now: 300 * time.Second, wantEvict: []string{"fra"}, wantSince: map[string]time.Time{"fra": t0},
			wantMessage: "(tolerationSeconds 300)"},
		{name: "tolerationSeconds 0: evicted when first seen", seconds: ptr.To[int32](0), health: workv1alpha1.ResourceUnhealthy,
			now: time.Minute, wantEvict: []string{"fra"}, wantSince: map[string]time.Time{"fra": at(time.Minute)}},
		{name: "Healthy again: the clock is forgotten", seconds: ptr.To[int32](60), health: workv1alpha1.ResourceHealthy,
			since: map[string]time.Time{"fra": t0}, now: time.Hour, wantSince: map[string]time.Time{}},
		{name: "Unknown health is not Unhealthy: no clock", seconds: ptr.To[int32](60), health: workv1alpha1.ResourceUnknownHealth,
			now: time.Hour, wantSince: map[string]time.Time{}},
		{name: "cluster not Ready: left to cluster failover, the clock stops", seconds: ptr.To[int32](60), health: workv1alpha1.ResourceUnhealthy,
			fra: Cluster{Name: "fra"}, since: map[string]time.Time{"fra": t0}, now: time.Hour, wantSince: map[string]time.Time{}},
		{name: "no application failover in the policy: nothing evicted, nothing kept", noApp: true, health: workv1alpha1.ResourceUnhealthy,
			since: map[string]time.Time{"fra": t0}, now: time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := spec433()
			if !tc.noApp {
				withApp(spec, tc.seconds)
			}
			status := healthyStatus(spec)
			status.AggregatedStatus[0] = item("fra", tc.health, 0)
			fra := tc.fra
			if fra.Name == "" {
				fra = up("fra")
			}
			d := decide(t, Input{Spec: spec, Status: status, Clusters: []Cluster{fra, up("hz"), up("sh")}, UnhealthySince: tc.since, Now: at(tc.now)})
			if got := evicted(d); !slices.Equal(got, tc.wantEvict) {
				t.Fatalf("evicted %v, want %v", got, tc.wantEvict)
			}
			if fmt.Sprint(d.UnhealthySince) != fmt.Sprint(tc.wantSince) || (d.UnhealthySince == nil) != (tc.wantSince == nil) {
				t.Errorf("unhealthy since %v, want %v", d.UnhealthySince, tc.wantSince)
			}
			if d.RequeueAfter != tc.wantRequeue {
				t.Errorf("requeue after %s, want %s", d.RequeueAfter, tc.wantRequeue)
			}
			if len(d.Evict) > 0 {
				e := d.Evict[0]
				if e.Reason != workv1alpha1.EvictionReasonApplicationFailure || e.Producer != workv1alpha1.EvictionProducerApplicationFailure || !strings.Contains(e.Message, tc.wantMessage) {
					t.Errorf("eviction %+v, want ApplicationFailure with %q", e, tc.wantMessage)
				}
			}
		})
	}
	t.Run("the record passed in is not changed", func(t *testing.T) {
		spec := withApp(spec433(), ptr.To[int32](60))
		status := healthyStatus(spec)
		status.AggregatedStatus[1] = item("hz", workv1alpha1.ResourceUnhealthy, 0)
		since := map[string]time.Time{"fra": t0}
		d := decide(t, Input{Spec: spec, Status: status, UnhealthySince: since, Now: t0.Add(time.Second)})
		if len(since) != 1 || !since["fra"].Equal(t0) {
			t.Errorf("input record changed to %v", since)
		}
		if _, ok := d.UnhealthySince["hz"]; !ok || len(d.UnhealthySince) != 1 {
			t.Errorf("record %v, want hz only", d.UnhealthySince)
		}
	})
	t.Run("the pause does not hold application failover back", func(t *testing.T) {
		spec := withApp(spec433(), ptr.To[int32](60))
		spec.Placement.ClusterTolerations = []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, nil)}
		status := healthyStatus(spec)
		status.AggregatedStatus[0] = item("fra", workv1alpha1.ResourceUnhealthy, 0)
		d := decide(t, Input{Spec: spec, Status: status, Clusters: []Cluster{up("fra"), down("hz"), down("sh")},
			UnhealthySince: map[string]time.Time{"fra": t0}, Now: t0.Add(time.Minute)})
		if got := evicted(d); !slices.Equal(got, []string{"fra"}) {
			t.Errorf("evicted %v, want fra", got)
		}
	})
}

func TestDecideEvictsNothingTwice(t *testing.T) {
	t.Run("a cluster both tainted and Unhealthy too long is evicted once, for its taint", func(t *testing.T) {
		spec := withApp(spec433(), ptr.To[int32](60))
		status := healthyStatus(spec)
		status.AggregatedStatus[0] = item("fra", workv1alpha1.ResourceUnhealthy, 0)
		fra := Cluster{Name: "fra", Ready: true, Taints: []corev1.Taint{noExecute("example.com/maintenance")}}
		d := decide(t, Input{Spec: spec, Status: status, Clusters: []Cluster{fra, up("hz"), up("sh")}, UnhealthySince: map[string]time.Time{"fra": t0}, Now: t0.Add(time.Hour)})
		if len(d.Evict) != 1 || d.Evict[0].Reason != workv1alpha1.EvictionReasonTaintUntolerated {
			t.Fatalf("evictions %+v, want one for the taint", d.Evict)
		}
		if len(d.Spec.GracefulEvictionTasks) != 1 {
			t.Errorf("tasks %+v, want one", d.Spec.GracefulEvictionTasks)
		}
	})
	t.Run("a cluster already left is not evicted again", func(t *testing.T) {
		spec := spec433()
		spec.Clusters = spec.Clusters[1:]
		spec.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("fra", policyv1alpha1.PurgeNever)}
		d := decide(t, Input{Spec: spec, Clusters: []Cluster{down("fra"), up("hz"), up("sh")}, Now: t0.Add(time.Hour)})
		if len(d.Evict) != 0 || d.Spec != nil {
			t.Errorf("evictions %+v, spec %+v; want none", d.Evict, d.Spec)
		}
	})
	t.Run("the next round on the written spec evicts nothing new", func(t *testing.T) {
		clusters := []Cluster{down("fra"), up("hz"), up("sh")}
		first := decide(t, Input{Clusters: clusters, Now: t0.Add(time.Second)})
		if len(first.Evict) != 1 {
			t.Fatalf("first round evicted %v", evicted(first))
		}
		second := decide(t, Input{Generation: generation + 1, Spec: first.Spec, Status: healthyStatus(spec433()), Clusters: clusters, Now: t0.Add(2 * time.Second)})
		if len(second.Evict) != 0 {
			t.Errorf("second round evicted %v again", evicted(second))
		}
	})
}

func TestDecideEndsTasks(t *testing.T) {
	withGrace := func(tk workv1alpha1.GracefulEvictionTask, s int32) workv1alpha1.GracefulEvictionTask {
		tk.GracePeriodSeconds = &s
		return tk
	}
	cases := []struct {
		name        string
		task        workv1alpha1.GracefulEvictionTask
		unhealthy   bool // the new placement is not yet healthy
		grace       time.Duration
		at          time.Duration
		wantEnded   bool
		wantWhy     string
		wantRequeue time.Duration
	}{
		{name: "Gracefully: ends once the new placement is healthy", task: task("fra", policyv1alpha1.PurgeGracefully), at: time.Second,
			wantEnded: true, wantWhy: "the new placement is healthy"},
		{name: "Gracefully, placement not healthy: kept, looked at again when the default 10m grace ends", task: task("fra", policyv1alpha1.PurgeGracefully),
			unhealthy: true, at: time.Minute, wantRequeue: 9*time.Minute + requeueSlack},
		{name: "Gracefully, placement not healthy: ends when the default 10m grace has passed", task: task("fra", ""),
			unhealthy: true, at: 10 * time.Minute, wantEnded: true, wantWhy: "the grace period of 10m0s passed"},
		{name: "Gracefully: the controller's grace period replaces the default", task: task("fra", policyv1alpha1.PurgeGracefully),
			unhealthy: true, grace: 2 * time.Minute, at: 2 * time.Minute, wantEnded: true, wantWhy: "grace period of 2m0s"},
		{name: "Gracefully: the task's gracePeriodSeconds wins over the controller's", task: withGrace(task("fra", policyv1alpha1.PurgeGracefully), 30),
			unhealthy: true, grace: 2 * time.Minute, at: 31 * time.Second, wantEnded: true, wantWhy: "grace period of 30s"},
		{name: "Never: kept even when healthy and a day late, nothing to wait for", task: task("fra", policyv1alpha1.PurgeNever), at: 24 * time.Hour},
		{name: "Directly: keeps the cluster out for the grace period even when healthy", task: task("fra", policyv1alpha1.PurgeDirectly),
			at: time.Minute, wantRequeue: 9*time.Minute + requeueSlack},
		{name: "Directly: ends when the grace period has passed", task: task("fra", policyv1alpha1.PurgeDirectly),
			at: 10 * time.Minute, wantEnded: true, wantWhy: "the grace period of 10m0s passed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := spec433()
			spec.Clusters = []workv1alpha1.TargetCluster{{Name: "hz", Replicas: 5}, {Name: "sh", Replicas: 5}}
			spec.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{tc.task}
			status := healthyStatus(spec)
			if tc.unhealthy {
				status.AggregatedStatus[0] = item("hz", workv1alpha1.ResourceHealthy, 3)
			}
			d := decide(t, Input{Spec: spec, Status: status, Now: t0.Add(tc.at), Options: Options{GracePeriod: tc.grace}})
			if got := len(d.Ended) == 1; got != tc.wantEnded {
				t.Fatalf("ended %v, want ended: %v", ended(d), tc.wantEnded)
			}
			if d.RequeueAfter != tc.wantRequeue {
				t.Errorf("requeue after %s, want %s", d.RequeueAfter, tc.wantRequeue)
			}
			if !tc.wantEnded {
				if d.Spec != nil {
					t.Errorf("spec written though no task ended: %+v", d.Spec.GracefulEvictionTasks)
				}
				return
			}
			if want := "left fra (evicted at 2026-11-25T12:00:00Z: TaintUntolerated): "; !strings.HasPrefix(d.Ended[0].Message, want) || !strings.Contains(d.Ended[0].Message, tc.wantWhy) {
				t.Errorf("message %q, want %q... %q", d.Ended[0].Message, want, tc.wantWhy)
			}
			if d.Spec == nil || len(d.Spec.GracefulEvictionTasks) != 0 || len(d.Spec.Clusters) != 2 {
				t.Errorf("spec %+v, want the task removed and the targets kept", d.Spec)
			}
		})
	}
	t.Run("no task ends in a round that evicts", func(t *testing.T) {
		spec := spec433()
		spec.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("old", policyv1alpha1.PurgeGracefully)}
		d := decide(t, Input{Spec: spec, Clusters: []Cluster{down("fra"), up("hz"), up("sh")}, Now: t0.Add(time.Hour)})
		if len(d.Ended) != 0 || len(d.Evict) != 1 {
			t.Fatalf("ended %v, evicted %v; want fra evicted and no task ended", ended(d), evicted(d))
		}
		if n := len(d.Spec.GracefulEvictionTasks); n != 2 {
			t.Errorf("%d tasks, want the old one kept and fra's added", n)
		}
	})
	t.Run("only the tasks that are over end", func(t *testing.T) {
		spec := spec433()
		spec.Clusters = spec.Clusters[1:]
		spec.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("fra", policyv1alpha1.PurgeNever), task("old", policyv1alpha1.PurgeGracefully)}
		d := decide(t, Input{Spec: spec, Now: t0.Add(time.Second)})
		if got := ended(d); !slices.Equal(got, []string{"old"}) {
			t.Fatalf("ended %v, want old", got)
		}
		if len(d.Spec.GracefulEvictionTasks) != 1 || d.Spec.GracefulEvictionTasks[0].FromCluster != "fra" {
			t.Errorf("tasks %+v, want fra's kept", d.Spec.GracefulEvictionTasks)
		}
	})
}

func TestDecideCondition(t *testing.T) {
	cond := func(status metav1.ConditionStatus, reason, msg string) []metav1.Condition {
		return []metav1.Condition{{Type: workv1alpha1.ConditionFailover, Status: status, Reason: reason, Message: msg}}
	}
	afterFra := func() *workv1alpha1.ResourceBindingSpec {
		s := spec433()
		s.Clusters = []workv1alpha1.TargetCluster{{Name: "hz", Replicas: 5}, {Name: "sh", Replicas: 5}}
		return s
	}
	cases := []struct {
		name         string
		spec         *workv1alpha1.ResourceBindingSpec
		old          []metav1.Condition
		clusters     []Cluster
		unhealthy    bool
		wantNone     bool
		wantStatus   metav1.ConditionStatus
		wantReason   string
		wantInMsg    []string
		wantGen      int64
		wantAnnounce bool
	}{
		{name: "never failed over: no condition", wantNone: true},
		{name: "evicted this round: True/Evicting, not yet scheduled, at the generation the write makes",
			clusters:   []Cluster{down("fra"), up("hz"), up("sh")},
			wantStatus: metav1.ConditionTrue, wantReason: ReasonEvicting, wantGen: generation + 1,
			wantInMsg: []string{"leaving fra since 2026-11-25T12:00:01Z (TaintUntolerated: cluster fra is not Ready", "its objects stay until the new placement is healthy (now: not yet scheduled to its new clusters) or 10m0s after the eviction"}},
		{name: "Gracefully task waiting: the message says what the new placement lacks",
			spec: func() *workv1alpha1.ResourceBindingSpec {
				s := afterFra()
				s.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("fra", policyv1alpha1.PurgeGracefully)}
				return s
			}(),
			unhealthy: true, wantStatus: metav1.ConditionTrue, wantReason: ReasonEvicting, wantGen: generation,
			wantInMsg: []string{"leaving fra since 2026-11-25T12:00:00Z (TaintUntolerated: it failed)", "(now: 3 of 5 replicas are ready in hz)"}},
		{name: "Never task: the message says how to end it",
			spec: func() *workv1alpha1.ResourceBindingSpec {
				s := afterFra()
				s.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("fra", policyv1alpha1.PurgeNever)}
				return s
			}(),
			wantStatus: metav1.ConditionTrue, wantReason: ReasonEvicting, wantGen: generation,
			wantInMsg: []string{"purgeMode Never keeps its objects there until the task is removed from spec.gracefulEvictionTasks"}},
		{name: "Directly task: the message says the cluster stays out for the grace period",
			spec: func() *workv1alpha1.ResourceBindingSpec {
				s := afterFra()
				s.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("fra", policyv1alpha1.PurgeDirectly)}
				return s
			}(),
			wantStatus: metav1.ConditionTrue, wantReason: ReasonEvicting, wantGen: generation,
			wantInMsg: []string{"its objects were removed (purgeMode Directly); the cluster stays out of the placement until 10m0s after the eviction"}},
		{name: "the last task ended: False/FailoverCompleted with what ended and when",
			spec: func() *workv1alpha1.ResourceBindingSpec {
				s := afterFra()
				s.GracefulEvictionTasks = []workv1alpha1.GracefulEvictionTask{task("fra", policyv1alpha1.PurgeGracefully)}
				return s
			}(),
			old:        cond(metav1.ConditionTrue, ReasonEvicting, "leaving fra"),
			wantStatus: metav1.ConditionFalse, wantReason: ReasonFailoverCompleted, wantGen: generation + 1,
			wantInMsg: []string{"last eviction finished at 2026-11-25T12:00:01Z: left fra (evicted at 2026-11-25T12:00:00Z: TaintUntolerated): the new placement is healthy, so its objects there are removed"}},
		{name: "completed before and nothing new: the condition stays as it is",
			old: cond(metav1.ConditionFalse, ReasonFailoverCompleted, "last eviction finished at some time"), wantNone: true},
		{name: "tasks removed by hand while Evicting: False/FailoverCompleted, no eviction in progress",
			old:        cond(metav1.ConditionTrue, ReasonEvicting, "leaving fra"),
			wantStatus: metav1.ConditionFalse, wantReason: ReasonFailoverCompleted, wantGen: generation, wantInMsg: []string{"no eviction in progress"}},
		{name: "a hold replaces Evicting and is announced",
			old:        cond(metav1.ConditionTrue, ReasonEvicting, "leaving x"),
			clusters:   []Cluster{down("fra"), down("hz"), up("sh")},
			wantStatus: metav1.ConditionFalse, wantReason: ReasonFailoverPaused, wantGen: generation, wantAnnounce: true,
			wantInMsg: []string{"fra must be left", "; hz must be left"}},
		{name: "the same hold with a new message is rewritten, not announced again",
			old:        cond(metav1.ConditionFalse, ReasonFailoverPaused, "fra must be left (...) but 2 of 4 clusters are not Ready"),
			clusters:   []Cluster{down("fra"), down("hz"), up("sh")},
			wantStatus: metav1.ConditionFalse, wantReason: ReasonFailoverPaused, wantGen: generation,
			wantInMsg: []string{"2 of 3 clusters are not Ready"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			if spec == nil {
				spec = spec433()
			}
			status := healthyStatus(spec)
			status.Conditions = append(status.Conditions, tc.old...)
			if tc.unhealthy {
				status.AggregatedStatus[0] = item("hz", workv1alpha1.ResourceHealthy, 3)
			}
			d := decide(t, Input{Spec: spec, Status: status, Clusters: tc.clusters, Now: t0.Add(time.Second)})
			if tc.wantNone {
				if d.Condition != nil {
					t.Errorf("condition %+v, want none written", d.Condition)
				}
				return
			}
			c := d.Condition
			if c == nil {
				t.Fatal("no condition")
			}
			if c.Type != workv1alpha1.ConditionFailover || c.Status != tc.wantStatus || c.Reason != tc.wantReason || c.ObservedGeneration != tc.wantGen {
				t.Errorf("condition %s=%s/%s at generation %d, want Failover=%s/%s at %d", c.Type, c.Status, c.Reason, c.ObservedGeneration, tc.wantStatus, tc.wantReason, tc.wantGen)
			}
			for _, w := range tc.wantInMsg {
				if !strings.Contains(c.Message, w) {
					t.Errorf("message %q lacks %q", c.Message, w)
				}
			}
			if d.AnnounceHold != tc.wantAnnounce {
				t.Errorf("announce %v, want %v", d.AnnounceHold, tc.wantAnnounce)
			}
		})
	}
	t.Run("the same hold again: the condition stays as it is", func(t *testing.T) {
		clusters := []Cluster{down("fra"), down("hz"), up("sh")}
		first := decide(t, Input{Clusters: clusters, Now: t0.Add(time.Second)})
		status := healthyStatus(spec433())
		status.Conditions = append(status.Conditions, *first.Condition)
		again := decide(t, Input{Status: status, Clusters: clusters, Now: t0.Add(5 * time.Second)})
		if again.Condition != nil || again.AnnounceHold {
			t.Errorf("condition %+v (announce %v), want none: nothing changed", again.Condition, again.AnnounceHold)
		}
		if len(again.Holds) != 2 {
			t.Errorf("holds %v, want both clusters still held", holdReasons(again))
		}
	})
	t.Run("several holds: the first one's reason, every message", func(t *testing.T) {
		d := decide(t, Input{Clusters: []Cluster{down("fra"), down("hz"), up("sh"), up("x"), up("y")}, Now: t0.Add(time.Second),
			Admit: func(c string) time.Duration {
				if c == "hz" {
					return time.Second
				}
				return 0
			},
			DryRun: func(*workv1alpha1.ResourceBindingSpec) error { return &scheduler.UnschedulableError{} }})
		if got := holdReasons(d); !slices.Equal(got, []string{ReasonRateLimited, ReasonNoAlternative}) {
			t.Fatalf("holds %v, want rate limited hz then no alternative for fra", got)
		}
		c := d.Condition
		if c == nil || c.Reason != ReasonRateLimited || !strings.Contains(c.Message, "hz must be left") || !strings.Contains(c.Message, "; fra must be left but no other cluster") {
			t.Errorf("condition %+v", c)
		}
	})
}

func TestDecideRequeuesAtTheEarliestDeadline(t *testing.T) {
	spec := withApp(spec433(), ptr.To[int32](20))
	spec.Placement.ClusterTolerations = []corev1.Toleration{tolerate(clusterv1alpha1.TaintClusterNotReady, ptr.To[int64](30))}
	status := healthyStatus(spec)
	status.AggregatedStatus[1] = item("hz", workv1alpha1.ResourceUnhealthy, 0)
	cases := []struct {
		name      string
		clusters  []Cluster
		now       time.Duration
		wantEvict []string
		want      time.Duration
	}{
		{name: "the application deadline (t0+20s) comes before the toleration's (t0+30s)", clusters: []Cluster{down("fra"), up("hz"), up("sh")},
			now: 5 * time.Second, want: 15*time.Second + requeueSlack},
		{name: "once the application is evicted, the toleration's deadline is next", clusters: []Cluster{down("fra"), up("hz"), up("sh")},
			now: 20 * time.Second, wantEvict: []string{"hz"}, want: 10*time.Second + requeueSlack},
		{name: "the application deadline alone", clusters: []Cluster{up("fra"), up("hz"), up("sh")},
			now: 5 * time.Second, want: 15*time.Second + requeueSlack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, Input{Spec: spec, Status: status, Clusters: tc.clusters,
				UnhealthySince: map[string]time.Time{"hz": t0}, Now: t0.Add(tc.now)})
			if got := evicted(d); !slices.Equal(got, tc.wantEvict) || d.RequeueAfter != tc.want {
				t.Errorf("evicted %v, requeue after %s; want %v, %s", got, d.RequeueAfter, tc.wantEvict, tc.want)
			}
		})
	}
	t.Run("nothing pending: no requeue", func(t *testing.T) {
		if d := decide(t, Input{}); d.RequeueAfter != 0 {
			t.Errorf("requeue after %s, want none", d.RequeueAfter)
		}
	})
}

func TestEvictedClusterReadsTheEventMessageBack(t *testing.T) {
	msg := Eviction{Cluster: "cluster-frankfurt", Message: "taint cluster.kurator.dev/not-ready:NoExecute not tolerated: a: b"}.EventMessage()
	if c, ok := EvictedCluster(msg); !ok || c != "cluster-frankfurt" {
		t.Fatalf("EvictedCluster(%q) = %q, %v; want cluster-frankfurt", msg, c, ok)
	}
	if _, ok := EvictedCluster("scheduled to cluster-hangzhou:6"); ok {
		t.Fatal("another message read as an eviction")
	}
}
