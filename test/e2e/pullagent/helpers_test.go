package pullagent

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

func kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	return fleettest.Kubectl(t, fleet, stdin, args...)
}

// apply applies YAML to the hub and deletes it when the test ends, waiting
// until no member has its Deployments or ConfigMaps any more.
func apply(t *testing.T, yaml string) {
	t.Helper()
	kubectl(t, yaml, "--context", localfleet.HubName, "apply", "-f", "-")
	t.Cleanup(func() {
		out := kubectl(t, yaml, "--context", localfleet.HubName, "delete", "--ignore-not-found", "-o", "name", "-f", "-")
		for _, obj := range strings.Fields(out) {
			kind, name, _ := strings.Cut(obj, "/")
			if kind != "deployment.apps" && kind != "configmap" {
				continue
			}
			fleettest.Eventually(t, 90*time.Second, obj+" gone from every member", func() error {
				for _, m := range fleet.Members {
					out, err := memberGet(t, m.Name, kind, name)
					if err != nil {
						return err
					}
					if out != "" {
						return fmt.Errorf("%s still has %s", m.Name, obj)
					}
				}
				return nil
			})
		}
	})
}

// memberGet returns the object's name when the member has it, "" when it
// has not (read over loopback: the test's view, not the agent's).
func memberGet(t *testing.T, cluster, kind, name string) (string, error) {
	t.Helper()
	cs := fleettest.Client(t, fleet, cluster)
	ctx := context.Background()
	var err error
	switch kind {
	case "deployment.apps":
		_, err = cs.AppsV1().Deployments("default").Get(ctx, name, metav1.GetOptions{})
	case "configmap":
		_, err = cs.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{})
	default:
		return "", fmt.Errorf("memberGet: no kind %s", kind)
	}
	if ok, err := exists(err); !ok {
		return "", err
	}
	return name, nil
}

// exists turns the error of a read into whether the object exists; any
// error but NotFound is an error (an unreachable server says nothing).
func exists(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

func seed(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../../api/testdata/seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// replicas is a Deployment's spec and ready replicas in a member; ok false
// when the member has no such Deployment.
func replicas(t *testing.T, cluster, name string) (spec, ready int32, ok bool) {
	t.Helper()
	d, err := fleettest.Client(t, fleet, cluster).AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
	if ok, err := exists(err); err != nil {
		t.Fatalf("read deployment %s in %s: %v", name, cluster, err)
	} else if !ok {
		return 0, 0, false
	}
	return *d.Spec.Replicas, d.Status.ReadyReplicas, true
}

// placedExactly checks that the Deployment runs exactly want (spec = ready)
// in the listed members and does not exist in the others.
func placedExactly(t *testing.T, name string, want map[string]int32) error {
	t.Helper()
	for _, m := range fleet.Members {
		spec, ready, ok := replicas(t, m.Name, name)
		n, wanted := want[m.Name]
		switch {
		case !wanted && ok:
			return fmt.Errorf("%s has %s (%d replicas), want none there", m.Name, name, spec)
		case !wanted:
		case !ok:
			return fmt.Errorf("%s has no %s, want %d replicas", m.Name, name, n)
		case spec != n || ready != n:
			return fmt.Errorf("%s: spec %d ready %d, want %d", m.Name, spec, ready, n)
		}
	}
	return nil
}

// hubReady checks the hub's Deployment status: ready/replicas as want.
func hubReady(t *testing.T, name string, want int32) error {
	t.Helper()
	d, err := fleettest.Client(t, fleet, localfleet.HubName).AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if d.Status.Replicas != want || d.Status.ReadyReplicas != want {
		return fmt.Errorf("hub shows %s %d/%d, want %d/%d", name, d.Status.ReadyReplicas, d.Status.Replicas, want, want)
	}
	return nil
}

// binding is the ResourceBinding of a Deployment.
func binding(t *testing.T, name string) *workv1alpha1.ResourceBinding {
	t.Helper()
	var b workv1alpha1.ResourceBinding
	if err := hub.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name + "-deployment"}, &b); err != nil {
		t.Fatalf("binding of %s: %v", name, err)
	}
	return &b
}

// lease is the pull cluster's heartbeat Lease on the hub.
func lease(t *testing.T, cluster string) *coordinationv1.Lease {
	t.Helper()
	l, err := fleettest.Client(t, fleet, localfleet.HubName).CoordinationV1().Leases(workv1alpha1.ExecutionNamespace(cluster)).
		Get(context.Background(), clusterv1alpha1.AgentLeaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("heartbeat Lease of %s: %v", cluster, err)
	}
	return l
}

// agentRequests is how many requests of the cluster's agent the hub has
// dispatched (its FlowSchema's counter).
func agentRequests(t *testing.T, cluster string) float64 {
	t.Helper()
	raw, err := fleettest.Client(t, fleet, localfleet.HubName).CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("hub /metrics: %v", err)
	}
	var sum float64
	want := `flow_schema="` + flowSchema(cluster) + `"`
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_flowcontrol_dispatched_requests_total{") || !strings.Contains(line, want) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("hub /metrics line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// percentile of durations (p in 0..100), by nearest rank.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(i-1, 0)]
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
