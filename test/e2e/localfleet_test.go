package e2e

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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
// reports it down. This test runs last because it breaks the member.
func TestZZDeploymentReadyThenAPIServerDown(t *testing.T) {
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

	statusLine := regexp.MustCompile(`(?m)^` + member + `/kube-apiserver\s+\d+\s+\d+\s+(\S+)`)
	if m := statusLine.FindStringSubmatch(kurator(t, "status", "--state-dir", fleet.StateDir)); m == nil || m[1] != "ok" {
		t.Fatalf("before the kill, status should show the apiserver ok, got %v", m)
	}

	p, ok := fleet.Process(member + "/kube-apiserver")
	if !ok {
		t.Fatal("no apiserver process recorded")
	}
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 30*time.Second, "status reports the killed apiserver down", func() error {
		out := kurator(t, "status", "--state-dir", fleet.StateDir)
		m := statusLine.FindStringSubmatch(out)
		if m == nil || m[1] != "down" {
			return fmt.Errorf("status line: %v\n%s", m, out)
		}
		if !strings.Contains(out, "process not running") {
			return fmt.Errorf("status does not say why:\n%s", out)
		}
		return nil
	})
	// The other member is untouched.
	other := regexp.MustCompile(`(?m)^cluster-shanghai/kube-apiserver\s+\d+\s+\d+\s+ok`)
	if out := kurator(t, "status", "--state-dir", fleet.StateDir); !other.MatchString(out) {
		t.Fatalf("cluster-shanghai should still be ok:\n%s", out)
	}

	// Restarting brings the member back with its data: the Deployment is still there.
	if err := fleet.Restart(ctx, member+"/kube-apiserver", true); err != nil {
		t.Fatal(err)
	}
	if m := statusLine.FindStringSubmatch(kurator(t, "status", "--state-dir", fleet.StateDir)); m == nil || m[1] != "ok" {
		t.Fatalf("after restart, status should show the apiserver ok, got %v", m)
	}
	cs = clientFor(t, member)
	if d, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 3 {
		t.Fatalf("deployment after restart: %v", err)
	}
	// Leave the member broken for the next test.
	if err := fleet.Stop(member + "/kube-apiserver"); err != nil {
		t.Fatal(err)
	}
}

// After a crash (one process gone), up cleans the stale state and starts a
// fresh fleet. Runs after the test that kills an apiserver.
func TestZZZUpAfterCrashStartsAFreshFleet(t *testing.T) {
	old := fleet
	if old.Running() {
		t.Fatal("fleet should be broken by the previous test")
	}
	var out bytes.Buffer
	st, err := localfleet.Up(context.Background(), localfleet.Config{
		Name: "e2e", Members: localfleet.DefaultMembers()[:2], NodesPerMember: 2,
		StateDir: old.StateDir, StopWithParent: true,
	}, &out)
	if err != nil {
		t.Fatalf("up on stale state: %v\n%s", err, out.String())
	}
	fleet = st
	if !strings.Contains(out.String(), "stale state") {
		t.Errorf("up should say it found stale state:\n%s", out.String())
	}
	for _, p := range old.Processes {
		if p2, _ := st.Process(p.Name); p2.PID == p.PID {
			t.Errorf("%s kept its old pid %d", p.Name, p.PID)
		}
	}
	TestMembersHaveReadyFakeNodes(t)
}
