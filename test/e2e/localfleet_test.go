package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	return fleettest.Kubectl(t, fleet, "", args...)
}

func kurator(t *testing.T, args ...string) string {
	t.Helper()
	return fleettest.Kurator(t, fleet, args...)
}

func clientFor(t *testing.T, cluster string) kubernetes.Interface {
	t.Helper()
	return fleettest.Client(t, fleet, cluster)
}

func TestMembersHaveReadyFakeNodes(t *testing.T) {
	for _, m := range members {
		out := kubectl(t, "--context", m, "get", "nodes", "--no-headers")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: want 2 nodes, got %d:\n%s", m, len(lines), out)
		}
		for _, l := range lines {
			if f := strings.Fields(l); len(f) < 2 || f[1] != "Ready" {
				t.Errorf("%s: node not Ready: %q", m, l)
			}
		}
		labels := kubectl(t, "--context", m, "get", "nodes", "-o", "jsonpath={.items[0].metadata.labels}")
		if !strings.Contains(labels, `"topology.kubernetes.io/region":"asia-east"`) {
			t.Errorf("%s: node lacks the region topology label: %s", m, labels)
		}
	}
}

func TestHubServesKubectl(t *testing.T) {
	out := kubectl(t, "--context", localfleet.HubName, "get", "ns", "--no-headers")
	if !regexp.MustCompile(`(?m)^kube-system\s+Active`).MatchString(out) {
		t.Fatalf("hub namespaces lack kube-system:\n%s", out)
	}
}

func TestUpOnRunningFleetIsANoOp(t *testing.T) {
	st, err := localfleet.Up(context.Background(), localfleet.Config{Name: "e2e", StateDir: fleet.StateDir}, &bytes.Buffer{})
	if err != localfleet.ErrAlreadyRunning {
		t.Fatalf("second up: want ErrAlreadyRunning, got %v", err)
	}
	if st.Processes[0].PID != fleet.Processes[0].PID {
		t.Fatalf("second up replaced the processes")
	}
}

// The acceptance: a Deployment of 3 replicas becomes 3/3 ready in a
// member; then that member's kube-apiserver is killed and `kurator status`
// reports it down; restarted, the member still has the Deployment. The
// member is whole again when the test ends, however it ends.
func TestDeploymentReadyThenAPIServerDown(t *testing.T) {
	const member = "cluster-hangzhou"
	cs := clientFor(t, member)
	ctx := context.Background()
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.25"}}},
			},
		},
	}
	begin := time.Now()
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Runs after the member is back (cleanups run last in, first out).
		if err := clientFor(t, member).AppsV1().Deployments("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete deployment web: %v", err)
		}
	})
	fleettest.Eventually(t, 90*time.Second, "deployment web 3/3 ready", func() error {
		d, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != 3 {
			return fmt.Errorf("readyReplicas=%d", d.Status.ReadyReplicas)
		}
		return nil
	})
	t.Logf("deployment 3/3 ready in %s", time.Since(begin).Round(time.Millisecond))
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName == "" || p.Status.PodIP == "" {
			t.Errorf("pod %s: phase=%s node=%q ip=%q", p.Name, p.Status.Phase, p.Spec.NodeName, p.Status.PodIP)
		}
	}

	if got := apiserverStatus(t, member); got != "ok" {
		t.Fatalf("before the kill, status should show the apiserver ok, got %q", got)
	}
	fleettest.Kill(t, fleet, member+"/kube-apiserver", func(t *testing.T) {
		fleettest.Eventually(t, 30*time.Second, member+" apiserver ok again", func() error {
			if got := apiserverStatus(t, member); got != "ok" {
				return fmt.Errorf("status %q", got)
			}
			return nil
		})
	})
	fleettest.Eventually(t, 30*time.Second, "status reports the killed apiserver down", func() error {
		out := kurator(t, "status", "--state-dir", fleet.StateDir)
		if got := apiserverStatus(t, member); got != "down" {
			return fmt.Errorf("status %q:\n%s", got, out)
		}
		if !strings.Contains(out, "process not running") {
			return fmt.Errorf("status does not say why:\n%s", out)
		}
		return nil
	})
	// The other member is untouched.
	if got := apiserverStatus(t, "cluster-shanghai"); got != "ok" {
		t.Fatalf("cluster-shanghai should still be ok, got %q", got)
	}

	// Restarting brings the member back with its data: the Deployment is still there.
	if err := fleet.Restart(ctx, member+"/kube-apiserver", true); err != nil {
		t.Fatal(err)
	}
	if got := apiserverStatus(t, member); got != "ok" {
		t.Fatalf("after restart, status should show the apiserver ok, got %q", got)
	}
	cs = clientFor(t, member)
	if d, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 3 {
		t.Fatalf("deployment after restart: %v", err)
	}
}

// apiserverStatus is the HEALTH column of `kurator status` for a cluster's
// kube-apiserver ("ok", "down", ...), or "" when the row is missing.
func apiserverStatus(t *testing.T, cluster string) string {
	t.Helper()
	row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cluster) + `/kube-apiserver\s+\d+\s+\d+\s+(\S+)`)
	if m := row.FindStringSubmatch(kurator(t, "status", "--state-dir", fleet.StateDir)); m != nil {
		return m[1]
	}
	return ""
}

// After a crash (one process gone), up cleans the stale state and starts a
// fresh fleet. The test crashes a small fleet of its own.
func TestUpAfterCrashStartsAFreshFleet(t *testing.T) {
	cfg := localfleet.Config{
		Name: "e2e-crash", Members: localfleet.DefaultMembers()[:1], NodesPerMember: 1,
		StateDir: filepath.Join(t.TempDir(), "fleet"), StopWithParent: true,
	}
	ctx := context.Background()
	var out bytes.Buffer
	old, err := localfleet.Up(ctx, cfg, &out)
	if err != nil {
		t.Fatalf("up: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		if err := localfleet.Down(cfg.StateDir, false, io.Discard); err != nil && !errors.Is(err, localfleet.ErrNoFleet) {
			t.Errorf("down: %v", err)
		}
	})
	const crashed = "cluster-hangzhou/kube-scheduler"
	if err := old.Kill(crashed); err != nil {
		t.Fatal(err)
	}
	if old.Running() {
		t.Fatalf("the fleet still counts as running with %s killed", crashed)
	}

	out.Reset()
	st, err := localfleet.Up(ctx, cfg, &out)
	if err != nil {
		t.Fatalf("up on stale state: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "stale state") {
		t.Errorf("up should say it found stale state:\n%s", out.String())
	}
	for _, p := range old.Processes {
		if p2, ok := st.Process(p.Name); !ok {
			t.Errorf("the fresh fleet lacks %s", p.Name)
		} else if p2.PID == p.PID {
			t.Errorf("%s kept its old pid %d", p.Name, p.PID)
		}
	}
	if !st.Running() {
		t.Error("the fresh fleet does not run every process")
	}
	out2 := fleettest.Kubectl(t, st, "", "--context", "cluster-hangzhou", "get", "nodes", "--no-headers")
	if f := strings.Fields(out2); len(f) < 2 || f[1] != "Ready" || strings.Count(strings.TrimSpace(out2), "\n") != 0 {
		t.Errorf("the fresh fleet's member should have 1 Ready node:\n%s", out2)
	}
}
