package install

import (
	"context"
	"fmt"
	"io"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UninstallOptions say what to remove.
type UninstallOptions struct {
	// Namespace is the release namespace (default DefaultNamespace).
	Namespace string
	// Purge deletes the CRDs too, and with them every object of theirs
	// (Fleets, AttachedClusters, policies, ... of the whole cluster), and
	// the release namespace.
	Purge bool
}

// everything are the values that render every object the chart can
// create, so that Uninstall finds them whatever values installed them.
func everything() map[string]any {
	return map[string]any{
		"dashboard": map[string]any{"enabled": true, "tls": map[string]any{"secretName": "uninstall"}},
	}
}

// protectedNamespaces are never deleted, even with Purge.
var protectedNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// Uninstall deletes, in reverse apply order, every object the chart renders
// but the CRDs; objects already gone are skipped. It keeps the CRDs (and so
// every Kurator object), the release namespace and whatever else is in it,
// and says so and how to remove them, unless Purge.
func Uninstall(ctx context.Context, t Target, o UninstallOptions, out io.Writer) error {
	rel, err := Render(Options{Namespace: o.Namespace, Values: everything()})
	if err != nil {
		return err
	}
	c, err := connect(t)
	if err != nil {
		return err
	}
	if err := c.reach(ctx); err != nil {
		return err
	}
	rest := rel.Rest()
	slices.Reverse(rest)
	removed := 0
	for _, obj := range rest {
		ok, err := c.delete(ctx, obj)
		if err != nil {
			return err
		}
		if ok {
			fmt.Fprintf(out, "%s deleted\n", obj.Ref())
			removed++
		}
	}
	if removed == 0 {
		fmt.Fprintf(out, "no Kurator manager objects found in %s (namespace %s)\n", t.where(), rel.Namespace)
	}

	var crds []Object
	for _, crd := range rel.CRDs() {
		ri, _, err := c.resource(crd.Unstructured)
		if err != nil {
			return err
		}
		if _, err := ri.Get(ctx, crd.GetName(), metav1.GetOptions{}); err == nil {
			crds = append(crds, crd)
		} else if !apierrors.IsNotFound(err) {
			return fmt.Errorf("read %s: %w", crd.Ref(), err)
		}
	}
	if !o.Purge {
		if len(crds) > 0 {
			fmt.Fprintf(out, "kept %d Kurator CRDs and every object of theirs (Fleets, AttachedClusters, policies, bindings, Works)\n", len(crds))
		}
		fmt.Fprintf(out, "kept namespace %s and what is left in it (the member clusters' kubeconfig Secrets)\n", rel.Namespace)
		fmt.Fprintf(out, "to remove them too: kurator uninstall --purge (deletes every Kurator object in the cluster)\n")
		return nil
	}

	fmt.Fprintf(out, "purge: deleting %d CRDs deletes every object of theirs in the whole cluster\n", len(crds))
	for _, crd := range crds {
		if _, err := c.delete(ctx, crd); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s deleted\n", crd.Ref())
	}
	if slices.Contains(protectedNamespaces, rel.Namespace) {
		fmt.Fprintf(out, "kept namespace %s (a namespace of Kubernetes itself)\n", rel.Namespace)
		return nil
	}
	err = c.kube.CoreV1().Namespaces().Delete(ctx, rel.Namespace, metav1.DeleteOptions{})
	if err = ignoreNotFound(err); err != nil {
		return fmt.Errorf("delete namespace %s: %w", rel.Namespace, err)
	}
	fmt.Fprintf(out, "namespace/%s deleted\n", rel.Namespace)
	return nil
}

// delete deletes o (in the foreground, so a Deployment's pods go with it);
// false when it did not exist.
func (c *cluster) delete(ctx context.Context, o Object) (bool, error) {
	ri, _, err := c.resource(o.Unstructured)
	if err != nil {
		if isNoMatch(err) {
			return false, nil
		}
		return false, err
	}
	policy := metav1.DeletePropagationForeground
	err = ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete %s: %w", o.Ref(), err)
	}
	return true, nil
}
