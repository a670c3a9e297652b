package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// writeFloorNamespace holds the write floor's hub objects. No policy lives
// there, and it is no execution namespace, so no controller acts on them.
const writeFloorNamespace = "bench-write-floor"

// writeFloorWorkers is how many creates run at once: about what the
// manager's controllers have in flight together (10 workers each).
const writeFloorWorkers = 50

// writeFloor creates, per workload, the objects propagation needs to exist
// (hub template, ResourceBinding, one Work per member, the member
// Deployments) straight from the bench, all workloads at once, and returns
// when the last create of each kind returned. No controller does anything
// for them:
//   - the templates sit in a namespace no policy selects;
//   - the bindings have no placement (the scheduler skips them), no targets
//     (the binding controller skips them) and are not named after their
//     template (the detector leaves them);
//   - the Works are outside every execution namespace (execution and
//     status skip them);
//   - the member Deployments carry no Work annotation (no member watch
//     event).
//
// before is called for each workload just before its first create.
func writeFloor(ctx context.Context, hub client.Client, members map[string]kubernetes.Interface, clusters []string, all []string, perMember int32, before func(string)) (map[string]time.Duration, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: writeFloorNamespace}}
	if err := hub.Create(ctx, ns); err != nil {
		return nil, err
	}
	var (
		mu   sync.Mutex
		last = map[string]time.Duration{}
	)
	start := time.Now()
	done := func(kind string) {
		mu.Lock()
		defer mu.Unlock()
		last[kind] = time.Since(start)
	}
	// One task per object, in each workload's causal order (template,
	// binding, Works, member objects), workloads one after the other: what
	// the controllers would write, with no controller in between.
	var tasks []func() error
	for _, name := range all {
		tasks = append(tasks, func() error {
			before(name)
			d := deployment(name, perMember*int32(len(clusters)))
			d.Namespace, d.Labels = writeFloorNamespace, nil
			if err := hub.Create(ctx, d); err != nil {
				return fmt.Errorf("create hub Deployment %s: %w", name, err)
			}
			done("hub Deployments")
			return nil
		})
		tasks = append(tasks, func() error {
			if err := hub.Create(ctx, floorBinding(name)); err != nil {
				return fmt.Errorf("create ResourceBinding of %s: %w", name, err)
			}
			done("ResourceBindings")
			return nil
		})
		for _, c := range clusters {
			tasks = append(tasks, func() error {
				w, err := floorWork(name, c, perMember)
				if err != nil {
					return err
				}
				if err := hub.Create(ctx, w); err != nil {
					return fmt.Errorf("create Work %s: %w", w.Name, err)
				}
				done("Works")
				return nil
			})
		}
		for _, c := range clusters {
			tasks = append(tasks, func() error {
				d := deployment(name, perMember)
				d.Labels = nil
				if _, err := members[c].AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
					return fmt.Errorf("create Deployment %s in %s: %w", name, c, err)
				}
				done("member Deployments")
				return nil
			})
		}
	}
	return last, runTasks(tasks, writeFloorWorkers)
}

// floorBinding is a binding of the template that no controller touches
// (see writeFloor).
func floorBinding(name string) *workv1alpha1.ResourceBinding {
	return &workv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-floor", Namespace: writeFloorNamespace},
		Spec: workv1alpha1.ResourceBindingSpec{
			Resource: workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: writeFloorNamespace, Name: name},
		},
	}
}

// floorWork is the Work the binding controller would write for cluster.
func floorWork(name, cluster string, replicas int32) (*workv1alpha1.Work, error) {
	d := deployment(name, replicas)
	d.Labels = nil
	d.APIVersion, d.Kind = "apps/v1", "Deployment"
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return &workv1alpha1.Work{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-" + cluster, Namespace: writeFloorNamespace},
		Spec: workv1alpha1.WorkSpec{Workload: workv1alpha1.WorkloadTemplate{Manifests: []runtime.RawExtension{
			{Raw: []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}`)},
			{Raw: raw},
		}}},
	}, nil
}

// clearWriteFloor deletes the write floor's hub objects (the member
// Deployments stay, like the floor phase's).
func clearWriteFloor(ctx context.Context, hub client.Client) error {
	for _, obj := range []client.Object{&workv1alpha1.Work{}, &workv1alpha1.ResourceBinding{}, &appsv1.Deployment{}} {
		if err := hub.DeleteAllOf(ctx, obj, client.InNamespace(writeFloorNamespace)); err != nil {
			return fmt.Errorf("clear the write floor's %T: %w", obj, err)
		}
	}
	return nil
}
