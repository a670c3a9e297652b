package fleetview

import (
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

func attached(name string, ready metav1.ConditionStatus, summary bool) clusterv1alpha1.AttachedCluster {
	ac := clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kurator-system"}}
	if ready != "" {
		ac.Status.Conditions = []metav1.Condition{{Type: clusterv1alpha1.ConditionReady, Status: ready}}
	}
	if summary {
		ac.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8")}}
	}
	return ac
}

func fleetOf(members ...string) fleetv1alpha1.Fleet {
	f := fleetv1alpha1.Fleet{ObjectMeta: metav1.ObjectMeta{Name: "prod", Namespace: "kurator-system"}}
	for _, m := range members {
		f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: m, Labels: map[string]string{"env": "production"}})
	}
	return f
}

func TestBuild(t *testing.T) {
	clusters := []clusterv1alpha1.AttachedCluster{
		attached("a", metav1.ConditionTrue, true),
		attached("b", metav1.ConditionUnknown, false),
	}
	fleets := []fleetv1alpha1.Fleet{fleetOf("a", "b", "only-in-fleet")}
	tests := []struct {
		name         string
		opts         Options
		wantClusters []string
		// bUnlimited: b, without a summary, has an allocatable.
		bUnlimited bool
	}{
		{name: "hub: members without an AttachedCluster are left out, a missing summary stays missing", opts: Options{}, wantClusters: []string{"a", "b"}},
		{name: "offline: fleet-only members are clusters, a missing summary is unlimited", opts: Options{Offline: true, Requested: []corev1.ResourceName{corev1.ResourceCPU}}, wantClusters: []string{"a", "b", "only-in-fleet"}, bUnlimited: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Build(clusters, fleets, tt.opts)
			if len(v.Problems) > 0 {
				t.Fatal(v.Problems)
			}
			var names []string
			for _, c := range v.Clusters {
				names = append(names, c.Name)
				if c.Labels["env"] != "production" || c.Labels[fleetv1alpha1.FleetNameLabel] != "prod" {
					t.Errorf("%s: labels %v lack the fleet's", c.Name, c.Labels)
				}
				if _, ok := v.Info[c.Name]; !ok {
					t.Errorf("%s: no override info", c.Name)
				}
			}
			if len(names) != len(tt.wantClusters) {
				t.Fatalf("clusters %v, want %v", names, tt.wantClusters)
			}
			for i := range names {
				if names[i] != tt.wantClusters[i] {
					t.Fatalf("clusters %v, want %v", names, tt.wantClusters)
				}
			}
			b := v.Clusters[1]
			if got := b.Allocatable != nil; got != tt.bUnlimited {
				t.Errorf("b allocatable %v, want set=%v", b.Allocatable, tt.bUnlimited)
			}
			if len(b.Taints) != 1 || b.Taints[0].Key != clusterv1alpha1.TaintClusterUnreachable {
				t.Errorf("b taints %v, want the unreachable taint", b.Taints)
			}
			if len(v.Clusters[0].Taints) != 0 {
				t.Errorf("ready a has taints %v", v.Clusters[0].Taints)
			}
		})
	}
}

func TestBuildLeavesOutWhatOneFleetGetsWrong(t *testing.T) {
	named := func(name string, members ...string) fleetv1alpha1.Fleet {
		f := fleetOf(members...)
		f.Name = name
		f.Spec.Placement = &fleetv1alpha1.FleetPlacement{SpreadConstraints: []policyv1alpha1.SpreadConstraint{{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MaxGroups: 1}}}
		return f
	}
	badTerm := named("bad-term", "c")
	badTerm.Spec.Placement.ClusterAffinity = &fleetv1alpha1.FleetClusterAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
		Weight: 10, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "region", Operator: "Near", Values: []string{"x"}}}},
	}}}
	labelledForB := attached("a", metav1.ConditionTrue, true)
	labelledForB.Labels = map[string]string{fleetv1alpha1.FleetNameLabel: "fleet-b"}
	tests := []struct {
		name     string
		clusters []clusterv1alpha1.AttachedCluster
		fleets   []fleetv1alpha1.Fleet
		// wantFleet of each cluster; wantProblems by fleet name -> reason.
		wantFleet    map[string]string
		wantProblems map[string]string
		// wantSpread lists the fleets that keep their spread constraints.
		wantSpread []string
	}{
		{
			name:         "cluster in two fleets, no label: the first by name keeps it, the second loses it and its preferences",
			clusters:     []clusterv1alpha1.AttachedCluster{attached("a", metav1.ConditionTrue, true), attached("b", metav1.ConditionTrue, true)},
			fleets:       []fleetv1alpha1.Fleet{named("fleet-b", "a", "b"), named("fleet-a", "a")},
			wantFleet:    map[string]string{"a": "fleet-a", "b": "fleet-b"},
			wantProblems: map[string]string{"fleet-b": ReasonClusterInTwoFleets},
			wantSpread:   []string{"fleet-a"},
		},
		{
			name:         "cluster in two fleets, labelled for the second: the label decides",
			clusters:     []clusterv1alpha1.AttachedCluster{labelledForB},
			fleets:       []fleetv1alpha1.Fleet{named("fleet-a", "a"), named("fleet-b", "a")},
			wantFleet:    map[string]string{"a": "fleet-b"},
			wantProblems: map[string]string{"fleet-a": ReasonClusterInTwoFleets},
			wantSpread:   []string{"fleet-b"},
		},
		{
			name:         "a preferred term with a bad operator: that fleet loses its preferences, keeps its members",
			clusters:     []clusterv1alpha1.AttachedCluster{attached("a", metav1.ConditionTrue, true), attached("c", metav1.ConditionTrue, true)},
			fleets:       []fleetv1alpha1.Fleet{named("fleet-a", "a"), badTerm},
			wantFleet:    map[string]string{"a": "fleet-a", "c": "bad-term"},
			wantProblems: map[string]string{"bad-term": ReasonInvalidPreference},
			wantSpread:   []string{"fleet-a"},
		},
		{
			name:     "a member of another kind is left out",
			clusters: []clusterv1alpha1.AttachedCluster{attached("a", metav1.ConditionTrue, true)},
			fleets: func() []fleetv1alpha1.Fleet {
				f := named("fleet-a", "a", "vm")
				f.Spec.Clusters[1].Kind = "CustomCluster"
				return []fleetv1alpha1.Fleet{f}
			}(),
			wantFleet:    map[string]string{"a": "fleet-a"},
			wantProblems: map[string]string{"fleet-a": ReasonUnsupportedMemberKind},
			wantSpread:   []string{"fleet-a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Build(tt.clusters, tt.fleets, Options{})
			got := map[string]string{}
			for _, p := range v.Problems {
				got[p.Name] = p.Reason
				if p.Message == "" || p.Namespace != "kurator-system" {
					t.Errorf("problem %+v lacks a message or namespace", p)
				}
			}
			if !maps.Equal(got, tt.wantProblems) {
				t.Errorf("problems %v, want %v", got, tt.wantProblems)
			}
			for _, c := range v.Clusters {
				if got := v.FleetOf["kurator-system/"+c.Name]; got != tt.wantFleet[c.Name] {
					t.Errorf("FleetOf %s = %q, want %q (the fleet controller labels by it)", c.Name, got, tt.wantFleet[c.Name])
				}
				if c.Labels[fleetv1alpha1.FleetNameLabel] != tt.wantFleet[c.Name] || c.Fleet != tt.wantFleet[c.Name] {
					t.Errorf("cluster %s in fleet %q (label %q), want %q", c.Name, c.Fleet, c.Labels[fleetv1alpha1.FleetNameLabel], tt.wantFleet[c.Name])
				}
			}
			var spread []string
			for _, p := range v.Preferences {
				if len(p.SpreadConstraints) > 0 {
					spread = append(spread, p.Name)
				}
			}
			if !slices.Equal(spread, tt.wantSpread) {
				t.Errorf("fleets keeping preferences %v, want %v", spread, tt.wantSpread)
			}
			if _, err := scheduler.NewSnapshot(v.Clusters, v.Preferences); err != nil {
				t.Errorf("the view must always make a snapshot: %v", err)
			}
		})
	}
}
