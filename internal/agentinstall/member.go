package agentinstall

import (
	"context"
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager owns the fields the install writes in the member.
const FieldManager = "kurator-agent-install"

// Install applies the agent's objects to the member with server-side apply
// and prints one line per object.
func Install(ctx context.Context, member client.Client, objs []client.Object, out io.Writer) error {
	for _, o := range objs {
		u, err := unstructuredOf(o)
		if err != nil {
			return err
		}
		ref := refOf(o)
		if err := member.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply %s to the member: %w (the member kubeconfig's user needs to create namespaces, ClusterRoles, ClusterRoleBindings, Secrets and Deployments)", ref, err)
		}
		fmt.Fprintf(out, "  %s applied\n", ref)
	}
	return nil
}

// Uninstall deletes the agent's objects from the member (the namespace
// stays: other things may live in it) and prints what it removed. It
// returns the number of objects deleted.
func Uninstall(ctx context.Context, member client.Client, out io.Writer) (int, error) {
	todo := []client.Object{
		// The credentials the agent wrote, then the rest in reverse apply order.
		skeleton(&corev1.Secret{}, "v1", "Secret", CredentialsSecretName, Namespace),
		skeleton(&appsv1.Deployment{}, "apps/v1", "Deployment", Name, Namespace),
		skeleton(&corev1.Secret{}, "v1", "Secret", HubSecretName, Namespace),
		skeleton(&rbacv1.ClusterRoleBinding{}, rbacv1.SchemeGroupVersion.String(), "ClusterRoleBinding", MemberRBACName, ""),
		skeleton(&rbacv1.ClusterRole{}, rbacv1.SchemeGroupVersion.String(), "ClusterRole", MemberRBACName, ""),
		skeleton(&corev1.ServiceAccount{}, "v1", "ServiceAccount", Name, Namespace),
	}
	deleted := 0
	for _, o := range todo {
		ref := refOf(o)
		err := member.Delete(ctx, o, client.PropagationPolicy("Background"))
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return deleted, fmt.Errorf("delete %s from the member: %w", ref, err)
		}
		deleted++
		fmt.Fprintf(out, "  %s deleted from the member\n", ref)
	}
	return deleted, nil
}

// refOf names an object as kubectl does: kind/name, with the namespace.
func refOf(o client.Object) string {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if o.GetNamespace() == "" {
		return kind + "/" + o.GetName()
	}
	return kind + " " + o.GetNamespace() + "/" + o.GetName()
}

// skeleton gives o its kind and name, for a delete.
func skeleton(o client.Object, apiVersion, kind, name, namespace string) client.Object {
	o.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
	o.SetName(name)
	o.SetNamespace(namespace)
	return o
}
