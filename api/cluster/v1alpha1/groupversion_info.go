// Package v1alpha1 holds the cluster.kurator.dev API: AttachedCluster, a member
// cluster the hub reaches through a kubeconfig kept in a Secret.
// +kubebuilder:object:generate=true
// +groupName=cluster.kurator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "cluster.kurator.dev", Version: "v1alpha1"}

var (
	// SchemeBuilder registers this API's types.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&AttachedCluster{}, &AttachedClusterList{})
}
