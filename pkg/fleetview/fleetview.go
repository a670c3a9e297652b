// Package fleetview turns the hub's AttachedClusters and Fleets into what the
// pure cores take: the scheduler's clusters and fleet preferences, and the
// override engine's view of each cluster. The hub's scheduling and binding
// controllers and `kurator plan` share it, so the offline what-if sees the
// fleet as the hub does.
package fleetview

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/pkg/overrides"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// unlimited is the free amount given to a cluster that reports no resource
// summary: large enough that no request divides it below MaxInt32 replicas,
// small enough that milli-units do not overflow int64.
const unlimited = int64(1) << 52

// View is the fleet as the two cores see it.
type View struct {
	// Clusters are the scheduler's clusters, AttachedClusters first (in the
	// order given), then clusters known only from a Fleet (offline only).
	Clusters    []scheduler.Cluster
	Preferences []scheduler.FleetPreference
	// Info is what override rules' targetCluster match against, by name.
	Info map[string]overrides.ClusterInfo
	// Problems are the parts of Fleets left out, in Fleet order.
	Problems []Problem
	// FleetOf names the Fleet each listed cluster belongs to, by
	// "namespace/cluster" (the fleet controller labels clusters by it).
	FleetOf map[string]string
	// ClusterProblems are the parts of clusters left out (a price that does
	// not parse), in cluster order.
	ClusterProblems []ClusterProblem
}

// Options say where the view is built.
type Options struct {
	// Offline is set by `kurator plan`: a Fleet member with no
	// AttachedCluster is still a cluster, known only by the labels the Fleet
	// gives it (so seed 001's Fleet alone describes a fleet), and a cluster
	// without a resource summary gets an unlimited amount of every resource
	// in Requested ("capacity does not matter here"). On the hub (false) a
	// member without an AttachedCluster is not a cluster the hub can reach,
	// so it is left out, and a missing summary stays missing: the scheduler
	// then counts no room for replicas that request resources.
	Offline bool
	// Requested lists every resource some template requests; read only
	// when Offline.
	Requested []corev1.ResourceName
}

// membership is one cluster's entry in a Fleet.
type membership struct {
	fleet   string // "namespace/name" for messages
	name    string // the fleet's name
	cluster string
	labels  map[string]string
}

// Problem is something in one Fleet that the view could not take as
// written. The view leaves that part out and everything else stands, so one
// bad Fleet never stops scheduling for the rest of the hub; the fleet
// controller reports the problem on the Fleet.
type Problem struct {
	Namespace, Name string // the Fleet
	Reason          string
	Message         string // names the field and the fix
}

// Reasons of Problems.
const (
	ReasonClusterInTwoFleets    = "ClusterInTwoFleets"
	ReasonUnsupportedMemberKind = "UnsupportedMemberKind"
	ReasonInvalidPreference     = "InvalidPreference"
	ReasonMemberNamespace       = "MemberInOtherNamespace"
)

// Build converts AttachedClusters and Fleets into the cores' input. A
// cluster's labels are its metadata.labels, then spec.labels, then the labels
// its Fleet gives it, then the fleet-name label (later wins); a cluster whose
// Ready condition is False or Unknown gets the matching NoSchedule taint.
//
// Build never fails: what cannot be used is left out and reported in
// View.Problems, per Fleet. A cluster listed by two Fleets stays in the one
// its fleet-name label names (the one the fleet controller labelled it for),
// else in the first by namespace/name; the other Fleet loses that member and
// its scheduling preferences. A Fleet whose preferred terms do not parse
// loses its preferences. A member of an unsupported kind is left out.
//
// A cluster's price is spec.price field by field, else the cost labels
// (PriceCPUHourLabel, ...) of its labels above; one that does not parse
// leaves the cluster unpriced and is reported in View.ClusterProblems.
func Build(clusters []clusterv1alpha1.AttachedCluster, fleets []fleetv1alpha1.Fleet, opts Options) *View {
	requested := opts.Requested
	if !opts.Offline {
		requested = nil
	}
	fleets = slices.Clone(fleets)
	slices.SortFunc(fleets, func(a, b fleetv1alpha1.Fleet) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	labelled := map[string]string{} // namespace/cluster -> the fleet its label names
	for i := range clusters {
		if f := clusters[i].Labels[fleetv1alpha1.FleetNameLabel]; f != "" {
			labelled[clusters[i].Namespace+"/"+clusters[i].Name] = f
		}
	}
	owner := map[string]string{} // namespace/cluster -> the fleet that keeps it
	for _, f := range fleets {
		for _, m := range f.Spec.Clusters {
			key := f.Namespace + "/" + m.Name
			if _, taken := owner[key]; !taken || labelled[key] == f.Name {
				owner[key] = f.Name
			}
		}
	}

	members := map[string]membership{} // by namespace/cluster
	var order []string                 // member keys in fleet order, for synthesised clusters
	out := &View{Info: map[string]overrides.ClusterInfo{}, FleetOf: owner}
	for _, f := range fleets {
		problem := func(reason, format string, args ...any) {
			out.Problems = append(out.Problems, Problem{Namespace: f.Namespace, Name: f.Name, Reason: reason,
				Message: fmt.Sprintf("Fleet %s/%s: ", f.Namespace, f.Name) + fmt.Sprintf(format, args...)})
		}
		pref := scheduler.FleetPreference{Name: f.Name}
		if p := f.Spec.Placement; p != nil {
			pref.SpreadConstraints = p.SpreadConstraints
			if p.ClusterAffinity != nil {
				pref.Preferred = p.ClusterAffinity.PreferredDuringSchedulingIgnoredDuringExecution
			}
		}
		usable := true
		if err := pref.Check(); err != nil {
			problem(ReasonInvalidPreference, "%v; its scheduling preferences are ignored until the term is fixed", err)
			usable = false
		}
		for _, m := range f.Spec.Clusters {
			if m.ClusterKind() != fleetv1alpha1.DefaultClusterKind {
				problem(ReasonUnsupportedMemberKind, "spec.clusters %s: kind %q is not supported, so the cluster is not a member; use AttachedCluster", m.Name, m.Kind)
				continue
			}
			key := f.Namespace + "/" + m.Name
			if other := owner[key]; other != f.Name {
				problem(ReasonClusterInTwoFleets, "cluster %s is already a member of Fleet %s/%s and a cluster belongs to one fleet, so it is not a member here and this fleet's scheduling preferences are ignored; remove it from spec.clusters of one of the two", m.Name, f.Namespace, other)
				usable = false
				continue
			}
			members[key] = membership{fleet: f.Namespace + "/" + f.Name, name: f.Name, cluster: m.Name, labels: m.Labels}
			order = append(order, key)
		}
		if !usable {
			pref.SpreadConstraints, pref.Preferred = nil, nil
		}
		out.Preferences = append(out.Preferences, pref)
	}

	attached := map[string]bool{}
	namespaceOf := map[string]string{} // AttachedCluster name -> namespace
	for i := range clusters {
		ac := &clusters[i]
		key := ac.Namespace + "/" + ac.Name
		attached[key] = true
		namespaceOf[ac.Name] = ac.Namespace
		m, inFleet := members[key]
		c := clusterFromAttached(ac, m, inFleet, opts.Offline, requested)
		price, err := priceOf(ac.Spec.Price, c.Labels)
		if err != nil {
			out.ClusterProblems = append(out.ClusterProblems, ClusterProblem{Namespace: ac.Namespace, Name: ac.Name, Reason: ReasonInvalidPrice,
				Message: fmt.Sprintf("AttachedCluster %s/%s: %v; until then the cluster is unpriced", ac.Namespace, ac.Name, err)})
		}
		c.Price = price
		out.add(c)
	}
	if !opts.Offline {
		return out
	}
	for _, key := range order {
		if attached[key] {
			continue
		}
		m := members[key]
		if ns, ok := namespaceOf[m.cluster]; ok {
			// Most likely the AttachedCluster lacks a namespace and was
			// defaulted; say so instead of reporting two clusters of one name.
			ns0, name, _ := strings.Cut(m.fleet, "/")
			out.Problems = append(out.Problems, Problem{Namespace: ns0, Name: name, Reason: ReasonMemberNamespace,
				Message: fmt.Sprintf("Fleet %s lists cluster %s, but AttachedCluster %s is in namespace %q; a fleet's members live in the fleet's namespace, so set metadata.namespace to match", m.fleet, m.cluster, m.cluster, ns)})
			continue
		}
		c := clusterFromLabels(m, requested)
		price, err := priceOf(nil, c.Labels)
		if err != nil {
			out.ClusterProblems = append(out.ClusterProblems, ClusterProblem{Name: m.cluster, Reason: ReasonInvalidPrice,
				Message: fmt.Sprintf("Fleet %s member %s: %v in spec.clusters[].labels; until then the cluster is unpriced", m.fleet, m.cluster, err)})
		}
		c.Price = price
		out.add(c)
	}
	return out
}

// ProblemsOf returns the problems of one Fleet.
func (v *View) ProblemsOf(namespace, name string) []Problem {
	var out []Problem
	for _, p := range v.Problems {
		if p.Namespace == namespace && p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

func (v *View) add(c scheduler.Cluster) {
	v.Clusters = append(v.Clusters, c)
	v.Info[c.Name] = overrides.ClusterInfo{Name: c.Name, Labels: c.Labels, Provider: c.Provider, Region: c.Region, Zones: c.Zones}
}

// clusterFromAttached: labels are metadata.labels, then spec.labels, then the
// fleet's labels for the member, then the fleet-name label (later wins).
func clusterFromAttached(ac *clusterv1alpha1.AttachedCluster, m membership, inFleet, offline bool, requested []corev1.ResourceName) scheduler.Cluster {
	labels := ac.SchedulingLabels()
	if inFleet {
		maps.Copy(labels, m.labels)
		labels[fleetv1alpha1.FleetNameLabel] = m.name
	}
	c := scheduler.Cluster{
		Name:     ac.Name,
		Labels:   labels,
		Provider: cmp.Or(ac.Spec.Provider, labels[clusterv1alpha1.LabelProvider]),
		Region:   cmp.Or(ac.Spec.Region, labels[clusterv1alpha1.LabelRegion]),
		Zones:    ac.Zones(),
		Taints:   WithReadinessTaint(ac.Spec.Taints, ac.ReadyCondition()),
	}
	if len(c.Zones) == 0 && labels[clusterv1alpha1.LabelZone] != "" {
		c.Zones = []string{labels[clusterv1alpha1.LabelZone]}
	}
	if inFleet {
		c.Fleet = m.name
	}
	for _, e := range ac.Status.APIEnablements {
		api := scheduler.APIEnablement{GroupVersion: e.GroupVersion}
		for _, r := range e.Resources {
			api.Kinds = append(api.Kinds, r.Kind)
		}
		c.APIEnablements = append(c.APIEnablements, api)
	}
	if s := ac.Status.ResourceSummary; s != nil && len(s.Allocatable) > 0 {
		c.Allocatable, c.Allocated, c.Allocating = s.Allocatable, s.Allocated, s.Allocating
	} else if offline {
		c.Allocatable = unlimitedResources(requested)
	}
	return c
}

// clusterFromLabels is a Fleet member known only from the Fleet.
func clusterFromLabels(m membership, requested []corev1.ResourceName) scheduler.Cluster {
	labels := maps.Clone(m.labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[fleetv1alpha1.FleetNameLabel] = m.name
	c := scheduler.Cluster{
		Name:        m.cluster,
		Labels:      labels,
		Provider:    labels[clusterv1alpha1.LabelProvider],
		Region:      labels[clusterv1alpha1.LabelRegion],
		Fleet:       m.name,
		Allocatable: unlimitedResources(requested),
	}
	if z := labels[clusterv1alpha1.LabelZone]; z != "" {
		c.Zones = []string{z}
	}
	return c
}

// WithReadinessTaint adds the taint the hub's cluster controller puts on a
// cluster whose Ready condition is False or Unknown (Unknown: unreachable),
// so the scheduler never places on such a cluster even before the cluster
// controller has written the taint, and a plan over a dump of the hub sees
// what the hub's scheduler sees even if the dump predates it.
func WithReadinessTaint(taints []corev1.Taint, ready *metav1.Condition) []corev1.Taint {
	if ready == nil || ready.Status == metav1.ConditionTrue {
		return taints
	}
	key := clusterv1alpha1.TaintClusterNotReady
	if ready.Status == metav1.ConditionUnknown {
		key = clusterv1alpha1.TaintClusterUnreachable
	}
	for _, t := range taints {
		if t.Key == key {
			return taints
		}
	}
	return append(slices.Clone(taints), corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
}

func unlimitedResources(names []corev1.ResourceName) corev1.ResourceList {
	out := corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(unlimited, resource.DecimalSI)}
	for _, n := range names {
		if n == corev1.ResourceCPU {
			out[n] = *resource.NewMilliQuantity(unlimited, resource.DecimalSI)
			continue
		}
		out[n] = *resource.NewQuantity(unlimited, resource.DecimalSI)
	}
	return out
}
