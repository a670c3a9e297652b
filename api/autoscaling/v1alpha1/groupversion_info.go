// Package v1alpha1 holds the autoscaling.kurator.dev API: ScalePolicy, which
// grows and shrinks workloads and node pools across clusters when a metric,
// a schedule or a forecast says so, and NodePool, a cluster's group of
// like nodes that a provider adds and removes.
// +kubebuilder:object:generate=true
// +groupName=autoscaling.kurator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "autoscaling.kurator.dev", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
