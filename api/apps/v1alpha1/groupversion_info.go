// Package v1alpha1 holds the apps.kurator.dev API: Rollout, one progressive
// delivery of a propagated workload across the whole fleet, stage by stage,
// with traffic shifting, metric gates and rollback.
// +kubebuilder:object:generate=true
// +groupName=apps.kurator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "apps.kurator.dev", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
