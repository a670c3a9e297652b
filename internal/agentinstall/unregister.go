package agentinstall

import (
	"context"
	"fmt"
	"io"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/agentcsr"
)

// HubRBAC are the per-cluster hub objects that authorise an agent (made
// by the manager's agent CSR approver): a RoleBinding to ClusterRole
// kurator-agent in the cluster's execution namespace, and ClusterRole and
// ClusterRoleBinding kurator-agent:<cluster> naming its AttachedCluster.
// Without them the agent's certificate still authenticates but may do
// nothing: that is how a Pull cluster is revoked.
func HubRBAC(cluster string) []client.Object {
	name := agentcsr.ClusterRoleName(cluster)
	return []client.Object{
		skeleton(&rbacv1.RoleBinding{}, rbacv1.SchemeGroupVersion.String(), "RoleBinding", agentcsr.AgentRoleName, workv1alpha1.ExecutionNamespace(cluster)),
		skeleton(&rbacv1.ClusterRoleBinding{}, rbacv1.SchemeGroupVersion.String(), "ClusterRoleBinding", name, ""),
		skeleton(&rbacv1.ClusterRole{}, rbacv1.SchemeGroupVersion.String(), "ClusterRole", name, ""),
	}
}

// PullCleanup removes, after the AttachedCluster of Pull cluster has been
// deleted, what authorised its agent on the hub: the per-cluster RBAC
// (the manager removes it when the AttachedCluster goes; what is still
// there after wait is deleted here, only objects carrying the manager's
// agentcsr.AgentOfLabel for this cluster), the heartbeat Lease, and the
// cluster's CSRs that are still pending. It prints what it did.
func PullCleanup(ctx context.Context, hub client.Client, cluster string, wait time.Duration, out io.Writer) error {
	deadline := time.Now().Add(wait)
	for {
		left := 0
		for _, o := range HubRBAC(cluster) {
			ref := refOf(o)
			err := hub.Get(ctx, client.ObjectKeyFromObject(o), o)
			switch {
			case err == nil && o.GetLabels()[agentcsr.AgentOfLabel] == cluster:
				left++
			case err != nil && !apierrors.IsNotFound(err):
				return fmt.Errorf("read %s on the hub: %w", ref, err)
			}
		}
		if left == 0 {
			fmt.Fprintf(out, "  the agent's hub RBAC is gone (RoleBinding %s/%s, ClusterRole and ClusterRoleBinding kurator-agent:%s): its certificate is authorised for nothing\n",
				workv1alpha1.ExecutionNamespace(cluster), agentcsr.AgentRoleName, cluster)
			break
		}
		if time.Now().After(deadline) {
			for _, o := range HubRBAC(cluster) {
				ref := refOf(o)
				err := hub.Get(ctx, client.ObjectKeyFromObject(o), o)
				if apierrors.IsNotFound(err) || (err == nil && o.GetLabels()[agentcsr.AgentOfLabel] != cluster) {
					continue // gone, or not the manager's: leave it
				}
				if err == nil {
					err = hub.Delete(ctx, o)
				}
				if apierrors.IsNotFound(err) {
					continue
				}
				if err != nil {
					return fmt.Errorf("delete %s on the hub: %w", ref, err)
				}
				fmt.Fprintf(out, "  %s deleted on the hub\n", ref)
			}
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}

	lease := skeleton(&coordinationv1.Lease{}, "coordination.k8s.io/v1", "Lease", clusterv1alpha1.AgentLeaseName, workv1alpha1.ExecutionNamespace(cluster))
	if err := hub.Delete(ctx, lease); err == nil {
		fmt.Fprintf(out, "  %s deleted on the hub\n", refOf(lease))
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s on the hub: %w", refOf(lease), err)
	}

	var csrs certificatesv1.CertificateSigningRequestList
	if err := hub.List(ctx, &csrs, client.MatchingLabels{clusterv1alpha1.ClusterNameLabel: cluster}); err != nil {
		return fmt.Errorf("list the CertificateSigningRequests of cluster %s on the hub: %w", cluster, err)
	}
	for i := range csrs.Items {
		c := &csrs.Items[i]
		if state, _ := csrState(c); state != "pending" {
			continue // decided ones expire on their own (csrcleaner)
		}
		if err := hub.Delete(ctx, c); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete CertificateSigningRequest %s on the hub: %w", c.Name, err)
		}
		fmt.Fprintf(out, "  pending CertificateSigningRequest %s deleted on the hub\n", c.Name)
	}
	return nil
}
