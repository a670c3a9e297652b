package nodepool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/internal/controller/nodepool"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// capiCRDs is where hack/capi/generate.sh writes Cluster API's CRDs.
const capiCRDs = "../../../hack/capi/crds"

var (
	mdGVR      = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machinedeployments"}
	machineGVR = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machines"}
)

// TestClusterAPIPoolScalesAMachineDeployment: a clusterAPI pool first says
// what to install (no CRDs), then what to create (no MachineDeployment),
// then sets the MachineDeployment's spec.replicas (1, then 3 when the pool
// grows) and mirrors the status and Machines Cluster API would write (the
// test writes them: no Cluster API controller runs).
func TestClusterAPIPoolScalesAMachineDeployment(t *testing.T) {
	ctx := context.Background()
	np := &autoscalingv1alpha1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: "hangzhou-capi", Namespace: join.Namespace},
		Spec: autoscalingv1alpha1.NodePoolSpec{
			Cluster: hangzhou, PoolName: "capi-pool", Replicas: 1, MinNodes: 1, MaxNodes: 5,
			Provider: autoscalingv1alpha1.NodePoolProvider{ClusterAPI: &autoscalingv1alpha1.ClusterAPIProvider{Namespace: "default", Name: "hangzhou-md"}},
		},
	}
	if err := hub.Create(ctx, np); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(np)
	readyIs := func(reason, inMessage string) func() error {
		return func() error {
			got := &autoscalingv1alpha1.NodePool{}
			if err := hub.Get(ctx, key, got); err != nil {
				return err
			}
			c := meta.FindStatusCondition(got.Status.Conditions, nodepool.ConditionReady)
			if c == nil || c.Reason != reason || !strings.Contains(c.Message, inMessage) {
				return fmt.Errorf("Ready %+v, want reason %s with %q in the message", c, reason, inMessage)
			}
			if got.Status.Provider != nodepool.ProviderClusterAPI {
				return fmt.Errorf("status.provider %q", got.Status.Provider)
			}
			return nil
		}
	}
	fleettest.Eventually(t, 20*time.Second, "pool says the MachineDeployment CRD is missing", readyIs(nodepool.ReasonCRDNotInstalled, "clusterctl init"))

	installCAPICRDs(t)
	// The pool retries a problem every 10 s.
	fleettest.Eventually(t, 20*time.Second, "pool says the MachineDeployment is missing",
		readyIs(nodepool.ReasonMachineDeploymentNotFound, "MachineDeployment default/hangzhou-md"))

	hubCfg, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(hubCfg)
	mds := dyn.Resource(mdGVR).Namespace("default")
	if _, err := mds.Create(ctx, machineDeployment("hangzhou-md", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The pool wants 1: it sets spec.replicas to 1 and, once the "Cluster
	// API controller" (the test) reports one Ready machine, is Ready.
	fleettest.Eventually(t, 20*time.Second, "MachineDeployment spec.replicas set to the pool's 1", mdReplicas(mds, 1))
	setMachines(t, dyn, 1)
	fleettest.Eventually(t, 20*time.Second, "pool Ready with the one machine", poolMirrors(key, 1, []string{"hangzhou-md-node-0"}))

	// The pool grows to 3.
	got := &autoscalingv1alpha1.NodePool{}
	if err := hub.Get(ctx, key, got); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(got.DeepCopy())
	got.Spec.Replicas = 3
	begin := time.Now()
	if err := hub.Patch(ctx, got, patch); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 10*time.Second, "MachineDeployment spec.replicas 1 -> 3", mdReplicas(mds, 3))
	t.Logf("latency: MachineDeployment spec.replicas 3 %s after the pool's", time.Since(begin).Round(time.Millisecond))
	fleettest.Eventually(t, 10*time.Second, "pool Scaling while the machines are not there", func() error {
		got := &autoscalingv1alpha1.NodePool{}
		if err := hub.Get(ctx, key, got); err != nil {
			return err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, nodepool.ConditionScaling)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != nodepool.ReasonScalingUp || !strings.Contains(c.Message, "status.replicas 1") {
			return fmt.Errorf("Scaling %+v", c)
		}
		return nil
	})
	setMachines(t, dyn, 3)
	fleettest.Eventually(t, 20*time.Second, "pool mirrors 3 Ready machines",
		poolMirrors(key, 3, []string{"hangzhou-md-node-0", "hangzhou-md-node-1", "hangzhou-md-node-2"}))
}

func installCAPICRDs(t *testing.T) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(capiCRDs, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Cluster API CRDs in %s (%v): run bash hack/capi/generate.sh", capiCRDs, err)
	}
	hubCfg, err := fleet.RESTConfig(localfleet.HubName)
	if err != nil {
		t.Fatal(err)
	}
	api := apiextensionsclient.NewForConfigOrDie(hubCfg).ApiextensionsV1().CustomResourceDefinitions()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(data, crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := api.Create(context.Background(), crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("install %s: %v", crd.Name, err)
		}
		fleettest.Eventually(t, 30*time.Second, "CRD "+crd.Name+" Established", func() error {
			got, err := api.Get(context.Background(), crd.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return fmt.Errorf("not Established: %+v", got.Status.Conditions)
		})
	}
}

// machineDeployment is a v1beta2 MachineDeployment with the fields the CRD
// requires.
func machineDeployment(name string, replicas int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.x-k8s.io/v1beta2",
		"kind":       "MachineDeployment",
		"metadata":   map[string]any{"name": name, "namespace": "default"},
		"spec": map[string]any{
			"clusterName": hangzhou,
			"replicas":    replicas,
			"selector":    map[string]any{"matchLabels": map[string]any{"pool": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"pool": name}},
				"spec": map[string]any{
					"clusterName":       hangzhou,
					"version":           "v1.37.2",
					"bootstrap":         map[string]any{"dataSecretName": name + "-bootstrap"},
					"infrastructureRef": map[string]any{"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": name},
				},
			},
		},
	}}
}

func mdReplicas(mds dynamic.ResourceInterface, want int64) func() error {
	return func() error {
		md, err := mds.Get(context.Background(), "hangzhou-md", metav1.GetOptions{})
		if err != nil {
			return err
		}
		got, _, _ := unstructured.NestedInt64(md.Object, "spec", "replicas")
		if got != want {
			return fmt.Errorf("spec.replicas %d, want %d", got, want)
		}
		return nil
	}
}

// setMachines plays Cluster API's controllers: n Ready Machines of the
// MachineDeployment, each with a Node, and the MachineDeployment's status.
func setMachines(t *testing.T, dyn dynamic.Interface, n int) {
	t.Helper()
	ctx := context.Background()
	machines := dyn.Resource(machineGVR).Namespace("default")
	for i := range n {
		name := fmt.Sprintf("hangzhou-md-%d", i)
		m := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "cluster.x-k8s.io/v1beta2",
			"kind":       "Machine",
			"metadata": map[string]any{"name": name, "namespace": "default",
				"labels": map[string]any{"cluster.x-k8s.io/deployment-name": "hangzhou-md"}},
			"spec": map[string]any{
				"clusterName":       hangzhou,
				"bootstrap":         map[string]any{"dataSecretName": "hangzhou-md-bootstrap"},
				"infrastructureRef": map[string]any{"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachine", "name": name},
			},
		}}
		got, err := machines.Create(ctx, m, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Format(time.RFC3339)
		got.Object["status"] = map[string]any{
			"nodeRef":    map[string]any{"name": fmt.Sprintf("hangzhou-md-node-%d", i)},
			"phase":      "Running",
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready", "message": "", "lastTransitionTime": now}},
		}
		if _, err := machines.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mds := dyn.Resource(mdGVR).Namespace("default")
	md, err := mds.Get(ctx, "hangzhou-md", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	md.Object["status"] = map[string]any{
		"observedGeneration": md.GetGeneration(),
		"replicas":           int64(n),
		"readyReplicas":      int64(n),
		"availableReplicas":  int64(n),
	}
	if _, err := mds.UpdateStatus(ctx, md, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func poolMirrors(key client.ObjectKey, want int32, nodes []string) func() error {
	return func() error {
		got := &autoscalingv1alpha1.NodePool{}
		if err := hub.Get(context.Background(), key, got); err != nil {
			return err
		}
		var names []string
		for _, n := range got.Status.Nodes {
			if !n.Ready {
				return fmt.Errorf("node %s not Ready: %s", n.Name, n.Message)
			}
			names = append(names, n.Name)
		}
		c := meta.FindStatusCondition(got.Status.Conditions, nodepool.ConditionReady)
		if got.Status.Replicas != want || got.Status.ReadyReplicas != want || strings.Join(names, ",") != strings.Join(nodes, ",") || c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("status replicas %d ready %d nodes %v Ready %+v; want %d, %v", got.Status.Replicas, got.Status.ReadyReplicas, names, c, want, nodes)
		}
		return nil
	}
}

// TestBadNodePoolsAreRefused: the API server refuses, with the CRD's
// message, bounds that cross, replicas outside them, and a pool with two
// providers or none.
func TestBadNodePoolsAreRefused(t *testing.T) {
	kwok := autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}}
	cases := []struct {
		name    string
		spec    autoscalingv1alpha1.NodePoolSpec
		message string
	}{
		{"min above max", autoscalingv1alpha1.NodePoolSpec{Cluster: hangzhou, PoolName: "p", Replicas: 3, MinNodes: 5, MaxNodes: 2, Provider: kwok},
			"spec.minNodes must not exceed spec.maxNodes"},
		{"replicas above max", autoscalingv1alpha1.NodePoolSpec{Cluster: hangzhou, PoolName: "p", Replicas: 9, MinNodes: 1, MaxNodes: 5, Provider: kwok},
			"spec.replicas must lie within spec.minNodes and spec.maxNodes"},
		{"replicas below min", autoscalingv1alpha1.NodePoolSpec{Cluster: hangzhou, PoolName: "p", Replicas: 1, MinNodes: 2, MaxNodes: 5, Provider: kwok},
			"spec.replicas must lie within spec.minNodes and spec.maxNodes"},
		{"two providers", autoscalingv1alpha1.NodePoolSpec{Cluster: hangzhou, PoolName: "p", Replicas: 1, MinNodes: 1, MaxNodes: 5,
			Provider: autoscalingv1alpha1.NodePoolProvider{Kwok: &autoscalingv1alpha1.KwokProvider{}, ClusterAPI: &autoscalingv1alpha1.ClusterAPIProvider{Namespace: "d", Name: "m"}}},
			"spec.provider takes exactly one of kwok and clusterAPI"},
		{"no provider", autoscalingv1alpha1.NodePoolSpec{Cluster: hangzhou, PoolName: "p", Replicas: 1, MinNodes: 1, MaxNodes: 5},
			"spec.provider takes exactly one of kwok and clusterAPI"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			np := &autoscalingv1alpha1.NodePool{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bad-%d", i), Namespace: join.Namespace},
				Spec:       tc.spec,
			}
			err := hub.Create(context.Background(), np)
			if err == nil {
				_ = hub.Delete(context.Background(), np)
				t.Fatalf("the API server accepted %+v", tc.spec)
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %v, want Invalid with %q", err, tc.message)
			}
		})
	}
}
