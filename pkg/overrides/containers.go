package overrides

import (
	"fmt"
	"slices"
	"strings"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// containerPaths says where each workload kind keeps its pod's containers.
// Only these kinds are touched by imageOverrider without a predicate and by
// command/argsOverrider; initContainers are deliberately left alone, as in
// Karmada. Ordered explicitly, looked up by kind.
var containerPaths = map[string]containerPath{
	"Pod":         podContainers,
	"ReplicaSet":  templateContainers,
	"Deployment":  templateContainers,
	"DaemonSet":   templateContainers,
	"StatefulSet": templateContainers,
	"Job":         templateContainers,
}

// containerPath is where a kind keeps its containers, as keys and as the
// JSON pointer errors name.
type containerPath struct {
	keys    []string
	pointer string
}

var (
	podContainers      = containerPath{[]string{"spec", "containers"}, "/spec/containers"}
	templateContainers = containerPath{[]string{"spec", "template", "spec", "containers"}, "/spec/template/spec/containers"}
)

// containerList returns obj's pod template containers and their JSON pointer
// prefix (e.g. /spec/template/spec/containers). Other kinds and a missing
// field give nil; a field of the wrong type on the way is an error, since
// Karmada cannot read such a workload either. Elements are the object's own
// maps, so changing them changes obj.
func containerList(obj map[string]any) ([]any, string, error) {
	kind, _ := obj["kind"].(string)
	path, ok := containerPaths[kind]
	if !ok {
		return nil, "", nil
	}
	var cur any = obj
	for depth, key := range path.keys {
		m, ok := cur.(map[string]any)
		if !ok {
			if cur == nil {
				return nil, "", nil
			}
			return nil, "", &pathError{path: pointerPrefix(path.keys[:depth]), err: fmt.Errorf("is %s, want an object", typeName(cur))}
		}
		cur = m[key]
	}
	if cur == nil {
		return nil, "", nil
	}
	list, ok := cur.([]any)
	if !ok {
		return nil, "", &pathError{path: path.pointer, err: fmt.Errorf("is %s, want a list of containers", typeName(cur))}
	}
	return list, path.pointer, nil
}

func pointerPrefix(keys []string) string {
	return "/" + strings.Join(keys, "/")
}

// overrideCommandArgs applies a commandOverrider (field "command") or an
// argsOverrider (field "args") to every container named o.ContainerName. add
// appends o.Value; remove drops every element equal to one of o.Value. A
// container without the field gets one either way (empty for remove), as in
// Karmada. A missing container is not an error: the same policy often
// targets workloads that differ per cluster.
func overrideCommandArgs(obj map[string]any, field string, o *policyv1alpha1.CommandArgsOverrider) error {
	if o.Operator != policyv1alpha1.OverriderOpAdd && o.Operator != policyv1alpha1.OverriderOpRemove {
		return fmt.Errorf("unknown operator %q (want add or remove)", o.Operator)
	}
	list, prefix, err := containerList(obj)
	if err != nil {
		return err
	}
	for i, c := range list {
		container, ok := c.(map[string]any)
		if !ok {
			return &pathError{path: fmt.Sprintf("%s/%d", prefix, i), err: fmt.Errorf("is %s, want a container", typeName(c))}
		}
		if container["name"] != o.ContainerName {
			continue
		}
		cur := container[field]
		items, ok := cur.([]any)
		if cur != nil && !ok {
			return &pathError{path: fmt.Sprintf("%s/%d/%s", prefix, i, field), err: fmt.Errorf("is %s, want an array of strings", typeName(cur))}
		}
		// Always a fresh list: items may alias another container's list if
		// the caller built the object by hand.
		out := make([]any, 0, len(items)+len(o.Value))
		switch o.Operator {
		case policyv1alpha1.OverriderOpAdd:
			out = append(out, items...)
			for _, v := range o.Value {
				out = append(out, v)
			}
		case policyv1alpha1.OverriderOpRemove:
			for _, item := range items {
				if s, ok := item.(string); ok && slices.Contains(o.Value, s) {
					continue
				}
				out = append(out, item)
			}
		}
		container[field] = out
	}
	return nil
}
