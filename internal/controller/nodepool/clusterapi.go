package nodepool

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/nodepool"
)

// Cluster API's group, the versions tried (preferred first), and the
// labels and annotations read.
const (
	capiGroup = "cluster.x-k8s.io"
	// capiDeploymentLabel is set by Cluster API on the Machines of a
	// MachineDeployment.
	capiDeploymentLabel = "cluster.x-k8s.io/deployment-name"
	// The annotations that enlist a MachineDeployment with
	// cluster-autoscaler's clusterapi provider.
	capiAutoscalerMin = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
	capiAutoscalerMax = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
	// KubeconfigKey is the key of a management cluster's kubeconfig in
	// the Secret of spec.provider.clusterAPI.kubeconfigSecretRef.
	KubeconfigKey   = "kubeconfig"
	capiScalingPoll = 2 * time.Second
)

var capiVersions = []string{"v1beta2", "v1beta1"}

// managementCluster is a client of one Cluster API management cluster.
type managementCluster struct {
	where     string
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
}

// clusterAPIClients hands out management cluster clients: the hub's, and
// one per kubeconfig Secret, rebuilt when the Secret changes.
type clusterAPIClients struct {
	hubConfig *rest.Config

	mu       sync.Mutex
	hub      *managementCluster
	bySecret map[types.NamespacedName]secretClients
}

type secretClients struct {
	resourceVersion string
	*managementCluster
}

func newClusterAPIClients(hub *rest.Config) *clusterAPIClients {
	return &clusterAPIClients{hubConfig: hub, bySecret: map[types.NamespacedName]secretClients{}}
}

func newManagementCluster(where string, cfg *rest.Config) (*managementCluster, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &managementCluster{where: where, dynamic: dyn, discovery: disc}, nil
}

// forPool returns the management cluster of np, or the problem that keeps
// it out of reach.
func (c *clusterAPIClients) forPool(ctx context.Context, r *Reconciler, np *autoscalingv1alpha1.NodePool) (*managementCluster, *problem, error) {
	ref := np.Spec.Provider.ClusterAPI.KubeconfigSecretRef
	c.mu.Lock()
	defer c.mu.Unlock()
	if ref == nil || ref.Name == "" {
		if c.hub == nil {
			mc, err := newManagementCluster("the hub", c.hubConfig)
			if err != nil {
				return nil, nil, err
			}
			c.hub = mc
		}
		return c.hub, nil, nil
	}
	key := types.NamespacedName{Namespace: np.Namespace, Name: ref.Name}
	var secret corev1.Secret
	if err := r.client.Get(ctx, key, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &problem{ReasonManagementCluster, fmt.Sprintf(
				"spec.provider.clusterAPI.kubeconfigSecretRef: Secret %s not found: create it with the management cluster's kubeconfig under key %q, or drop the reference to use the hub", key, KubeconfigKey)}, nil
		}
		return nil, nil, fmt.Errorf("read Secret %s: %w", key, err)
	}
	if e, ok := c.bySecret[key]; ok && e.resourceVersion == secret.ResourceVersion {
		return e.managementCluster, nil, nil
	}
	data := secret.Data[KubeconfigKey]
	if len(data) == 0 {
		return nil, &problem{ReasonManagementCluster, fmt.Sprintf(
			"spec.provider.clusterAPI.kubeconfigSecretRef: Secret %s has no key %q: put the management cluster's kubeconfig there", key, KubeconfigKey)}, nil
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, &problem{ReasonManagementCluster, fmt.Sprintf(
			"spec.provider.clusterAPI.kubeconfigSecretRef: Secret %s key %q is not a usable kubeconfig (%v): replace it", key, KubeconfigKey, err)}, nil
	}
	mc, err := newManagementCluster("the management cluster of Secret "+key.String(), cfg)
	if err != nil {
		return nil, nil, err
	}
	c.bySecret[key] = secretClients{resourceVersion: secret.ResourceVersion, managementCluster: mc}
	return mc, nil, nil
}

// servedVersion is the first of capiVersions whose group version serves
// resource, or "" when none does.
func servedVersion(d discovery.DiscoveryInterface, resource string) (string, error) {
	for _, v := range capiVersions {
		list, err := d.ServerResourcesForGroupVersion(capiGroup + "/" + v)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		for _, r := range list.APIResources {
			if r.Name == resource {
				return v, nil
			}
		}
	}
	return "", nil
}

// reconcileClusterAPI sets the MachineDeployment's spec.replicas to want
// and reports its status.
func (r *Reconciler) reconcileClusterAPI(ctx context.Context, np *autoscalingv1alpha1.NodePool, want int32) (outcome, *problem, error) {
	if _, prob, err := r.cluster(ctx, np); prob != nil || err != nil {
		return outcome{}, prob, err
	}
	ref := np.Spec.Provider.ClusterAPI
	mc, prob, err := r.capi.forPool(ctx, r, np)
	if prob != nil || err != nil {
		return outcome{}, prob, err
	}
	version, err := servedVersion(mc.discovery, "machinedeployments")
	if err != nil {
		return outcome{}, &problem{ReasonManagementCluster, fmt.Sprintf("%s: discover %s: %v", mc.where, capiGroup, err)}, nil
	}
	if version == "" {
		return outcome{}, &problem{ReasonCRDNotInstalled, fmt.Sprintf(
			"%s serves no MachineDeployment (%s %s): install Cluster API there (clusterctl init), or its CRDs (hack/capi/crds), or point spec.provider.clusterAPI.kubeconfigSecretRef at the management cluster",
			mc.where, capiGroup, strings.Join(capiVersions, " or "))}, nil
	}
	mds := mc.dynamic.Resource(schema.GroupVersionResource{Group: capiGroup, Version: version, Resource: "machinedeployments"}).Namespace(ref.Namespace)
	md, err := mds.Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return outcome{}, &problem{ReasonMachineDeploymentNotFound, fmt.Sprintf(
			"MachineDeployment %s/%s (%s/%s) not found in %s: create it (for example with clusterctl generate cluster), or fix spec.provider.clusterAPI.namespace and name",
			ref.Namespace, ref.Name, capiGroup, version, mc.where)}, nil
	}
	if err != nil {
		return outcome{}, nil, fmt.Errorf("read MachineDeployment %s/%s in %s: %w", ref.Namespace, ref.Name, mc.where, err)
	}
	had, hasReplicas, _ := unstructured.NestedInt64(md.Object, "spec", "replicas")
	changed := !hasReplicas || had != int64(want)
	if changed {
		patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, want)
		md, err = mds.Patch(ctx, ref.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			return outcome{}, nil, fmt.Errorf("set spec.replicas of MachineDeployment %s/%s in %s to %d: %w", ref.Namespace, ref.Name, mc.where, want, err)
		}
		r.recorder.Eventf(np, nil, corev1.EventTypeNormal, "MachineDeploymentScaled", "Scale",
			"set MachineDeployment %s/%s spec.replicas from %d to %d", ref.Namespace, ref.Name, had, want)
	}
	st := machineDeploymentStatus(md)
	out := outcome{replicas: st.replicas, ready: st.ready}
	out.nodes, err = r.machines(ctx, mc, version, ref.Namespace, ref.Name)
	if err != nil {
		return outcome{}, nil, err
	}
	settled := !changed && st.observedCurrent && st.replicas == want && st.ready == want
	if !settled {
		reason := ReasonScalingUp
		if st.replicas > want {
			reason = ReasonScalingDown
		}
		if st.replicas != want || changed || !st.observedCurrent {
			out.scaling = reason
			out.scalingMessage = fmt.Sprintf(
				"MachineDeployment %s/%s: spec.replicas %d, status.replicas %d, readyReplicas %d; Cluster API's controllers create or delete the machines (minutes with a real infrastructure provider)",
				ref.Namespace, ref.Name, want, st.replicas, st.ready)
			if !st.observedCurrent {
				out.scalingMessage += "; its status is older than its spec (status.observedGeneration): is the Cluster API controller running?"
			}
		} else {
			out.notReady = fmt.Sprintf("MachineDeployment %s/%s: %d of %d machines Ready", ref.Namespace, ref.Name, st.ready, want)
		}
		out.requeue = capiScalingPoll
	} else {
		out.requeue = r.opts.ClusterAPIPollInterval
	}
	if anns := md.GetAnnotations(); anns[capiAutoscalerMin] != "" || anns[capiAutoscalerMax] != "" {
		note := fmt.Sprintf("; note: MachineDeployment %s/%s carries %s/%s, so cluster-autoscaler scales it too and the two overwrite each other's spec.replicas: remove the annotations, or let one of them own the pool",
			ref.Namespace, ref.Name, capiAutoscalerMin, capiAutoscalerMax)
		if out.scaling != "" {
			out.scalingMessage += note
		} else if out.notReady != "" {
			out.notReady += note
		}
	}
	return out, nil, nil
}

type mdStatus struct {
	replicas, ready int32
	// observedCurrent: status.observedGeneration has caught up with the
	// spec (or the object reports none).
	observedCurrent bool
}

// machineDeploymentStatus reads status.replicas and status.readyReplicas,
// which v1beta1 and v1beta2 share.
func machineDeploymentStatus(md *unstructured.Unstructured) mdStatus {
	replicas, _, _ := unstructured.NestedInt64(md.Object, "status", "replicas")
	ready, _, _ := unstructured.NestedInt64(md.Object, "status", "readyReplicas")
	observed, found, _ := unstructured.NestedInt64(md.Object, "status", "observedGeneration")
	return mdStatus{replicas: int32(replicas), ready: int32(ready), observedCurrent: !found || observed >= md.GetGeneration()}
}

// machines lists the MachineDeployment's Machines as pool nodes (the Node
// they became, when they have one); none when Machines are not served.
func (r *Reconciler) machines(ctx context.Context, mc *managementCluster, version, namespace, md string) ([]autoscalingv1alpha1.PoolNode, error) {
	list, err := mc.dynamic.Resource(schema.GroupVersionResource{Group: capiGroup, Version: version, Resource: "machines"}).Namespace(namespace).
		List(ctx, metav1.ListOptions{LabelSelector: capiDeploymentLabel + "=" + md})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the Machines of MachineDeployment %s/%s in %s: %w", namespace, md, mc.where, err)
	}
	nodes := make([]autoscalingv1alpha1.PoolNode, 0, len(list.Items))
	for i := range list.Items {
		nodes = append(nodes, machineNode(&list.Items[i]))
	}
	slices.SortFunc(nodes, func(a, b autoscalingv1alpha1.PoolNode) int { return nodepool.CompareNames(a.Name, b.Name) })
	return nodes, nil
}

// machineNode reads one Machine: its Node's name (else the Machine's),
// whether its Ready condition is True, and otherwise why not.
func machineNode(m *unstructured.Unstructured) autoscalingv1alpha1.PoolNode {
	name, _, _ := unstructured.NestedString(m.Object, "status", "nodeRef", "name")
	if name == "" {
		name = m.GetName()
	}
	pn := autoscalingv1alpha1.PoolNode{Name: name}
	conds, _, _ := unstructured.NestedSlice(m.Object, "status", "conditions")
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok || cm["type"] != "Ready" {
			continue
		}
		pn.Ready = cm["status"] == "True"
		if !pn.Ready {
			reason, _ := cm["reason"].(string)
			msg, _ := cm["message"].(string)
			pn.Message = strings.TrimSpace(fmt.Sprintf("Machine %s: Ready is %v %s %s", m.GetName(), cm["status"], reason, msg))
		}
		return pn
	}
	phase, _, _ := unstructured.NestedString(m.Object, "status", "phase")
	if phase == "" {
		phase = "unknown"
	}
	pn.Message = fmt.Sprintf("Machine %s: no Ready condition yet (phase %s)", m.GetName(), phase)
	return pn
}
