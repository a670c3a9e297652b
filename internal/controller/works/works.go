// Package works writes Works on the hub for the controllers that produce
// them (the binding controller for templates, the traffic controller for
// Istio routes, the rollout controller for primaries and their routes), so
// all create, label, guard and delete a Work the same way: a new
// Work carries the execution finalizer (saving the execution controller a
// write), an existing one is updated only when its manifests or labels
// differ, and a Work whose owner labels name another owner is never taken
// over.
package works

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// Apply creates or updates the Work key with manifests. labels are the
// owner's labels: they are set on the Work, and a Work that has one of them
// with another value belongs to another owner, which is an error. A Work
// being deleted is an error too (retry after it is gone). The execution
// namespace must exist.
func Apply(ctx context.Context, c client.Client, key types.NamespacedName, labels map[string]string, manifests []map[string]any) error {
	raws, err := Raw(manifests)
	if err != nil {
		return fmt.Errorf("Work %s: %w", key, err)
	}
	var work workv1alpha1.Work
	err = c.Get(ctx, key, &work)
	if apierrors.IsNotFound(err) {
		work = workv1alpha1.Work{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: labels, Finalizers: []string{workv1alpha1.ExecutionFinalizer}},
			Spec:       workv1alpha1.WorkSpec{Workload: workv1alpha1.WorkloadTemplate{Manifests: raws}},
		}
		if err := c.Create(ctx, &work); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create Work %s: %w", key, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	for k, v := range labels {
		if have, ok := work.Labels[k]; ok && have != v {
			return &ConflictError{Work: key, Label: k, Value: have}
		}
	}
	if !work.DeletionTimestamp.IsZero() {
		return fmt.Errorf("Work %s is being deleted; retrying", key)
	}
	if SameManifests(work.Spec.Workload.Manifests, raws) && hasLabels(work.Labels, labels) {
		return nil
	}
	if work.Labels == nil {
		work.Labels = map[string]string{}
	}
	for k, v := range labels {
		work.Labels[k] = v
	}
	work.Spec.Workload.Manifests = raws
	return c.Update(ctx, &work)
}

// ConflictError says a Work of the wanted name belongs to another owner.
type ConflictError struct {
	Work  types.NamespacedName
	Label string
	Value string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("Work %s belongs to another owner (%s=%s); rename this object", e.Work, e.Label, e.Value)
}

// Raw encodes manifests for a Work.
func Raw(manifests []map[string]any) ([]runtime.RawExtension, error) {
	raws := make([]runtime.RawExtension, len(manifests))
	for i, m := range manifests {
		raw, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode manifest %d: %w", i, err)
		}
		raws[i] = runtime.RawExtension{Raw: raw}
	}
	return raws, nil
}

// SameManifests compares manifests by meaning, not bytes (the apiserver may
// reorder keys).
func SameManifests(have, want []runtime.RawExtension) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		var a, b any
		if json.Unmarshal(have[i].Raw, &a) != nil || json.Unmarshal(want[i].Raw, &b) != nil {
			return false
		}
		if !equality.Semantic.DeepEqual(a, b) {
			return false
		}
	}
	return true
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// Namespaces creates execution namespaces on the hub, each once per
// process (a namespace is never deleted while the hub runs). The zero
// value is ready to use and safe for concurrent use.
type Namespaces struct {
	mu    sync.Mutex
	known map[string]bool
}

// Ensure creates the namespace name unless it is known to exist.
func (n *Namespaces) Ensure(ctx context.Context, c client.Client, name string) error {
	n.mu.Lock()
	known := n.known[name]
	n.mu.Unlock()
	if known {
		return nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create execution namespace %s: %w", name, err)
	}
	n.mu.Lock()
	if n.known == nil {
		n.known = map[string]bool{}
	}
	n.known[name] = true
	n.mu.Unlock()
	return nil
}

// DeleteExcept deletes an owner's Works (those owner selects: its labels,
// or OfBinding) in every execution namespace except the clusters keep names.
func DeleteExcept(ctx context.Context, c client.Client, owner client.ListOption, keep []string) error {
	var list workv1alpha1.WorkList
	if err := c.List(ctx, &list, owner); err != nil {
		return err
	}
	for i := range list.Items {
		w := &list.Items[i]
		cluster, _ := workv1alpha1.ClusterOfExecutionNamespace(w.Namespace)
		if slices.Contains(keep, cluster) || !w.DeletionTimestamp.IsZero() {
			continue
		}
		if err := c.Delete(ctx, w); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete Work %s/%s: %w", w.Namespace, w.Name, err)
		}
	}
	return nil
}
