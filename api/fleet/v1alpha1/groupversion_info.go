// Package v1alpha1 holds the fleet.kurator.dev API: Fleet, a named group of
// member clusters with shared labels and scheduling preferences.
// +kubebuilder:object:generate=true
// +groupName=fleet.kurator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "fleet.kurator.dev", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&Fleet{}, &FleetList{})
}
