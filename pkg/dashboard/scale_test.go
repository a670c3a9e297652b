package dashboard

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// promoJSON is seed 000's policy as the console prints it.
const promoJSON = `{
"name": "promo-scale-policy",
"targetClusters": ["north-cluster", "south-cluster"],
"trigger": {"type": "resource", "metric": "cpu", "threshold": 70, "duration": "5m"},
"action": {"type": "scale", "nodePool": {"name": "worker-pool", "minNodes": 2, "maxNodes": 5}, "deployment": {"name": "order-service", "replicas": 30}}
}`

// promoPolicy is the seed's policy, scaled out once (succeeded) and
// being scaled out again with a failed pod and a node not Ready.
func promoPolicy(t *testing.T) *autoscalingv1alpha1.ScalePolicy {
	t.Helper()
	var p autoscalingv1alpha1.ScalePolicy
	if err := json.Unmarshal([]byte(promoJSON), &p); err != nil {
		t.Fatal(err)
	}
	p.Namespace, p.ObjectMeta.Name = "default", "promo-scale-policy"
	p.Status = autoscalingv1alpha1.ScalePolicyStatus{
		Trigger: autoscalingv1alpha1.TriggerResource, Phase: autoscalingv1alpha1.PhaseScaledOut, Value: "81.2%",
		LastScaleTime: mt(10), LastEvaluationTime: mt(11), NextEvaluationTime: mt(12),
		Clusters: []autoscalingv1alpha1.ClusterEvaluation{
			{Name: "north-cluster", Value: "81.2", Min: "78.0", Max: "84.5", Samples: 10, Verdict: "Above", Message: "above 70% for 5m"},
			{Name: "south-cluster", Value: "66.0", Min: "61.0", Max: "74.0", Samples: 10, Verdict: "Mixed"},
		},
		Before: []autoscalingv1alpha1.ScaleChange{{Kind: "Deployment", Namespace: "default", Name: "order-service", From: 20, To: 20, Ready: 20}},
		Executions: []autoscalingv1alpha1.ScaleExecution{
			{ID: 1, Time: *mt(-60), Trigger: "resource", Direction: "Out", Reason: "cpu 75% > 70% for 5m", Result: "Succeeded", CompletionTime: mt(-58),
				Changes: []autoscalingv1alpha1.ScaleChange{{Kind: "Deployment", Namespace: "default", Name: "order-service", From: 10, To: 20, Ready: 20}}},
			{ID: 2, Time: *mt(10), Trigger: "manual", Direction: "Out", Reason: "kurator scale trigger", Result: "InProgress",
				Changes: []autoscalingv1alpha1.ScaleChange{
					{Kind: "NodePool", Name: "worker-pool", Cluster: "north-cluster", From: 3, To: 5, Ready: 4},
					{Kind: "Deployment", Namespace: "default", Name: "order-service", From: 20, To: 30, Ready: 27},
				},
				FailedPods:  []string{"north-cluster/default/order-service-7d9c-x2: ImagePullBackOff: image not found"},
				FailedNodes: []string{"north-cluster/north-cluster-worker-pool-5: NotReady"}},
		},
		Conditions: []metav1.Condition{
			{Type: "MetricsAvailable", Status: "True", Reason: "Read"},
			{Type: "Ready", Status: "True", Reason: "Acting"},
		},
	}
	return &p
}

func pool(cluster, name string, replicas, nodes, ready int32) autoscalingv1alpha1.NodePool {
	np := autoscalingv1alpha1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-system", Name: cluster + "-" + name},
		Spec: autoscalingv1alpha1.NodePoolSpec{Cluster: cluster, PoolName: name, Replicas: replicas, MinNodes: 2, MaxNodes: 5,
			Provider: autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}}},
		Status: autoscalingv1alpha1.NodePoolStatus{Provider: "kwok", Replicas: nodes, ReadyReplicas: ready},
	}
	for i := range nodes {
		np.Status.Nodes = append(np.Status.Nodes, autoscalingv1alpha1.PoolNode{Name: cluster + "-" + name + "-" + string(rune('1'+i)), Ready: i < ready})
	}
	return np
}

func TestScaleTriggerText(t *testing.T) {
	threshold := func(v int32) *int32 { return &v }
	dur := func(s string) *metav1.Duration {
		d, _ := time.ParseDuration(s)
		return &metav1.Duration{Duration: d}
	}
	deploy := &autoscalingv1alpha1.ScaleAction{Deployment: &autoscalingv1alpha1.WorkloadAction{Name: "order-service", Replicas: intstr.FromInt32(30)}}
	poolOnly := &autoscalingv1alpha1.ScaleAction{NodePool: &autoscalingv1alpha1.NodePoolAction{Name: "worker-pool"}}
	cases := []struct {
		name string
		spec autoscalingv1alpha1.ScalePolicySpec
		want string
	}{
		{"the seed's resource trigger reads as the console says it", promoSpec(t),
			"cpu above 70% for 5m in north-cluster, south-cluster"},
		{"no duration is the 5m default; a scale-in threshold is said",
			autoscalingv1alpha1.ScalePolicySpec{Trigger: &autoscalingv1alpha1.ScaleTrigger{Type: "resource", Metric: "memory", Threshold: threshold(80), ScaleInThreshold: threshold(50)}, Action: deploy},
			"memory above 80% for 5m, clear below 50% in every cluster its workloads are placed in"},
		{"a node-pool-only action reads the cluster's nodes",
			autoscalingv1alpha1.ScalePolicySpec{TargetClusters: []string{"north"}, Trigger: &autoscalingv1alpha1.ScaleTrigger{Type: "resource", Metric: "cpu", Threshold: threshold(70), Duration: dur("90s")}, Action: poolOnly},
			"node cpu above 70% for 1m30s in north"},
		{"a custom query says so",
			autoscalingv1alpha1.ScalePolicySpec{TargetClusters: []string{"north"}, Trigger: &autoscalingv1alpha1.ScaleTrigger{Type: "resource", Metric: "cpu", Threshold: threshold(70), Query: "up"}, Action: deploy},
			"cpu (custom query) above 70% for 5m in north"},
		{"cron with its zone and how long it lasts",
			autoscalingv1alpha1.ScalePolicySpec{TargetClusters: []string{"north"}, Trigger: &autoscalingv1alpha1.ScaleTrigger{Type: "cron", Schedule: "0 8 * * 1-5", TimeZone: "Asia/Shanghai", Duration: dur("2h")}, Action: deploy},
			"at 0 8 * * 1-5 (Asia/Shanghai), scaled out for 2h in north"},
		{"cron without a zone is UTC",
			autoscalingv1alpha1.ScalePolicySpec{TargetClusters: []string{"north"}, Trigger: &autoscalingv1alpha1.ScaleTrigger{Type: "cron", Schedule: "@daily"}, Action: deploy},
			"at @daily (UTC) in north"},
		{"predictive with its lead time and season",
			autoscalingv1alpha1.ScalePolicySpec{TargetClusters: []string{"north"}, Trigger: &autoscalingv1alpha1.ScaleTrigger{Type: "predictive", Metric: "cpu", Threshold: threshold(70), LeadTime: dur("10m")}, Action: deploy},
			"cpu forecast to cross 70%, acting 10m ahead (seasonal, 24h season) in north"},
		{"no trigger says only a manual run acts", autoscalingv1alpha1.ScalePolicySpec{Action: deploy},
			"no trigger: only `kurator scale trigger` runs it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ScaleTriggerText(c.spec); got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func promoSpec(t *testing.T) autoscalingv1alpha1.ScalePolicySpec {
	return promoPolicy(t).Resolved()
}

func TestScaleActionAndReplicasText(t *testing.T) {
	got := ScaleActionTexts("default", promoSpec(t).Action)
	want := []string{"node pool worker-pool: up to 5 nodes (2 after the scale-in) in each target cluster", "Deployment default/order-service: 30 replicas"}
	if !slices.Equal(got, want) {
		t.Fatalf("actions %q, want %q", got, want)
	}
	cases := []struct {
		in   intstr.IntOrString
		want string
	}{
		{intstr.FromInt32(30), "30 replicas"},
		{intstr.FromString("+5"), "5 more replicas"},
		{intstr.FromString("+30%"), "30% more replicas"},
		{intstr.FromString("-2"), "2 fewer replicas"},
		{intstr.FromString("150%"), "150% of the replicas"},
	}
	for _, c := range cases {
		if got := ReplicasText(c.in); got != c.want {
			t.Errorf("ReplicasText(%s) = %q, want %q", c.in.String(), got, c.want)
		}
	}
}

func TestScalePolicySummaryOfTheSeedPolicy(t *testing.T) {
	s := ScalePolicyOf(promoPolicy(t))
	if s.Name != "promo-scale-policy" || s.Trigger != "resource" || s.Phase != "ScaledOut" || s.Value != "81.2%" || s.Threshold != "70%" || !s.Over {
		t.Fatalf("summary %+v", s)
	}
	if s.Last == nil || s.Last.ID != 2 || s.Last.Result != ResultInProgress {
		t.Fatalf("last execution %+v, want execution 2 in progress (the newest, though listed last)", s.Last)
	}
	if s.Message != "" {
		t.Fatalf("message %q for a policy that is fine", s.Message)
	}
	if !slices.Equal(s.Targets, []string{"north-cluster", "south-cluster"}) || !s.LastScale.Equal(mt(10).Time) {
		t.Fatalf("targets %v, last scale %v", s.Targets, s.LastScale)
	}
}

func TestScalePolicyMessageSaysWhatNeedsAPerson(t *testing.T) {
	cases := []struct {
		name string
		edit func(p *autoscalingv1alpha1.ScalePolicy)
		want string
	}{
		{"Ready False comes first", func(p *autoscalingv1alpha1.ScalePolicy) {
			p.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: "False", Message: "cluster east-cluster does not exist: fix targetClusters"},
				{Type: "Conflict", Status: "True", Message: "promo-2 also scales order-service"}}
		}, "cluster east-cluster does not exist: fix targetClusters"},
		{"a conflict next", func(p *autoscalingv1alpha1.ScalePolicy) {
			p.Status.Conditions = []metav1.Condition{{Type: "Conflict", Status: "True", Message: "promo-2 also scales order-service"}}
		}, "promo-2 also scales order-service"},
		{"then a failed last execution with its message", func(p *autoscalingv1alpha1.ScalePolicy) {
			p.Status.Executions[1].Result, p.Status.Executions[1].Message = "Failed", "2 pods not running after 10m"
		}, "execution 2 failed: 2 pods not running after 10m"},
		{"an older failure is history, not a message", func(p *autoscalingv1alpha1.ScalePolicy) {
			p.Status.Executions[0].Result = "Failed"
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := promoPolicy(t)
			c.edit(p)
			if got := ScalePolicyOf(p).Message; got != c.want {
				t.Fatalf("message %q, want %q", got, c.want)
			}
		})
	}
}

func TestScaleChangeTextAndProgress(t *testing.T) {
	cases := []struct {
		name           string
		in             autoscalingv1alpha1.ScaleChange
		text, progress string
		done           bool
	}{
		{"a node pool is cluster and pool, nodes Ready", autoscalingv1alpha1.ScaleChange{Kind: "NodePool", Name: "worker-pool", Cluster: "north-cluster", From: 3, To: 5, Ready: 4},
			"north-cluster worker-pool 3 → 5", "4/5 Ready", false},
		{"a Deployment is kind and namespace/name, replicas ready", autoscalingv1alpha1.ScaleChange{Kind: "Deployment", Namespace: "default", Name: "order-service", From: 20, To: 30, Ready: 30},
			"Deployment default/order-service 20 → 30", "30/30 ready", true},
		{"a scale-in is done once the smaller size is ready", autoscalingv1alpha1.ScaleChange{Kind: "NodePool", Name: "worker-pool", Cluster: "south-cluster", From: 5, To: 2, Ready: 2},
			"south-cluster worker-pool 5 → 2", "2/2 Ready", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := ScaleChangeOf(c.in)
			if v.Text != c.text || v.Progress != c.progress || v.Done != c.done {
				t.Fatalf("%q %q done=%t, want %q %q done=%t", v.Text, v.Progress, v.Done, c.text, c.progress, c.done)
			}
		})
	}
}

func TestParseFailedObjects(t *testing.T) {
	cases := []struct {
		name string
		got  FailedObject
		want FailedObject
	}{
		{"a pod is cluster/namespace/name: reason (the reason may hold colons)", ParseFailedPod("north-cluster/default/order-service-x: ImagePullBackOff: not found"),
			FailedObject{Cluster: "north-cluster", Namespace: "default", Name: "order-service-x", Reason: "ImagePullBackOff: not found"}},
		{"a pod without a cluster", ParseFailedPod("default/order-service-x: Pending"), FailedObject{Namespace: "default", Name: "order-service-x", Reason: "Pending"}},
		{"a node is cluster/name: reason", ParseFailedNode("north-cluster/north-cluster-worker-pool-5: NotReady"),
			FailedObject{Cluster: "north-cluster", Name: "north-cluster-worker-pool-5", Reason: "NotReady"}},
		{"a bare name keeps the name", ParseFailedNode("node-1"), FailedObject{Name: "node-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("got %+v, want %+v", c.got, c.want)
			}
		})
	}
	if s := ParseFailedPod("a/b/c: Evicted").FailedText(); s != "a/b/c: Evicted" {
		t.Fatalf("FailedText %q", s)
	}
}

func TestBuildScalePolicy(t *testing.T) {
	p := promoPolicy(t)
	pools := []autoscalingv1alpha1.NodePool{pool("south-cluster", "worker-pool", 5, 5, 5), pool("north-cluster", "worker-pool", 5, 5, 4),
		pool("north-cluster", "gpu-pool", 1, 1, 1), pool("east-cluster", "worker-pool", 3, 3, 3)}
	d := BuildScalePolicy(p, pools, nil)
	if d.Spec.Form != "console" || d.Spec.Trigger != "cpu above 70% for 5m in north-cluster, south-cluster" || d.Spec.Cooldown != "5m" || d.Spec.Interval != "30s" {
		t.Fatalf("spec %+v", d.Spec)
	}
	if !strings.Contains(d.Spec.ScaleIn, "back to the sizes before the scale-out once the condition has cleared for the 5m cooldown") {
		t.Fatalf("scale-in %q", d.Spec.ScaleIn)
	}
	var ids []int32
	for _, e := range d.Executions {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []int32{2, 1}) {
		t.Fatalf("executions %v, want newest first: 2, 1", ids)
	}
	e := d.Executions[0]
	if len(e.FailedPods) != 1 || e.FailedPods[0].Name != "order-service-7d9c-x2" || e.FailedPods[0].Reason != "ImagePullBackOff: image not found" {
		t.Fatalf("failed pods %+v", e.FailedPods)
	}
	if len(e.FailedNodes) != 1 || e.FailedNodes[0].Name != "north-cluster-worker-pool-5" {
		t.Fatalf("failed nodes %+v", e.FailedNodes)
	}
	if d.Executions[1].Seconds != 120 {
		t.Fatalf("execution 1 took %d s, want 120", d.Executions[1].Seconds)
	}
	if len(d.Clusters) != 2 || d.Clusters[0].Value != "81.2%" || d.Clusters[0].Min != "78.0%" || d.Clusters[1].Verdict != VerdictMixed {
		t.Fatalf("clusters %+v", d.Clusters)
	}
	var names []string
	for _, np := range d.NodePools {
		names = append(names, np.Cluster+"/"+np.Pool+"="+np.Health)
	}
	if !slices.Equal(names, []string{"north-cluster/worker-pool=Degraded", "south-cluster/worker-pool=Healthy"}) {
		t.Fatalf("pools %v, want the worker pools of the two targets only, by cluster", names)
	}
	if d.Conditions[0].Type != "Ready" {
		t.Fatalf("conditions %+v, want Ready first", d.Conditions)
	}
	if d.Forecast != nil {
		t.Fatalf("a forecast for a resource trigger: %+v", d.Forecast)
	}
}

func TestBuildScalePolicyForecastActsALeadTimeBeforeTheCrossing(t *testing.T) {
	p := promoPolicy(t)
	p.Trigger.Type, p.Trigger.LeadTime = "predictive", &metav1.Duration{Duration: 10 * time.Minute}
	p.Status.Forecast = &autoscalingv1alpha1.Forecast{Model: "holt-winters α=0.5 β=0.1 γ=0.3", Cluster: "north-cluster", CrossingTime: mt(60), Peak: "92.0", PeakTime: mt(90), Error: "4.1%"}
	f := BuildScalePolicy(p, nil, nil).Forecast
	if f == nil || !f.ScaleAt.Equal(mt(50).Time) || f.Peak != "92.0%" || f.LeadTime != "10m" || f.Error != "4.1%" {
		t.Fatalf("forecast %+v", f)
	}
}

func TestNodePoolHealth(t *testing.T) {
	cases := []struct {
		name   string
		np     autoscalingv1alpha1.NodePool
		health string
		msg    string
	}{
		{"every wanted node Ready is Healthy", pool("north", "worker-pool", 3, 3, 3), HealthHealthy, ""},
		{"fewer nodes than wanted is Progressing", pool("north", "worker-pool", 5, 3, 3), HealthProgressing, "3 of 5 nodes, 3 Ready"},
		{"all there but one not Ready and nothing scaling is Degraded", pool("north", "worker-pool", 3, 3, 2), HealthDegraded, "2 of 3 nodes Ready"},
		{"no status yet is Unknown", autoscalingv1alpha1.NodePool{Spec: autoscalingv1alpha1.NodePoolSpec{Replicas: 3}}, HealthUnknown, "the provider has not reported this pool yet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NodePoolOf(&c.np)
			if s.Health != c.health || s.Message != c.msg {
				t.Fatalf("%s %q, want %s %q", s.Health, s.Message, c.health, c.msg)
			}
		})
	}
	s := NodePoolOf(ptr(pool("north", "worker-pool", 3, 3, 2)))
	if len(s.NotReady) != 1 || s.NotReady[0].Name != "north-worker-pool-3" {
		t.Fatalf("not ready %+v", s.NotReady)
	}
}

func TestScalePoliciesInFiltersByNamespaceAndOffersEveryNamespace(t *testing.T) {
	a, b := promoPolicy(t), promoPolicy(t)
	b.Namespace = "shop"
	l := ScalePoliciesIn([]autoscalingv1alpha1.ScalePolicy{*b, *a}, "shop")
	if len(l.Items) != 1 || l.Items[0].Namespace != "shop" || !slices.Equal(l.Namespaces, []string{"default", "shop"}) {
		t.Fatalf("list %+v", l)
	}
	if none := ScalePoliciesIn(nil, ""); none.Items == nil || none.Namespaces == nil {
		t.Fatalf("an empty list must be [] in JSON, not null: %+v", none)
	}
}

func TestShortDurationAndPercentText(t *testing.T) {
	for in, want := range map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 30 * time.Second: "30s", 0: "0s"} {
		if got := ShortDuration(in); got != want {
			t.Errorf("ShortDuration(%s) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"81.2": "81.2%", "81.2%": "81.2%", "": "", "n/a": "n/a"} {
		if got := PercentText(in); got != want {
			t.Errorf("PercentText(%q) = %q, want %q", in, got, want)
		}
	}
}
