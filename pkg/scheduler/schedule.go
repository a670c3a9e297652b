// Package scheduler is Kurator's placement core: given a snapshot of member
// clusters and one binding's request, it decides which clusters run the
// resource and how many replicas each gets, with Karmada v1.19 semantics
// (filter → score → spread select → divide). It is pure: no client, clock,
// randomness or I/O, so the hub, `kurator plan` and tests share it.
package scheduler

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// ResourceRef identifies the resource being placed.
type ResourceRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// UID seeds the Webster tie rule (see Schedule).
	UID types.UID
}

// TargetCluster is one cluster of a placement and its replicas.
type TargetCluster struct {
	Name     string
	Replicas int32
}

// Request is one binding to schedule.
type Request struct {
	Resource ResourceRef
	// Replicas wanted in total; 0 for resources without replicas (they are
	// placed by name, every target with 0 replicas).
	Replicas int32
	// PerReplica is one replica's resource request; empty means only free
	// pod slots limit the binding (Karmada's general estimator).
	PerReplica corev1.ResourceList
	// Placement from the winning policy; nil means everywhere, Duplicated.
	Placement *policyv1alpha1.Placement
	// Previous is the binding's current result (steady mode).
	Previous []TargetCluster
	// EvictingClusters are clusters in the binding's graceful eviction tasks.
	EvictingClusters []string
	// Fresh asks to reschedule from scratch (Karmada's reschedule trigger)
	// instead of scaling the previous result.
	Fresh bool
	// ObservedAffinityName is the clusterAffinities term the previous result
	// used; trying starts there so a binding does not flap back to an
	// earlier term (Karmada's observed affinity).
	ObservedAffinityName string
	// CostWeight, 0 to MaxCostWeight, turns on the Cost score: cheaper
	// clusters (per replica, at their Price) score up to this much more.
	// 0 leaves it off. Set it from the policy's CostWeightAnnotation.
	CostWeight int32
}

// Exclusion says why a cluster runs none of the binding.
type Exclusion struct {
	Cluster string
	Reason  string
}

// Result is where the binding goes.
type Result struct {
	// Targets sorted by name; clusters given 0 replicas are left out,
	// except for resources without replicas where every target has 0.
	Targets []TargetCluster
	// Excluded lists every other cluster of the snapshot with the reason,
	// sorted by name.
	Excluded []Exclusion
	// AffinityName is the clusterAffinities term used, if any.
	AffinityName string
}

// candidate is a cluster that passed the filters, with what later stages
// compute about it.
type candidate struct {
	idx      int   // index in Snapshot.clusters (name order)
	score    int64 // sum of scorers
	raw      int32 // room for more replicas
	avail    int32 // replicas of this binding the cluster could hold: raw + prev
	prev     int32 // replicas there now
	weight   int64 // division weight, set by divide
	assigned int32
}

// requestContext holds what is derived once per binding.
type requestContext struct {
	snap      *Snapshot
	req       *Request
	placement *policyv1alpha1.Placement
	mode      divisionMode

	tolerations []corev1.Toleration
	prev        []int32 // per cluster: current replicas, -1 when not a target
	evicting    []bool  // per cluster; nil when none
	apiKey      string  // "group/version/Kind"
	apiReason   string

	placementSpread []policyv1alpha1.SpreadConstraint // defaulted
	spreadReasons   []string

	request replicaRequest
	cost    *costContext // nil unless the binding opts into the Cost score

	// reasons[c] says why cluster c was dropped in the current attempt.
	reasons  []string
	feasible int
}

// Schedule places one binding. It returns *UnschedulableError when no
// placement satisfies the request, and another error when the request is
// malformed (bad selector, unknown mode).
//
// Replicas are divided by the Webster method (static and dynamic weights,
// Aggregated), which breaks ties like Karmada: fewer seats first, then
// cluster names ascending, unless Resource.UID is set and its FNV-32a hash
// is odd, then descending.
func Schedule(s *Snapshot, req Request) (Result, error) {
	if s == nil {
		return Result{}, errors.New("schedule: no cluster snapshot; build one with NewSnapshot")
	}
	if req.Replicas < 0 {
		return Result{}, fmt.Errorf("schedule %s: replicas %d is negative", req.Resource.Name, req.Replicas)
	}
	if req.CostWeight < 0 || req.CostWeight > MaxCostWeight {
		return Result{}, fmt.Errorf("schedule %s: cost weight %d is outside 0-%d; fix annotation %s of its policy", req.Resource.Name, req.CostWeight, MaxCostWeight, CostWeightAnnotation)
	}
	rc, err := newRequestContext(s, &req)
	if err != nil {
		return Result{}, fmt.Errorf("schedule %s/%s: %w", req.Resource.Namespace, req.Resource.Name, err)
	}

	terms := rc.placement.ClusterAffinities
	if len(terms) == 0 {
		return rc.scheduleWith(rc.placement.ClusterAffinity, -1)
	}
	// Ordered alternatives: the next term is tried only when this one is
	// unschedulable; any other error stops.
	start := 0
	for i := range terms {
		if terms[i].AffinityName == req.ObservedAffinityName {
			start = i
			break
		}
	}
	all := &UnschedulableError{Clusters: len(s.clusters)}
	for i := start; i < len(terms); i++ {
		res, err := rc.scheduleWith(&terms[i].ClusterAffinity, i)
		if err == nil {
			res.AffinityName = terms[i].AffinityName
			return res, nil
		}
		var ue *UnschedulableError
		if !errors.As(err, &ue) {
			return Result{}, err
		}
		ue.AffinityName = terms[i].AffinityName
		all.Terms = append(all.Terms, ue)
	}
	return Result{}, all
}

func newRequestContext(s *Snapshot, req *Request) (*requestContext, error) {
	placement := req.Placement
	if placement == nil {
		placement = &policyv1alpha1.Placement{}
	}
	mode, err := resolveMode(placement.ReplicaScheduling)
	if err != nil {
		return nil, err
	}
	rc := &requestContext{
		snap:        s,
		req:         req,
		placement:   placement,
		mode:        mode,
		tolerations: placement.AllTolerations(),
		prev:        make([]int32, len(s.clusters)),
		reasons:     make([]string, len(s.clusters)),
		request:     newReplicaRequest(s, req.PerReplica),
	}
	for i := range rc.prev {
		rc.prev[i] = -1
	}
	if req.CostWeight > 0 {
		rc.cost = newCostContext(s, req.CostWeight, req.PerReplica)
	}
	for _, t := range req.Previous {
		if i, ok := s.byName[t.Name]; ok {
			rc.prev[i] = max(rc.prev[i], 0) + max(t.Replicas, 0)
		}
	}
	if len(req.EvictingClusters) > 0 {
		rc.evicting = make([]bool, len(s.clusters))
		for _, n := range req.EvictingClusters {
			if i, ok := s.byName[n]; ok {
				rc.evicting[i] = true
			}
		}
	}

	gv, kind := req.Resource.APIVersion, req.Resource.Kind
	rc.apiKey = gv + "/" + kind
	rc.apiReason = "does not serve " + gv + " " + kind

	rc.placementSpread = defaultSpread(placement.SpreadConstraints)
	for i := range rc.placementSpread {
		sc := &rc.placementSpread[i]
		if sc.SpreadByField != "" && sc.SpreadByLabel != "" {
			return nil, fmt.Errorf("placement.spreadConstraints[%d]: spreadByField and spreadByLabel are mutually exclusive; keep one", i)
		}
		if sc.MaxGroups > 0 && sc.MaxGroups < sc.MinGroups {
			return nil, fmt.Errorf("placement.spreadConstraints[%d]: maxGroups %d is below minGroups %d", i, sc.MaxGroups, sc.MinGroups)
		}
		switch sc.SpreadByField {
		case "", policyv1alpha1.SpreadByFieldCluster, policyv1alpha1.SpreadByFieldRegion, policyv1alpha1.SpreadByFieldZone, policyv1alpha1.SpreadByFieldProvider:
		default:
			return nil, fmt.Errorf("placement.spreadConstraints[%d]: spreadByField %q is unknown; use cluster, region, zone or provider", i, sc.SpreadByField)
		}
		rc.spreadReasons = append(rc.spreadReasons, missingGroupReason(sc))
	}
	return rc, nil
}

// scheduleWith runs one attempt with one affinity: term is its index in
// clusterAffinities, or -1 for clusterAffinity.
func (rc *requestContext) scheduleWith(aff *policyv1alpha1.ClusterAffinity, term int) (Result, error) {
	s := rc.snap
	ca, err := compileAffinity(s, aff)
	if err != nil {
		if term < 0 {
			return Result{}, fmt.Errorf("placement.clusterAffinity.%w", err)
		}
		return Result{}, fmt.Errorf("placement.clusterAffinities[%d].%w", term, err)
	}
	clear(rc.reasons)

	// Filter.
	cands := make([]candidate, 0, len(s.clusters))
	for c := range s.clusters {
		reason := ""
		for i := range filters {
			if reason = filters[i].check(rc, ca, c); reason != "" {
				break
			}
		}
		if reason != "" {
			rc.reasons[c] = reason
			continue
		}
		cands = append(cands, candidate{idx: c})
	}
	rc.feasible = len(cands)
	if len(cands) == 0 {
		return Result{}, rc.unschedulable("")
	}

	// Score and measure room.
	wanted := rc.req.Replicas
	if rc.cost != nil {
		rc.cost.prepare(s, cands)
	}
	for i := range cands {
		c := cands[i].idx
		cands[i].score = rc.score(c)
		cands[i].prev = max(rc.prev[c], 0)
		cands[i].raw = rc.request.rawAvailable(&s.clusters[c])
		cands[i].avail = addReplicas(cands[i].raw, cands[i].prev)
	}

	// Spread. Karmada ignores spread constraints for static weights given
	// as a list (the weights alone say where replicas go), and asks every
	// Divided selection to hold the wanted replicas.
	spread := rc.placementSpread
	if len(spread) == 0 {
		spread = rc.fleetSpread(cands)
	}
	if len(spread) > 0 && !rc.spreadIgnored() {
		var need int64
		if rc.mode != modeDuplicated {
			need = int64(wanted)
		}
		cands, err = rc.selectBySpread(cands, spread, need)
		if err != nil {
			return Result{}, err
		}
	}

	// Divide.
	cands, err = rc.divide(cands)
	if err != nil {
		return Result{}, err
	}
	if wanted > 0 && rc.mode != modeDuplicated && rc.mode != modeStaticWeighted && len(spread) > 0 {
		rc.balanceSkew(cands, spread)
	}
	return rc.result(cands), nil
}

// spreadIgnored is Karmada's rule: Divided by static weights ignores spread
// constraints when it has no weightPreference or a non-empty
// staticWeightList; an empty weightPreference ({}) keeps them (and then
// weighs every selected cluster 1).
func (rc *requestContext) spreadIgnored() bool {
	if rc.mode != modeStaticWeighted {
		return false
	}
	wp := rc.placement.ReplicaScheduling.WeightPreference
	return wp == nil || len(wp.StaticWeightList) > 0
}

// fleetSpread returns the fleet's spread constraints when every candidate
// lies in that one fleet.
func (rc *requestContext) fleetSpread(cands []candidate) []policyv1alpha1.SpreadConstraint {
	fleet := rc.snap.clusters[cands[0].idx].fleet
	if fleet < 0 {
		return nil
	}
	for i := range cands {
		if rc.snap.clusters[cands[i].idx].fleet != fleet {
			return nil
		}
	}
	return rc.snap.fleets[fleet].spread
}

func (rc *requestContext) result(cands []candidate) Result {
	s := rc.snap
	assigned := make([]int32, len(s.clusters))
	for i := range assigned {
		assigned[i] = -1
	}
	targets := 0
	for _, c := range cands {
		if c.assigned > 0 || rc.req.Replicas == 0 {
			assigned[c.idx] = c.assigned
			targets++
		} else {
			rc.reasons[c.idx] = reasonNoReplicas
		}
	}
	res := Result{
		Targets:  make([]TargetCluster, 0, targets),
		Excluded: make([]Exclusion, 0, len(s.clusters)-targets),
	}
	for c := range s.clusters {
		if assigned[c] >= 0 {
			res.Targets = append(res.Targets, TargetCluster{Name: s.clusters[c].name, Replicas: assigned[c]})
			continue
		}
		reason := rc.reasons[c]
		if reason == "" {
			reason = reasonNotSelected
		}
		res.Excluded = append(res.Excluded, Exclusion{Cluster: s.clusters[c].name, Reason: reason})
	}
	return res
}

// unschedulable builds the error from the reasons gathered so far.
func (rc *requestContext) unschedulable(detail string) *UnschedulableError {
	e := &UnschedulableError{Clusters: len(rc.snap.clusters), Feasible: rc.feasible, Detail: detail}
	for c, r := range rc.reasons {
		if r != "" {
			e.Reasons = append(e.Reasons, Exclusion{Cluster: rc.snap.clusters[c].name, Reason: r})
		}
	}
	return e
}

// String renders a result compactly, e.g. "a:6 b:4", for logs and tests.
func (r Result) String() string {
	var b strings.Builder
	for i, t := range r.Targets {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%d", t.Name, t.Replicas)
	}
	return b.String()
}
