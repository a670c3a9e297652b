// Package fleetmetrics tests the fleet's metrics path end to end on a local
// fleet of two members with Prometheus: every member's kwok emulates pod and
// node usage from a ClusterResourceUsage the test sets, the fleet's
// Prometheus finds every node through kwok's discovery and labels its
// series with cluster and node, and internal/fleetmetrics reads them back:
// a workload's utilisation, per-pod usage, node usage for every node, and a
// node added later.
package fleetmetrics

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kurator-go/kurator/internal/fleetmetrics"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

var (
	fleet *localfleet.State
	prom  *fleetmetrics.Client
)

const (
	north = "north"
	south = "south"
)

func TestMain(m *testing.M) {
	cfg := localfleet.Config{
		Name: "e2e-fleetmetrics", NodesPerMember: 2, Prometheus: true,
		Members: []localfleet.Member{
			{Name: north, Region: "cn-north", Zone: "cn-north-1a", Provider: "huawei"},
			{Name: south, Region: "cn-south", Zone: "cn-south-1a", Provider: "alibaba"},
		},
	}
	os.Exit(fleettest.Main(m, cfg, false, &fleet, func(_ context.Context, st *localfleet.State) (func(), error) {
		if st.PrometheusURL == "" {
			return nil, fmt.Errorf("the fleet runs no Prometheus; see the progress lines above")
		}
		var err error
		prom, err = fleetmetrics.New(st.PrometheusURL, fleetmetrics.Options{})
		return func() {}, err
	}))
}

// deployment creates a Deployment of replicas pods requesting cpu and
// memory directly in a member (no hub: this package tests metrics only),
// waits until they all run, and returns their names. The namespace is
// removed when the test ends.
func deployment(t *testing.T, cluster, namespace, name string, replicas int32, cpu, memory string) []string {
	t.Helper()
	ctx := context.Background()
	cs := fleettest.Client(t, fleet, cluster)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), namespace, metav1.DeleteOptions{})
	})
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/order-service:1.0",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory),
					}},
				}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pods []string
	fleettest.Eventually(t, 90*time.Second, fmt.Sprintf("%s: %d pods of %s/%s running", cluster, replicas, namespace, name), func() error {
		pods = runningPods(ctx, cs, namespace, name+"-")
		if len(pods) != int(replicas) {
			return fmt.Errorf("%d running: %v", len(pods), pods)
		}
		return nil
	})
	return pods
}

func runningPods(ctx context.Context, cs kubernetes.Interface, namespace, prefix string) []string {
	list, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range list.Items {
		if strings.HasPrefix(p.Name, prefix) && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

// utilisationQuery is a workload's cpu or memory utilisation per cluster:
// the usage of its pods over what they request, both from the series kwok
// serves. (pkg/autoscale builds the policies' own queries.)
func utilisationQuery(resource fleetmetrics.Resource, namespace, podPrefix string, window time.Duration) string {
	sel := fleetmetrics.Selector(fleetmetrics.Equal("namespace", namespace), fleetmetrics.Prefix("pod", podPrefix))
	reqSel := fleetmetrics.Selector(fleetmetrics.Equal("namespace", namespace), fleetmetrics.Prefix("pod", podPrefix), fleetmetrics.Equal("resource", string(resource)))
	usage := "sum by (cluster) (" + fleetmetrics.PodMemoryBytes + sel + ")"
	if resource == fleetmetrics.CPU {
		usage = "sum by (cluster) (rate(" + fleetmetrics.PodCPUSeconds + sel + "[" + fleetmetrics.Duration(window) + "]))"
	}
	return usage + " / sum by (cluster) (" + fleetmetrics.PodRequests + reqSel + ")"
}

func near(got, want, tolerance float64) error {
	if math.IsNaN(got) || math.Abs(got-want) > tolerance {
		return fmt.Errorf("%.4f, want %.4f ± %.4f", got, want, tolerance)
	}
	return nil
}
