package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

func TestScheduleFilters(t *testing.T) {
	abc := []Cluster{
		mkCluster("a", labelsOpt("env", "prod"), providerOpt("aws"), regionOpt("eu"), zonesOpt("eu-1", "eu-2")),
		mkCluster("b", labelsOpt("env", "dev"), providerOpt("gcp"), regionOpt("us"), zonesOpt("us-1")),
		mkCluster("c", labelsOpt("env", "prod"), providerOpt("alibaba"), regionOpt("asia")),
	}
	field := func(key string, op corev1.NodeSelectorOperator, values ...string) *policyv1alpha1.Placement {
		return &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{
			FieldSelector: &policyv1alpha1.FieldSelector{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}},
		}}
	}
	tainted := []Cluster{
		mkCluster("a"),
		mkCluster("b", taintOpt("gpu", "", corev1.TaintEffectNoExecute)),
		mkCluster("c", taintOpt("soft", "x", corev1.TaintEffectPreferNoSchedule)),
	}
	tolerate := func(tols ...corev1.Toleration) *policyv1alpha1.Placement {
		return &policyv1alpha1.Placement{ClusterTolerations: tols}
	}

	runScheduleCases(t, []scheduleCase{
		{
			name:     "no placement runs everywhere, duplicated",
			clusters: abc,
			req:      Request{Replicas: 2},
			want:     "a:2 b:2 c:2",
		},
		{
			name:     "exclude drops the named cluster",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{Exclude: []string{"b"}}}},
			want:     "a:1 c:1",
			excluded: map[string]string{"b": reasonExcluded},
		},
		{
			name:     "exclude wins over clusterNames",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"a", "b"}, Exclude: []string{"b"}}}},
			want:     "a:1",
			excluded: map[string]string{"b": reasonExcluded, "c": reasonNotInNames},
		},
		{
			name:     "labelSelector env=prod keeps a and c",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: &policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{LabelSelector: matchLabels("env", "prod")}}},
			want:     "a:1 c:1",
			excluded: map[string]string{"b": reasonLabels},
		},
		{
			name:     "fieldSelector provider In aws keeps a",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("provider", corev1.NodeSelectorOpIn, "aws")},
			want:     "a:1",
			excluded: map[string]string{"b": reasonFields},
		},
		{
			name:     "fieldSelector region NotIn us keeps a and c",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("region", corev1.NodeSelectorOpNotIn, "us")},
			want:     "a:1 c:1",
		},
		{
			name:     "fieldSelector zone In matches any overlap with the cluster's zones",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("zone", corev1.NodeSelectorOpIn, "eu-2", "nowhere")},
			want:     "a:1",
		},
		{
			name:     "fieldSelector zone NotIn rejects any overlap and keeps zoneless c",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("zone", corev1.NodeSelectorOpNotIn, "eu-2")},
			want:     "b:1 c:1",
		},
		{
			name:     "fieldSelector zone Exists keeps clusters with zones",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("zone", corev1.NodeSelectorOpExists)},
			want:     "a:1 b:1",
		},
		{
			name:     "fieldSelector zone DoesNotExist keeps zoneless c",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("zone", corev1.NodeSelectorOpDoesNotExist)},
			want:     "c:1",
		},
		{
			name:     "fieldSelector on an unknown key is a request error",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: field("rack", corev1.NodeSelectorOpExists)},
			wantErr:  `key "rack" is not a cluster field`,
		},
		{
			name:     "untolerated NoExecute taint rejects, PreferNoSchedule is ignored",
			clusters: tainted,
			req:      Request{Replicas: 1},
			want:     "a:1 c:1",
			excluded: map[string]string{"b": "taint gpu:NoExecute not tolerated"},
		},
		{
			name:     "Exists toleration on the key tolerates the taint",
			clusters: tainted,
			req:      Request{Replicas: 1, Placement: tolerate(corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists})},
			want:     "a:1 b:1 c:1",
		},
		{
			name:     "empty key with Exists tolerates every taint",
			clusters: tainted,
			req:      Request{Replicas: 1, Placement: tolerate(corev1.Toleration{Operator: corev1.TolerationOpExists})},
			want:     "a:1 b:1 c:1",
		},
		{
			name:     "toleration for another effect does not tolerate",
			clusters: tainted,
			req:      Request{Replicas: 1, Placement: tolerate(corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})},
			want:     "a:1 c:1",
		},
		{
			name:     "a cluster already targeted passes its new taint",
			clusters: tainted,
			req:      Request{Replicas: 1, Previous: targets("b:1")},
			want:     "a:1 b:1 c:1",
		},
		{
			name: "API enablement: a cluster listing its APIs without the kind is rejected, one listing none is allowed",
			clusters: []Cluster{
				mkCluster("a", apisOpt("apps/v1", "Deployment", "StatefulSet")),
				mkCluster("b", apisOpt("v1", "ConfigMap")),
				mkCluster("c"),
			},
			req:      Request{Replicas: 1},
			want:     "a:1 c:1",
			excluded: map[string]string{"b": "does not serve apps/v1 Deployment"},
		},
		{
			name:     "API enablement: a cluster already targeted passes",
			clusters: []Cluster{mkCluster("b", apisOpt("v1", "ConfigMap"))},
			req:      Request{Replicas: 1, Previous: targets("b:1")},
			want:     "b:1",
		},
		{
			name:     "clusters under graceful eviction are rejected",
			clusters: abc,
			req:      Request{Replicas: 1, EvictingClusters: []string{"a"}},
			want:     "b:1 c:1",
			excluded: map[string]string{"a": reasonEvicting},
		},
		{
			name:     "spreadByField zone rejects clusters without a zone",
			clusters: abc,
			req:      Request{Replicas: 1, Placement: &policyv1alpha1.Placement{SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldZone}}}},
			want:     "a:1 b:1",
			excluded: map[string]string{"c": "no zone for spreadByField zone"},
		},
		{
			name:     "spreadByLabel rejects clusters without the label",
			clusters: []Cluster{mkCluster("a", labelsOpt("rack", "r1")), mkCluster("b")},
			req:      Request{Replicas: 1, Placement: &policyv1alpha1.Placement{SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByLabel: "rack"}}}},
			want:     "a:1",
			excluded: map[string]string{"b": "no label rack for spreadByLabel"},
		},
	})
}

func TestScheduleClusterAffinities(t *testing.T) {
	clusters := []Cluster{
		mkCluster("primary", taintOpt("down", "", corev1.TaintEffectNoSchedule)),
		mkCluster("backup"),
		mkCluster("other"),
	}
	terms := &policyv1alpha1.Placement{ClusterAffinities: []policyv1alpha1.ClusterAffinityTerm{
		{AffinityName: "first", ClusterAffinity: *names("primary")},
		{AffinityName: "second", ClusterAffinity: *names("backup")},
		{AffinityName: "third", ClusterAffinity: *names("other")},
	}}
	runScheduleCases(t, []scheduleCase{
		{
			name:     "first term is unschedulable so the second is used and recorded",
			clusters: clusters,
			req:      Request{Replicas: 1, Placement: terms},
			want:     "backup:1",
			affinity: "second",
		},
		{
			name:     "trying starts at the observed term",
			clusters: clusters,
			req:      Request{Replicas: 1, Placement: terms, ObservedAffinityName: "third"},
			want:     "other:1",
			affinity: "third",
		},
		{
			name:     "the first term is used when it fits",
			clusters: clusters,
			req: Request{Replicas: 1, Placement: &policyv1alpha1.Placement{
				ClusterTolerations: []corev1.Toleration{{Key: "down", Operator: corev1.TolerationOpExists}},
				ClusterAffinities:  terms.ClusterAffinities,
			}},
			want:     "primary:1",
			affinity: "first",
		},
		{
			name:     "no term fits: the error names every term and why",
			clusters: clusters,
			req: Request{Replicas: 1, Placement: &policyv1alpha1.Placement{ClusterAffinities: []policyv1alpha1.ClusterAffinityTerm{
				{AffinityName: "first", ClusterAffinity: *names("primary")},
				{AffinityName: "second", ClusterAffinity: *names("nowhere")},
			}}},
			wantErr: `no clusterAffinities term fits: term "first": 0/3 clusters are available: backup: not in clusterNames; other: not in clusterNames; primary: taint down:NoSchedule not tolerated; term "second": 0/3 clusters are available`,
		},
		{
			name:     "a malformed term stops trying",
			clusters: clusters,
			req: Request{Replicas: 1, Placement: &policyv1alpha1.Placement{ClusterAffinities: []policyv1alpha1.ClusterAffinityTerm{
				{AffinityName: "bad", ClusterAffinity: policyv1alpha1.ClusterAffinity{LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Nope"}}}}},
				{AffinityName: "good", ClusterAffinity: *names("backup")},
			}}},
			wantErr: "clusterAffinities[0].labelSelector",
		},
	})
}

func TestTolerationMatching(t *testing.T) {
	taint := corev1.Taint{Key: "dedicated", Value: "special", Effect: corev1.TaintEffectNoSchedule}
	cases := []struct {
		name string
		tol  corev1.Toleration
		want bool
	}{
		{"Equal with same key, value and effect tolerates", corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "special", Effect: corev1.TaintEffectNoSchedule}, true},
		{"empty operator means Equal", corev1.Toleration{Key: "dedicated", Value: "special"}, true},
		{"Equal with another value does not tolerate", corev1.Toleration{Key: "dedicated", Value: "other"}, false},
		{"Exists on the key tolerates any value", corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists}, true},
		{"other key does not tolerate", corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}, false},
		{"other effect does not tolerate", corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}, false},
		{"empty key with Equal tolerates nothing", corev1.Toleration{Value: "special"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ToleratesTaint(&tc.tol, &taint); got != tc.want {
				t.Errorf("ToleratesTaint = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKarmadaReadinessTolerationMatchesKuratorTaint(t *testing.T) {
	taint := corev1.Taint{Key: "cluster.kurator.dev/not-ready", Effect: corev1.TaintEffectNoExecute}
	karmada := corev1.Toleration{Key: "cluster.karmada.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}
	if !ToleratesTaint(&karmada, &taint) {
		t.Errorf("a toleration of Karmada's not-ready key must tolerate Kurator's")
	}
	unreachable := corev1.Toleration{Key: "cluster.karmada.io/unreachable", Operator: corev1.TolerationOpExists}
	if ToleratesTaint(&unreachable, &taint) {
		t.Errorf("Karmada's unreachable key must not tolerate not-ready")
	}
}
