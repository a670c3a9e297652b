package localfleet

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
)

// Bounds of the worker pools CreateNodePools creates.
const (
	WorkerPoolMinNodes = 1
	WorkerPoolMaxNodes = 20
)

// CreateNodePools creates, on the hub, one kwok NodePool WorkerPool per
// member (in the namespace of the AttachedClusters, named
// <member>-worker-pool), sized to the member's fake nodes it adopts and
// bounded by WorkerPoolMinNodes and WorkerPoolMaxNodes, so `kurator up`
// users (and scale policies) can grow and shrink the members at once. A
// pool that exists is left as it is. Pull members get none: the hub cannot
// reach them to add or remove nodes.
func CreateNodePools(ctx context.Context, hub client.Client, state *State) error {
	for _, m := range state.Members {
		if slices.Contains(state.PullMembers, m.Name) {
			continue
		}
		nodes, err := countPoolNodes(ctx, state, m.Name)
		if err != nil {
			return err
		}
		np := WorkerNodePool(m.Name, nodes)
		if err := hub.Create(ctx, np); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create NodePool %s/%s: %w", np.Namespace, np.Name, err)
		}
	}
	return nil
}

// WorkerNodePool is the kwok NodePool of a member's worker pool with
// replicas nodes (kept within the pool's bounds).
func WorkerNodePool(member string, replicas int) *autoscalingv1alpha1.NodePool {
	r := int32(min(max(replicas, WorkerPoolMinNodes), WorkerPoolMaxNodes))
	return &autoscalingv1alpha1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: member + "-" + WorkerPool, Namespace: join.Namespace},
		Spec: autoscalingv1alpha1.NodePoolSpec{
			Cluster:  member,
			PoolName: WorkerPool,
			Replicas: r,
			MinNodes: WorkerPoolMinNodes,
			MaxNodes: WorkerPoolMaxNodes,
			Provider: autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}},
		},
	}
}

// countPoolNodes counts the member's nodes in WorkerPool.
func countPoolNodes(ctx context.Context, state *State, member string) (int, error) {
	rc, err := state.RESTConfig(member)
	if err != nil {
		return 0, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return 0, err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: autoscalingv1alpha1.NodePoolLabel + "=" + WorkerPool})
	if err != nil {
		return 0, fmt.Errorf("%s: list the nodes of pool %s: %w", member, WorkerPool, err)
	}
	return len(nodes.Items), nil
}
