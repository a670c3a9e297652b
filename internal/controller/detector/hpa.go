package detector

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// A HorizontalPodAutoscaler whose target is propagated is evaluated on the
// hub over every member's pods (internal/controller/fleethpa) and is not
// propagated itself, whatever a policy selects: an HPA in each member
// would scale its share of the workload against the hub's decision
// (Karmada #1273). An HPA whose target is not propagated may be propagated
// as any template (members then scale workloads of their own).

// hpaTarget returns the kind and name an HPA scales, if obj is one.
func hpaTarget(obj *unstructured.Unstructured) (apiVersion, kind, name string, ok bool) {
	gvk := obj.GroupVersionKind()
	if gvk.Group != "autoscaling" || gvk.Kind != "HorizontalPodAutoscaler" {
		return "", "", "", false
	}
	apiVersion, _, _ = unstructured.NestedString(obj.Object, "spec", "scaleTargetRef", "apiVersion")
	kind, _, _ = unstructured.NestedString(obj.Object, "spec", "scaleTargetRef", "kind")
	name, _, _ = unstructured.NestedString(obj.Object, "spec", "scaleTargetRef", "name")
	return apiVersion, kind, name, kind != "" && name != ""
}

// hubEvaluatedHPA reports whether obj is an HPA whose target has a binding.
func (r *Reconciler) hubEvaluatedHPA(ctx context.Context, obj *unstructured.Unstructured) (bool, error) {
	_, kind, name, ok := hpaTarget(obj)
	if !ok || obj.GetNamespace() == "" {
		return false, nil
	}
	var rb workv1alpha1.ResourceBinding
	err := r.client.Get(ctx, types.NamespacedName{Namespace: obj.GetNamespace(), Name: workv1alpha1.BindingName(name, kind)}, &rb)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return rb.Spec.Resource.Kind == kind && rb.Spec.Resource.Name == name, nil
}

// templateAndHPAsOfBinding maps a binding to its template and to the
// watched HPAs of its namespace that scale that template (hpasOfBinding).
func (r *Reconciler) templateAndHPAsOfBinding(ctx context.Context, b *workv1alpha1.ResourceBinding) []templateKey {
	return append(templateOfBinding(ctx, b), r.hpasOfBinding(ctx, b)...)
}

// hpasOfBinding maps a binding to the watched HPAs of its namespace that
// scale its template: a target that becomes propagated (or stops being)
// changes whether they are.
func (r *Reconciler) hpasOfBinding(ctx context.Context, b *workv1alpha1.ResourceBinding) []templateKey {
	var out []templateKey
	r.mu.Lock()
	var kinds []schema.GroupVersionKind
	for gvk := range r.watched {
		if gvk.Group == "autoscaling" && gvk.Kind == "HorizontalPodAutoscaler" {
			kinds = append(kinds, gvk)
		}
	}
	r.mu.Unlock()
	for _, gvk := range kinds {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := r.client.List(ctx, list, client.InNamespace(b.Namespace)); err != nil {
			log.FromContext(ctx).Error(err, "list HorizontalPodAutoscalers", "namespace", b.Namespace)
			continue
		}
		for i := range list.Items {
			if _, kind, name, ok := hpaTarget(&list.Items[i]); ok && kind == b.Spec.Resource.Kind && name == b.Spec.Resource.Name {
				out = append(out, templateKey{GVK: gvk, Namespace: b.Namespace, Name: list.Items[i].GetName()})
			}
		}
	}
	return out
}
