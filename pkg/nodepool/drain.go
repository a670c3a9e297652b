package nodepool

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// mirrorPodAnnotation marks a kubelet's static pod mirrored to the API
// server; it cannot be evicted (the kubelet owns it).
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// DrainStep says, for the pods bound to a node being removed, which to
// evict now and how many must still go before the node may be deleted.
// DaemonSet pods and mirror pods stay (they go with the node), finished
// pods do not count, and pods already terminating are waited for, not
// evicted again.
func DrainStep(pods []corev1.Pod) (evict []types.NamespacedName, blocking int) {
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if _, mirror := p.Annotations[mirrorPodAnnotation]; mirror || ownedByDaemonSet(p) {
			continue
		}
		blocking++
		if p.DeletionTimestamp == nil {
			evict = append(evict, types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
		}
	}
	return evict, blocking
}

func ownedByDaemonSet(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller && o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}
