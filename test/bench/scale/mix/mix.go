// Package mix generates the fleet and the workloads of the scale bench and
// of its e2e test: simulated clusters with region, zone, provider and group
// labels, PropagationPolicies of three kinds, and Deployments that each of
// them selects by label. It also says, without asking the scheduler, what a
// correct placement of each workload looks like, so that a test can check the
// hub's decisions against an independent account of the policy.
//
// The three kinds, a third of the workloads each:
//   - Duplicated to a label group: every cluster with group=gNNN (GroupSize
//     clusters) runs all the replicas;
//   - static weights: Divided over 3-4 named clusters by a staticWeightList;
//   - dynamic weights: Divided by available replicas over the clusters of
//     three regions, spread over 2-3 regions and 2-3 clusters.
//
// Everything is a pure function of the Options: two runs with the same
// options generate the same names, labels, policies and replicas.
package mix

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// PolicyLabel, on a template, names the policy that selects it.
const PolicyLabel = "scale.kurator.dev/policy"

// GroupLabel is the cluster label Duplicated policies select on.
const GroupLabel = "group"

// Kind is one of the three placement kinds of the mix.
type Kind string

// The kinds, in the order workloads cycle through them.
const (
	Duplicated Kind = "Duplicated"
	Static     Kind = "StaticWeights"
	Dynamic    Kind = "DynamicWeights"
)

// Kinds lists the kinds in workload order.
var Kinds = []Kind{Duplicated, Static, Dynamic}

// Regions is how many regions the clusters are spread over.
const Regions = 10

var providers = []string{"aws", "gcp", "azure"}

// Options size the mix.
type Options struct {
	// Clusters is how many simulated clusters there are (at least 10).
	Clusters int
	// Workloads is how many Deployments there are.
	Workloads int
	// Namespaces hold the workloads and their policies (default 4).
	Namespaces int
	// PoliciesPerKind is how many policies of each kind there are (default
	// 20, at most what the clusters allow).
	PoliciesPerKind int
	// GroupSize is how many clusters share a group label (default 3): a
	// Duplicated workload has that many targets, which keeps the average
	// near three targets per workload across the three kinds.
	GroupSize int
	// TolerationSeconds is how long workloads tolerate a cluster's
	// not-ready and unreachable NoExecute taints before failover may evict
	// them (0: not at all, they are evicted as soon as the taint is there).
	TolerationSeconds int64
}

func (o Options) withDefaults() Options {
	if o.Namespaces <= 0 {
		o.Namespaces = 4
	}
	if o.PoliciesPerKind <= 0 {
		o.PoliciesPerKind = 20
	}
	if o.GroupSize <= 0 {
		o.GroupSize = 3
	}
	return o
}

// Cluster is one simulated cluster and the labels it joins with.
type Cluster struct {
	Name, Region, Zone, Provider, Group string
	// Index is the cluster's position, from 0.
	Index int
}

// Labels are the cluster's scheduling labels.
func (c Cluster) Labels() map[string]string {
	return map[string]string{
		clusterv1alpha1.LabelRegion:   c.Region,
		clusterv1alpha1.LabelZone:     c.Zone,
		clusterv1alpha1.LabelProvider: c.Provider,
		GroupLabel:                    c.Group,
	}
}

// Policy is one PropagationPolicy of the mix.
type Policy struct {
	Name, Namespace string
	Kind            Kind
	// Group is the group a Duplicated policy selects.
	Group string
	// Clusters are a Duplicated policy's group members and a static
	// policy's named clusters, in order.
	Clusters []string
	// Weights are a static policy's weights, one per cluster.
	Weights []int64
	// Regions are the regions a dynamic policy may use.
	Regions []string
}

// Workload is one Deployment of the mix.
type Workload struct {
	Name, Namespace string
	Replicas        int32
	// Policy is the index of the policy in Mix.Policies that selects it.
	Policy int
}

// Mix is the generated fleet, policies and workloads.
type Mix struct {
	Options    Options
	Clusters   []Cluster
	Namespaces []string
	Policies   []Policy
	Workloads  []Workload
}

// New generates the mix for o.
func New(o Options) (*Mix, error) {
	o = o.withDefaults()
	if o.Clusters < 10 {
		return nil, fmt.Errorf("mix: %d clusters: give at least 10 (two groups, three regions and four named clusters must exist)", o.Clusters)
	}
	m := &Mix{Options: o}
	width := len(fmt.Sprint(o.Clusters - 1))
	groups := (o.Clusters + o.GroupSize - 1) / o.GroupSize
	gwidth := max(len(fmt.Sprint(groups-1)), 2)
	for i := range o.Clusters {
		// Consecutive clusters share a group but not a region, so a group
		// spans GroupSize regions and a failure of every tenth cluster
		// takes at most one cluster of any group.
		region := i % Regions
		m.Clusters = append(m.Clusters, Cluster{
			Index:    i,
			Name:     fmt.Sprintf("sim-%0*d", width, i),
			Region:   fmt.Sprintf("region-%d", region),
			Zone:     fmt.Sprintf("region-%d-%c", region, 'a'+rune(i/Regions%3)),
			Provider: providers[i%len(providers)],
			Group:    fmt.Sprintf("g%0*d", gwidth, i/o.GroupSize),
		})
	}
	for i := range o.Namespaces {
		m.Namespaces = append(m.Namespaces, fmt.Sprintf("scale-%d", i))
	}
	perKind := min(o.PoliciesPerKind, groups, o.Clusters/4)
	m.Options.PoliciesPerKind = perKind
	for j := range perKind {
		ns := m.Namespaces[j%len(m.Namespaces)]
		// Policies of a kind are spaced evenly over the clusters, so the
		// workloads reach every part of the fleet, not its first clusters.
		g := j * groups / perKind
		dup := Policy{Name: fmt.Sprintf("dup-%02d", j), Namespace: ns, Kind: Duplicated, Group: m.Clusters[g*o.GroupSize].Group}
		for _, c := range m.Clusters {
			if c.Group == dup.Group {
				dup.Clusters = append(dup.Clusters, c.Name)
			}
		}
		m.Policies = append(m.Policies, dup)

		// Three or four clusters (every other policy names three) a
		// quarter of the fleet apart, each one further on, so they rarely
		// share a residue modulo ten: a failure of every tenth cluster
		// leaves a policy some of them (CheckFailure tells for sure).
		n := 4 - j%2
		st := Policy{Name: fmt.Sprintf("static-%02d", j), Namespace: ns, Kind: Static}
		base := j * o.Clusters / perKind
		for k := range n {
			idx := (base + k*(o.Clusters/4) + k) % o.Clusters
			st.Clusters = append(st.Clusters, m.Clusters[idx].Name)
			st.Weights = append(st.Weights, int64(k+1))
		}
		m.Policies = append(m.Policies, st)

		dyn := Policy{Name: fmt.Sprintf("dynamic-%02d", j), Namespace: ns, Kind: Dynamic}
		for k := range 3 {
			dyn.Regions = append(dyn.Regions, fmt.Sprintf("region-%d", (j+3*k)%Regions))
		}
		m.Policies = append(m.Policies, dyn)
	}
	for i := range o.Workloads {
		// Workloads cycle through the kinds, then through the policies of
		// the kind; replicas cycle through 2..6.
		kind := i % len(Kinds)
		p := (i/len(Kinds))%perKind*len(Kinds) + kind
		m.Workloads = append(m.Workloads, Workload{
			Name:      fmt.Sprintf("w-%05d", i),
			Namespace: m.Policies[p].Namespace,
			Replicas:  int32(2 + i%5),
			Policy:    p,
		})
	}
	return m, nil
}

// Counts is how many workloads, policies and expected targets each kind
// has; Targets sums the targets a correct schedule gives (for dynamic
// workloads, the most it may give: three each).
type Counts struct {
	Policies, Workloads, Targets map[Kind]int
}

// Count tallies the mix by kind.
func (m *Mix) Count() Counts {
	c := Counts{Policies: map[Kind]int{}, Workloads: map[Kind]int{}, Targets: map[Kind]int{}}
	for _, p := range m.Policies {
		c.Policies[p.Kind]++
	}
	for _, w := range m.Workloads {
		p := m.Policies[w.Policy]
		c.Workloads[p.Kind]++
		switch p.Kind {
		case Duplicated:
			c.Targets[p.Kind] += len(p.Clusters)
		case Static:
			c.Targets[p.Kind] += len(StaticDivision(w.Replicas, p.Clusters, p.Weights, false))
		case Dynamic:
			c.Targets[p.Kind] += 3
		}
	}
	return c
}

// Namespace objects of the mix.
func (m *Mix) NamespaceObjects() []*corev1.Namespace {
	out := make([]*corev1.Namespace, 0, len(m.Namespaces))
	for _, ns := range m.Namespaces {
		out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	return out
}

// PropagationPolicy renders policy i.
func (m *Mix) PropagationPolicy(i int) *policyv1alpha1.PropagationPolicy {
	p := m.Policies[i]
	pp := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{
				APIVersion: "apps/v1", Kind: "Deployment",
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{PolicyLabel: p.Name}},
			}},
		},
	}
	pl := &pp.Spec.Placement
	if s := m.Options.TolerationSeconds; s > 0 {
		for _, key := range []string{clusterv1alpha1.TaintClusterNotReady, clusterv1alpha1.TaintClusterUnreachable} {
			pl.ClusterTolerations = append(pl.ClusterTolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(s),
			})
		}
	}
	switch p.Kind {
	case Duplicated:
		pl.ClusterAffinity = &policyv1alpha1.ClusterAffinity{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{GroupLabel: p.Group}},
		}
		pl.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated}
	case Static:
		pl.ClusterAffinity = &policyv1alpha1.ClusterAffinity{ClusterNames: slices.Clone(p.Clusters)}
		var list []policyv1alpha1.StaticClusterWeight
		for k, c := range p.Clusters {
			list = append(list, policyv1alpha1.StaticClusterWeight{
				TargetCluster: policyv1alpha1.ClusterAffinity{ClusterNames: []string{c}}, Weight: p.Weights[k],
			})
		}
		pl.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{
			ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
			ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
			WeightPreference:          &policyv1alpha1.ClusterPreferences{StaticWeightList: list},
		}
	case Dynamic:
		pl.ClusterAffinity = &policyv1alpha1.ClusterAffinity{
			LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: clusterv1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpIn, Values: slices.Clone(p.Regions),
			}}},
		}
		pl.SpreadConstraints = []policyv1alpha1.SpreadConstraint{
			{SpreadByField: policyv1alpha1.SpreadByFieldRegion, MinGroups: 2, MaxGroups: 3},
			{SpreadByField: policyv1alpha1.SpreadByFieldCluster, MinGroups: 2, MaxGroups: 3},
		}
		pl.ReplicaScheduling = &policyv1alpha1.ReplicaSchedulingStrategy{
			ReplicaSchedulingType:     policyv1alpha1.ReplicaSchedulingTypeDivided,
			ReplicaDivisionPreference: policyv1alpha1.ReplicaDivisionPreferenceWeighted,
			WeightPreference:          &policyv1alpha1.ClusterPreferences{DynamicWeight: policyv1alpha1.DynamicWeightByAvailableReplicas},
		}
	}
	return pp
}

// Deployment renders workload i: a small request per replica (10m CPU,
// 16Mi), so capacity is never what limits the bench.
func (m *Mix) Deployment(i int) *appsv1.Deployment {
	w := m.Workloads[i]
	sel := map[string]string{"app": w.Name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace,
			Labels: map[string]string{PolicyLabel: m.Policies[w.Policy].Name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(w.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "nginx:1.25",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi"),
					}},
				}}},
			},
		},
	}
}
