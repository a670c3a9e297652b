package localfleet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Labels and annotations of the fake nodes.
const (
	fakeNodeAnnotation = "kwok.x-k8s.io/node"
	// ProviderLabel carries the member's cloud provider on its nodes; Kubernetes
	// has no standard label for it (spec.providerID carries it too).
	ProviderLabel = "kurator.dev/provider"
)

// fakeNode is one kwok-managed node of member m.
func fakeNode(m Member, i int, cfg Config) *corev1.Node {
	name := fmt.Sprintf("%s-node-%d", m.Name, i)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    cfg.NodeCPU,
		corev1.ResourceMemory: cfg.NodeMemory,
		corev1.ResourcePods:   cfg.NodePods,
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{fakeNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				corev1.LabelHostname:           name,
				corev1.LabelOSStable:           "linux",
				corev1.LabelArchStable:         "amd64",
				corev1.LabelTopologyRegion:     m.Region,
				corev1.LabelTopologyZone:       m.Zone,
				corev1.LabelInstanceTypeStable: "kwok",
				ProviderLabel:                  m.Provider,
				"type":                         "kwok",
			},
		},
		Spec: corev1.NodeSpec{ProviderID: fmt.Sprintf("%s://%s/%s", m.Provider, m.Name, name)},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Phase:       corev1.NodeRunning,
		},
	}
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
	for _, t := range n.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
