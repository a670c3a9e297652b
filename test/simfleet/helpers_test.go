package simfleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/member"
	"github.com/kurator-go/kurator/test/simfleet"
)

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// startFleet starts a fleet that ends with the test.
func startFleet(t testing.TB, o simfleet.Options) *simfleet.Fleet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f, err := simfleet.Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := f.Close(); err != nil {
			t.Errorf("close the fleet: %v", err)
		}
	})
	return f
}

func clusterNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("sim-%03d", i)
	}
	return out
}

// hubRegistry is the hub's member.Registry over a fake hub holding, per
// cluster, the kubeconfig Secret kurator join would create (from
// Fleet.Kubeconfig) and an AttachedCluster naming it: member clients are
// then built exactly as the manager builds them.
func hubRegistry(t testing.TB, f *simfleet.Fleet, names []string) *member.Registry {
	t.Helper()
	var objs []client.Object
	for _, name := range names {
		secret, err := member.KubeconfigSecret(name+"-kubeconfig", member.DefaultNamespace, f.Kubeconfig(name), "")
		if err != nil {
			t.Fatalf("kubeconfig Secret of %s: %v", name, err)
		}
		ac := &clusterv1alpha1.AttachedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: member.DefaultNamespace},
			Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: secret.Name}},
		}
		objs = append(objs, secret, ac)
	}
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).Build()
	return member.NewRegistry(hub, member.WithRateLimit(500, 1000))
}

// deployment is a Deployment manifest with one container requesting cpu.
func deployment(namespace, name string, replicas int, cpu string) []byte {
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": map[string]any{"app": name}},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec": map[string]any{"containers": []any{map[string]any{
					"name": "web", "image": "nginx:1.27",
					"resources": map[string]any{"requests": map[string]any{"cpu": cpu, "memory": "64Mi"}},
				}}},
			},
		},
	})
	return b
}

func configMap(namespace, name string, data map[string]string) []byte {
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"data":     data,
	})
	return b
}

// work is a Work holding manifests, as the binding controller writes it.
func work(name string, manifests ...[]byte) *workv1alpha1.Work {
	w := &workv1alpha1.Work{ObjectMeta: metav1.ObjectMeta{Namespace: "kurator-es-test", Name: name, Generation: 1}}
	for _, m := range manifests {
		w.Spec.Workload.Manifests = append(w.Spec.Workload.Manifests, runtime.RawExtension{Raw: m})
	}
	return w
}

// eventually polls cond every 10ms until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
