package autoscale

import (
	"fmt"
	"sort"

	v1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// NodePoolKind is the Kind of a node pool's ScaleChange.
const NodePoolKind = "NodePool"

// Current is the sizes the controller read before acting.
type Current struct {
	// Workloads are the hub templates' spec.replicas by Workload.Key().
	Workloads map[string]int32
	// Pools are the action's node pool in each target cluster, by cluster.
	Pools map[string]PoolSize
}

// PoolSize is one NodePool's spec.replicas and bounds.
type PoolSize struct {
	Replicas, Min, Max int32
}

// ScaleOutChanges is what a scale-out changes, in the order of the action:
// workloads, then the node pool cluster by cluster (the settings' clusters,
// or those of cur.Pools sorted).
//
// A workload goes to ScaleOutReplicas of its size before the first
// scale-out: the From recorded in before (the status' before[]) when the
// policy is already scaled out, else its current size, so a second manual
// trigger re-applies "+30%" instead of compounding it. A pool goes to
// Pool.MaxNodes (its NodePool's max when the action gives none), bounded by
// its NodePool's max, and never below its current size. Targets already at
// their size are left out. A target missing from cur is an error naming it.
func ScaleOutChanges(s Settings, cur Current, before []v1alpha1.ScaleChange) ([]v1alpha1.ScaleChange, error) {
	var changes []v1alpha1.ScaleChange
	for _, w := range s.Workloads {
		now, ok := cur.Workloads[w.Key()]
		if !ok {
			return nil, fmt.Errorf("%s: its current replicas are unknown; create it on the hub or remove it from the action", w.Key())
		}
		base := now
		if b, ok := findChange(before, w.Kind, w.Namespace, w.Name, ""); ok {
			base = b.From
		}
		to, err := ScaleOutReplicas(w.Replicas, base)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.Key(), err)
		}
		if to != now {
			changes = append(changes, v1alpha1.ScaleChange{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, From: now, To: to})
		}
	}
	if s.Pool == nil {
		return changes, nil
	}
	for _, c := range poolClusters(s, cur) {
		p, ok := cur.Pools[c]
		if !ok {
			return nil, fmt.Errorf("node pool %s in cluster %s: not found; create a NodePool with spec.cluster %s and spec.poolName %s, or remove the cluster from targetClusters", s.Pool.Name, c, c, s.Pool.Name)
		}
		to := p.Max
		if s.Pool.MaxNodes != nil && *s.Pool.MaxNodes < to {
			to = *s.Pool.MaxNodes
		}
		to = max(to, p.Replicas)
		if to != p.Replicas {
			changes = append(changes, v1alpha1.ScaleChange{Kind: NodePoolKind, Name: s.Pool.Name, Cluster: c, From: p.Replicas, To: to})
		}
	}
	return changes, nil
}

// ScaleInChanges is what the scale-in after a scale-out changes: a workload
// to its MinReplicas if set, else to its size in before; a pool to
// Pool.MinNodes if set (bounded by its NodePool's min and max), else to its
// size in before. A scale-in only shrinks: targets at or below their size
// (someone shrank them meanwhile) and targets with neither a minimum nor a
// before entry are left out, and so are targets missing from cur.
func ScaleInChanges(s Settings, cur Current, before []v1alpha1.ScaleChange) []v1alpha1.ScaleChange {
	var changes []v1alpha1.ScaleChange
	for _, w := range s.Workloads {
		now, ok := cur.Workloads[w.Key()]
		if !ok {
			continue
		}
		var to int32
		switch b, found := findChange(before, w.Kind, w.Namespace, w.Name, ""); {
		case w.MinReplicas != nil:
			to = *w.MinReplicas
		case found:
			to = b.From
		default:
			continue
		}
		if to < now {
			changes = append(changes, v1alpha1.ScaleChange{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, From: now, To: to})
		}
	}
	if s.Pool == nil {
		return changes
	}
	for _, c := range poolClusters(s, cur) {
		p, ok := cur.Pools[c]
		if !ok {
			continue
		}
		var to int32
		switch b, found := findChange(before, NodePoolKind, "", s.Pool.Name, c); {
		case s.Pool.MinNodes != nil:
			to = min(max(*s.Pool.MinNodes, p.Min), p.Max)
		case found:
			to = b.From
		default:
			continue
		}
		if to < p.Replicas {
			changes = append(changes, v1alpha1.ScaleChange{Kind: NodePoolKind, Name: s.Pool.Name, Cluster: c, From: p.Replicas, To: to})
		}
	}
	return changes
}

// RecordBefore is the status' before[] after a scale-out made changes:
// the entries already there are kept (they hold the sizes before the first
// scale-out), the changes' targets not yet there are added as they are (From is the size to go back to).
// After the scale-in, the controller clears before[].
func RecordBefore(before, changes []v1alpha1.ScaleChange) []v1alpha1.ScaleChange {
	out := append([]v1alpha1.ScaleChange(nil), before...)
	for _, c := range changes {
		if _, ok := findChange(out, c.Kind, c.Namespace, c.Name, c.Cluster); ok {
			continue
		}
		c.Ready = 0
		out = append(out, c)
	}
	return out
}

func findChange(changes []v1alpha1.ScaleChange, kind, namespace, name, cluster string) (v1alpha1.ScaleChange, bool) {
	for _, c := range changes {
		if c.Kind == kind && c.Namespace == namespace && c.Name == name && c.Cluster == cluster {
			return c, true
		}
	}
	return v1alpha1.ScaleChange{}, false
}

func poolClusters(s Settings, cur Current) []string {
	if len(s.Clusters) > 0 {
		return s.Clusters
	}
	out := make([]string, 0, len(cur.Pools))
	for c := range cur.Pools {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
