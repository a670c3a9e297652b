package agentcsr

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// AgentRoleName is the ClusterRole (from the chart, or `kurator token
// create`) holding what an agent does in its execution namespace: its Works
// and their status, its Lease, events. A RoleBinding of this name in the
// execution namespace binds it to the cluster's agent.
const AgentRoleName = "kurator-agent"

// AgentClusterRole is ClusterRole kurator-agent as the chart renders it
// (charts/kurator/templates/agent-rbac.yaml; a test holds the two equal):
// for a hub without the chart, `kurator token create` makes it. The
// manager cannot make it: it does not hold these rules, it may only bind
// the role.
func AgentClusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: AgentRoleName, Labels: map[string]string{"app.kubernetes.io/part-of": "kurator"}},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{workv1alpha1.GroupVersion.Group}, Resources: []string{"works"}, Verbs: []string{"get", "list", "watch", "patch"}},
			{APIGroups: []string{workv1alpha1.GroupVersion.Group}, Resources: []string{"works/status"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{clusterv1alpha1.AgentLeaseName}, Verbs: []string{"get", "update"}},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		},
	}
}

// AgentOfLabel marks the hub RBAC objects made for one cluster's agent;
// its value is the cluster. Only objects carrying it are changed or
// deleted, so a user's object of the same name is never touched.
const AgentOfLabel = "cluster.kurator.dev/agent-of"

// ClusterRoleName is the per-cluster ClusterRole (and ClusterRoleBinding)
// that lets the cluster's agent read its AttachedCluster and write its
// status, and nothing of any other AttachedCluster.
func ClusterRoleName(cluster string) string { return AgentRoleName + ":" + cluster }

// agentAccess is the hub RBAC of one cluster's agent: user
// AgentUser(cluster) and no one else, nothing more.
//
// The objects carry no owner reference to the AttachedCluster: a
// cluster-scoped object cannot be owned by a namespaced one, and an owner in
// another namespace (the RoleBinding is in the execution namespace) makes
// the garbage collector delete the dependent at once. The access controller
// deletes them when the AttachedCluster goes.
func agentAccess(cluster string) (*rbacv1.RoleBinding, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
	labels := map[string]string{AgentOfLabel: cluster}
	subjects := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: clusterv1alpha1.AgentUser(cluster)}}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: AgentRoleName, Namespace: workv1alpha1.ExecutionNamespace(cluster), Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: AgentRoleName},
		Subjects:   subjects,
	}
	cr := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName(cluster), Labels: labels},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{clusterv1alpha1.GroupVersion.Group}, Resources: []string{"attachedclusters"},
				ResourceNames: []string{cluster}, Verbs: []string{"get"}},
			{APIGroups: []string{clusterv1alpha1.GroupVersion.Group}, Resources: []string{"attachedclusters/status"},
				ResourceNames: []string{cluster}, Verbs: []string{"get", "update", "patch"}},
		},
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName(cluster), Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleName(cluster)},
		Subjects:   subjects,
	}
	return rb, cr, crb
}

// ensureAgentAccess makes the execution namespace of cluster and its agent's
// RBAC, or brings changed objects back to what they must be.
func ensureAgentAccess(ctx context.Context, c client.Client, cluster string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: workv1alpha1.ExecutionNamespace(cluster)}}
	if err := c.Get(ctx, client.ObjectKeyFromObject(ns), ns); apierrors.IsNotFound(err) {
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create execution namespace %s of cluster %s: %w", ns.Name, cluster, err)
		}
	} else if err != nil {
		return fmt.Errorf("read execution namespace %s of cluster %s: %w", ns.Name, cluster, err)
	}
	rb, cr, crb := agentAccess(cluster)
	// The ClusterRole before its binding, so the agent never holds a
	// binding to a role that is not there yet.
	for _, want := range []client.Object{cr, crb, rb} {
		if err := ensure(ctx, c, want); err != nil {
			return fmt.Errorf("agent RBAC of cluster %s: %w", cluster, err)
		}
	}
	return nil
}

// ensure creates want, or updates the object of its name to it. A binding
// whose roleRef changed is made again (roleRef cannot be updated).
func ensure(ctx context.Context, c client.Client, want client.Object) error {
	have := want.DeepCopyObject().(client.Object)
	if err := c.Get(ctx, client.ObjectKeyFromObject(want), have); apierrors.IsNotFound(err) {
		// AlreadyExists: the cache lags behind a create of a moment ago;
		// the object's watch event checks it again.
		if err := c.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", describe(want), err)
		}
		return nil
	} else if err != nil {
		return fmt.Errorf("read %s: %w", describe(want), err)
	}
	if have.GetLabels()[AgentOfLabel] != want.GetLabels()[AgentOfLabel] {
		return fmt.Errorf("%s exists without label %s=%s: it is not the agent's; delete or rename it, then the agent's is made",
			describe(want), AgentOfLabel, want.GetLabels()[AgentOfLabel])
	}
	update := false
	switch w := want.(type) {
	case *rbacv1.ClusterRole:
		h := have.(*rbacv1.ClusterRole)
		if update = !equality.Semantic.DeepEqual(h.Rules, w.Rules); update {
			h.Rules = w.Rules
		}
	case *rbacv1.ClusterRoleBinding:
		h := have.(*rbacv1.ClusterRoleBinding)
		if h.RoleRef != w.RoleRef {
			return recreate(ctx, c, have, want)
		}
		if update = !equality.Semantic.DeepEqual(h.Subjects, w.Subjects); update {
			h.Subjects = w.Subjects
		}
	case *rbacv1.RoleBinding:
		h := have.(*rbacv1.RoleBinding)
		if h.RoleRef != w.RoleRef {
			return recreate(ctx, c, have, want)
		}
		if update = !equality.Semantic.DeepEqual(h.Subjects, w.Subjects); update {
			h.Subjects = w.Subjects
		}
	}
	if !update {
		return nil
	}
	if err := c.Update(ctx, have); err != nil {
		return fmt.Errorf("update %s: %w", describe(want), err)
	}
	return nil
}

func recreate(ctx context.Context, c client.Client, have, want client.Object) error {
	if err := c.Delete(ctx, have, client.Preconditions{UID: ptr(have.GetUID())}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s to fix its roleRef: %w", describe(have), err)
	}
	if err := c.Create(ctx, want); err != nil {
		return fmt.Errorf("create %s: %w", describe(want), err)
	}
	return nil
}

// removeAgentAccess deletes the agent RBAC of cluster (the objects carrying
// its AgentOfLabel): its certificate then authenticates but is authorised
// for nothing, which is how an unregistered agent is revoked. The execution
// namespace stays: its Works are the binding controller's.
func removeAgentAccess(ctx context.Context, c client.Client, cluster string) error {
	rb, cr, crb := agentAccess(cluster)
	var errs []error
	// The bindings first, so nothing grants a role that is being deleted.
	for _, obj := range []client.Object{rb, crb, cr} {
		have := obj.DeepCopyObject().(client.Object)
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), have); apierrors.IsNotFound(err) {
			continue
		} else if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", describe(obj), err))
			continue
		}
		if have.GetLabels()[AgentOfLabel] != cluster {
			continue
		}
		if err := c.Delete(ctx, have, client.Preconditions{UID: ptr(have.GetUID())}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", describe(obj), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("revoke the agent RBAC of cluster %s: %w", cluster, err)
	}
	return nil
}

// describe names an object of the agent RBAC: "ClusterRole kurator-agent:a".
func describe(obj client.Object) string {
	kind := "object"
	switch obj.(type) {
	case *rbacv1.ClusterRole:
		kind = "ClusterRole"
	case *rbacv1.ClusterRoleBinding:
		kind = "ClusterRoleBinding"
	case *rbacv1.RoleBinding:
		kind = "RoleBinding"
	}
	if obj.GetNamespace() != "" {
		return kind + " " + obj.GetNamespace() + "/" + obj.GetName()
	}
	return kind + " " + obj.GetName()
}

func ptr[T any](v T) *T { return &v }
