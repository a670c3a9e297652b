package overrides

import (
	"fmt"
	"slices"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// containerPaths says where each workload kind keeps its pod's containers.
// Only these kinds are touched by imageOverrider without a predicate and by
// command/argsOverrider; initContainers are deliberately left alone, as in
// Karmada. Ordered explicitly, looked up by kind.
var containerPaths = map[string][]string{
	"Pod":         {"spec", "containers"},
	"ReplicaSet":  {"spec", "template", "spec", "containers"},
	"Deployment":  {"spec", "template", "spec", "containers"},
	"DaemonSet":   {"spec", "template", "spec", "containers"},
	"StatefulSet": {"spec", "template", "spec", "containers"},
	"Job":         {"spec", "template", "spec", "containers"},
}

// containerList returns obj's pod template containers and their JSON pointer
// prefix (e.g. /spec/template/spec/containers), or nil for other kinds or when
// the field is missing or malformed. Elements are the object's own maps, so
// changing them changes obj.
func containerList(obj map[string]any) ([]any, string) {
	kind, _ := obj["kind"].(string)
	path, ok := containerPaths[kind]
	if !ok {
		return nil, ""
	}
	var cur any = obj
	prefix := ""
	for _, key := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, ""
		}
		cur = m[key]
		prefix += "/" + key
	}
	list, _ := cur.([]any)
	return list, prefix
}

// overrideCommandArgs applies a commandOverrider (field "command") or an
// argsOverrider (field "args") to the container named o.ContainerName. add
// appends o.Value (creating the list if the container has none); remove drops
// every element equal to one of o.Value. A missing container is not an error:
// the same policy often targets workloads that differ per cluster.
func overrideCommandArgs(obj map[string]any, field string, o *policyv1alpha1.CommandArgsOverrider) error {
	if o.Operator != policyv1alpha1.OverriderOpAdd && o.Operator != policyv1alpha1.OverriderOpRemove {
		return fmt.Errorf("unknown operator %q (want add or remove)", o.Operator)
	}
	list, prefix := containerList(obj)
	for i, c := range list {
		container, ok := c.(map[string]any)
		if !ok || container["name"] != o.ContainerName {
			continue
		}
		cur, present := container[field]
		items, ok := cur.([]any)
		if present && cur != nil && !ok {
			return &pathError{path: fmt.Sprintf("%s/%d/%s", prefix, i, field), err: fmt.Errorf("is %s, want an array of strings", typeName(cur))}
		}
		switch o.Operator {
		case policyv1alpha1.OverriderOpAdd:
			// Copy first: items may alias another container's list if the
			// caller built the object by hand.
			out := make([]any, 0, len(items)+len(o.Value))
			out = append(out, items...)
			for _, v := range o.Value {
				out = append(out, v)
			}
			container[field] = out
		case policyv1alpha1.OverriderOpRemove:
			if !present {
				continue
			}
			out := make([]any, 0, len(items))
			for _, item := range items {
				if s, ok := item.(string); ok && slices.Contains(o.Value, s) {
					continue
				}
				out = append(out, item)
			}
			container[field] = out
		}
	}
	return nil
}
