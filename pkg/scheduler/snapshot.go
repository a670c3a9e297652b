package scheduler

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// FleetNameLabel is the label that ties a member cluster to its Fleet.
const FleetNameLabel = "fleet.kurator.dev/fleet-name"

// Cluster is what the scheduler needs to know about one member cluster. It is
// an input snapshot type, independent of the AttachedCluster API, so the core
// can be fed from the hub, from YAML (kurator plan) or from tests alike.
type Cluster struct {
	Name   string
	Labels map[string]string

	Provider string
	Region   string
	// Zones lists the cluster's zones; the first one is its zone for
	// spreadByField zone.
	Zones []string

	Taints []corev1.Taint

	// APIEnablements lists what the cluster serves. Empty means "not known
	// yet" and lets every resource pass the API-enablement filter: a freshly
	// joined cluster whose discovery has not run must not block scheduling.
	APIEnablements []APIEnablement

	// Allocatable, Allocated and Allocating come from the cluster's resource
	// summary. A nil Allocatable means no summary: the cluster then has room
	// for no replica that requests resources (Karmada's general estimator).
	Allocatable corev1.ResourceList
	Allocated   corev1.ResourceList
	Allocating  corev1.ResourceList

	// Fleet names the cluster's fleet when the FleetNameLabel label is absent.
	Fleet string

	// Price is what the cluster's capacity costs an hour; nil means
	// unpriced. Only the Cost score reads it.
	Price *Price
}

// APIEnablement is one group/version a cluster serves and the kinds in it.
type APIEnablement struct {
	GroupVersion string
	Kinds        []string
}

// FleetPreference is the scheduling part of a Fleet: preferred cluster terms
// that raise the score of matching member clusters, and spread constraints
// used when a placement states none and all candidates lie in this fleet.
type FleetPreference struct {
	Name              string
	SpreadConstraints []policyv1alpha1.SpreadConstraint
	Preferred         []corev1.PreferredSchedulingTerm
}

// Snapshot is the immutable, per-cycle view of the fleet. Build it once with
// NewSnapshot and schedule any number of bindings against it; everything the
// hot path needs per cluster (label sets, free resources, fleet scores, taint
// strings) is computed here, not per binding.
type Snapshot struct {
	clusters []clusterInfo // sorted by name; index order is name order
	byName   map[string]int
	fleets   []fleetInfo
	// resourceCol maps a resource name to its column in clusterInfo.free.
	resourceCol map[corev1.ResourceName]int
	// regions lists the distinct region names; clusterInfo.regionID
	// indexes it.
	regions []string
}

type fleetInfo struct {
	name   string
	spread []policyv1alpha1.SpreadConstraint // defaulted
}

type clusterInfo struct {
	name        string
	labels      labels.Set
	fieldLabels labels.Set // provider and region, for fieldSelector
	provider    string
	region      string
	regionID    int32
	zone        string
	zones       []string
	// taints holds only NoSchedule and NoExecute taints, the ones filters
	// look at; taintReason is the filter's message for each, made once.
	taints      []corev1.Taint
	taintReason []string
	// apis holds "group/version/Kind"; nil means unknown, allow all.
	apis map[string]struct{}
	// free is allocatable − allocated − allocating per resource column
	// (cpu in milli); missing[col] is true when allocatable lacks it.
	free       []int64
	missing    []bool
	hasSummary bool
	fleet      int // index into Snapshot.fleets, -1 when in no known fleet
	// preferScore is the sum of the fleet's matching preferred term weights.
	preferScore int64
	// price is the cluster's price when priced is true (held by value so
	// a priced fleet costs the snapshot no extra allocation).
	price  Price
	priced bool
}

// NewSnapshot checks and indexes clusters and fleets. It fails on duplicate
// cluster names and on preferred terms that are not valid selectors.
func NewSnapshot(clusters []Cluster, fleets []FleetPreference) (*Snapshot, error) {
	s := &Snapshot{
		clusters:    make([]clusterInfo, len(clusters)),
		byName:      make(map[string]int, len(clusters)),
		resourceCol: map[corev1.ResourceName]int{},
	}

	fleetIndex := make(map[string]int, len(fleets))
	fleetSelectors := make([][]weightedSelector, len(fleets))
	for i, f := range fleets {
		if _, dup := fleetIndex[f.Name]; dup {
			return nil, fmt.Errorf("fleet %q is listed twice; give each fleet once", f.Name)
		}
		fleetIndex[f.Name] = i
		s.fleets = append(s.fleets, fleetInfo{name: f.Name, spread: defaultSpread(f.SpreadConstraints)})
		for j, term := range f.Preferred {
			if len(term.Preference.MatchExpressions) == 0 && len(term.Preference.MatchFields) == 0 {
				// An empty term matches everything with no effect on the
				// ranking (Kubernetes treats it as a no-op).
				continue
			}
			sel, err := nodeSelectorTermAsSelector(term.Preference)
			if err != nil {
				return nil, fmt.Errorf("fleet %q preferred term %d: %w", f.Name, j, err)
			}
			fleetSelectors[i] = append(fleetSelectors[i], weightedSelector{weight: int64(term.Weight), selector: sel})
		}
	}

	// Columns are assigned in sorted resource-name order so the layout does
	// not depend on map iteration.
	var names []corev1.ResourceName
	for i := range clusters {
		for name := range clusters[i].Allocatable {
			if _, ok := s.resourceCol[name]; !ok {
				s.resourceCol[name] = 0
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	for i, name := range names {
		s.resourceCol[name] = i
	}

	order := make([]int, len(clusters))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(clusters[a].Name, clusters[b].Name) })

	for pos, src := range order {
		c := &clusters[src]
		if c.Name == "" {
			return nil, fmt.Errorf("cluster %d has no name; every cluster needs one", src)
		}
		if _, dup := s.byName[c.Name]; dup {
			return nil, fmt.Errorf("cluster %q is listed twice; give each cluster once", c.Name)
		}
		s.byName[c.Name] = pos
		s.clusters[pos] = newClusterInfo(c, s.resourceCol, len(names), fleetIndex, fleetSelectors)
	}
	regionID := map[string]int32{}
	for i := range s.clusters {
		ci := &s.clusters[i]
		id, ok := regionID[ci.region]
		if !ok {
			id = int32(len(s.regions))
			regionID[ci.region] = id
			s.regions = append(s.regions, ci.region)
		}
		ci.regionID = id
	}
	return s, nil
}

type weightedSelector struct {
	weight   int64
	selector labels.Selector
}

func newClusterInfo(c *Cluster, cols map[corev1.ResourceName]int, ncols int, fleetIndex map[string]int, fleetSelectors [][]weightedSelector) clusterInfo {
	ci := clusterInfo{
		name:     c.Name,
		labels:   labels.Set(cloneMap(c.Labels)),
		provider: c.Provider,
		region:   c.Region,
		zones:    slices.Clone(c.Zones),
		fleet:    -1,
	}
	if c.Price != nil {
		ci.price, ci.priced = *c.Price, true
	}
	if len(c.Zones) > 0 {
		ci.zone = c.Zones[0]
	}
	// Only non-empty fields are set, so "Exists" means "the cluster states it".
	ci.fieldLabels = labels.Set{}
	if c.Provider != "" {
		ci.fieldLabels["provider"] = c.Provider
	}
	if c.Region != "" {
		ci.fieldLabels["region"] = c.Region
	}
	for _, t := range c.Taints {
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		ci.taints = append(ci.taints, t)
		ci.taintReason = append(ci.taintReason, "taint "+taintString(t)+" not tolerated")
	}
	for _, api := range c.APIEnablements {
		if ci.apis == nil {
			ci.apis = map[string]struct{}{}
		}
		for _, kind := range api.Kinds {
			ci.apis[api.GroupVersion+"/"+kind] = struct{}{}
		}
	}

	ci.hasSummary = c.Allocatable != nil
	ci.free = make([]int64, ncols)
	ci.missing = make([]bool, ncols)
	for name, col := range cols {
		alloc, ok := c.Allocatable[name]
		if !ok {
			ci.missing[col] = true
			continue
		}
		free := quantityValue(name, alloc)
		if q, ok := c.Allocated[name]; ok {
			free -= quantityValue(name, q)
		}
		if q, ok := c.Allocating[name]; ok {
			free -= quantityValue(name, q)
		}
		ci.free[col] = max(free, 0)
	}

	fleetName := c.Labels[FleetNameLabel]
	if fleetName == "" {
		fleetName = c.Fleet
	}
	if i, ok := fleetIndex[fleetName]; ok && fleetName != "" {
		ci.fleet = i
		for _, ws := range fleetSelectors[i] {
			if ws.selector.Matches(ci.labels) {
				ci.preferScore += ws.weight
			}
		}
	}
	return ci
}

// Len is the number of clusters in the snapshot.
func (s *Snapshot) Len() int { return len(s.clusters) }

// ClusterNames returns the cluster names in sorted order.
func (s *Snapshot) ClusterNames() []string {
	out := make([]string, len(s.clusters))
	for i := range s.clusters {
		out[i] = s.clusters[i].name
	}
	return out
}

func taintString(t corev1.Taint) string {
	if t.Value == "" {
		return t.Key + ":" + string(t.Effect)
	}
	return t.Key + "=" + t.Value + ":" + string(t.Effect)
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
