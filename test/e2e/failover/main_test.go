// Package failover tests failover end to end on a local fleet started like
// `kurator up` (real kurator-manager, three members): members' API servers
// are killed and restarted, and the replicas must move, stay or come back as
// the policies say, with nothing lost.
package failover

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/join"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	hub   client.Client
)

func TestMain(m *testing.M) {
	os.Exit(fleettest.Main(m, localfleet.Config{Name: "e2e-failover", NodesPerMember: 2}, true, &fleet,
		func(_ context.Context, st *localfleet.State) (func(), error) {
			var err error
			hub, err = fleettest.HubClient(st)
			return func() {}, err
		}))
}

const (
	hangzhou  = "cluster-hangzhou"
	shanghai  = "cluster-shanghai"
	frankfurt = "cluster-frankfurt"
)

// workload is a Deployment of replicas over the three members at 4:3:3,
// tolerating the readiness taints for 5 s, with the given failover section
// (YAML under spec.failover, may be empty).
func workload(name string, replicas int, failover string) string {
	y := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        resources: {requests: {cpu: 10m, memory: 16Mi}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: %[1]s
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  placement:
    clusterAffinity:
      clusterNames: [cluster-hangzhou, cluster-shanghai, cluster-frankfurt]
    spreadConstraints:
    - {spreadByField: cluster, maxGroups: 3}
    clusterTolerations:
    - {key: cluster.kurator.dev/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
    - {key: cluster.kurator.dev/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - {targetCluster: {clusterNames: [cluster-hangzhou]}, weight: 4}
        - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 3}
        - {targetCluster: {clusterNames: [cluster-frankfurt]}, weight: 3}
`, name, replicas)
	if failover != "" {
		y += "  failover:\n" + failover
	}
	return y
}

// apply applies YAML to the hub and, when the test ends (after the members
// it killed are back), deletes it again and waits until no member has its
// Deployments, so that the next test starts from a hub without them.
func apply(t *testing.T, yaml string) {
	t.Helper()
	fleettest.Kubectl(t, fleet, yaml, "--context", localfleet.HubName, "apply", "-f", "-")
	t.Cleanup(func() {
		out := fleettest.Kubectl(t, fleet, yaml, "--context", localfleet.HubName, "delete", "--ignore-not-found", "-o", "name", "-f", "-")
		for _, obj := range strings.Fields(out) {
			name, ok := strings.CutPrefix(obj, "deployment.apps/")
			if !ok {
				continue
			}
			eventually(t, 60*time.Second, name+" gone from every member", func() error {
				for _, c := range []string{hangzhou, shanghai, frankfurt} {
					_, _, err := memberReplicas(t, c, name)
					if err := fleettest.Absent("deployment "+name, err); err != nil {
						return fmt.Errorf("%s: %w", c, err)
					}
				}
				return nil
			})
		}
	})
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	fleettest.Eventually(t, timeout, what, cond)
}

// memberReplicas returns the Deployment's spec and ready replicas in a
// member, or an error (also when it does not exist).
func memberReplicas(t *testing.T, cluster, name string) (spec, ready int32, err error) {
	d, err := fleettest.Client(t, fleet, cluster).AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return 0, 0, err
	}
	return *d.Spec.Replicas, d.Status.ReadyReplicas, nil
}

// wantPlaced waits until the Deployment runs exactly want (spec = ready) in
// the listed members; other members are not checked (they may be down).
func wantPlaced(t *testing.T, timeout time.Duration, name string, want map[string]int32) {
	t.Helper()
	eventually(t, timeout, fmt.Sprintf("%s placed as %v", name, want), func() error {
		for cluster, n := range want {
			spec, ready, err := memberReplicas(t, cluster, name)
			if err != nil {
				return fmt.Errorf("%s: %v", cluster, err)
			}
			if spec != n || ready != n {
				return fmt.Errorf("%s: spec %d ready %d, want %d", cluster, spec, ready, n)
			}
		}
		return nil
	})
}

// readyElsewhere waits until the Deployment has all replicas ready in the
// given members together, and the hub's template says replicas/ready.
func readyElsewhere(t *testing.T, timeout time.Duration, name string, replicas int32, clusters ...string) {
	t.Helper()
	eventually(t, timeout, fmt.Sprintf("%s: %d replicas ready in %v and on the hub", name, replicas, clusters), func() error {
		var sum int32
		for _, c := range clusters {
			_, ready, err := memberReplicas(t, c, name)
			if err != nil {
				return fmt.Errorf("%s: %v", c, err)
			}
			sum += ready
		}
		if sum != replicas {
			return fmt.Errorf("%d ready in %v", sum, clusters)
		}
		d, err := fleettest.Client(t, fleet, localfleet.HubName).AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.Replicas != replicas || d.Status.ReadyReplicas != replicas {
			return fmt.Errorf("hub shows %d/%d", d.Status.ReadyReplicas, d.Status.Replicas)
		}
		return nil
	})
}

func binding(t *testing.T, name string) *workv1alpha1.ResourceBinding {
	t.Helper()
	var b workv1alpha1.ResourceBinding
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name + "-deployment"}, &b); err != nil {
		t.Fatalf("binding of %s: %v", name, err)
	}
	return &b
}

func clusterReady(t *testing.T, name string) metav1.ConditionStatus {
	t.Helper()
	var ac clusterv1alpha1.AttachedCluster
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: join.Namespace, Name: name}, &ac); err != nil {
		t.Fatal(err)
	}
	if c := ac.ReadyCondition(); c != nil {
		return c.Status
	}
	return ""
}

func waitReady(t *testing.T, cluster string, want metav1.ConditionStatus) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("%s Ready=%s", cluster, want), func() error {
		if got := clusterReady(t, cluster); got != want {
			return fmt.Errorf("Ready=%s", got)
		}
		return nil
	})
}

// kill SIGKILLs a member's kube-apiserver, as in a crash, and returns when
// it was gone. When the test ends the member is back, whatever happened:
// restarted if the test did not, Ready on the hub and running workloads.
func kill(t *testing.T, cluster string) time.Time {
	t.Helper()
	return fleettest.Kill(t, fleet, cluster+"/kube-apiserver", func(t *testing.T) {
		waitReady(t, cluster, metav1.ConditionTrue)
		waitServes(t, cluster)
	})
}

// restart brings members back (kube-apiserver, then its controllers), all
// before waiting for any, and waits until their clusters are Ready again.
func restart(t *testing.T, clusters ...string) {
	t.Helper()
	for _, c := range clusters {
		if err := fleet.RestartCluster(context.Background(), c, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clusters {
		waitReady(t, c, metav1.ConditionTrue)
	}
}

// waitServes waits until a member runs new workloads again: a Deployment
// of one replica created in it directly becomes ready. Right after a
// restart its controllers are still starting up, and a test of
// application failover would see its workload as unhealthy there.
func waitServes(t *testing.T, cluster string) {
	t.Helper()
	cs := fleettest.Client(t, fleet, cluster)
	ctx := context.Background()
	name := fmt.Sprintf("canary-%d", time.Now().UnixNano())
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "canary", Image: "nginx:1.25"}}},
			},
		},
	}
	begin := time.Now()
	eventually(t, 30*time.Second, "create a canary in "+cluster, func() error {
		_, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
		return err
	})
	defer func() {
		if err := cs.AppsV1().Deployments("default").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete canary %s in %s: %v", name, cluster, err)
		}
	}()
	eventually(t, 60*time.Second, cluster+" runs a canary Deployment", func() error {
		got, err := cs.AppsV1().Deployments("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Status.ReadyReplicas != 1 {
			return fmt.Errorf("canary %d/1 ready", got.Status.ReadyReplicas)
		}
		return nil
	})
	t.Logf("%s serves: a canary Deployment was ready %s after it was created", cluster, time.Since(begin).Round(time.Millisecond))
}

// noneShort fails when one of the named workloads' bindings has fewer
// replicas placed than desired.
func noneShort(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		b := binding(t, name)
		if got := b.Spec.AssignedReplicas(); b.Spec.Replicas > 0 && got < b.Spec.Replicas {
			t.Errorf("binding %s has %d of %d replicas placed: %+v", b.Name, got, b.Spec.Replicas, b.Spec.Clusters)
		}
	}
}

func conditionOf(conds []metav1.Condition, typ string) *metav1.Condition {
	return meta.FindStatusCondition(conds, typ)
}
