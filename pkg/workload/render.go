package workload

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kurator-go/kurator/pkg/overrides"
)

// hubSetMetadata are the metadata fields the hub's apiserver set on the
// template: a member sets its own, and a manifest carrying the hub's values
// would be rejected or misleading (owner references name hub UIDs).
var hubSetMetadata = []string{
	"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
}

// StripHubFields removes, in place, what the hub's copy of an object
// carries but a member must set itself: server-set metadata, status, owner
// references, and fields the hub allocated (a Service's cluster IPs, a Job's
// generated selector, a Pod's node). The renderer and the executor both
// call it, so what is rendered is what is sent.
func StripHubFields(o *unstructured.Unstructured) {
	delete(o.Object, "status")
	if meta, ok := o.Object["metadata"].(map[string]any); ok {
		for _, f := range hubSetMetadata {
			delete(meta, f)
		}
	}
	pruneHubAssigned(o)
}

// Target is one cluster a template goes to and its share of the replicas.
type Target struct {
	Cluster  string
	Replicas int32
}

// Render produces, for every target, the object that cluster receives: a
// copy of the template without status and server-set metadata, with the
// cluster's share of the replicas, customised by the selected override
// policies. info gives each cluster's view for override rules. It fails as a
// whole if any cluster's overrides fail, so a workload never shows a partial
// rendering; the error names the cluster.
func Render(obj *unstructured.Unstructured, d Demand, targets []Target, info map[string]overrides.ClusterInfo, policies []overrides.Selected) (map[string]*unstructured.Unstructured, error) {
	base := obj.DeepCopy()
	StripHubFields(base)
	wk, isWorkload := workloadKindOf(obj)
	completions := jobCompletions(obj, wk, d.Replicas, targets)

	out := make(map[string]*unstructured.Unstructured, len(targets))
	for i, t := range targets {
		o := base
		if isWorkload && d.Replicas > 0 {
			o = base.DeepCopy()
			setReplicas(o, wk, t.Replicas)
			if completions != nil {
				_ = unstructured.SetNestedField(o.Object, int64(completions[i]), wk.capBy...)
			}
		}
		customised, _, err := overrides.ApplySelected(o, info[t.Cluster], policies)
		if err != nil {
			return nil, fmt.Errorf("render for %s: %w", t.Cluster, err)
		}
		out[t.Cluster] = customised
	}
	return out, nil
}

// setReplicas writes a target's replica count into its copy. A Pod has no
// count to write: it is one replica wherever it goes.
func setReplicas(o *unstructured.Unstructured, wk workloadKind, replicas int32) {
	if wk.replicas == nil {
		return
	}
	// The path exists or is absent under objects already checked by
	// demandOf, so setting cannot fail on a non-map parent.
	_ = unstructured.SetNestedField(o.Object, int64(replicas), wk.replicas...)
}

// jobCompletions divides a Job's completions among the targets in
// proportion to their parallelism, as Karmada does, so the clusters together
// complete what the template asks for rather than each all of it. It returns
// nil when the kind has no such field, the Job does not set it, or the
// replicas were duplicated rather than divided (then every cluster runs the
// whole Job): divided targets add up to the wanted replicas, duplicated ones
// to a multiple of them.
func jobCompletions(obj *unstructured.Unstructured, wk workloadKind, wanted int32, targets []Target) []int64 {
	if wk.capBy == nil || len(targets) < 2 || wanted <= 0 {
		return nil
	}
	total, found, err := unstructured.NestedInt64(obj.Object, wk.capBy...)
	if err != nil || !found {
		return nil
	}
	var weight int64
	for _, t := range targets {
		weight += int64(t.Replicas)
	}
	if weight != int64(wanted) {
		return nil
	}
	// Largest remainder: floor shares first, then one more to the targets
	// with the largest remainders, earlier (smaller name) first on ties.
	out := make([]int64, len(targets))
	rem := make([]int64, len(targets))
	var given int64
	for i, t := range targets {
		out[i] = total * int64(t.Replicas) / weight
		rem[i] = total * int64(t.Replicas) % weight
		given += out[i]
	}
	for ; given < total; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// pruneHubAssigned removes fields the hub's own controllers and apiserver
// filled in and a member must fill in itself (Karmada prunes the same): a
// Service's cluster IPs come from the hub's service range (a headless
// Service's "None" is kept), a Job's generated selector and the labels that
// match it name the hub's Job UID, and a Pod's node is a hub node.
func pruneHubAssigned(o *unstructured.Unstructured) {
	gv := o.GroupVersionKind()
	switch {
	case gv.Group == "" && gv.Kind == "Service":
		if ip, _, _ := unstructured.NestedString(o.Object, "spec", "clusterIP"); ip != "None" {
			unstructured.RemoveNestedField(o.Object, "spec", "clusterIP")
			unstructured.RemoveNestedField(o.Object, "spec", "clusterIPs")
		}
	case gv.Group == "batch" && gv.Kind == "Job":
		if manual, _, _ := unstructured.NestedBool(o.Object, "spec", "manualSelector"); manual {
			return
		}
		unstructured.RemoveNestedField(o.Object, "spec", "selector")
		for _, l := range []string{"controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name"} {
			unstructured.RemoveNestedField(o.Object, "spec", "template", "metadata", "labels", l)
		}
	case gv.Group == "" && gv.Kind == "Pod":
		unstructured.RemoveNestedField(o.Object, "spec", "nodeName")
	}
}
