package execution

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	fleettest.Eventually(t, timeout, what, cond)
}

func deployment(namespace, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.25"}}},
			},
		},
	}
}

func rawOf(t testing.TB, obj any) runtime.RawExtension {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: data}
}

// newWork builds the Work of binding (namespace/name) for cluster.
func newWork(cluster, name string, binding types.NamespacedName, manifests ...runtime.RawExtension) *workv1alpha1.Work {
	return &workv1alpha1.Work{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: workv1alpha1.ExecutionNamespace(cluster),
			Labels: map[string]string{
				workv1alpha1.BindingNamespaceLabel: binding.Namespace,
				workv1alpha1.BindingNameLabel:      binding.Name,
				workv1alpha1.ClusterLabel:          cluster,
			},
		},
		Spec: workv1alpha1.WorkSpec{Workload: workv1alpha1.WorkloadTemplate{Manifests: manifests}},
	}
}

// The flow without detector, scheduler and binding controller: a
// template of 10, a binding 6:4 and its two Works by hand; the members run 6
// and 4 ready replicas, the binding shows both clusters, the template 10/10.
func TestDeploymentPropagatesAndAggregates(t *testing.T) {
	ctx := context.Background()
	begin := time.Now()
	tmpl := deployment("default", "nginx", 10)
	if err := hub.Create(ctx, tmpl); err != nil {
		t.Fatal(err)
	}
	rb := &workv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx-deployment", Namespace: "default"},
		Spec: workv1alpha1.ResourceBindingSpec{
			Resource: workv1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "nginx", UID: tmpl.UID, Generation: tmpl.Generation},
			Replicas: 10,
			Clusters: []workv1alpha1.TargetCluster{{Name: names[0], Replicas: 6}, {Name: names[1], Replicas: 4}},
		},
	}
	if err := hub.Create(ctx, rb); err != nil {
		t.Fatal(err)
	}
	want := map[string]int32{names[0]: 6, names[1]: 4}
	key := types.NamespacedName{Namespace: "default", Name: "nginx-deployment"}
	for _, c := range names {
		// The binding controller's rendering: the template with the
		// cluster's replicas (the copy still carries hub metadata).
		m := tmpl.DeepCopy()
		m.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"} // the client cleared it
		m.Spec.Replicas = ptr.To(want[c])
		if err := hub.Create(ctx, newWork(c, "nginx-deployment", key, rawOf(t, m))); err != nil {
			t.Fatal(err)
		}
	}
	// What the binding controller says once it has written the Works: the
	// status controller aggregates only bindings whose Works are rendered
	// from their latest spec.
	eventually(t, 10*time.Second, "mark the binding's Works rendered", func() error {
		var b workv1alpha1.ResourceBinding
		if err := hub.Get(ctx, key, &b); err != nil {
			return err
		}
		meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
			Type: workv1alpha1.ConditionWorksRendered, Status: metav1.ConditionTrue, Reason: workv1alpha1.ReasonRendered,
			Message: "set by the test, which wrote the Works by hand", ObservedGeneration: b.Generation,
		})
		return hub.Status().Update(ctx, &b)
	})
	for _, c := range names {
		eventually(t, 90*time.Second, fmt.Sprintf("%s runs %d ready nginx", c, want[c]), func() error {
			d, err := members[c].AppsV1().Deployments("default").Get(ctx, "nginx", metav1.GetOptions{})
			if err != nil {
				var w workv1alpha1.Work
				_ = hub.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(c), Name: "nginx-deployment"}, &w)
				return fmt.Errorf("%v (Work conditions %+v)", err, w.Status.Conditions)
			}
			if d.Status.ReadyReplicas != want[c] || *d.Spec.Replicas != want[c] {
				return fmt.Errorf("%d/%d ready", d.Status.ReadyReplicas, *d.Spec.Replicas)
			}
			return nil
		})
	}
	t.Logf("members 6 and 4 ready %s after the template", time.Since(begin).Round(time.Millisecond))

	eventually(t, 30*time.Second, "binding aggregates both clusters, FullyApplied", func() error {
		var b workv1alpha1.ResourceBinding
		if err := hub.Get(ctx, key, &b); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(b.Status.Conditions, workv1alpha1.ConditionFullyApplied) {
			return fmt.Errorf("FullyApplied not True: %+v", b.Status.Conditions)
		}
		if len(b.Status.AggregatedStatus) != 2 {
			return fmt.Errorf("aggregatedStatus %+v", b.Status.AggregatedStatus)
		}
		for _, it := range b.Status.AggregatedStatus {
			var st appsv1.DeploymentStatus
			if it.Status == nil || json.Unmarshal(it.Status.Raw, &st) != nil {
				return fmt.Errorf("%s: no status", it.ClusterName)
			}
			if !it.Applied || it.Health != workv1alpha1.ResourceHealthy || st.ReadyReplicas != want[it.ClusterName] {
				return fmt.Errorf("%s: applied %v health %s ready %d", it.ClusterName, it.Applied, it.Health, st.ReadyReplicas)
			}
		}
		return nil
	})
	eventually(t, 30*time.Second, "hub template shows 10/10 ready", func() error {
		var d appsv1.Deployment
		if err := hub.Get(ctx, client.ObjectKeyFromObject(tmpl), &d); err != nil {
			return err
		}
		s := d.Status
		if s.ReadyReplicas != 10 || s.AvailableReplicas != 10 || s.UpdatedReplicas != 10 || s.Replicas != 10 || s.ObservedGeneration != d.Generation {
			return fmt.Errorf("status %+v (generation %d)", s, d.Generation)
		}
		return nil
	})
	t.Logf("hub template 10/10 %s after the template", time.Since(begin).Round(time.Millisecond))

	t.Run("drift in a member is reverted", func(t *testing.T) {
		c := names[0]
		d, err := members[c].AppsV1().Deployments("default").Get(ctx, "nginx", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Spec.Replicas = ptr.To[int32](1)
		edited := time.Now()
		if _, err := members[c].AppsV1().Deployments("default").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, resync+5*time.Second, "replicas back to 6", func() error {
			d, err := members[c].AppsV1().Deployments("default").Get(ctx, "nginx", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if *d.Spec.Replicas != 6 {
				return fmt.Errorf("replicas %d", *d.Spec.Replicas)
			}
			return nil
		})
		t.Logf("drift reverted in %s (resync %s)", time.Since(edited).Round(time.Millisecond), resync)
	})

	t.Run("deleting a Work deletes the member object", func(t *testing.T) {
		c := names[1]
		w := &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Name: "nginx-deployment", Namespace: workv1alpha1.ExecutionNamespace(c)}}
		if err := hub.Delete(ctx, w); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "nginx gone from "+c, func() error {
			_, err := members[c].AppsV1().Deployments("default").Get(ctx, "nginx", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("still there (%v)", err)
		})
		eventually(t, 30*time.Second, "Work released", func() error {
			err := hub.Get(ctx, client.ObjectKeyFromObject(w), w)
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("Work still present, finalizers %v (%v)", w.Finalizers, err)
		})
	})
}

// A ConfigMap in a namespace the member does not have: the namespace is
// created first, and the Work reports its identifier and health.
func TestConfigMapLandsInNewNamespace(t *testing.T) {
	ctx := context.Background()
	c := names[1]
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "app-config", Namespace: "team-a"},
		Data:       map[string]string{"region": "asia-east"},
	}
	w := newWork(c, "app-config", types.NamespacedName{Namespace: "team-a", Name: "app-config-configmap"}, rawOf(t, cm))
	if err := hub.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ConfigMap in "+c, func() error {
		got, err := members[c].CoreV1().ConfigMaps("team-a").Get(ctx, "app-config", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Data["region"] != "asia-east" {
			return fmt.Errorf("data %v", got.Data)
		}
		return nil
	})
	eventually(t, 30*time.Second, "Work Applied with a Healthy manifest status", func() error {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(w), w); err != nil {
			return err
		}
		c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.ConditionApplied)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != workv1alpha1.ReasonAppliedSuccessful {
			return fmt.Errorf("Applied %+v", c)
		}
		if len(w.Status.ManifestStatuses) != 1 || w.Status.ManifestStatuses[0].ResourceIdentifier.Name != "app-config" || w.Status.ManifestStatuses[0].Health != workv1alpha1.ResourceHealthy {
			return fmt.Errorf("manifestStatuses %+v", w.Status.ManifestStatuses)
		}
		return nil
	})

	// The Work's manifests change: the dropped ConfigMap leaves the member.
	cm2 := cm.DeepCopy()
	cm2.Name = "app-config-v2"
	eventually(t, 10*time.Second, "update Work", func() error {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(w), w); err != nil {
			return err
		}
		w.Spec.Workload.Manifests = []runtime.RawExtension{rawOf(t, cm2)}
		return hub.Update(ctx, w)
	})
	eventually(t, 30*time.Second, "app-config replaced by app-config-v2 in "+c, func() error {
		if _, err := members[c].CoreV1().ConfigMaps("team-a").Get(ctx, "app-config-v2", metav1.GetOptions{}); err != nil {
			return err
		}
		_, err := members[c].CoreV1().ConfigMaps("team-a").Get(ctx, "app-config", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("app-config still there (%v)", err)
		}
		return nil
	})
}

// A Work for a cluster that is not Ready waits and says so.
func TestNotReadyClusterWaits(t *testing.T) {
	ctx := context.Background()
	if err := createCluster(ctx, "cluster-ghost", false); err != nil {
		t.Fatal(err)
	}
	if err := hub.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: workv1alpha1.ExecutionNamespace("cluster-ghost")}}); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"}}
	w := newWork("cluster-ghost", "x", types.NamespacedName{Namespace: "default", Name: "x"}, rawOf(t, cm))
	if err := hub.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "Applied=False ClusterUnreachable", func() error {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(w), w); err != nil {
			return err
		}
		c := meta.FindStatusCondition(w.Status.Conditions, workv1alpha1.ConditionApplied)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != workv1alpha1.ReasonClusterUnreachable || !strings.Contains(c.Message, "waiting") {
			return fmt.Errorf("Applied %+v", c)
		}
		return nil
	})
	// Once the cluster left the fleet, deleting the Work does not wait for it.
	if err := hub.Delete(ctx, &clusterv1alpha1.AttachedCluster{ObjectMeta: metav1.ObjectMeta{Name: "cluster-ghost", Namespace: systemNamespace}}); err != nil {
		t.Fatal(err)
	}
	if err := hub.Delete(ctx, w); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "Work of a departed cluster released", func() error {
		err := hub.Get(ctx, client.ObjectKeyFromObject(w), w)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still present, finalizers %v (%v)", w.Finalizers, err)
	})
}

// Many Works created at once (half per member) all reach their members
// and become ready: executing in parallel loses none. (How fast is
// BenchmarkWorksAtOnce's question.)
func TestManyWorksAtOnce(t *testing.T) {
	const n, ns = 40, "many"
	ctx := context.Background()
	deleteWorksAfter(t, ns)
	for i := range n {
		name := fmt.Sprintf("many-%02d", i)
		w := newWork(names[i%2], name, types.NamespacedName{Namespace: ns, Name: name}, rawOf(t, deployment(ns, name, 2)))
		if err := hub.Create(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 2*time.Minute, fmt.Sprintf("all %d Deployments ready in their members", n), func() error {
		var missing []string
		for i, c := range names {
			list, err := members[c].AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			ready := map[string]bool{}
			for _, d := range list.Items {
				ready[d.Name] = d.Status.ReadyReplicas == 2 && d.Status.ObservedGeneration == d.Generation
			}
			for j := i; j < n; j += 2 {
				if name := fmt.Sprintf("many-%02d", j); !ready[name] {
					missing = append(missing, c+"/"+name)
				}
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%d not ready yet, e.g. %v", len(missing), missing[:min(len(missing), 5)])
		}
		return nil
	})
}

// deleteWorksAfter deletes, when the test ends, every Work whose binding
// is in namespace ns, and waits until they are gone.
func deleteWorksAfter(t testing.TB, ns string) {
	t.Cleanup(func() { deleteWorks(t, ns) })
}

// deleteWorks deletes every Work whose binding is in namespace ns and waits
// until they are gone (their objects removed from the members).
func deleteWorks(t testing.TB, ns string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range names {
		if err := hub.DeleteAllOf(ctx, &workv1alpha1.Work{}, client.InNamespace(workv1alpha1.ExecutionNamespace(c)),
			client.MatchingLabels{workv1alpha1.BindingNamespaceLabel: ns}); err != nil {
			t.Fatalf("delete the Works of %s in %s: %v", ns, c, err)
		}
	}
	fleettest.Eventually(t, time.Minute, "the Works of "+ns+" gone", func() error {
		var list workv1alpha1.WorkList
		if err := hub.List(ctx, &list, client.MatchingLabels{workv1alpha1.BindingNamespaceLabel: ns}); err != nil {
			return err
		}
		if len(list.Items) > 0 {
			return fmt.Errorf("%d left", len(list.Items))
		}
		return nil
	})
}
