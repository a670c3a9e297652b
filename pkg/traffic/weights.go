// Package traffic decides how the traffic of a Service propagated to several
// member clusters is shared between them, and renders the Istio
// VirtualService and DestinationRule that carry the decision. It is pure: no
// client, clock or randomness; the controller passes the observed state and
// the time in.
//
// The weights are integers summing to exactly 100 (largest remainder, ties
// broken in cluster name order). A cluster that cannot take traffic gets 0 at
// once and its share goes to the healthy clusters in proportion to their own;
// a cluster that becomes healthy again ramps back stepWeight points per
// interval while the clusters that stayed healthy carry the rest. When no
// cluster is healthy the last weights are kept: routing to nothing would
// fail every request, routing as before fails only those the mesh cannot
// retry elsewhere.
package traffic

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
)

// Observed is what the hub knows of one cluster that holds the Service.
type Observed struct {
	// Name of the cluster.
	Name string
	// ClusterReady is the AttachedCluster's Ready condition.
	ClusterReady bool
	// WorkloadPlaced says whether the workload's binding targets the cluster.
	WorkloadPlaced bool
	// WorkloadHealthy is the workload's health there, as the binding's
	// per-cluster status reports it (Unknown counts as not healthy).
	WorkloadHealthy bool
	// ReadyReplicas of the workload there; nil when the workload kind
	// reports none (then every healthy cluster counts as one replica).
	ReadyReplicas *int32
	// P99Milliseconds is the cluster's p99 latency; nil without data.
	P99Milliseconds *float64
}

// Input is one decision's input.
type Input struct {
	// Spec of the TrafficPolicy.
	Spec *networkingv1alpha1.TrafficPolicySpec
	// Clusters that hold the Service, in any order.
	Clusters []Observed
	// Previous is status.clusters of the last decision (empty the first
	// time): the weights the members have, the last step times.
	Previous []networkingv1alpha1.ClusterTraffic
	// Now is the decision's time.
	Now time.Time
}

// Result is one decision.
type Result struct {
	// Clusters are the new status.clusters, in name order.
	Clusters []networkingv1alpha1.ClusterTraffic
	// Writable is false when there are no weights to write: no cluster is
	// healthy and none had a share before.
	Writable bool
	// NoHealthyCluster is true when no cluster can take traffic; the weights
	// are then the previous ones (renormalised over the clusters that still
	// hold the Service).
	NoHealthyCluster bool
	// Changed says whether any weight differs from Previous (or the set of
	// clusters changed).
	Changed bool
	// Cause names why the weights changed, for events and the history: the
	// reason of the first cluster whose health changed, else Recovering
	// when a ramp stepped, else TargetChanged.
	Cause string
	// RequeueAfter is when the next recovery step is due; 0 when no cluster
	// is ramping.
	RequeueAfter time.Duration
}

// Weights returns the clusters' weights to write now.
func Weights(in Input) Result {
	obs := slices.Clone(in.Clusters)
	slices.SortFunc(obs, func(a, b Observed) int { return strings.Compare(a.Name, b.Name) })
	prev := make(map[string]*networkingv1alpha1.ClusterTraffic, len(in.Previous))
	for i := range in.Previous {
		prev[in.Previous[i].Name] = &in.Previous[i]
	}
	now := metav1.NewTime(in.Now)
	out := make([]networkingv1alpha1.ClusterTraffic, len(obs))
	for i, o := range obs {
		reason := healthReason(o)
		c := networkingv1alpha1.ClusterTraffic{Name: o.Name, Healthy: reason == networkingv1alpha1.ClusterHealthy, Reason: reason}
		if o.ReadyReplicas != nil {
			c.ReadyReplicas = *o.ReadyReplicas
		}
		if o.P99Milliseconds != nil {
			ms := int64(math.Round(*o.P99Milliseconds))
			c.P99Milliseconds = &ms
		}
		p := prev[o.Name]
		switch {
		case p == nil || p.Healthy != c.Healthy || p.Since == nil:
			c.Since = &now
		default:
			c.Since = p.Since
		}
		if p != nil {
			c.LastStepTime = p.LastStepTime
		}
		out[i] = c
	}

	targets := distribute(100, bases(in.Spec, obs, out))
	res := Result{Clusters: out}
	if targets == nil {
		res.NoHealthyCluster = true
		kept := make([]int64, len(out))
		for i := range out {
			if p := prev[out[i].Name]; p != nil {
				kept[i] = int64(p.Weight)
			}
		}
		if w := distribute(100, kept); w != nil {
			res.Writable = true
			for i := range out {
				out[i].Weight = w[i]
			}
		}
		res.Changed, res.Cause = changes(in.Previous, out, false)
		return res
	}
	res.Writable = true
	for i := range out {
		out[i].TargetWeight = targets[i]
	}

	step, interval := recovery(in.Spec)
	// A cluster ramps when it was not healthy (or not there) at the last
	// decision, or was ramping then, or its share was cut for latency then
	// and its target is now above its weight. The first decision has nobody
	// to take the rest, so everyone starts at the target.
	recovering := make([]bool, len(out))
	steadyShare := int32(0)
	for i := range out {
		c := &out[i]
		if !c.Healthy || c.TargetWeight == 0 {
			continue
		}
		p := prev[c.Name]
		if len(in.Previous) > 0 && (p == nil || !p.Healthy || p.Reason == networkingv1alpha1.ClusterRecovering || regainsLatencyShare(in.Spec, p, c)) {
			recovering[i] = true
		} else {
			steadyShare += c.TargetWeight
		}
	}
	if steadyShare == 0 {
		// Nobody stayed healthy (every healthy cluster is coming back at
		// once): there is no one to carry the rest, so the targets apply.
		for i := range out {
			out[i].Weight = out[i].TargetWeight
			if recovering[i] {
				out[i].LastStepTime = &now
			}
		}
		res.Changed, res.Cause = changes(in.Previous, out, false)
		return res
	}

	stepped := false
	var ramped int32
	for i := range out {
		if !recovering[i] {
			continue
		}
		c := &out[i]
		p := prev[c.Name]
		w, stepNow := int32(0), false
		switch {
		case p == nil || !p.Healthy:
			// Just recovered: the first step is now.
			w, stepNow = step, true
		case p.LastStepTime == nil || !in.Now.Before(p.LastStepTime.Add(interval)):
			w, stepNow = p.Weight+step, true
		default:
			w = p.Weight
			res.RequeueAfter = minPositive(res.RequeueAfter, p.LastStepTime.Add(interval).Sub(in.Now))
		}
		if stepNow {
			stepped = true
			c.LastStepTime = &now
		}
		if w >= c.TargetWeight {
			w = c.TargetWeight
		} else {
			c.Reason = networkingv1alpha1.ClusterRecovering
			if stepNow {
				res.RequeueAfter = minPositive(res.RequeueAfter, interval)
			}
		}
		c.Weight = w
		ramped += w
	}
	// The clusters that stayed healthy share the rest in proportion to
	// their targets.
	steady := make([]int64, len(out))
	for i := range out {
		if out[i].Healthy && !recovering[i] {
			steady[i] = int64(out[i].TargetWeight)
		}
	}
	rest := distribute(100-ramped, steady)
	for i := range out {
		if out[i].Healthy && !recovering[i] {
			out[i].Weight = rest[i]
		}
	}
	res.Changed, res.Cause = changes(in.Previous, out, stepped)
	return res
}

// healthReason is Healthy or why the cluster cannot take traffic.
func healthReason(o Observed) string {
	switch {
	case !o.ClusterReady:
		return networkingv1alpha1.ClusterNotReady
	case !o.WorkloadPlaced:
		return networkingv1alpha1.ClusterWorkloadNotPlaced
	case !o.WorkloadHealthy:
		return networkingv1alpha1.ClusterWorkloadUnhealthy
	case o.ReadyReplicas != nil && *o.ReadyReplicas <= 0:
		return networkingv1alpha1.ClusterNoReadyReplicas
	}
	return networkingv1alpha1.ClusterHealthy
}

// regainsLatencyShare says whether a cluster that stayed healthy had its
// share cut for latency at the last decision (p99 above the target) and now
// has a target above the weight it had: it gets the share back in steps,
// like a recovered cluster, instead of at once. A p99 that is back under
// the target says little about how the cluster copes with its full share.
func regainsLatencyShare(spec *networkingv1alpha1.TrafficPolicySpec, p, c *networkingv1alpha1.ClusterTraffic) bool {
	l := spec.Weighting.Latency
	return spec.Weighting.Type == networkingv1alpha1.WeightingLatency && l != nil &&
		p.P99Milliseconds != nil && *p.P99Milliseconds > int64(l.TargetMilliseconds) && p.Weight < c.TargetWeight
}

// latencyScale keeps the latency factor's precision in integer bases.
const latencyScale = 1_000_000

// bases are the unnormalised shares of the healthy clusters (0 for the
// others). When every healthy cluster's base is 0 (explicit standbys only)
// they share equally: a standby takes over rather than dropping traffic.
func bases(spec *networkingv1alpha1.TrafficPolicySpec, obs []Observed, out []networkingv1alpha1.ClusterTraffic) []int64 {
	b := make([]int64, len(obs))
	var explicit map[string]int32
	if spec.Weighting.Type == networkingv1alpha1.WeightingExplicit {
		explicit = make(map[string]int32, len(spec.Weighting.Weights))
		for _, w := range spec.Weighting.Weights {
			explicit[w.Cluster] = w.Weight
		}
	}
	healthy, sum := 0, int64(0)
	for i, o := range obs {
		if !out[i].Healthy {
			continue
		}
		healthy++
		replicas := int64(1)
		if o.ReadyReplicas != nil {
			replicas = int64(*o.ReadyReplicas)
		}
		switch spec.Weighting.Type {
		case networkingv1alpha1.WeightingExplicit:
			b[i] = int64(explicit[o.Name])
		case networkingv1alpha1.WeightingLatency:
			factor := 1.0
			if l := spec.Weighting.Latency; l != nil && o.P99Milliseconds != nil && *o.P99Milliseconds > float64(l.TargetMilliseconds) {
				factor = float64(l.TargetMilliseconds) / *o.P99Milliseconds
			}
			b[i] = int64(math.Round(float64(replicas) * latencyScale * factor))
		default:
			b[i] = replicas
		}
		sum += b[i]
	}
	if healthy > 0 && sum == 0 {
		for i := range obs {
			if out[i].Healthy {
				b[i] = 1
			}
		}
	}
	return b
}

// distribute splits total into integers proportional to weights, summing to
// exactly total: each gets the floor of its exact share, and the points left
// go one each to the largest remainders, ties to the lower index (name
// order). It returns nil when the weights sum to 0 or total is not positive
// while some weight is.
func distribute(total int32, weights []int64) []int32 {
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 {
		return nil
	}
	out := make([]int32, len(weights))
	rem := make([]int64, len(weights))
	left := int64(total)
	for i, w := range weights {
		exact := w * int64(total)
		out[i] = int32(exact / sum)
		rem[i] = exact % sum
		left -= int64(out[i])
	}
	for ; left > 0; left-- {
		best := -1
		for i := range weights {
			if weights[i] > 0 && (best < 0 || rem[i] > rem[best]) {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// recovery returns the step and interval with their defaults.
func recovery(spec *networkingv1alpha1.TrafficPolicySpec) (int32, time.Duration) {
	step, secs := int32(networkingv1alpha1.DefaultStepWeight), int32(networkingv1alpha1.DefaultRecoveryIntervalSeconds)
	if r := spec.Recovery; r != nil {
		if r.StepWeight > 0 {
			step = r.StepWeight
		}
		if r.IntervalSeconds > 0 {
			secs = max(r.IntervalSeconds, minIntervalSeconds)
		}
	}
	return step, time.Duration(secs) * time.Second
}

// changes compares the new weights with the previous ones and names the
// cause of a change.
func changes(previous, now []networkingv1alpha1.ClusterTraffic, stepped bool) (bool, string) {
	prev := make(map[string]*networkingv1alpha1.ClusterTraffic, len(previous))
	for i := range previous {
		prev[previous[i].Name] = &previous[i]
	}
	changed := len(previous) != len(now)
	cause := ""
	for i := range now {
		p := prev[now[i].Name]
		if p == nil || p.Weight != now[i].Weight {
			changed = true
		}
		if cause == "" && p != nil && p.Healthy != now[i].Healthy {
			cause = now[i].Reason
			if now[i].Healthy || now[i].Reason == networkingv1alpha1.ClusterRecovering {
				cause = networkingv1alpha1.ClusterRecovering
			}
		}
	}
	if !changed {
		return false, ""
	}
	switch {
	case cause != "":
	case stepped:
		cause = networkingv1alpha1.ClusterRecovering
	default:
		cause = "TargetChanged"
	}
	return true, cause
}

func minPositive(a, b time.Duration) time.Duration {
	if b <= 0 {
		b = time.Second
	}
	if a == 0 || b < a {
		return b
	}
	return a
}

// WeightsOf returns the clusters' weights, in order, as ClusterWeights.
func WeightsOf(clusters []networkingv1alpha1.ClusterTraffic) []networkingv1alpha1.ClusterWeight {
	out := make([]networkingv1alpha1.ClusterWeight, len(clusters))
	for i, c := range clusters {
		out[i] = networkingv1alpha1.ClusterWeight{Cluster: c.Name, Weight: c.Weight}
	}
	return out
}

// minIntervalSeconds is the shortest recovery interval (the CRD refuses
// less; objects written before that rule still get at least this).
const minIntervalSeconds = 10

// FormatWeights is "a 50 b 50", with a "*" after clusters that cannot take
// traffic when marked.
func FormatWeights(clusters []networkingv1alpha1.ClusterTraffic, mark bool) string {
	parts := make([]string, 0, len(clusters))
	for _, c := range clusters {
		p := fmt.Sprintf("%s %d", c.Name, c.Weight)
		if mark && !c.Healthy {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}
