package dashboard

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
)

// Cluster summarises one AttachedCluster; placed counts the workloads
// placed on it that the user may see.
func Cluster(ac *clusterv1alpha1.AttachedCluster, placed int) ClusterSummary {
	s := ClusterSummary{
		Name: ac.Name, Namespace: ac.Namespace,
		Region: ac.RegionName(), Zone: strings.Join(ac.Zones(), ", "), Provider: ac.ProviderName(),
		Fleet:             ac.Labels[fleetv1alpha1.FleetNameLabel],
		KubernetesVersion: ac.Status.KubernetesVersion,
		Ready:             Condition{Type: clusterv1alpha1.ConditionReady, Status: string(metav1.ConditionUnknown), Reason: "NotProbed", Message: "the hub has not probed this cluster yet", Since: ac.CreationTimestamp.Time},
		Workloads:         placed,
	}
	if c := ac.ReadyCondition(); c != nil {
		s.Ready = conditionOf(*c)
	}
	if n := ac.Status.NodeSummary; n != nil {
		s.Nodes = Usage{Used: int64(n.ReadyNum), Total: int64(n.TotalNum)}
	}
	if p := ac.Status.PodSummary; p != nil {
		s.Pods = Usage{Used: int64(p.Running), Total: int64(p.Total)}
		s.FailedPods = int(p.Failed)
	}
	if r := ac.Status.ResourceSummary; r != nil {
		s.CPU = Usage{Used: r.Allocated.Cpu().MilliValue(), Total: r.Allocatable.Cpu().MilliValue()}
		s.Memory = Usage{Used: r.Allocated.Memory().Value(), Total: r.Allocatable.Memory().Value()}
	}
	for _, t := range ac.Spec.Taints {
		tt := Taint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)}
		if t.TimeAdded != nil {
			tt.Added = t.TimeAdded.Time
		}
		s.Taints = append(s.Taints, tt)
	}
	return s
}

// ready says whether the cluster's Ready condition is True.
func (s ClusterSummary) ready() bool { return s.Ready.Status == string(metav1.ConditionTrue) }

// Overview is the fleet at a glance over what the user may see.
func BuildOverview(clusters []clusterv1alpha1.AttachedCluster, fleets []fleetv1alpha1.Fleet, workloads []WorkloadSummary) Overview {
	o := Overview{Fleets: []FleetSummary{}, Clusters: []ClusterSummary{}}
	// Problems by rank: clusters not Ready, invalid Fleets, failed pods,
	// then workloads that need a person.
	var down, invalid, pods, unhealthy []Problem
	placed := map[string]int{}
	for _, w := range workloads {
		for _, c := range w.Clusters {
			placed[c.Name]++
		}
		o.Totals.Workloads++
		if w.Health == HealthHealthy {
			o.Totals.HealthyWorkloads++
			continue
		}
		if w.Health == HealthDegraded || w.Health == HealthUnscheduled {
			unhealthy = append(unhealthy, Problem{Severity: "warning", Object: w.Ref, Message: fmt.Sprintf("%s: %s", w.Health, w.Message), Since: w.Updated})
		}
	}
	for i := range clusters {
		s := Cluster(&clusters[i], placed[clusters[i].Name])
		o.Clusters = append(o.Clusters, s)
		t := &o.Totals
		t.Clusters++
		if s.ready() {
			t.ReadyClusters++
		} else {
			down = append(down, Problem{Severity: "error", Object: ObjectRef{Kind: "AttachedCluster", Namespace: s.Namespace, Name: s.Name},
				Cluster: s.Name, Message: fmt.Sprintf("Ready %s (%s): %s", s.Ready.Status, s.Ready.Reason, s.Ready.Message), Since: s.Ready.Since})
		}
		if s.FailedPods > 0 {
			pods = append(pods, Problem{Severity: "error", Object: ObjectRef{Kind: "AttachedCluster", Namespace: s.Namespace, Name: s.Name},
				Cluster: s.Name, Message: fmt.Sprintf("%d pods failed or cannot start", s.FailedPods)})
		}
		for _, u := range []struct{ into, add *Usage }{{&t.Nodes, &s.Nodes}, {&t.Pods, &s.Pods}, {&t.CPU, &s.CPU}, {&t.Memory, &s.Memory}} {
			u.into.Used += u.add.Used
			u.into.Total += u.add.Total
		}
	}
	sort.SliceStable(o.Clusters, func(i, j int) bool {
		a, b := o.Clusters[i], o.Clusters[j]
		if a.ready() != b.ready() {
			return !a.ready()
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		return a.Name < b.Name
	})
	for i := range fleets {
		f := &fleets[i]
		fs := FleetSummary{Namespace: f.Namespace, Name: f.Name, Clusters: f.ClusterNames()}
		for _, c := range f.Status.Conditions {
			if c.Type == fleetv1alpha1.ConditionValid {
				cc := conditionOf(c)
				fs.Valid = &cc
				if c.Status != metav1.ConditionTrue {
					invalid = append(invalid, Problem{Severity: "error", Object: ObjectRef{Kind: "Fleet", Namespace: f.Namespace, Name: f.Name}, Message: c.Message, Since: c.LastTransitionTime.Time})
				}
			}
		}
		o.Fleets = append(o.Fleets, fs)
	}
	o.Problems = append(append(append(append([]Problem{}, down...), invalid...), pods...), unhealthy...)
	return o
}

// transitionMessage is what the cluster controller writes on a Ready
// change: "Ready <from> -> <to>: <message>".
var transitionMessage = regexp.MustCompile(`^(\w+) (\w+) -> (\w+): (.*)$`)

// BuildCluster is the cluster page. events are the hub events about the
// cluster; workloads those the user may see (all of them: the page keeps
// those placed on this cluster).
func BuildCluster(ac *clusterv1alpha1.AttachedCluster, workloads []WorkloadSummary, events []corev1.Event) ClusterDetail {
	d := ClusterDetail{
		Conditions: conditionsOf(ac.Status.Conditions),
		History:    []Transition{},
		Nodes:      []Node{},
		PodIssues:  []PodIssue{},
		Workloads:  []ClusterWorkload{},
		Events:     Events(events),
		Labels:     ac.SchedulingLabels(),
		APIServer:  ac.Spec.APIEndpoint,
	}
	for _, w := range workloads {
		for _, c := range w.Clusters {
			if c.Name != ac.Name {
				continue
			}
			// A resource without replicas (Workload counts one per
			// cluster) is wanted once here; targets of 0 replicas are
			// never listed for a resource with replicas.
			desired := c.Replicas
			if w.Desired == int32(len(w.Clusters)) && desired == 0 {
				desired = 1
			}
			d.Workloads = append(d.Workloads, ClusterWorkload{Ref: w.Ref, Binding: w.Binding, Desired: desired, Ready: c.Ready, Health: c.Health, Applied: c.Applied, Message: c.Message})
		}
	}
	d.Summary = Cluster(ac, len(d.Workloads))
	if d.APIServer == "" {
		ref := ac.KubeconfigSecretRef()
		d.APIServer = "from kubeconfig Secret " + ref.Name
	}
	for _, n := range ac.Status.Nodes {
		d.Nodes = append(d.Nodes, Node{Name: n.Name, Ready: n.Ready, Reason: n.Reason, Unschedulable: n.Unschedulable,
			CPU: n.Allocatable.Cpu().MilliValue(), Memory: n.Allocatable.Memory().Value(), Pods: n.Allocatable.Pods().Value()})
	}
	if p := ac.Status.PodSummary; p != nil {
		for _, i := range p.Issues {
			d.PodIssues = append(d.PodIssues, PodIssue{Namespace: i.Namespace, Name: i.Name, Reason: i.Reason, Message: i.Message})
		}
	}
	for _, e := range d.Events {
		m := transitionMessage.FindStringSubmatch(e.Message)
		if m == nil {
			continue
		}
		d.History = append(d.History, Transition{Time: e.Last, Type: m[1], From: m[2], To: m[3], Reason: e.Reason, Message: m[4]})
	}
	return d
}

// Events converts hub events, newest first.
func Events(events []corev1.Event) []Event {
	out := make([]Event, 0, len(events))
	for _, e := range events {
		ev := Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: max(e.Count, 1),
			Object: ObjectRef{APIVersion: e.InvolvedObject.APIVersion, Kind: e.InvolvedObject.Kind, Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name},
			First:  e.FirstTimestamp.Time, Last: EventTime(&e).Time,
			Reporter: e.ReportingController,
		}
		if ev.Reporter == "" {
			ev.Reporter = e.Source.Component
		}
		if ev.First.IsZero() {
			ev.First = ev.Last
		}
		out = append(out, ev)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out
}

// EventTime is when an event last happened, whichever API wrote it.
func EventTime(e *corev1.Event) metav1.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return metav1.Time{Time: e.Series.LastObservedTime.Time}
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp
	case !e.EventTime.IsZero():
		return metav1.Time{Time: e.EventTime.Time}
	}
	return e.CreationTimestamp
}
