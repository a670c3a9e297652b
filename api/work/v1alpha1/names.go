package v1alpha1

import (
	"fmt"
	"hash/fnv"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// The naming contracts between the hub's controllers, the CLI and tests:
// where Kurator's objects live and how generated objects are named and
// labelled. They live here, with the types, so nothing imports a controller
// package to find an object.

// SystemNamespace is the hub namespace of AttachedClusters, Fleets and
// their kubeconfig Secrets.
const SystemNamespace = "kurator-system"

// BindingName is the name of a template's binding: "<name>-<kind>", as
// Karmada names it.
func BindingName(name, kind string) string {
	return name + "-" + strings.ToLower(kind)
}

// WorkName is the name of a binding's Work in every execution namespace:
// "<namespace>-<name>" ("<name>" for a ClusterResourceBinding), cut to 63
// characters with a hash of the whole when longer.
func WorkName(binding types.NamespacedName) string {
	name := binding.Name
	if binding.Namespace != "" {
		name = binding.Namespace + "-" + binding.Name
	}
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(binding.Namespace + "/" + binding.Name))
	return fmt.Sprintf("%s-%08x", name[:54], h.Sum32())
}

// WorkLabels are the labels tying a Work to its binding and cluster.
func WorkLabels(binding types.NamespacedName, cluster string) map[string]string {
	if binding.Namespace == "" {
		return map[string]string{ClusterResourceBindingLabel: binding.Name, ClusterLabel: cluster}
	}
	return map[string]string{
		BindingNamespaceLabel: binding.Namespace,
		BindingNameLabel:      binding.Name,
		ClusterLabel:          cluster,
	}
}

// ScheduledPlacementAnnotation, on a binding, is a digest of the placement
// its spec.clusters were scheduled for. The scheduler writes it in the same
// update as spec.clusters, so the two always agree (a record in status, a
// second write, could be lost while the placement changed again); it
// schedules a binding again only when the digest differs from the
// placement's, among other reasons (Karmada keeps the applied placement in
// an annotation for the same purpose).
const ScheduledPlacementAnnotation = "work.kurator.dev/scheduled-placement"

// ConditionWorksRendered, on a binding, is True when every target cluster
// has a Work with the current rendering (set by the binding controller).
const (
	ConditionWorksRendered = "WorksRendered"

	ReasonRendered        = "Rendered"
	ReasonOverrideFailed  = "OverrideFailed"
	ReasonTemplateMissing = "TemplateMissing"
	ReasonNotScheduled    = "NotScheduled"
)
