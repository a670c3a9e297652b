package fleet

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
)

func TestMemberLabels(t *testing.T) {
	const fl = fleetv1alpha1.FleetNameLabel
	tests := []struct {
		name        string
		labels      map[string]string
		ann         map[string]string
		member      *fleetv1alpha1.FleetCluster
		wantLabels  map[string]string
		wantAnn     map[string]string
		wantChanged bool
	}{
		{name: "joining adds the fleet label and the member labels",
			labels: map[string]string{"own": "x"}, member: &fleetv1alpha1.FleetCluster{Name: "a", Labels: map[string]string{"env": "prod"}},
			wantLabels: map[string]string{"own": "x", fl: "f", "env": "prod"}, wantAnn: map[string]string{LabelsAnnotation: "env"}, wantChanged: true},
		{name: "already labelled: no change",
			labels: map[string]string{fl: "f", "env": "prod"}, ann: map[string]string{LabelsAnnotation: "env"}, member: &fleetv1alpha1.FleetCluster{Name: "a", Labels: map[string]string{"env": "prod"}},
			wantLabels: map[string]string{fl: "f", "env": "prod"}, wantAnn: map[string]string{LabelsAnnotation: "env"}},
		{name: "a label the fleet stops giving is removed, others stay",
			labels: map[string]string{fl: "f", "env": "prod", "tier": "1", "own": "x"}, ann: map[string]string{LabelsAnnotation: "env,tier"}, member: &fleetv1alpha1.FleetCluster{Name: "a", Labels: map[string]string{"tier": "2"}},
			wantLabels: map[string]string{fl: "f", "tier": "2", "own": "x"}, wantAnn: map[string]string{LabelsAnnotation: "tier"}, wantChanged: true},
		{name: "leaving removes the fleet label and the fleet's labels",
			labels: map[string]string{fl: "f", "env": "prod", "own": "x"}, ann: map[string]string{LabelsAnnotation: "env", "other": "y"},
			wantLabels: map[string]string{"own": "x"}, wantAnn: map[string]string{"other": "y"}, wantChanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, a, changed := memberLabels(tt.labels, tt.ann, "f", tt.member)
			if changed != tt.wantChanged || !equalMaps(l, tt.wantLabels) || !equalMaps(a, tt.wantAnn) {
				t.Errorf("got %v %v %v, want %v %v %v", l, a, changed, tt.wantLabels, tt.wantAnn, tt.wantChanged)
			}
		})
	}
}

func ac(name string, ready metav1.ConditionStatus, reason string) *clusterv1alpha1.AttachedCluster {
	c := &clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if ready != "" {
		c.Status.Conditions = []metav1.Condition{{Type: clusterv1alpha1.ConditionReady, Status: ready, Reason: reason}}
	}
	return c
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name          string
		members       []memberState
		wantPhase     fleetv1alpha1.FleetPhase
		wantReady     int32
		wantNotReady  int32
		wantStatus    metav1.ConditionStatus
		wantReason    string
		wantInMessage []string
	}{
		{name: "no members is pending", wantPhase: fleetv1alpha1.FleetPending, wantStatus: metav1.ConditionFalse, wantReason: fleetv1alpha1.ReasonNoClustersInFleet},
		{name: "all ready", members: []memberState{{name: "a", cluster: ac("a", "True", "ClusterReady")}, {name: "b", cluster: ac("b", "True", "ClusterReady")}},
			wantPhase: fleetv1alpha1.FleetReady, wantReady: 2, wantStatus: metav1.ConditionTrue, wantReason: fleetv1alpha1.ReasonAllClustersReady, wantInMessage: []string{"all 2"}},
		{name: "one not ready names it and its reason", members: []memberState{{name: "a", cluster: ac("a", "True", "ClusterReady")}, {name: "b", cluster: ac("b", "False", "ClusterNotReachable")}},
			wantPhase: fleetv1alpha1.FleetNotReady, wantReady: 1, wantNotReady: 1, wantStatus: metav1.ConditionFalse, wantReason: fleetv1alpha1.ReasonClustersNotReady, wantInMessage: []string{"1 of 2", "b (ClusterNotReachable)"}},
		{name: "missing member wins the reason", members: []memberState{{name: "a", cluster: ac("a", "False", "X")}, {name: "zz"}},
			wantPhase: fleetv1alpha1.FleetNotReady, wantNotReady: 2, wantStatus: metav1.ConditionFalse, wantReason: fleetv1alpha1.ReasonClustersNotFound, wantInMessage: []string{"no AttachedCluster zz", "a (X)"}},
		{name: "claimed by another fleet", members: []memberState{{name: "a", cluster: ac("a", "True", "ClusterReady"), otherFleet: "g"}},
			wantPhase: fleetv1alpha1.FleetNotReady, wantNotReady: 1, wantStatus: metav1.ConditionFalse, wantReason: fleetv1alpha1.ReasonClustersNotReady, wantInMessage: []string{"a (in fleet g)"}},
		{name: "none probed yet is pending", members: []memberState{{name: "a", cluster: ac("a", "", "")}},
			wantPhase: fleetv1alpha1.FleetPending, wantNotReady: 1, wantStatus: metav1.ConditionFalse, wantReason: fleetv1alpha1.ReasonClustersNotReady, wantInMessage: []string{"not probed yet: a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phase, ready, notReady, c := summarize(tt.members, 3)
			if phase != tt.wantPhase || ready != tt.wantReady || notReady != tt.wantNotReady || c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.ObservedGeneration != 3 {
				t.Errorf("got %s %d/%d %s %s", phase, ready, notReady, c.Status, c.Reason)
			}
			for _, s := range tt.wantInMessage {
				if !strings.Contains(c.Message, s) {
					t.Errorf("message %q lacks %q", c.Message, s)
				}
			}
		})
	}
}
