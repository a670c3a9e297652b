package dashboard

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

func raw(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

func binding(replicas int32, targets []workv1alpha1.TargetCluster, items ...workv1alpha1.AggregatedStatusItem) Binding {
	return Binding{Namespace: "default", Name: "nginx-deployment",
		Spec: &workv1alpha1.ResourceBindingSpec{
			Resource: workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx"},
			Replicas: replicas, Clusters: targets,
			Policy: &workv1alpha1.PolicyReference{Kind: "PropagationPolicy", Namespace: "default", Name: "nginx-propagation"},
		},
		Status: &workv1alpha1.ResourceBindingStatus{AggregatedStatus: items}}
}

func item(cluster string, applied bool, health workv1alpha1.ResourceHealth, status string) workv1alpha1.AggregatedStatusItem {
	it := workv1alpha1.AggregatedStatusItem{ClusterName: cluster, Applied: applied, Health: health}
	if status != "" {
		it.Status = raw(status)
	}
	return it
}

var sixFour = []workv1alpha1.TargetCluster{{Name: "cluster-shanghai", Replicas: 4}, {Name: "cluster-hangzhou", Replicas: 6}}

func noFleet(string) string { return "" }

func TestWorkloadHealth(t *testing.T) {
	cases := []struct {
		name        string
		b           Binding
		health      string
		ready       int32
		messageHint string
	}{
		{"all replicas ready everywhere is Healthy", binding(10, sixFour,
			item("cluster-hangzhou", true, workv1alpha1.ResourceHealthy, `{"replicas":6,"readyReplicas":6}`),
			item("cluster-shanghai", true, workv1alpha1.ResourceHealthy, `{"replicas":4,"readyReplicas":4}`)), HealthHealthy, 10, ""},
		{"fewer ready than assigned is Progressing and names the cluster", binding(10, sixFour,
			item("cluster-hangzhou", true, workv1alpha1.ResourceHealthy, `{"replicas":6,"readyReplicas":2}`),
			item("cluster-shanghai", true, workv1alpha1.ResourceHealthy, `{"replicas":4,"readyReplicas":4}`)), HealthProgressing, 6, "cluster-hangzhou: 2/6 replicas ready"},
		{"an apply failure is Degraded with the member's message", binding(10, sixFour,
			item("cluster-hangzhou", false, "", ""),
			workv1alpha1.AggregatedStatusItem{ClusterName: "cluster-shanghai", AppliedMessage: "quota exceeded"}), HealthDegraded, 0, "cluster-shanghai: quota exceeded"},
		{"a cluster without status yet is Unknown", binding(10, sixFour,
			item("cluster-hangzhou", true, workv1alpha1.ResourceHealthy, `{"replicas":6,"readyReplicas":6}`)), HealthUnknown, 6, "cluster-shanghai: no status reported yet"},
		{"no targets is Unknown", binding(10, nil), HealthUnknown, 0, "not scheduled yet"},
		{"a resource without replicas counts healthy clusters", binding(0, []workv1alpha1.TargetCluster{{Name: "a"}, {Name: "b"}},
			item("a", true, workv1alpha1.ResourceHealthy, ""), item("b", true, workv1alpha1.ResourceHealthy, "")), HealthHealthy, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := Workload(c.b, noFleet)
			if w.Health != c.health || w.Ready != c.ready || !strings.Contains(w.Message, c.messageHint) {
				t.Fatalf("health %s ready %d message %q, want %s %d containing %q", w.Health, w.Ready, w.Message, c.health, c.ready, c.messageHint)
			}
		})
	}
	unscheduled := binding(10, nil)
	unscheduled.Status.Conditions = []metav1.Condition{{Type: workv1alpha1.ConditionScheduled, Status: metav1.ConditionFalse, Message: "0/3 clusters are available"}}
	if w := Workload(unscheduled, noFleet); w.Health != HealthUnscheduled || w.Message != "0/3 clusters are available" {
		t.Fatalf("unscheduled: %s %q", w.Health, w.Message)
	}
}

func TestWorkloadDistributionSortedWithFleet(t *testing.T) {
	w := Workload(binding(10, sixFour), func(string) string { return "global-production" })
	if len(w.Clusters) != 2 || w.Clusters[0].Name != "cluster-hangzhou" || w.Clusters[0].Replicas != 6 || w.Clusters[1].Replicas != 4 {
		t.Fatalf("distribution %+v, want hangzhou 6 then shanghai 4", w.Clusters)
	}
	if w.Fleet != "global-production" || w.Desired != 10 || w.Policy == nil || w.Policy.Name != "nginx-propagation" {
		t.Fatalf("fleet %q desired %d policy %+v", w.Fleet, w.Desired, w.Policy)
	}
}

func TestWorkloadsFilterKeepsChoicesOfAll(t *testing.T) {
	a := binding(1, []workv1alpha1.TargetCluster{{Name: "x", Replicas: 1}})
	b := binding(1, []workv1alpha1.TargetCluster{{Name: "y", Replicas: 1}})
	b.Namespace, b.Spec.Resource.Namespace, b.Spec.Resource.Name = "team-a", "team-a", "web"
	l := Workloads([]Binding{b, a}, noFleet, Filter{Namespace: "team-a"})
	if len(l.Items) != 1 || l.Items[0].Ref.Name != "web" {
		t.Fatalf("items %+v, want only team-a/web", l.Items)
	}
	if strings.Join(l.Namespaces, ",") != "default,team-a" || strings.Join(l.Clusters, ",") != "x,y" {
		t.Fatalf("choices %v %v, want every namespace and cluster", l.Namespaces, l.Clusters)
	}
	if l := Workloads([]Binding{a, b}, noFleet, Filter{Cluster: "y"}); len(l.Items) != 1 || l.Items[0].Ref.Namespace != "team-a" {
		t.Fatalf("cluster filter: %+v", l.Items)
	}
}

func cluster(name, region string, ready metav1.ConditionStatus) clusterv1alpha1.AttachedCluster {
	return clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kurator-system", Labels: map[string]string{fleetv1alpha1.FleetNameLabel: "global-production"}},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Region: region, Provider: "kwok"},
		Status: clusterv1alpha1.AttachedClusterStatus{
			Conditions:  []metav1.Condition{{Type: clusterv1alpha1.ConditionReady, Status: ready, Reason: "R", Message: "m"}},
			NodeSummary: &clusterv1alpha1.NodeSummary{TotalNum: 3, ReadyNum: 3},
			PodSummary:  &clusterv1alpha1.PodSummary{Total: 5, Running: 4, Failed: 1},
			ResourceSummary: &clusterv1alpha1.ResourceSummary{
				Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("24"), corev1.ResourceMemory: resource.MustParse("96Gi")},
				Allocated:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2500m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
			},
		},
	}
}

func TestOverviewPutsProblemsFirstAndSums(t *testing.T) {
	clusters := []clusterv1alpha1.AttachedCluster{
		cluster("cluster-hangzhou", "asia-east", metav1.ConditionTrue),
		cluster("cluster-frankfurt", "eu-central", metav1.ConditionFalse),
		cluster("cluster-shanghai", "asia-east", metav1.ConditionTrue),
	}
	o := BuildOverview(clusters, nil, []WorkloadSummary{Workload(binding(10, sixFour), noFleet)})
	var order []string
	for _, c := range o.Clusters {
		order = append(order, c.Name)
	}
	if strings.Join(order, ",") != "cluster-frankfurt,cluster-hangzhou,cluster-shanghai" {
		t.Fatalf("order %v, want the NotReady cluster first, then by region and name", order)
	}
	tt := o.Totals
	if tt.Clusters != 3 || tt.ReadyClusters != 2 || tt.Nodes != (Usage{9, 9}) || tt.Pods != (Usage{12, 15}) || tt.CPU != (Usage{7500, 72000}) {
		t.Fatalf("totals %+v", tt)
	}
	if o.Clusters[1].Workloads != 1 || o.Clusters[0].Workloads != 0 {
		t.Fatalf("placed counts: %+v", o.Clusters)
	}
	if len(o.Problems) == 0 || o.Problems[0].Severity != "error" || o.Problems[0].Cluster != "cluster-frankfurt" || !strings.Contains(o.Problems[0].Message, "Ready False") {
		t.Fatalf("problems %+v, want frankfurt NotReady first", o.Problems)
	}
}

func TestClusterPageReadsHistoryFromEvents(t *testing.T) {
	ac := cluster("cluster-frankfurt", "eu-central", metav1.ConditionTrue)
	at := func(s int) metav1.Time { return metav1.NewTime(time.Date(2026, 12, 1, 12, 0, s, 0, time.UTC)) }
	events := []corev1.Event{
		{Reason: "ClusterNotReachable", Message: "Ready True -> False: connection refused", Type: "Warning", LastTimestamp: at(10)},
		{Reason: "ClusterReady", Message: "Ready False -> True: the API server answers /readyz with 200", Type: "Normal", LastTimestamp: at(30)},
		{Reason: "Other", Message: "unrelated", LastTimestamp: at(20)},
	}
	d := BuildCluster(&ac, nil, events)
	if len(d.History) != 2 || d.History[0].To != "True" || d.History[1].From != "True" || d.History[1].Message != "connection refused" {
		t.Fatalf("history %+v, want two transitions, newest first", d.History)
	}
	if len(d.Events) != 3 || d.Events[0].Reason != "ClusterReady" || d.Events[0].Count != 1 {
		t.Fatalf("events %+v, want newest first with count 1", d.Events)
	}
}

func TestLineDiff(t *testing.T) {
	d := LineDiff("a\nb\nc\n", "a\nB\nc\nd\n")
	var got []string
	for _, l := range d {
		got = append(got, l.Op+l.Text)
	}
	if strings.Join(got, "|") != " a|-b|+B| c|+d" || Changed(d) != 3 {
		t.Fatalf("diff %v, changed %d", got, Changed(d))
	}
	if d := LineDiff("", "x\n"); len(d) != 1 || d[0].Op != "+" {
		t.Fatalf("diff from nothing: %+v", d)
	}
}

func deployment(replicas int64, image string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "nginx", "namespace": "default", "uid": "u-1", "resourceVersion": "7",
			"annotations": map[string]any{lastApplied: "{...}"}},
		"spec":   map[string]any{"replicas": replicas, "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "nginx", "image": image}}}}},
		"status": map[string]any{"readyReplicas": int64(10)},
	}}
}

func work(objs ...*unstructured.Unstructured) *workv1alpha1.Work {
	w := &workv1alpha1.Work{}
	for _, o := range objs {
		j, _ := o.MarshalJSON()
		w.Spec.Workload.Manifests = append(w.Spec.Workload.Manifests, runtime.RawExtension{Raw: j})
	}
	return w
}

func TestWorkloadPageDiffsTemplateAgainstEachRendering(t *testing.T) {
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "default"}}}
	in := WorkloadInput{
		Binding:  binding(10, sixFour),
		FleetOf:  noFleet,
		Decision: scheduler.Result{Targets: []scheduler.TargetCluster{{Name: "cluster-hangzhou", Replicas: 6}, {Name: "cluster-shanghai", Replicas: 4}}, Excluded: []scheduler.Exclusion{{Cluster: "cluster-frankfurt", Reason: "not in clusterNames"}}},
		Template: deployment(10, "nginx:1.25"),
		Works:    map[string]*workv1alpha1.Work{"cluster-hangzhou": work(ns, deployment(6, "registry.cn/nginx:1.25"))},
	}
	op := &policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{
		TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-hangzhou"}},
		Overriders:    policyv1alpha1.Overriders{ImageOverrider: []policyv1alpha1.ImageOverrider{{Component: "Registry", Operator: "replace", Value: "registry.cn"}}},
	}}}
	ref := workv1alpha1.OverrideReference{Kind: "OverridePolicy", Namespace: "default", Name: "cross-cloud-config"}
	in.Binding.Status.AppliedOverrides = []workv1alpha1.OverrideReference{ref}
	in.OverrideSpecs = map[workv1alpha1.OverrideReference]*policyv1alpha1.OverrideSpec{ref: op}
	d := BuildWorkload(in)
	if d.Placement.Differs || len(d.Placement.Excluded) != 1 || d.Placement.Excluded[0].Reason != "not in clusterNames" {
		t.Fatalf("placement %+v", d.Placement)
	}
	var hz, sh ClusterRender
	for _, r := range d.Overrides {
		switch r.Cluster {
		case "cluster-hangzhou":
			hz = r
		case "cluster-shanghai":
			sh = r
		}
	}
	var changed []string
	for _, l := range hz.Diff {
		if l.Op != " " {
			changed = append(changed, l.Op+strings.TrimSpace(l.Text))
		}
	}
	want := "-replicas: 10|+replicas: 6|-- image: nginx:1.25|+- image: registry.cn/nginx:1.25"
	if hz.Error != "" || strings.Join(changed, "|") != want {
		t.Fatalf("hangzhou diff %v (error %q), want %s: the Deployment, not the Namespace, without status and server metadata", changed, hz.Error, want)
	}
	if len(hz.Overrides) != 1 || hz.Overrides[0].Name != "cross-cloud-config" || len(sh.Overrides) != 0 {
		t.Fatalf("override policies: hangzhou %+v, shanghai %+v; want cross-cloud-config only where its rule targets", hz.Overrides, sh.Overrides)
	}
	if sh.Error == "" || len(sh.Diff) != 0 {
		t.Fatalf("shanghai has no Work: %+v", sh)
	}
}

func TestWorkloadPageReportsUnschedulable(t *testing.T) {
	ue := &scheduler.UnschedulableError{Clusters: 3, Reasons: []scheduler.Exclusion{{Cluster: "cluster-frankfurt", Reason: "cluster(s) had untolerated taint"}}}
	d := BuildWorkload(WorkloadInput{Binding: binding(10, sixFour), FleetOf: noFleet, DecisionErr: ue})
	if d.Placement.Error == "" || !d.Placement.Differs || len(d.Placement.Excluded) != 1 {
		t.Fatalf("placement %+v", d.Placement)
	}
	d = BuildWorkload(WorkloadInput{Binding: binding(10, sixFour), FleetOf: noFleet, DecisionErr: errors.New("may not list clusters")})
	if d.Placement.Error != "may not list clusters" || len(d.Placement.Excluded) != 0 {
		t.Fatalf("placement %+v", d.Placement)
	}
}

func TestPlacementText(t *testing.T) {
	p := &policyv1alpha1.Placement{
		ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-hangzhou", "cluster-shanghai"}},
		ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: "Divided", ReplicaDivisionPreference: "Weighted",
			WeightPreference: &policyv1alpha1.ClusterPreferences{StaticWeightList: []policyv1alpha1.StaticClusterWeight{
				{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-hangzhou"}}, Weight: 60},
				{TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-shanghai"}}, Weight: 40}}}},
	}
	want := "clusterNames: cluster-hangzhou, cluster-shanghai; static weights cluster-hangzhou=60, cluster-shanghai=40"
	if got := PlacementText(p); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := PlacementText(nil); got != "every cluster" {
		t.Fatalf("nil placement: %q", got)
	}
}
