package plan

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kurator-go/kurator/pkg/workload"
)

// DefaultNamespace is where a namespaced object without metadata.namespace
// goes, as `kubectl apply` without -n would put it.
const DefaultNamespace = "default"

// The remaining defaults a hub applies (a PropagationPolicy's selectors
// default to the policy's namespace; Divided without a preference is
// Weighted; spread constraints default to by-cluster, minGroups 1) are
// applied where they are read, by pkg/selector and pkg/scheduler, so plan and
// the hub cannot drift apart on them.

func defaultNamespace(m *metav1.ObjectMeta) {
	if m.Namespace == "" {
		m.Namespace = DefaultNamespace
	}
}

// defaultResourceNamespace gives a namespaced template without a namespace
// the default one, and clears a namespace wrongly set on a cluster-scoped
// template (the apiserver ignores it too).
func defaultResourceNamespace(obj *unstructured.Unstructured) {
	if workload.IsClusterScoped(obj.GetAPIVersion(), obj.GetKind()) {
		if obj.GetNamespace() != "" {
			obj.SetNamespace("")
		}
		return
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(DefaultNamespace)
	}
}
