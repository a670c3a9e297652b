package scalepolicy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	karmadaautoscalingv1alpha1 "github.com/kurator-go/kurator/api/karmadaautoscaling/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/pkg/autoscale"
	"github.com/kurator-go/kurator/pkg/workload"
)

// world is what one evaluation reads from the hub.
type world struct {
	clusters  []string
	attached  map[string]*clusterv1alpha1.AttachedCluster
	workloads []target
	pools     map[string]*autoscalingv1alpha1.NodePool // by cluster
}

// target is one workload of the action and its hub template.
type target struct {
	w        autoscale.Workload
	template *unstructured.Unstructured
	demand   workload.Demand
}

// read finds the policy's clusters, workloads and node pools. A message
// names what is missing and how to fix it.
func (r *Reconciler) read(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, s *autoscale.Settings) (*world, string, error) {
	w := &world{attached: map[string]*clusterv1alpha1.AttachedCluster{}, pools: map[string]*autoscalingv1alpha1.NodePool{}}
	for _, wl := range s.Workloads {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(schema.FromAPIVersionAndKind(wl.APIVersion, wl.Kind))
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: wl.Namespace, Name: wl.Name}, obj); err != nil {
			if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
				return nil, fmt.Sprintf("%s not found on the hub: create it, or fix the action's workload name", wl.Key()), nil
			}
			return nil, "", err
		}
		d, err := workload.DemandOf(obj)
		if err != nil {
			return nil, fmt.Sprintf("%s: %v", wl.Key(), err), nil
		}
		w.workloads = append(w.workloads, target{w: wl, template: obj, demand: d})
	}

	w.clusters = s.Clusters
	if len(w.clusters) == 0 {
		// No target clusters: wherever the workloads are placed.
		seen := map[string]bool{}
		for _, t := range w.workloads {
			var rb workv1alpha1.ResourceBinding
			key := types.NamespacedName{Namespace: t.w.Namespace, Name: workv1alpha1.BindingName(t.w.Name, t.w.Kind)}
			if err := r.client.Get(ctx, key, &rb); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, fmt.Sprintf("%s is not propagated (no ResourceBinding %s): give targetClusters, or a PropagationPolicy that selects it", t.w.Key(), key), nil
				}
				return nil, "", err
			}
			for _, c := range rb.Spec.Clusters {
				if !seen[c.Name] {
					seen[c.Name] = true
					w.clusters = append(w.clusters, c.Name)
				}
			}
		}
		sort.Strings(w.clusters)
	}
	if len(w.clusters) == 0 {
		return nil, "no target cluster: give targetClusters, or place the workloads first", nil
	}
	for _, name := range w.clusters {
		var ac clusterv1alpha1.AttachedCluster
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: r.opts.ClusterNamespace, Name: name}, &ac); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Sprintf("target cluster %s not found (no AttachedCluster %s/%s): join it with kurator join, or fix targetClusters", name, r.opts.ClusterNamespace, name), nil
			}
			return nil, "", err
		}
		w.attached[name] = &ac
	}

	if s.Pool != nil {
		var pools autoscalingv1alpha1.NodePoolList
		if err := r.client.List(ctx, &pools, client.InNamespace(r.opts.ClusterNamespace)); err != nil {
			return nil, "", err
		}
		for i := range pools.Items {
			np := &pools.Items[i]
			if np.Spec.PoolName == s.Pool.Name {
				w.pools[np.Spec.Cluster] = np
			}
		}
		for _, c := range w.clusters {
			if w.pools[c] == nil {
				return nil, fmt.Sprintf("node pool %s of cluster %s not found: create a NodePool with spec.cluster %s and spec.poolName %s in %s (kurator up creates worker-pool in every member)", s.Pool.Name, c, c, s.Pool.Name, r.opts.ClusterNamespace), nil
			}
		}
	}
	return w, "", nil
}

// current is the sizes the decisions start from.
func (w *world) current() autoscale.Current {
	cur := autoscale.Current{Workloads: map[string]int32{}, Pools: map[string]autoscale.PoolSize{}}
	for _, t := range w.workloads {
		cur.Workloads[t.w.Key()] = t.demand.Replicas
	}
	for c, np := range w.pools {
		cur.Pools[c] = autoscale.PoolSize{Replicas: np.Spec.Replicas, Min: np.Spec.MinNodes, Max: np.Spec.MaxNodes}
	}
	return cur
}

func (w *world) workloadKeys() []string {
	out := make([]string, 0, len(w.workloads))
	for _, t := range w.workloads {
		out = append(out, t.w.Key())
	}
	return out
}

func (w *world) describeTargets() string {
	parts := []string{"clusters " + strings.Join(w.clusters, ", ")}
	if keys := w.workloadKeys(); len(keys) > 0 {
		parts = append(parts, strings.Join(keys, ", "))
	}
	if len(w.pools) > 0 {
		for _, np := range w.pools {
			parts = append(parts, "node pool "+np.Spec.PoolName)
			break
		}
	}
	return strings.Join(parts, "; ")
}

// yieldsTo names the policy or autoscaler this one yields to over a shared
// workload, "" when none: two owners of the same replicas are reported,
// never fought out (the oldest acts).
func (r *Reconciler) yieldsTo(ctx context.Context, p *autoscalingv1alpha1.ScalePolicy, s *autoscale.Settings) (string, error) {
	if len(s.Workloads) == 0 {
		return "", nil
	}
	var claims []autoscale.Claim
	var policies autoscalingv1alpha1.ScalePolicyList
	if err := r.client.List(ctx, &policies); err != nil {
		return "", err
	}
	for i := range policies.Items {
		claims = append(claims, autoscale.PolicyClaims(&policies.Items[i])...)
	}
	var hpas autoscalingv2.HorizontalPodAutoscalerList
	if err := r.client.List(ctx, &hpas); err != nil {
		return "", err
	}
	for _, h := range hpas.Items {
		ref := h.Spec.ScaleTargetRef
		claims = append(claims, autoscale.Claim{Owner: "HorizontalPodAutoscaler " + h.Namespace + "/" + h.Name, Created: h.CreationTimestamp.Time,
			Workload: autoscale.Workload{Kind: ref.Kind, Namespace: h.Namespace, Name: ref.Name}.Key()})
	}
	var fhpas karmadaautoscalingv1alpha1.FederatedHPAList
	if err := r.client.List(ctx, &fhpas); err == nil {
		for _, h := range fhpas.Items {
			ref := h.Spec.ScaleTargetRef
			claims = append(claims, autoscale.Claim{Owner: "FederatedHPA " + h.Namespace + "/" + h.Name, Created: h.CreationTimestamp.Time,
				Workload: autoscale.Workload{Kind: ref.Kind, Namespace: h.Namespace, Name: ref.Name}.Key()})
		}
	}
	return autoscale.Conflicts(claims)["ScalePolicy "+p.Namespace+"/"+p.Name], nil
}
