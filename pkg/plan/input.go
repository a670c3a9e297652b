package plan

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Input is everything `kurator plan` reads: the fleet, the policies, previous
// scheduling results and the resource templates to place. Objects are already
// defaulted as the hub's webhooks would (see defaults.go).
type Input struct {
	Clusters                   []clusterv1alpha1.AttachedCluster
	Fleets                     []fleetv1alpha1.Fleet
	PropagationPolicies        []policyv1alpha1.PropagationPolicy
	ClusterPropagationPolicies []policyv1alpha1.ClusterPropagationPolicy
	OverridePolicies           []policyv1alpha1.OverridePolicy
	ClusterOverridePolicies    []policyv1alpha1.ClusterOverridePolicy
	// StorageAdaptations set claims' storage classes per cluster trait,
	// after the override policies.
	StorageAdaptations []appsv1alpha1.StorageAdaptation
	// ResourceBindings are previous results; one whose spec.resource names a
	// template puts that template's schedule in steady mode.
	ResourceBindings        []workv1alpha1.ResourceBinding
	ClusterResourceBindings []workv1alpha1.ClusterResourceBinding
	// Resources are the templates: every object that is not one of the kinds
	// above (Deployments, Services, ConfigMaps, custom resources, ...).
	Resources []*unstructured.Unstructured

	// seen maps "Kind namespace/name" to where the object was read, so a
	// second definition of the same object is reported with both places.
	seen map[string]string
}

// Merge appends other's objects to in. The same object defined twice (same
// kind, namespace and name) is an error naming both places.
func (in *Input) Merge(other *Input) error {
	for key, where := range other.seen {
		if err := in.claim(key, where); err != nil {
			return err
		}
	}
	in.Clusters = append(in.Clusters, other.Clusters...)
	in.Fleets = append(in.Fleets, other.Fleets...)
	in.PropagationPolicies = append(in.PropagationPolicies, other.PropagationPolicies...)
	in.ClusterPropagationPolicies = append(in.ClusterPropagationPolicies, other.ClusterPropagationPolicies...)
	in.OverridePolicies = append(in.OverridePolicies, other.OverridePolicies...)
	in.ClusterOverridePolicies = append(in.ClusterOverridePolicies, other.ClusterOverridePolicies...)
	in.StorageAdaptations = append(in.StorageAdaptations, other.StorageAdaptations...)
	in.ResourceBindings = append(in.ResourceBindings, other.ResourceBindings...)
	in.ClusterResourceBindings = append(in.ClusterResourceBindings, other.ClusterResourceBindings...)
	in.Resources = append(in.Resources, other.Resources...)
	return nil
}

// claim records that the object key was read at where.
func (in *Input) claim(key, where string) error {
	if in.seen == nil {
		in.seen = map[string]string{}
	}
	if first, dup := in.seen[key]; dup {
		return fmt.Errorf("%s: %s is already defined in %s; keep one definition", where, key, first)
	}
	in.seen[key] = where
	return nil
}
