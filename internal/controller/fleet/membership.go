package fleet

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
)

// LabelsAnnotation on a member cluster lists, comma-separated and sorted,
// the label keys its fleet added (besides the fleet name label), so they can
// be removed when the fleet stops giving them or the cluster leaves.
const LabelsAnnotation = "fleet.kurator.dev/fleet-labels"

// memberLabels computes a cluster's labels and annotations when it belongs
// to fleet with the given per-member labels (member nil: it left the fleet).
// Keys the fleet added earlier but no longer gives are removed; labels the
// fleet never added are kept. It reports whether anything changed.
func memberLabels(labels, annotations map[string]string, fleet string, m *fleetv1alpha1.FleetCluster) (map[string]string, map[string]string, bool) {
	newLabels := copyMap(labels)
	newAnn := copyMap(annotations)
	want := map[string]string{}
	if m != nil {
		for k, v := range m.Labels {
			want[k] = v
		}
	}
	for _, k := range ownedKeys(annotations) {
		if _, keep := want[k]; !keep {
			delete(newLabels, k)
		}
	}
	if m != nil {
		newLabels[fleetv1alpha1.FleetNameLabel] = fleet
	} else {
		delete(newLabels, fleetv1alpha1.FleetNameLabel)
	}
	keys := make([]string, 0, len(want))
	for k, v := range want {
		if k == fleetv1alpha1.FleetNameLabel {
			continue
		}
		newLabels[k] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		delete(newAnn, LabelsAnnotation)
	} else {
		newAnn[LabelsAnnotation] = strings.Join(keys, ",")
	}
	changed := !equalMaps(labels, newLabels) || !equalMaps(annotations, newAnn)
	return newLabels, newAnn, changed
}

func ownedKeys(annotations map[string]string) []string {
	v := annotations[LabelsAnnotation]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// memberState is what the fleet saw of one listed member.
type memberState struct {
	name string
	// cluster is nil when no AttachedCluster of that name exists.
	cluster *clusterv1alpha1.AttachedCluster
	// otherFleet names the fleet that already holds the cluster, if any.
	otherFleet string
}

// summarize turns the members' states into the fleet's status fields.
func summarize(members []memberState, generation int64) (fleetv1alpha1.FleetPhase, int32, int32, metav1.Condition) {
	cond := metav1.Condition{Type: fleetv1alpha1.ConditionReady, ObservedGeneration: generation}
	if len(members) == 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, fleetv1alpha1.ReasonNoClustersInFleet
		cond.Message = "the fleet has no clusters: list AttachedClusters of this namespace in spec.clusters"
		return fleetv1alpha1.FleetPending, 0, 0, cond
	}
	var ready, notReady int32
	var missing, claimed, unready, unprobed []string
	for _, m := range members {
		switch {
		case m.cluster == nil:
			missing = append(missing, m.name)
		case m.otherFleet != "":
			claimed = append(claimed, fmt.Sprintf("%s (in fleet %s)", m.name, m.otherFleet))
		case m.cluster.IsReady():
			ready++
			continue
		case m.cluster.ReadyCondition() == nil:
			unprobed = append(unprobed, m.name)
		default:
			c := m.cluster.ReadyCondition()
			unready = append(unready, fmt.Sprintf("%s (%s)", m.name, c.Reason))
		}
		notReady++
	}
	if notReady == 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, fleetv1alpha1.ReasonAllClustersReady
		cond.Message = fmt.Sprintf("all %d clusters are Ready", ready)
		return fleetv1alpha1.FleetReady, ready, 0, cond
	}
	cond.Status = metav1.ConditionFalse
	var parts []string
	if len(missing) > 0 {
		cond.Reason = fleetv1alpha1.ReasonClustersNotFound
		parts = append(parts, fmt.Sprintf("no AttachedCluster %s in this namespace: join them with kurator join or remove them from spec.clusters", strings.Join(missing, ", ")))
	} else {
		cond.Reason = fleetv1alpha1.ReasonClustersNotReady
	}
	if len(claimed) > 0 {
		parts = append(parts, fmt.Sprintf("already in another fleet: %s; a cluster belongs to one fleet, remove it from the other fleet first", strings.Join(claimed, ", ")))
	}
	if len(unready) > 0 {
		parts = append(parts, fmt.Sprintf("not Ready: %s; see kubectl describe attachedcluster", strings.Join(unready, ", ")))
	}
	if len(unprobed) > 0 {
		parts = append(parts, fmt.Sprintf("not probed yet: %s", strings.Join(unprobed, ", ")))
	}
	cond.Message = fmt.Sprintf("%d of %d clusters Ready; ", ready, len(members)) + strings.Join(parts, "; ")
	phase := fleetv1alpha1.FleetNotReady
	if ready == 0 && len(unprobed) == len(members) {
		phase = fleetv1alpha1.FleetPending
	}
	return phase, ready, notReady, cond
}
