// Package v1alpha1 holds the networking.kurator.dev API: TrafficPolicy, how
// the traffic of a Service propagated to several clusters is shared between
// them, following each cluster's health.
// +kubebuilder:object:generate=true
// +groupName=networking.kurator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "networking.kurator.dev", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
