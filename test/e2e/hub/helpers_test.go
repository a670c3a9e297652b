package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

func kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	return fleettest.Kubectl(t, fleet, stdin, args...)
}

// hubApply applies YAML to the hub.
func hubApply(t *testing.T, yaml string) {
	t.Helper()
	kubectl(t, yaml, "--context", localfleet.HubName, "apply", "-f", "-")
}

func seed(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../../api/testdata/seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// hubDeleteAfter deletes the objects of yaml from the hub when the test
// ends, so that the next test finds none of them.
func hubDeleteAfter(t *testing.T, yaml string) {
	t.Helper()
	t.Cleanup(func() {
		kubectl(t, yaml, "--context", localfleet.HubName, "delete", "--ignore-not-found", "--wait=true", "-f", "-")
	})
}

func kurator(t *testing.T, args ...string) string {
	t.Helper()
	return fleettest.Kurator(t, fleet, args...)
}

func clientFor(t *testing.T, cluster string) kubernetes.Interface {
	t.Helper()
	return fleettest.Client(t, fleet, cluster)
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	fleettest.Eventually(t, timeout, what, cond)
}

// deployment returns a Deployment in a cluster, or an error.
func deployment(cluster, namespace, name string) (*appsv1.Deployment, error) {
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	return cs.AppsV1().Deployments(namespace).Get(context.Background(), name, metav1.GetOptions{})
}

// wantReady waits until the Deployment in every listed cluster has exactly
// the given spec replicas, all of them ready, and every other member
// answers that it does not have it.
func wantReady(t *testing.T, name string, want map[string]int32) {
	t.Helper()
	eventually(t, 90*time.Second, fmt.Sprintf("deployment %s placed as %v", name, want), func() error {
		for _, m := range fleet.Members {
			d, err := deployment(m.Name, "default", name)
			n, wanted := want[m.Name]
			switch {
			case !wanted:
				if err := fleettest.Absent("deployment "+name, err); err != nil {
					return fmt.Errorf("%s: %v", m.Name, err)
				}
				continue
			case err != nil:
				return fmt.Errorf("%s: %v", m.Name, err)
			case *d.Spec.Replicas != n || d.Status.ReadyReplicas != n:
				return fmt.Errorf("%s: spec %d ready %d, want %d", m.Name, *d.Spec.Replicas, d.Status.ReadyReplicas, n)
			}
		}
		return nil
	})
}
