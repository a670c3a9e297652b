// Package v1alpha1 holds SIG-Multicluster's cluster inventory API
// (multicluster.x-k8s.io/v1alpha1, KEP-4322): ClusterProfile, the one
// object per member cluster that tools such as Kueue's MultiKueue, Argo CD
// and multicluster-runtime read to discover a fleet. The types follow
// sigs.k8s.io/cluster-inventory-api field for field, so a CRD installed by
// either project serves the other's clients; Kurator writes them (see
// internal/controller/clusterprofile) and never reads them back as input.
// +kubebuilder:object:generate=true
// +groupName=multicluster.x-k8s.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "multicluster.x-k8s.io", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&ClusterProfile{}, &ClusterProfileList{})
}
