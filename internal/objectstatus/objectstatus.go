// Package objectstatus judges one applied member object for its Work: the
// health and the status the hub keeps of it (Work.status.manifestStatuses[]
// .health and .status). The hub's execution controller (push clusters) and
// the pull agent (internal/agent/sync) both call it, so a Work reads the same
// whichever way its cluster joined.
//
// API:
//
//	Health(obj) workv1alpha1.ResourceHealth   // nil object: Unknown
//	Collect(obj) map[string]any               // .status + generation + specReplicas
//	StampApplied(st, work) map[string]any     // + appliedWorkGeneration
//	Refresh(ctx, work, lookup) error          // fills every entry of work.Status.ManifestStatuses
//	MemberLookup(cluster, dyn, mapper, cache) // a Lookup reading a watch cache, else the member
package objectstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Keys the hub adds to a collected member status, next to the object's own
// .status fields.
const (
	// GenerationKey is the member object's metadata.generation, so the hub
	// can tell whether the member observed its own latest spec.
	GenerationKey = "generation"
	// SpecReplicasKey is the member object's spec.replicas (after overrides),
	// so the hub can tell whether the member is fully rolled out at the size
	// it was asked for.
	SpecReplicasKey = "specReplicas"
	// AppliedGenerationKey is the generation of the Work whose apply the
	// collected member object reflects (the Work's Applied condition when
	// the status was collected), so the hub never takes a status collected
	// before the latest apply for the latest spec's.
	AppliedGenerationKey = "appliedWorkGeneration"
)

// Collect is what the hub keeps of a member object's status: its .status
// plus GenerationKey and, for objects with spec.replicas, SpecReplicasKey.
// nil when the object has none of them.
func Collect(obj *unstructured.Unstructured) map[string]any {
	if obj == nil {
		return nil
	}
	st, _, _ := unstructured.NestedMap(obj.Object, "status")
	add := func(k string, v int64) {
		if st == nil {
			st = map[string]any{}
		}
		st[k] = v
	}
	if g := obj.GetGeneration(); g > 0 {
		add(GenerationKey, g)
	}
	if r, found, err := unstructured.NestedInt64(obj.Object, "spec", "replicas"); found && err == nil {
		add(SpecReplicasKey, r)
	}
	return st
}

// StampApplied adds AppliedGenerationKey to a status collected for work:
// the generation its Applied condition is True at, if it is.
func StampApplied(st map[string]any, work *workv1alpha1.Work) map[string]any {
	c := meta.FindStatusCondition(work.Status.Conditions, workv1alpha1.ConditionApplied)
	if st == nil || c == nil || c.Status != metav1.ConditionTrue {
		return st
	}
	st[AppliedGenerationKey] = c.ObservedGeneration
	return st
}

// Health judges a member object. nil (not present) is Unknown; workloads are
// Healthy once their controller observed the latest spec and the wanted
// replicas are updated and available; a failed Job or Pod is Unhealthy; any
// other kind is Healthy when present.
func Health(obj *unstructured.Unstructured) workv1alpha1.ResourceHealth {
	if obj == nil {
		return workv1alpha1.ResourceUnknownHealth
	}
	gk := obj.GroupVersionKind().GroupKind()
	o := obj.Object
	observed := func() bool {
		g, _, _ := unstructured.NestedInt64(o, "status", "observedGeneration")
		return g >= obj.GetGeneration()
	}
	num := func(path ...string) int64 {
		n, _, _ := unstructured.NestedInt64(o, path...)
		return n
	}
	desired := func() int64 {
		n, found, _ := unstructured.NestedInt64(o, "spec", "replicas")
		if !found {
			return 1 // the API default
		}
		return n
	}
	healthy := func(ok bool) workv1alpha1.ResourceHealth {
		if ok {
			return workv1alpha1.ResourceHealthy
		}
		return workv1alpha1.ResourceUnhealthy
	}
	switch {
	case gk.Group == "apps" && gk.Kind == "Deployment":
		updated := num("status", "updatedReplicas")
		return healthy(observed() && updated >= desired() && num("status", "availableReplicas") >= updated)
	case gk.Group == "apps" && gk.Kind == "StatefulSet":
		updated := num("status", "updatedReplicas")
		return healthy(observed() && updated >= desired() && num("status", "availableReplicas") >= updated)
	case gk.Group == "apps" && gk.Kind == "ReplicaSet":
		return healthy(observed() && num("status", "availableReplicas") >= desired())
	case gk.Group == "apps" && gk.Kind == "DaemonSet":
		updated := num("status", "updatedNumberScheduled")
		return healthy(observed() && updated >= num("status", "desiredNumberScheduled") && num("status", "numberAvailable") >= updated)
	case gk.Group == "batch" && gk.Kind == "Job":
		return healthy(!hasTrueCondition(obj, "Failed"))
	case gk.Group == "" && gk.Kind == "Pod":
		phase, _, _ := unstructured.NestedString(o, "status", "phase")
		return healthy(phase == "Running" || phase == "Succeeded")
	}
	return workv1alpha1.ResourceHealthy
}

func hasTrueCondition(obj *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

// Lookup returns the member object id names; nil and no error when it does
// not exist (or its kind is not served).
type Lookup func(ctx context.Context, id workv1alpha1.ResourceIdentifier) (*unstructured.Unstructured, error)

// Refresh sets the health and collected status of every entry of
// work.Status.ManifestStatuses that names an object (entries without a kind
// were dropped by execution and are left alone). An entry whose object
// cannot be read keeps its previous values; the errors are joined.
func Refresh(ctx context.Context, work *workv1alpha1.Work, lookup Lookup) error {
	var errs []error
	for i := range work.Status.ManifestStatuses {
		ms := &work.Status.ManifestStatuses[i]
		if ms.Kind == "" {
			continue
		}
		live, err := lookup(ctx, ms.ResourceIdentifier)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ms.Health = Health(live)
		ms.Status = nil
		if st := StampApplied(Collect(live), work); st != nil {
			raw, err := json.Marshal(st)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: encode status: %w", ms.Kind, ms.Name, err))
				continue
			}
			ms.Status = &runtime.RawExtension{Raw: raw}
		}
	}
	return errors.Join(errs...)
}

// Cache is a watch cache of applied member objects; memberwatch.Watcher
// satisfies it. synced false means the cache cannot answer yet.
type Cache interface {
	Get(cluster string, gvr schema.GroupVersionResource, namespace, name string) (obj *unstructured.Unstructured, synced bool)
}

// MemberLookup reads member objects of cluster from cache when it has
// synced, else from the member itself. cache may be nil.
func MemberLookup(cluster string, dyn dynamic.Interface, mapper meta.RESTMapper, cache Cache) Lookup {
	return func(ctx context.Context, id workv1alpha1.ResourceIdentifier) (*unstructured.Unstructured, error) {
		mapping, err := mapper.RESTMapping(schema.GroupKind{Group: id.Group, Kind: id.Kind}, id.Version)
		if err != nil {
			return nil, nil // not served: nothing there to report
		}
		if cache != nil {
			if obj, synced := cache.Get(cluster, mapping.Resource, id.Namespace, id.Name); synced {
				return obj, nil
			}
		}
		var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if id.Namespace != "" {
			ri = dyn.Resource(mapping.Resource).Namespace(id.Namespace)
		}
		obj, err := ri.Get(ctx, id.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s %s/%s in %s: %w", id.Kind, id.Namespace, id.Name, cluster, err)
		}
		return obj, nil
	}
}
