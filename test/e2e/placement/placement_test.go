package placement

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

const (
	seeds     = "../../../api/testdata/seeds/"
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai"
	frankfurt = "cluster-frankfurt"
	timeout   = 30 * time.Second
)

// eventually polls check until it passes or the deadline passes.
func eventually(t *testing.T, what string, check func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		err := check(ctx)
		if err == nil {
			return
		}
		// The check cut short by the deadline says less than the one before.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s: %v", what, timeout, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// applySeed creates (or updates) every object of a seed file, in namespace
// default when the object has none and its kind is namespaced.
func applySeed(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(seeds + file)
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if obj.Object == nil {
			continue
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
		create(t, obj)
		out = append(out, obj)
	}
	return out
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := hub.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %s: %v", obj.GetName(), err)
	}
}

func remove(t *testing.T, obj client.Object) {
	t.Helper()
	if err := hub.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete %s: %v", obj.GetName(), err)
	}
}

// update reads obj afresh, changes it and writes it, retrying conflicts.
func update[T client.Object](t *testing.T, obj T, change func(T)) {
	t.Helper()
	for range 10 {
		if err := hub.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		change(obj)
		err := hub.Update(context.Background(), obj)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatalf("update %s: conflicts", obj.GetName())
}

// workObjects returns the manifests of a binding's Work in a cluster.
func workObjects(ctx context.Context, cluster string, b types.NamespacedName) ([]*unstructured.Unstructured, error) {
	var w workv1alpha1.Work
	if err := hub.Get(ctx, types.NamespacedName{Namespace: workv1alpha1.ExecutionNamespace(cluster), Name: workv1alpha1.WorkName(b)}, &w); err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, raw := range w.Spec.Workload.Manifests {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw.Raw); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// workObject is the manifest of the given kind in the binding's Work.
func workObject(ctx context.Context, cluster string, b types.NamespacedName, kind string) (*unstructured.Unstructured, error) {
	objs, err := workObjects(ctx, cluster, b)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() == kind {
			return o, nil
		}
	}
	return nil, fmt.Errorf("Work of %s in %s has no %s", b, cluster, kind)
}

// wantReplicas checks the binding's clusters and its Works' Deployments.
func wantReplicas(b types.NamespacedName, want map[string]int64) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var rb workv1alpha1.ResourceBinding
		if err := hub.Get(ctx, b, &rb); err != nil {
			return err
		}
		got := map[string]int64{}
		for _, c := range rb.Spec.Clusters {
			got[c.Name] = int64(c.Replicas)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("binding clusters %v, want %v", got, want)
		}
		for _, cluster := range []string{hangzhou, shanghai, frankfurt} {
			dep, err := workObject(ctx, cluster, b, "Deployment")
			n, isTarget := want[cluster]
			if !isTarget {
				if !apierrors.IsNotFound(err) {
					return fmt.Errorf("%s is not a target but its Work is there (%v)", cluster, err)
				}
				continue
			}
			if err != nil {
				return err
			}
			if r, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas"); r != n {
				return fmt.Errorf("%s: Work's Deployment has %d replicas, want %d", cluster, r, n)
			}
		}
		return nil
	}
}

// gone checks that the binding and its Works no longer exist.
func gone(b types.NamespacedName) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		rb := &workv1alpha1.ResourceBinding{}
		err := hub.Get(ctx, b, rb)
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("binding %s still there (err %v, deleting since %v, finalizers %v)", b, err, rb.DeletionTimestamp, rb.Finalizers)
		}
		var works workv1alpha1.WorkList
		if err := hub.List(ctx, &works, client.MatchingLabels{workv1alpha1.BindingNamespaceLabel: b.Namespace, workv1alpha1.BindingNameLabel: b.Name}); err != nil {
			return err
		}
		if n := len(works.Items); n > 0 {
			return fmt.Errorf("%d Works of %s still there", n, b)
		}
		return nil
	}
}

// logBindingOnFailure logs the binding as the hub has it when the test
// failed: its placement, targets and status say which controller stopped.
func logBindingOnFailure(t *testing.T, b types.NamespacedName) {
	if !t.Failed() {
		return
	}
	var rb workv1alpha1.ResourceBinding
	if err := hub.Get(context.Background(), b, &rb); err != nil {
		t.Logf("binding %s: %v", b, err)
		return
	}
	rb.ManagedFields = nil
	out, _ := yaml.Marshal(&rb)
	t.Logf("binding %s when the test failed:\n%s", b, out)
}

func setWeights(pp *policyv1alpha1.PropagationPolicy, hz, sh int64) {
	pp.Spec.Placement.ReplicaScheduling.WeightPreference.StaticWeightList[0].Weight = hz
	pp.Spec.Placement.ReplicaScheduling.WeightPreference.StaticWeightList[1].Weight = sh
}

// TestSeedNginx is seed 001 section 4.2 on the hub: the nginx Deployment and
// nginx-propagation, verbatim, then the changes.
func TestSeedNginx(t *testing.T) {
	objs := applySeed(t, "001-nginx-deployment-and-pp.yaml")
	deploy := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nginx"}}
	pp := &policyv1alpha1.PropagationPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nginx-propagation"}}
	t.Cleanup(func() {
		for _, o := range objs {
			remove(t, o)
		}
	})
	rb := types.NamespacedName{Namespace: "default", Name: "nginx-deployment"}
	t.Cleanup(func() { logBindingOnFailure(t, rb) })

	eventually(t, "60:40 of 10 is 6/4", wantReplicas(rb, map[string]int64{hangzhou: 6, shanghai: 4}))
	eventually(t, "the Work carries the namespace first", func(ctx context.Context) error {
		objs, err := workObjects(ctx, hangzhou, rb)
		if err != nil {
			return err
		}
		if len(objs) != 2 || objs[0].GetKind() != "Namespace" || objs[0].GetName() != "default" {
			return fmt.Errorf("manifests %v, want Namespace default then the Deployment", objs)
		}
		return nil
	})
	eventually(t, "the template is labelled with its policy", func(ctx context.Context) error {
		if err := hub.Get(ctx, client.ObjectKeyFromObject(deploy), deploy); err != nil {
			return err
		}
		if deploy.Labels["propagationpolicy.karmada.io/name"] != "nginx-propagation" {
			return fmt.Errorf("labels %v", deploy.Labels)
		}
		return nil
	})

	update(t, pp, func(pp *policyv1alpha1.PropagationPolicy) { setWeights(pp, 50, 50) })
	eventually(t, "50:50 of 10 is 5/5", wantReplicas(rb, map[string]int64{hangzhou: 5, shanghai: 5}))

	update(t, pp, func(pp *policyv1alpha1.PropagationPolicy) { setWeights(pp, 60, 40) })
	eventually(t, "back to 60:40", wantReplicas(rb, map[string]int64{hangzhou: 6, shanghai: 4}))
	update(t, deploy, func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](20) })
	eventually(t, "60:40 of 20 is 12/8", wantReplicas(rb, map[string]int64{hangzhou: 12, shanghai: 8}))

	update(t, pp, func(pp *policyv1alpha1.PropagationPolicy) {
		pp.Spec.Placement.ClusterAffinity.ClusterNames = []string{hangzhou}
	})
	eventually(t, "shanghai removed: its Work is deleted", wantReplicas(rb, map[string]int64{hangzhou: 20}))

	remove(t, deploy)
	eventually(t, "template deleted: binding and Works gone", gone(rb))
}

// TestCrossCloudOverride applies seed 001's cross-cloud-config verbatim to a
// global-app Deployment propagated to hangzhou and frankfurt.
func TestCrossCloudOverride(t *testing.T) {
	objs := applySeed(t, "001-op-cross-cloud-config.yaml")
	app := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "global-app", Labels: map[string]string{"app": "global-app"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "global-app"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "global-app"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "company/global-app:1.4", Command: []string{"/app", "--serve"},
				}}},
			},
		},
	}
	pp := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "global-app"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "global-app"}},
			Placement: policyv1alpha1.Placement{
				ClusterAffinity:   &policyv1alpha1.ClusterAffinity{ClusterNames: []string{hangzhou, frankfurt}},
				ReplicaScheduling: &policyv1alpha1.ReplicaSchedulingStrategy{ReplicaSchedulingType: policyv1alpha1.ReplicaSchedulingTypeDuplicated},
			},
		},
	}
	create(t, pp)
	create(t, app)
	t.Cleanup(func() {
		remove(t, pp)
		for _, o := range objs {
			remove(t, o)
		}
	})
	rb := types.NamespacedName{Namespace: "default", Name: "global-app-deployment"}
	want := map[string]struct {
		image string
		flags []string
	}{
		hangzhou:  {"registry.cn-hangzhou.aliyuncs.com/company/company/global-app:1.4", []string{"--region=asia-east"}},
		frankfurt: {"registry.eu-central.example.com/company/company/global-app:1.4", []string{"--region=eu-central", "--compliance=gdpr"}},
	}
	for cluster, w := range want {
		eventually(t, cluster+" gets its registry and flags", func(ctx context.Context) error {
			dep, err := workObject(ctx, cluster, rb, "Deployment")
			if err != nil {
				return err
			}
			containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
			if len(containers) != 1 {
				return fmt.Errorf("containers %v", containers)
			}
			c := containers[0].(map[string]any)
			if c["image"] != w.image {
				return fmt.Errorf("image %v, want %s", c["image"], w.image)
			}
			var cmd []string
			for _, a := range c["command"].([]any) {
				cmd = append(cmd, a.(string))
			}
			wantCmd := append([]string{"/app", "--serve"}, w.flags...)
			if !slices.Equal(cmd, wantCmd) {
				return fmt.Errorf("command %q, want %q", cmd, wantCmd)
			}
			return nil
		})
	}
	fleettest.Consistently(t, 3*time.Second, "shanghai is not a target", func() error {
		_, err := workObjects(context.Background(), shanghai, rb)
		return fleettest.Absent("the Work of "+rb.String()+" in "+shanghai, err)
	})
	remove(t, app)
	eventually(t, "template deleted: binding and Works gone", gone(rb))
}

// TestConfigMapAndService: kinds without replicas go whole to every cluster
// the policy selects; a Service does not carry the hub's cluster IP.
func TestConfigMapAndService(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	create(t, ns)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "app-config"}, Data: map[string]string{"mode": "production"}}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "app"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "shop"}, Ports: []corev1.ServicePort{{Port: 80}}},
	}
	pp := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "shop-config"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{
				{APIVersion: "v1", Kind: "ConfigMap", Name: "app-config"},
				{APIVersion: "v1", Kind: "Service", Name: "app"},
			},
			Placement: policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "production"}},
			}},
		},
	}
	create(t, cm)
	create(t, svc)
	create(t, pp)
	t.Cleanup(func() {
		remove(t, pp)
		remove(t, svc)
		remove(t, ns)
	})
	cmBinding := types.NamespacedName{Namespace: "shop", Name: "app-config-configmap"}
	svcBinding := types.NamespacedName{Namespace: "shop", Name: "app-service"}
	for _, cluster := range []string{hangzhou, shanghai, frankfurt} {
		eventually(t, "ConfigMap in "+cluster, func(ctx context.Context) error {
			got, err := workObject(ctx, cluster, cmBinding, "ConfigMap")
			if err != nil {
				return err
			}
			if v, _, _ := unstructured.NestedString(got.Object, "data", "mode"); v != "production" {
				return fmt.Errorf("data %v", got.Object["data"])
			}
			return nil
		})
		eventually(t, "Service in "+cluster, func(ctx context.Context) error {
			got, err := workObject(ctx, cluster, svcBinding, "Service")
			if err != nil {
				return err
			}
			if ip, found, _ := unstructured.NestedString(got.Object, "spec", "clusterIP"); found {
				return fmt.Errorf("the hub's cluster IP %s went to the member", ip)
			}
			return nil
		})
	}
	remove(t, cm)
	eventually(t, "ConfigMap deleted: binding and Works gone", gone(cmBinding))
	remove(t, pp)
	eventually(t, "policy deleted: the Service is unclaimed", gone(svcBinding))
}

// condition waits for a binding's condition to have the status and reason.
func condition(b types.NamespacedName, typ string, status metav1.ConditionStatus, reason string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var rb workv1alpha1.ResourceBinding
		if err := hub.Get(ctx, b, &rb); err != nil {
			return err
		}
		c := meta.FindStatusCondition(rb.Status.Conditions, typ)
		if c == nil || c.Status != status || c.Reason != reason || c.Message == "" {
			return fmt.Errorf("condition %s is %+v, want %s/%s with a message", typ, c, status, reason)
		}
		return nil
	}
}

// TestConditions: a binding that fits nowhere says so in Scheduled; an
// override that cannot apply says so in WorksRendered, and the Works follow
// once it is fixed.
func TestConditions(t *testing.T) {
	lonely := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "lonely"}}
	broken := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "broken"}, Data: map[string]string{"k": "v"}}
	nowhere := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nowhere"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "lonely"}},
			Placement:         policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"cluster-nowhere"}}},
		},
	}
	toHangzhou := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "broken"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "broken"}},
			Placement:         policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{hangzhou}}},
		},
	}
	badOverride := &policyv1alpha1.OverridePolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "broken"},
		Spec: policyv1alpha1.OverrideSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "broken"}},
			OverrideRules: []policyv1alpha1.RuleWithCluster{{Overriders: policyv1alpha1.Overriders{Plaintext: []policyv1alpha1.PlaintextOverrider{{
				Path: "/data/missing/deeper", Operator: policyv1alpha1.OverriderOpReplace, Value: apiextensionsv1.JSON{Raw: []byte(`"x"`)},
			}}}}},
		},
	}
	for _, o := range []client.Object{lonely, broken, nowhere, badOverride, toHangzhou} {
		create(t, o)
	}
	t.Cleanup(func() {
		for _, o := range []client.Object{lonely, broken, nowhere, badOverride, toHangzhou} {
			remove(t, o)
		}
	})
	lonelyRB := types.NamespacedName{Namespace: "default", Name: "lonely-configmap"}
	brokenRB := types.NamespacedName{Namespace: "default", Name: "broken-configmap"}
	eventually(t, "unschedulable", condition(lonelyRB, workv1alpha1.ConditionScheduled, metav1.ConditionFalse, workv1alpha1.ReasonNoClusterFit))
	eventually(t, "scheduled", condition(brokenRB, workv1alpha1.ConditionScheduled, metav1.ConditionTrue, workv1alpha1.ReasonSuccess))
	eventually(t, "override failed", condition(brokenRB, workv1alpha1.ConditionWorksRendered, metav1.ConditionFalse, workv1alpha1.ReasonOverrideFailed))
	fleettest.Consistently(t, 3*time.Second, "no Work while the override fails", func() error {
		_, err := workObjects(context.Background(), hangzhou, brokenRB)
		return fleettest.Absent("the Work of "+brokenRB.String()+" in "+hangzhou, err)
	})
	remove(t, badOverride)
	eventually(t, "override removed: rendered", condition(brokenRB, workv1alpha1.ConditionWorksRendered, metav1.ConditionTrue, workv1alpha1.ReasonRendered))
	eventually(t, "override removed: Work present", func(ctx context.Context) error {
		_, err := workObject(ctx, hangzhou, brokenRB, "ConfigMap")
		return err
	})

	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var observed uint64
	for _, f := range families {
		if f.GetName() == "kurator_scheduling_duration_seconds" {
			for _, m := range f.GetMetric() {
				observed += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if observed == 0 {
		t.Error("kurator_scheduling_duration_seconds has no samples")
	}
}

// TestClusterScopedAndCustomKinds: a ClusterRole claimed by a
// ClusterPropagationPolicy gets a ClusterResourceBinding and Works without a
// Namespace; a kind whose CRD is installed after the policy naming it is
// picked up once the hub serves it.
func TestClusterScopedAndCustomKinds(t *testing.T) {
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "placement-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}},
	}
	cpp := &policyv1alpha1.ClusterPropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "placement-roles"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "placement-reader"}},
			Placement:         policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{hangzhou, shanghai}}},
		},
	}
	widgets := &policyv1alpha1.PropagationPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "widgets"},
		Spec: policyv1alpha1.PropagationSpec{
			ResourceSelectors: []policyv1alpha1.ResourceSelector{{APIVersion: "example.com/v1", Kind: "Widget"}},
			Placement:         policyv1alpha1.Placement{ClusterAffinity: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{shanghai}}},
		},
	}
	create(t, role)
	create(t, cpp)
	create(t, widgets)
	t.Cleanup(func() {
		remove(t, cpp)
		remove(t, widgets)
	})
	crb := types.NamespacedName{Name: "placement-reader-clusterrole"}
	for _, cluster := range []string{hangzhou, shanghai} {
		eventually(t, "ClusterRole in "+cluster, func(ctx context.Context) error {
			objs, err := workObjects(ctx, cluster, crb)
			if err != nil {
				return err
			}
			if len(objs) != 1 || objs[0].GetKind() != "ClusterRole" {
				return fmt.Errorf("manifests %v, want only the ClusterRole", objs)
			}
			return nil
		})
	}
	remove(t, role)
	eventually(t, "ClusterRole deleted: binding and Works gone", func(ctx context.Context) error {
		if err := hub.Get(ctx, crb, &workv1alpha1.ClusterResourceBinding{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("binding still there (%v)", err)
		}
		var works workv1alpha1.WorkList
		if err := hub.List(ctx, &works, client.MatchingLabels{workv1alpha1.ClusterResourceBindingLabel: crb.Name}); err != nil {
			return err
		}
		if len(works.Items) > 0 {
			return fmt.Errorf("%d Works left", len(works.Items))
		}
		return nil
	})

	crd := &unstructured.Unstructured{}
	if err := crd.UnmarshalJSON([]byte(`{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": {"name": "widgets.example.com"},
		"spec": {"group": "example.com", "scope": "Namespaced",
			"names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": [{"name": "v1", "served": true, "storage": true,
				"schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}`)); err != nil {
		t.Fatal(err)
	}
	create(t, crd)
	t.Cleanup(func() { remove(t, crd) })
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"namespace": "default", "name": "w1"},
		"spec":     map[string]any{"size": "large"},
	}}
	eventually(t, "the hub serves Widgets", func(ctx context.Context) error {
		err := hub.Create(ctx, widget)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	t.Cleanup(func() { remove(t, widget) })
	eventually(t, "Widget in shanghai (the watch starts within 10 s of the CRD)", func(ctx context.Context) error {
		_, err := workObject(ctx, shanghai, types.NamespacedName{Namespace: "default", Name: "w1-widget"}, "Widget")
		return err
	})
}
