// Package v1alpha1 holds Karmada's autoscaling.karmada.io API, field for
// field: FederatedHPA (one HorizontalPodAutoscaler for a workload's pods in
// every cluster) and CronFederatedHPA (scheduled replica changes), so
// Karmada's YAML applies to this hub unchanged.
// +kubebuilder:object:generate=true
// +groupName=autoscaling.karmada.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "autoscaling.karmada.io", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
