package status

import (
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// GenerationKey is added to a collected member status: the member object's
// metadata.generation, so the hub can tell whether the member observed its
// own latest spec.
const GenerationKey = "generation"

// CollectStatus is what the hub keeps of a member object's status: its
// .status plus GenerationKey. nil when the object has neither.
func CollectStatus(obj *unstructured.Unstructured) map[string]any {
	if obj == nil {
		return nil
	}
	st, _, _ := unstructured.NestedMap(obj.Object, "status")
	if g := obj.GetGeneration(); g > 0 {
		if st == nil {
			st = map[string]any{}
		}
		st[GenerationKey] = g
	}
	return st
}

// Template is what aggregation needs of the hub's resource template.
type Template struct {
	Kind       schema.GroupKind
	Generation int64
	// Status is the template's current status (nil if none).
	Status map[string]any
	// BindingGeneration is the template generation the binding was built
	// from (spec.resource.generation).
	BindingGeneration int64
}

// replicaFields are summed for each workload kind.
var replicaFields = map[schema.GroupKind][]string{
	{Group: "apps", Kind: "Deployment"}:  {"replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas"},
	{Group: "apps", Kind: "StatefulSet"}: {"replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "currentReplicas"},
	{Group: "apps", Kind: "ReplicaSet"}:  {"replicas", "readyReplicas", "availableReplicas", "fullyLabeledReplicas"},
	{Group: "apps", Kind: "DaemonSet"}:   {"currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled", "numberReady", "numberUnavailable", "updatedNumberScheduled"},
	{Group: "batch", Kind: "Job"}:        {"active", "succeeded", "failed", "ready"},
}

// Aggregate computes the template's status from the per-cluster items. ok is
// false for kinds it does not aggregate (the template is left alone).
//
// Workload counters are summed. observedGeneration becomes the template's
// generation only when the binding was built from that generation and every
// member observed its own latest generation; otherwise the template keeps the
// value it had, so `kubectl rollout status` waits.
func Aggregate(t Template, items []workv1alpha1.AggregatedStatusItem) (status map[string]any, ok bool) {
	members := make([]map[string]any, 0, len(items))
	for _, it := range items {
		members = append(members, rawMap(it))
	}
	if fields, found := replicaFields[t.Kind]; found {
		out := map[string]any{}
		for _, f := range fields {
			var sum int64
			for _, m := range members {
				sum += num(m, f)
			}
			out[f] = sum
		}
		if t.Kind.Kind == "Job" {
			aggregateJob(out, members)
		}
		if g, found := t.Status["observedGeneration"]; found {
			out["observedGeneration"] = g
		}
		if t.Kind.Kind != "Job" && allObserved(members) && t.BindingGeneration == t.Generation && len(members) > 0 {
			out["observedGeneration"] = t.Generation
		}
		return out, true
	}
	switch t.Kind {
	case schema.GroupKind{Kind: "Pod"}:
		return aggregatePod(members), true
	case schema.GroupKind{Kind: "Service"}:
		return aggregateService(t.Status, members), true
	}
	return nil, false
}

func rawMap(it workv1alpha1.AggregatedStatusItem) map[string]any {
	if it.Status == nil || len(it.Status.Raw) == 0 {
		return nil
	}
	var m map[string]any
	if err := utiljson.Unmarshal(it.Status.Raw, &m); err != nil {
		return nil
	}
	return m
}

// num reads an integer field of a JSON-decoded status (float64 after
// encoding/json, int64 when built in Go).
func num(m map[string]any, field string) int64 {
	switch v := m[field].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int32:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// allObserved: every member reported status and observed its generation.
func allObserved(members []map[string]any) bool {
	for _, m := range members {
		if m == nil {
			return false
		}
		if _, found := m["observedGeneration"]; !found {
			return false
		}
		if num(m, "observedGeneration") < num(m, GenerationKey) {
			return false
		}
	}
	return true
}

// aggregateJob adds the earliest start, and the latest completion once every
// member completed.
func aggregateJob(out map[string]any, members []map[string]any) {
	var start, done string
	complete := len(members) > 0
	for _, m := range members {
		if s, _ := m["startTime"].(string); s != "" && (start == "" || s < start) {
			start = s
		}
		c, _ := m["completionTime"].(string)
		if c == "" {
			complete = false
		} else if c > done {
			done = c
		}
	}
	if start != "" {
		out["startTime"] = start
	}
	if complete {
		out["completionTime"] = done
	}
}

// aggregatePod: one member's status as is; across several, the phase that
// describes them all (Failed if any failed, Succeeded or Running if all
// are, Pending otherwise).
func aggregatePod(members []map[string]any) map[string]any {
	if len(members) == 1 && members[0] != nil {
		out := map[string]any{}
		for k, v := range members[0] {
			if k != GenerationKey {
				out[k] = v
			}
		}
		return out
	}
	counts := map[string]int{}
	for _, m := range members {
		p, _ := m["phase"].(string)
		counts[p]++
	}
	phase := "Pending"
	switch {
	case counts["Failed"] > 0:
		phase = "Failed"
	case len(members) > 0 && counts["Succeeded"] == len(members):
		phase = "Succeeded"
	case len(members) > 0 && counts["Running"] == len(members):
		phase = "Running"
	}
	return map[string]any{"phase": phase}
}

// aggregateService merges the members' load balancer ingress points.
func aggregateService(old map[string]any, members []map[string]any) map[string]any {
	var ingress []any
	for _, m := range members {
		lb, _ := m["loadBalancer"].(map[string]any)
		ing, _ := lb["ingress"].([]any)
		ingress = append(ingress, ing...)
	}
	out := map[string]any{}
	for k, v := range old {
		out[k] = v
	}
	if len(ingress) > 0 {
		out["loadBalancer"] = map[string]any{"ingress": ingress}
	} else {
		out["loadBalancer"] = map[string]any{}
	}
	return out
}
