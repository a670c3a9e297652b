package localfleet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kurator-go/kurator/pkg/nodepool"
)

// Labels and annotations of the fake nodes.
const (
	fakeNodeAnnotation = nodepool.KwokAnnotation
	// ProviderLabel carries the member's cloud provider on its nodes; Kubernetes
	// has no standard label for it (spec.providerID carries it too).
	ProviderLabel = nodepool.ProviderLabel
	// WorkerPool is the node pool every member's fake nodes belong to: the
	// seed's promotion policy grows "worker-pool", and CreateNodePools
	// creates a NodePool of that name per member that adopts them.
	WorkerPool = "worker-pool"
)

// fakeNode is one kwok-managed node of member m, in the member's worker
// pool; pkg/nodepool shapes it like the nodes a kwok NodePool adds.
func fakeNode(m Member, i int, cfg Config) *corev1.Node {
	return nodepool.FakeNode{
		Name:     fmt.Sprintf("%s-node-%d", m.Name, i),
		Cluster:  m.Name,
		Region:   m.Region,
		Zone:     m.Zone,
		Provider: m.Provider,
		Pool:     WorkerPool,
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU:    cfg.NodeCPU,
			corev1.ResourceMemory: cfg.NodeMemory,
			corev1.ResourcePods:   cfg.NodePods,
		},
	}.Node()
}

// createNodes creates the member's fake nodes (existing ones are kept).
func createNodes(ctx context.Context, cs kubernetes.Interface, m Member, cfg Config) error {
	for i := range cfg.NodesPerMember {
		_, err := cs.CoreV1().Nodes().Create(ctx, fakeNode(m, i, cfg), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %d of %s: %w", i, m.Name, err)
		}
	}
	return nil
}

// membersReady reports nil when every fake node of the member is Ready and
// schedulable and the default service account exists (pods need it).
func memberReady(ctx context.Context, cs kubernetes.Interface, want int) error {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	ready := 0
	for _, n := range nodes.Items {
		if nodeReady(&n) {
			ready++
		}
	}
	if ready < want {
		return fmt.Errorf("%d/%d nodes ready", ready, want)
	}
	if _, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
		return fmt.Errorf("default service account: %w", err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	ready, _ := nodepool.Readiness(n)
	return ready
}
