// Package nodepool decides how a node pool reaches its size: which nodes to
// create, which to drain and delete, and in what order, and how a kwok fake
// node of a pool looks. It is pure: the NodePool controller and the local
// fleet read the cluster, call it, and write what it says.
package nodepool

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
)

// Labels and annotations of fake nodes.
const (
	// KwokAnnotation marks a node kwok manages (its value KwokValue); the
	// local fleet's kwok selects nodes on it.
	KwokAnnotation = "kwok.x-k8s.io/node"
	KwokValue      = "fake"
	// ProviderLabel carries the member's cloud provider on its nodes;
	// Kubernetes has no standard label for it (spec.providerID carries it
	// too).
	ProviderLabel = "kurator.dev/provider"
	// RemovingAnnotation marks a node the pool cordoned to remove it: its
	// pods are being evicted and it is deleted once empty. A node with it
	// is picked first for removal again after a restart, and returned to
	// service (uncordoned) when the pool grows back.
	RemovingAnnotation = "autoscaling.kurator.dev/removing"
)

// DefaultCapacity is a kwok pool node's capacity when the template sets
// none: 8 CPU, 32Gi of memory, 110 pods (the local fleet's default too).
func DefaultCapacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
}

// FakeNode is the shape of one kwok-managed node.
type FakeNode struct {
	Name string
	// Cluster, Region, Zone and Provider describe the member the node is
	// in; they become labels and the provider ID.
	Cluster, Region, Zone, Provider string
	// Pool, when set, is the node's kurator.dev/node-pool label.
	Pool string
	// Capacity is the node's capacity and allocatable; missing resources
	// take DefaultCapacity's.
	Capacity corev1.ResourceList
	// Labels are added last (they may override the standard ones, never
	// the pool label); Taints are set as given.
	Labels map[string]string
	Taints []corev1.Taint
}

// Node builds the Node object. kwok (selecting on KwokAnnotation) makes it
// Ready once it exists.
func (f FakeNode) Node() *corev1.Node {
	capacity := DefaultCapacity()
	maps.Copy(capacity, f.Capacity)
	labels := map[string]string{
		corev1.LabelHostname:           f.Name,
		corev1.LabelOSStable:           "linux",
		corev1.LabelArchStable:         "amd64",
		corev1.LabelInstanceTypeStable: "kwok",
		"type":                         "kwok",
	}
	for k, v := range map[string]string{
		corev1.LabelTopologyRegion: f.Region,
		corev1.LabelTopologyZone:   f.Zone,
		ProviderLabel:              f.Provider,
	} {
		if v != "" {
			labels[k] = v
		}
	}
	maps.Copy(labels, f.Labels)
	if f.Pool != "" {
		labels[autoscalingv1alpha1.NodePoolLabel] = f.Pool
	}
	provider := f.Provider
	if provider == "" {
		provider = "kwok"
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        f.Name,
			Annotations: map[string]string{KwokAnnotation: KwokValue, "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      labels,
		},
		Spec: corev1.NodeSpec{
			ProviderID: fmt.Sprintf("%s://%s/%s", provider, f.Cluster, f.Name),
			Taints:     append([]corev1.Taint(nil), f.Taints...),
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity.DeepCopy(),
			Phase:       corev1.NodeRunning,
		},
	}
}

// NodeName is the name of a pool's n-th kwok node: <cluster>-<pool>-<n>.
func NodeName(cluster, pool string, n int) string {
	return fmt.Sprintf("%s-%s-%d", cluster, pool, n)
}

// Readiness says whether a node can take pods, and if not, why, in words a
// person can act on. A node is ready when its Ready condition is True and
// the node lifecycle controller has lifted the not-ready and unreachable
// taints (until then the scheduler keeps pods away).
func Readiness(n *corev1.Node) (ready bool, message string) {
	var cond *corev1.NodeCondition
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			cond = &n.Status.Conditions[i]
		}
	}
	switch {
	case cond == nil:
		return false, "no Ready condition yet: the node's agent (kubelet, or kwok for fake nodes) has not reported"
	case cond.Status != corev1.ConditionTrue:
		msg := fmt.Sprintf("Ready is %s", cond.Status)
		if cond.Reason != "" {
			msg += " (" + cond.Reason + ")"
		}
		if cond.Message != "" {
			msg += ": " + cond.Message
		}
		return false, msg
	}
	for _, t := range n.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
			return false, fmt.Sprintf("Ready, but taint %s is still set: the member's kube-controller-manager (node lifecycle) lifts it", t.Key)
		}
	}
	return true, ""
}
