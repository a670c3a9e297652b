package nodepool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/pkg/nodepool"
)

// Requeue intervals of kwok pools. Node changes arrive through the node
// watch; these are the safety net and the drain's pod poll.
const (
	kwokDrainPoll   = time.Second
	kwokWaitReady   = 5 * time.Second
	kwokResync      = time.Minute
	podsPerNodePage = 500
)

// reconcileKwok brings a kwok pool to want nodes in its member.
func (r *Reconciler) reconcileKwok(ctx context.Context, np *autoscalingv1alpha1.NodePool, want int32) (outcome, *problem, error) {
	ac, prob, err := r.cluster(ctx, np)
	if prob != nil || err != nil {
		if prob != nil {
			r.nodes.Forget(np.Spec.Cluster)
		}
		return outcome{}, prob, err
	}
	clients, err := r.clients.ForCluster(ctx, ac)
	if err != nil {
		return outcome{}, &problem{ReasonClusterUnreachable, fmt.Sprintf("cluster %s: %v", ac.Name, err)}, nil
	}
	cs := clients.Kubernetes
	r.nodes.Ensure(ac.Name, cs)

	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: autoscalingv1alpha1.NodePoolLabel + "=" + np.Spec.PoolName})
	if err != nil {
		return outcome{}, &problem{ReasonClusterUnreachable, fmt.Sprintf(
			"cluster %s: list the nodes of pool %s: %v; check the cluster with kurator get clusters", ac.Name, np.Spec.PoolName, err)}, nil
	}
	nodes := map[string]*corev1.Node{}
	var observed []nodepool.Observed
	for i := range list.Items {
		n := &list.Items[i]
		if n.DeletionTimestamp != nil {
			continue // going; not a member of the pool any more
		}
		ready, _ := nodepool.Readiness(n)
		nodes[n.Name] = n
		observed = append(observed, nodepool.Observed{
			Name: n.Name, Created: n.CreationTimestamp.Time, Ready: ready,
			Removing: n.Annotations[nodepool.RemovingAnnotation] != "",
		})
	}
	plan := nodepool.Decide(ac.Name, np.Spec.PoolName, int(want), observed)
	k := kwokRound{r: r, np: np, ac: ac, cs: cs, nodes: nodes, drain: map[string]string{}}
	if err := k.create(ctx, plan.Create); err != nil {
		return outcome{}, nil, err
	}
	for _, name := range plan.Restore {
		if err := k.setRemoving(ctx, nodes[name], false); err != nil {
			return outcome{}, nil, err
		}
	}
	blocked, err := k.remove(ctx, plan.Remove)
	if err != nil {
		return outcome{}, nil, err
	}
	return k.outcome(plan, len(observed), int(want), blocked), nil, nil
}

// kwokRound is one reconcile of a kwok pool.
type kwokRound struct {
	r     *Reconciler
	np    *autoscalingv1alpha1.NodePool
	ac    *clusterv1alpha1.AttachedCluster
	cs    kubernetes.Interface
	nodes map[string]*corev1.Node
	// drain says, per node being removed, how far its drain is.
	drain   map[string]string
	created []string
	deleted []string
}

func (k *kwokRound) create(ctx context.Context, names []string) error {
	zone := ""
	if zones := k.ac.Zones(); len(zones) > 0 {
		zone = zones[0]
	}
	for _, name := range names {
		node := nodepool.FakeNode{
			Name: name, Cluster: k.ac.Name, Region: k.ac.RegionName(), Zone: zone, Provider: k.ac.ProviderName(),
			Pool:     k.np.Spec.PoolName,
			Capacity: k.np.Spec.Template.Capacity,
			Labels:   k.np.Spec.Template.Labels,
			Taints:   k.np.Spec.Template.Taints,
		}.Node()
		got, err := k.cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cluster %s: node %s exists but is not in pool %s (label %s): delete it, or label it %s=%s to adopt it",
				k.ac.Name, name, k.np.Spec.PoolName, autoscalingv1alpha1.NodePoolLabel, autoscalingv1alpha1.NodePoolLabel, k.np.Spec.PoolName)
		}
		if err != nil {
			return fmt.Errorf("cluster %s: create node %s of pool %s: %w", k.ac.Name, name, k.np.Spec.PoolName, err)
		}
		k.nodes[name] = got
		k.created = append(k.created, name)
		k.r.recorder.Eventf(k.np, nil, corev1.EventTypeNormal, "NodeCreated", "ScaleUp", "created node %s in cluster %s", name, k.ac.Name)
	}
	return nil
}

// setRemoving cordons a node and marks it for removal, or undoes both.
func (k *kwokRound) setRemoving(ctx context.Context, n *corev1.Node, removing bool) error {
	if (n.Annotations[nodepool.RemovingAnnotation] != "") == removing && n.Spec.Unschedulable == removing {
		return nil
	}
	var mark any // JSON null deletes the annotation
	if removing {
		mark = time.Now().UTC().Format(time.RFC3339)
	}
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{nodepool.RemovingAnnotation: mark}},
		"spec":     map[string]any{"unschedulable": removing},
	})
	got, err := k.cs.CoreV1().Nodes().Patch(ctx, n.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		verb := "cordon"
		if !removing {
			verb = "uncordon"
		}
		return fmt.Errorf("cluster %s: %s node %s of pool %s: %w", k.ac.Name, verb, n.Name, k.np.Spec.PoolName, err)
	}
	k.nodes[n.Name] = got
	return nil
}

// remove cordons every node picked for removal first (so evicted pods do
// not land on another of them), then evicts their pods and deletes the
// nodes that are empty. It returns the evictions a PodDisruptionBudget
// refused, as messages.
func (k *kwokRound) remove(ctx context.Context, names []string) (blocked []string, err error) {
	for _, name := range names {
		if err := k.setRemoving(ctx, k.nodes[name], true); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		n := k.nodes[name]
		pods, err := k.cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("spec.nodeName", name).String(), Limit: podsPerNodePage,
		})
		if err != nil {
			return nil, fmt.Errorf("cluster %s: list the pods of node %s: %w", k.ac.Name, name, err)
		}
		evict, left := nodepool.DrainStep(pods.Items)
		for _, p := range evict {
			err := k.cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name}})
			switch {
			case err == nil, apierrors.IsNotFound(err):
			case apierrors.IsTooManyRequests(err):
				blocked = append(blocked, fmt.Sprintf("pod %s/%s on %s: %v", p.Namespace, p.Name, name, err))
			default:
				return nil, fmt.Errorf("cluster %s: evict pod %s/%s from node %s: %w", k.ac.Name, p.Namespace, p.Name, name, err)
			}
		}
		if left > 0 {
			k.drain[name] = fmt.Sprintf("being removed: %d pods to move off", left)
			continue
		}
		uid := n.UID
		err = k.cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("cluster %s: delete node %s of pool %s: %w", k.ac.Name, name, k.np.Spec.PoolName, err)
		}
		delete(k.nodes, name)
		k.deleted = append(k.deleted, name)
		k.r.recorder.Eventf(k.np, nil, corev1.EventTypeNormal, "NodeRemoved", "ScaleDown", "drained and deleted node %s in cluster %s", name, k.ac.Name)
	}
	if len(blocked) > 0 {
		k.r.recorder.Eventf(k.np, nil, corev1.EventTypeWarning, ReasonDrainBlocked, "ScaleDown", "%s", blocked[0])
	}
	return blocked, nil
}

// outcome reports the pool after the round: the nodes that remain (new
// ones not Ready yet), and whether it is still scaling.
func (k *kwokRound) outcome(plan nodepool.Plan, had, want int, blocked []string) outcome {
	names := make([]string, 0, len(k.nodes))
	for name := range k.nodes {
		names = append(names, name)
	}
	slices.SortFunc(names, nodepool.CompareNames)
	var out outcome
	var notReady []string
	for _, name := range names {
		n := k.nodes[name]
		ready, msg := nodepool.Readiness(n)
		if slices.Contains(k.created, name) {
			ready, msg = false, "created; waiting for kwok in the member to make it Ready"
		}
		if d, ok := k.drain[name]; ok {
			msg = strings.TrimPrefix(strings.Join([]string{msg, d}, "; "), "; ")
		}
		out.nodes = append(out.nodes, autoscalingv1alpha1.PoolNode{Name: name, Ready: ready, Message: msg})
		out.replicas++
		if ready {
			out.ready++
		} else {
			notReady = append(notReady, name+": "+msg)
		}
	}
	switch {
	case len(plan.Create) > 0:
		out.scaling = ReasonScalingUp
		out.scalingMessage = fmt.Sprintf("adding %d nodes (%d to %d): %s", len(plan.Create), had, want, strings.Join(plan.Create, ", "))
	case len(blocked) > 0:
		out.scaling = ReasonDrainBlocked
		out.scalingMessage = fmt.Sprintf("removing %d nodes (%d to %d); evictions refused by a PodDisruptionBudget, retried: %s",
			len(plan.Remove), had, want, strings.Join(blocked, "; "))
	case len(plan.Remove) > len(k.deleted):
		out.scaling = ReasonScalingDown
		out.scalingMessage = fmt.Sprintf("removing %d nodes (%d to %d): cordoned, evicting their pods, then deleting: %s",
			len(plan.Remove), had, want, strings.Join(plan.Remove, ", "))
	}
	if len(notReady) > 0 {
		out.notReady = fmt.Sprintf("%d of %d nodes Ready; %s", out.ready, out.replicas, strings.Join(notReady, "; "))
	}
	switch {
	case len(plan.Remove) > len(k.deleted):
		out.requeue = kwokDrainPoll
	case len(notReady) > 0 || len(plan.Create) > 0:
		out.requeue = kwokWaitReady
	default:
		out.requeue = kwokResync
	}
	return out
}
