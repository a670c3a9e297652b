// Package scheme registers every Kurator API group, together with the
// Kubernetes built-in types, in one runtime.Scheme.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	multiclusterv1alpha1 "github.com/kurator-go/kurator/api/multicluster/v1alpha1"
	networkingv1alpha1 "github.com/kurator-go/kurator/api/networking/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// AddToScheme adds the Kubernetes built-in types and every Kurator group
// to s.
func AddToScheme(s *runtime.Scheme) error {
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return err
	}
	return KuratorAddToScheme(s)
}

// KuratorAddToScheme adds only the Kurator groups (policy, cluster, fleet,
// work, apps, networking, autoscaling, Karmada's autoscaling and
// SIG-Multicluster's ClusterProfile), for schemes that already hold the
// built-in types.
func KuratorAddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		policyv1alpha1.AddToScheme,
		clusterv1alpha1.AddToScheme,
		fleetv1alpha1.AddToScheme,
		workv1alpha1.AddToScheme,
		appsv1alpha1.AddToScheme,
		networkingv1alpha1.AddToScheme,
		autoscalingv1alpha1.AddToScheme,
		karmadaautoscalingv1alpha1.AddToScheme,
		multiclusterv1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// Scheme holds the built-in types and every Kurator group.
var Scheme = runtime.NewScheme()

// Codecs are serializers for Scheme.
var Codecs = serializer.NewCodecFactory(Scheme)

func init() {
	utilruntime.Must(AddToScheme(Scheme))
}
