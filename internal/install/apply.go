package install

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// pollInterval is how often Apply and Wait look at the cluster again.
const pollInterval = 500 * time.Millisecond

// Apply writes the release to the cluster with server-side apply (field
// manager FieldManager, conflicts forced: the install owns these fields):
// the CRDs first, waiting until the cluster serves them, then the release
// namespace (created when missing), then the rest in apply order. It prints
// one line per object, as kubectl does: created, configured or unchanged.
// timeout bounds the wait for the CRDs.
func Apply(ctx context.Context, t Target, rel *Release, out io.Writer, timeout time.Duration) error {
	c, err := connect(t)
	if err != nil {
		return err
	}
	crds := rel.CRDs()
	for _, o := range crds {
		if err := c.apply(ctx, o, out); err != nil {
			return err
		}
	}
	if len(crds) > 0 {
		if err := c.waitEstablished(ctx, crds, out, timeout); err != nil {
			return err
		}
	}
	if err := c.ensureNamespace(ctx, rel, out); err != nil {
		return err
	}
	for _, o := range rel.Rest() {
		if err := c.apply(ctx, o, out); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) apply(ctx context.Context, o Object, out io.Writer) error {
	ri, _, err := c.resource(o.Unstructured)
	if err != nil {
		return err
	}
	before, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if err = ignoreNotFound(err); err != nil {
		return fmt.Errorf("read %s: %w", o.Ref(), err)
	}
	data, err := json.Marshal(o.Object)
	if err != nil {
		return fmt.Errorf("encode %s: %w", o.Ref(), err)
	}
	force := true
	after, err := ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
	if err != nil {
		return fmt.Errorf("apply %s (from %s): %w", o.Ref(), o.Source, err)
	}
	verb := "created"
	if before != nil {
		verb = "configured"
		if before.GetResourceVersion() == after.GetResourceVersion() {
			verb = "unchanged"
		}
	}
	fmt.Fprintf(out, "%s %s\n", o.Ref(), verb)
	return nil
}

// ensureNamespace creates the release namespace unless the chart renders it
// (namespace.create) or it exists, like `helm install --create-namespace`.
func (c *cluster) ensureNamespace(ctx context.Context, rel *Release, out io.Writer) error {
	for _, o := range rel.Objects {
		if o.GetKind() == "Namespace" && o.GetName() == rel.Namespace {
			return nil
		}
	}
	return c.ensureNamespaceNamed(ctx, rel.Namespace, out)
}

// ensureNamespaceNamed creates namespace ns when missing and says so.
func (c *cluster) ensureNamespaceNamed(ctx context.Context, ns string, out io.Writer) error {
	api := c.kube.CoreV1().Namespaces()
	if _, err := api.Get(ctx, ns, metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("read namespace %s: %w", ns, err)
	}
	_, err := api.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	fmt.Fprintf(out, "namespace/%s created\n", ns)
	return nil
}

// EnsureNamespaceIn creates namespace ns on the target when missing.
func EnsureNamespaceIn(ctx context.Context, t Target, ns string, out io.Writer) error {
	c, err := connect(t)
	if err != nil {
		return err
	}
	return c.ensureNamespaceNamed(ctx, ns, out)
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// waitEstablished polls until every CRD is Established (the cluster serves
// its kind).
func (c *cluster) waitEstablished(ctx context.Context, crds []Object, out io.Writer, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var pending []string
		for _, o := range crds {
			u, err := c.dynamic.Resource(crdResource).Get(ctx, o.GetName(), metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("read CRD %s: %w", o.GetName(), err)
			}
			if !conditionTrue(u, "Established") {
				pending = append(pending, o.GetName())
			}
		}
		if len(pending) == 0 {
			fmt.Fprintf(out, "%d CRDs established\n", len(crds))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRDs not Established after %s: %v: see `kubectl get crd %s -o yaml` (status.conditions)", timeout, pending, pending[0])
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return m["status"] == "True"
		}
	}
	return false
}

// Wait polls every Deployment of the release until its rollout is done:
// the controller has seen the latest spec (observedGeneration), every
// replica runs it (updatedReplicas) and is available, and no old replica is
// left. It prints a line whenever the count changes: "kurator-manager: 1/2
// available".
func Wait(ctx context.Context, t Target, rel *Release, out io.Writer, timeout time.Duration) error {
	c, err := connect(t)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for _, o := range rel.Objects {
		if o.GetKind() != "Deployment" {
			continue
		}
		if err := c.waitRollout(ctx, o.GetNamespace(), o.GetName(), out, deadline, timeout); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) waitRollout(ctx context.Context, ns, name string, out io.Writer, deadline time.Time, timeout time.Duration) error {
	last := ""
	for {
		d, err := c.kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("read deployment %s/%s: %w", ns, name, err)
		}
		done, progress := rolloutDone(d)
		if progress != last {
			fmt.Fprintf(out, "%s: %s\n", name, progress)
			last = progress
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deployment %s/%s not rolled out after %s (%s)%s: see `kubectl -n %s describe pods -l app.kubernetes.io/instance=%s` (image pulls, probes, scheduling), or wait longer with --timeout",
				ns, name, timeout, progress, conditionMessages(d), ns, ReleaseName)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// rolloutDone says whether d's rollout is complete, with a progress line.
func rolloutDone(d *appsv1.Deployment) (bool, string) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	progress := fmt.Sprintf("%d/%d available", s.AvailableReplicas, want)
	if s.UpdatedReplicas != want {
		progress += fmt.Sprintf(", %d/%d updated", s.UpdatedReplicas, want)
	}
	if old := s.Replicas - s.UpdatedReplicas; old > 0 {
		progress += fmt.Sprintf(", %d old", old)
	}
	done := s.ObservedGeneration >= d.Generation &&
		s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want
	return done, progress
}

func conditionMessages(d *appsv1.Deployment) string {
	s := ""
	for _, c := range d.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			s += fmt.Sprintf("; %s: %s", c.Type, c.Message)
		}
	}
	return s
}
