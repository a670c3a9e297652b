package status

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

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
