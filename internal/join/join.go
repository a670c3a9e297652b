// Package join registers member clusters with the hub: the kubeconfig Secret,
// the AttachedCluster, and membership of a Fleet. `kurator join`, `kurator
// cluster register` and `kurator up` share it.
package join

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/member"
)

// Namespace holds AttachedClusters, their Secrets and Fleets on the hub.
const Namespace = workv1alpha1.SystemNamespace

// Options describe one member to join.
type Options struct {
	Name string
	// Kubeconfig is the member's kubeconfig, flattened (credentials embedded).
	Kubeconfig []byte
	// Fleet, if set, is the Fleet (in Namespace) the cluster joins; it is
	// created when missing.
	Fleet    string
	Labels   map[string]string
	Region   string
	Zone     string
	Provider string
	// Registry, if set, becomes the AttachedCluster's spec.registry (the
	// cluster's own image registry); unset keeps what is there.
	Registry *clusterv1alpha1.Registry
}

// SecretName is the name of the kubeconfig Secret of cluster name.
func SecretName(name string) string { return name + "-kubeconfig" }

// Join creates or updates the member's Secret and AttachedCluster and adds it
// to the fleet. It is idempotent: joining again updates the credentials.
func Join(ctx context.Context, hub client.Client, o Options) error {
	secret, err := member.KubeconfigSecret(SecretName(o.Name), Namespace, o.Kubeconfig, "")
	if err != nil {
		return fmt.Errorf("cluster %s: %w", o.Name, err)
	}
	if err := upsert(ctx, hub, secret, func(existing client.Object) {
		existing.(*corev1.Secret).Data = secret.Data
	}); err != nil {
		return fmt.Errorf("cluster %s: write Secret %s/%s: %w", o.Name, Namespace, secret.Name, err)
	}

	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: Namespace},
		Spec: clusterv1alpha1.AttachedClusterSpec{
			Kubeconfig: &clusterv1alpha1.KubeconfigReference{
				Name: secret.Name,
				Key:  clusterv1alpha1.DefaultKubeconfigKey,
			},
			Labels:   o.Labels,
			Provider: o.Provider,
			Region:   o.Region,
			Zone:     o.Zone,
			Registry: o.Registry,
		},
	}
	if err := upsert(ctx, hub, ac, func(existing client.Object) {
		e := existing.(*clusterv1alpha1.AttachedCluster)
		// Keep taints and anything a controller added; replace what join owns.
		e.Spec.Kubeconfig, e.Spec.Labels = ac.Spec.Kubeconfig, ac.Spec.Labels
		e.Spec.Provider, e.Spec.Region, e.Spec.Zone = ac.Spec.Provider, ac.Spec.Region, ac.Spec.Zone
		if ac.Spec.Registry != nil {
			e.Spec.Registry = ac.Spec.Registry
		}
	}); err != nil {
		return fmt.Errorf("cluster %s: write AttachedCluster: %w", o.Name, err)
	}
	if o.Fleet == "" {
		return nil
	}
	return addToFleet(ctx, hub, o.Fleet, o.Name)
}

// addToFleet adds the cluster to the Fleet (creating it), retrying when the
// fleet controller updated the Fleet in between (its finalizer, its status).
func addToFleet(ctx context.Context, hub client.Client, fleet, cluster string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error { return addToFleetOnce(ctx, hub, fleet, cluster) })
}

func addToFleetOnce(ctx context.Context, hub client.Client, fleet, cluster string) error {
	f := &fleetv1alpha1.Fleet{}
	err := hub.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: fleet}, f)
	if apierrors.IsNotFound(err) {
		f = &fleetv1alpha1.Fleet{
			ObjectMeta: metav1.ObjectMeta{Name: fleet, Namespace: Namespace},
			Spec:       fleetv1alpha1.FleetSpec{Clusters: []fleetv1alpha1.FleetCluster{{Name: cluster}}},
		}
		if err := hub.Create(ctx, f); err != nil {
			return fmt.Errorf("create Fleet %s/%s: %w", Namespace, fleet, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read Fleet %s/%s: %w", Namespace, fleet, err)
	}
	if slices.ContainsFunc(f.Spec.Clusters, func(c fleetv1alpha1.FleetCluster) bool { return c.Name == cluster }) {
		return nil
	}
	f.Spec.Clusters = append(f.Spec.Clusters, fleetv1alpha1.FleetCluster{Name: cluster})
	if err := hub.Update(ctx, f); err != nil {
		if apierrors.IsConflict(err) {
			return err
		}
		return fmt.Errorf("add %s to Fleet %s/%s: %w", cluster, Namespace, fleet, err)
	}
	return nil
}

// Unjoin removes the cluster from every Fleet, then deletes its AttachedCluster
// and Secret. Missing objects are not an error.
func Unjoin(ctx context.Context, hub client.Client, name string) error {
	var fleets fleetv1alpha1.FleetList
	if err := hub.List(ctx, &fleets, client.InNamespace(Namespace)); err != nil {
		return fmt.Errorf("list fleets: %w", err)
	}
	for i := range fleets.Items {
		f := &fleets.Items[i]
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			kept := slices.DeleteFunc(slices.Clone(f.Spec.Clusters), func(c fleetv1alpha1.FleetCluster) bool { return c.Name == name })
			if len(kept) == len(f.Spec.Clusters) {
				return nil
			}
			f.Spec.Clusters = kept
			err := hub.Update(ctx, f)
			if apierrors.IsConflict(err) {
				// Read it again: the fleet controller changed it meanwhile.
				if gerr := hub.Get(ctx, client.ObjectKeyFromObject(f), f); gerr != nil {
					return gerr
				}
			}
			return err
		})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("remove %s from Fleet %s: %w", name, f.Name, err)
		}
	}
	ac := &clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace}}
	if err := hub.Delete(ctx, ac); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete AttachedCluster %s: %w", name, err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: SecretName(name), Namespace: Namespace}}
	if err := hub.Delete(ctx, s); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete Secret %s: %w", s.Name, err)
	}
	return nil
}

// upsert creates obj, or when it exists applies mutate to the stored copy and
// updates it.
func upsert(ctx context.Context, hub client.Client, obj client.Object, mutate func(existing client.Object)) error {
	err := hub.Create(ctx, obj)
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing := obj.DeepCopyObject().(client.Object)
	if err := hub.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		return err
	}
	mutate(existing)
	return hub.Update(ctx, existing)
}
