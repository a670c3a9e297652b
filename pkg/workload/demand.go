// Package workload reads what scheduling needs from a resource template (its
// replicas and one replica's resource request) and renders the template for
// one target cluster. The hub's controllers and `kurator plan` share it, so
// both place and render a template the same way.
package workload

import (
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// workloadKind says where a kind keeps its replica count and pod template.
// Kinds not listed have no replicas: they are placed whole on every target.
type workloadKind struct {
	replicas []string // field path of the replica count; nil: always 1 (Pod)
	// defaultReplicas is what the apiserver defaults an absent count to.
	defaultReplicas int32
	podSpec         []string // field path of the pod spec
	// capBy caps the count by another field: a Job never runs more pods at
	// once than it has completions left (Karmada's Job interpreter).
	capBy []string
}

var workloadKinds = map[schema.GroupKind]workloadKind{
	{Group: "apps", Kind: "Deployment"}:        {replicas: []string{"spec", "replicas"}, defaultReplicas: 1, podSpec: []string{"spec", "template", "spec"}},
	{Group: "apps", Kind: "StatefulSet"}:       {replicas: []string{"spec", "replicas"}, defaultReplicas: 1, podSpec: []string{"spec", "template", "spec"}},
	{Group: "apps", Kind: "ReplicaSet"}:        {replicas: []string{"spec", "replicas"}, defaultReplicas: 1, podSpec: []string{"spec", "template", "spec"}},
	{Group: "", Kind: "ReplicationController"}: {replicas: []string{"spec", "replicas"}, defaultReplicas: 1, podSpec: []string{"spec", "template", "spec"}},
	{Group: "batch", Kind: "Job"}:              {replicas: []string{"spec", "parallelism"}, defaultReplicas: 1, podSpec: []string{"spec", "template", "spec"}, capBy: []string{"spec", "completions"}},
	{Group: "", Kind: "Pod"}:                   {defaultReplicas: 1, podSpec: []string{"spec"}},
}

// HasReplicas reports whether the template's kind carries a replica count
// (or is a Pod): such templates can be divided among clusters.
func HasReplicas(obj *unstructured.Unstructured) bool {
	_, ok := workloadKindOf(obj)
	return ok
}

func workloadKindOf(obj *unstructured.Unstructured) (workloadKind, bool) {
	gv, err := schema.ParseGroupVersion(obj.GetAPIVersion())
	if err != nil {
		return workloadKind{}, false
	}
	wk, ok := workloadKinds[schema.GroupKind{Group: gv.Group, Kind: obj.GetKind()}]
	return wk, ok
}

// Demand is what scheduling needs to know about a template.
type Demand struct {
	// Replicas wanted; 0 for kinds without replicas.
	Replicas int32
	// PerReplica is one pod's effective request; nil when none.
	PerReplica corev1.ResourceList
}

// DemandOf reads a template's replicas and per-replica request. Errors name
// the offending field.
func DemandOf(obj *unstructured.Unstructured) (Demand, error) {
	wk, ok := workloadKindOf(obj)
	if !ok {
		return Demand{}, nil
	}
	var d Demand
	var err error
	d.Replicas = wk.defaultReplicas
	if wk.replicas != nil {
		if d.Replicas, err = readCount(obj.Object, wk.replicas, wk.defaultReplicas); err != nil {
			return Demand{}, err
		}
	}
	if wk.capBy != nil {
		limit, err := readCount(obj.Object, wk.capBy, math.MaxInt32)
		if err != nil {
			return Demand{}, err
		}
		d.Replicas = min(d.Replicas, limit)
	}
	spec, found, err := unstructured.NestedMap(obj.Object, wk.podSpec...)
	if err != nil {
		return Demand{}, fmt.Errorf("%s: %w", strings.Join(wk.podSpec, "."), err)
	}
	if found {
		if d.PerReplica, err = podRequests(spec, strings.Join(wk.podSpec, ".")); err != nil {
			return Demand{}, err
		}
	}
	return d, nil
}

// readCount reads a non-negative integer field, def when absent.
func readCount(obj map[string]any, path []string, def int32) (int32, error) {
	v, found, err := unstructured.NestedFieldNoCopy(obj, path...)
	name := strings.Join(path, ".")
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if !found || v == nil {
		return def, nil
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("%s: %v is not a whole number", name, x)
		}
		n = int64(x)
	default:
		return 0, fmt.Errorf("%s: got %#v, want an integer", name, v)
	}
	if n < 0 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s: %d is out of range 0..%d", name, n, math.MaxInt32)
	}
	return int32(n), nil
}

// podRequests is the effective request of one pod, as the kube-scheduler
// counts it: the sum over containers, raised to any single init container's
// request if that is larger (init containers run one at a time, before the
// others), plus the pod overhead. A container limit without a request counts
// as the request, which is what the apiserver defaults it to.
func podRequests(spec map[string]any, path string) (corev1.ResourceList, error) {
	total := corev1.ResourceList{}
	containers, err := containerRequests(spec, "containers", path)
	if err != nil {
		return nil, err
	}
	for _, rl := range containers {
		addResources(total, rl)
	}
	inits, err := containerRequests(spec, "initContainers", path)
	if err != nil {
		return nil, err
	}
	for _, rl := range inits {
		for name, q := range rl {
			if have, ok := total[name]; !ok || q.Cmp(have) > 0 {
				total[name] = q.DeepCopy()
			}
		}
	}
	if raw, found := spec["overhead"]; found {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s.overhead: got %T, want a map of quantities", path, raw)
		}
		rl, err := resourceList(m, path+".overhead")
		if err != nil {
			return nil, err
		}
		addResources(total, rl)
	}
	if len(total) == 0 {
		return nil, nil
	}
	return total, nil
}

func containerRequests(spec map[string]any, field, path string) ([]corev1.ResourceList, error) {
	raw, found := spec[field]
	if !found || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s: got %T, want a list of containers", path, field, raw)
	}
	out := make([]corev1.ResourceList, 0, len(list))
	for i, c := range list {
		cpath := fmt.Sprintf("%s.%s[%d]", path, field, i)
		cm, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: got %T, want a container", cpath, c)
		}
		res, ok := cm["resources"].(map[string]any)
		if !ok {
			if cm["resources"] != nil {
				return nil, fmt.Errorf("%s.resources: got %T, want an object", cpath, cm["resources"])
			}
			continue
		}
		requests, err := resourceField(res, "requests", cpath+".resources")
		if err != nil {
			return nil, err
		}
		limits, err := resourceField(res, "limits", cpath+".resources")
		if err != nil {
			return nil, err
		}
		for name, q := range limits {
			if _, ok := requests[name]; !ok {
				requests[name] = q
			}
		}
		out = append(out, requests)
	}
	return out, nil
}

func resourceField(res map[string]any, field, path string) (corev1.ResourceList, error) {
	raw, found := res[field]
	if !found || raw == nil {
		return corev1.ResourceList{}, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s: got %T, want a map of quantities", path, field, raw)
	}
	return resourceList(m, path+"."+field)
}

func resourceList(m map[string]any, path string) (corev1.ResourceList, error) {
	out := make(corev1.ResourceList, len(m))
	for name, v := range m {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case int64, float64:
			s = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("%s.%s: got %T, want a quantity such as \"500m\" or \"1Gi\"", path, name, v)
		}
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %q is not a quantity (%v)", path, name, s, err)
		}
		if q.Sign() < 0 {
			return nil, fmt.Errorf("%s.%s: %s is negative", path, name, s)
		}
		out[corev1.ResourceName(name)] = q
	}
	return out, nil
}

func addResources(total, add corev1.ResourceList) {
	for name, q := range add {
		sum := total[name]
		sum.Add(q)
		total[name] = sum
	}
}
