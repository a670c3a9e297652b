package install

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
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
	if err := c.releaseFinalizers(ctx, crds, out, purgeTimeout); err != nil {
		return err
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

// purgeTimeout bounds how long a purge waits for the deleted CRDs to go.
const purgeTimeout = 2 * time.Minute

// releaseFinalizers waits for the deleted CRDs to disappear, removing
// Kurator's finalizers from the objects they still hold: the manager that
// would have run them (cleaning members up first) is gone, so without this
// the CRDs would stay Terminating for ever. What the hub had applied to the
// members stays there. An object marked for deletion cannot gain a new
// finalizer, so once stripped it stays free.
func (c *cluster) releaseFinalizers(ctx context.Context, crds []Object, out io.Writer, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	stripped := 0
	for {
		left := 0
		for _, crd := range crds {
			gvr, ok := storedResource(crd)
			if !ok {
				continue
			}
			list, err := c.dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
			if apierrors.IsNotFound(err) || isNoMatch(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("purge: list %s: %w", gvr.Resource, err)
			}
			left++
			for _, item := range list.Items {
				keep := slices.DeleteFunc(slices.Clone(item.GetFinalizers()), isKuratorFinalizer)
				if len(keep) == len(item.GetFinalizers()) {
					continue
				}
				patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": keep, "resourceVersion": item.GetResourceVersion()}})
				ri := c.dynamic.Resource(gvr).Namespace(item.GetNamespace())
				_, err := ri.Patch(ctx, item.GetName(), types.MergePatchType, patch, metav1.PatchOptions{})
				if err = ignoreNotFound(err); err != nil && !apierrors.IsConflict(err) {
					return fmt.Errorf("purge: remove the finalizers of %s %s/%s: %w", gvr.Resource, item.GetNamespace(), item.GetName(), err)
				}
				if err == nil {
					stripped++
				}
			}
		}
		if left == 0 {
			if stripped > 0 {
				fmt.Fprintf(out, "purge: removed Kurator's finalizers from %d objects the stopped manager can no longer clean up; what it applied to member clusters stays there\n", stripped)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("purge: %d Kurator CRDs are still terminating after %s: see kubectl get crd -l app.kubernetes.io/part-of=kurator and the finalizers of their objects", left, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// storedResource is the group, storage version and plural of a CRD object.
func storedResource(crd Object) (schema.GroupVersionResource, bool) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		if stored, _ := vm["storage"].(bool); stored {
			name, _ := vm["name"].(string)
			return schema.GroupVersionResource{Group: group, Version: name, Resource: plural}, group != "" && plural != ""
		}
	}
	return schema.GroupVersionResource{}, false
}

// isKuratorFinalizer tells Kurator's finalizers ("work.kurator.dev/execution",
// "fleet.kurator.dev/member-labels", ...) from everyone else's.
func isKuratorFinalizer(f string) bool {
	domain, _, _ := strings.Cut(f, "/")
	return domain == "kurator.dev" || strings.HasSuffix(domain, ".kurator.dev")
}
