// Package clusterstatus is what the hub records of a member cluster: its
// version, the APIs it serves, its nodes (counts and a bounded list), the
// resources they offer and pods request, and its pods by state. One
// implementation serves both modes: the push cluster controller collects it
// through the member kubeconfig the hub holds, the pull agent collects it
// inside the member and writes it to its AttachedCluster. The package also
// holds the readiness taints that follow from the Ready condition, which
// both the push probe and the pull heartbeat controller set.
package clusterstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// Status is the member facts an AttachedCluster's status carries.
type Status struct {
	KubernetesVersion string
	APIEnablements    []clusterv1alpha1.APIEnablement
	NodeSummary       *clusterv1alpha1.NodeSummary
	ResourceSummary   *clusterv1alpha1.ResourceSummary
	PodSummary        *clusterv1alpha1.PodSummary
	Nodes             []clusterv1alpha1.NodeStatus
}

// Into copies the facts into an AttachedCluster status, leaving its
// conditions and agent report alone.
func (s *Status) Into(st *clusterv1alpha1.AttachedClusterStatus) {
	st.KubernetesVersion = s.KubernetesVersion
	st.APIEnablements = s.APIEnablements
	st.NodeSummary = s.NodeSummary
	st.ResourceSummary = s.ResourceSummary
	st.PodSummary = s.PodSummary
	st.Nodes = s.Nodes
}

// RefusedError is a request the member answered with 401 or 403: its
// credentials may not read what the status needs.
type RefusedError struct {
	// What names the request, e.g. "list nodes and pods".
	What string
	Err  error
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }
func (e *RefusedError) Unwrap() error { return e.Err }

// Collect reads the version, the served APIs, the nodes and the pods of the
// member behind kube, each request bounded by timeout (0: no bound beyond
// ctx). A refusal is a *RefusedError; any other failure names the request.
// Nodes are listed from the API server's cache (resourceVersion 0); pods
// in pages of PodPage, so neither the member nor the hub holds a large
// cluster's whole pod list at once.
func Collect(ctx context.Context, kube kubernetes.Interface, timeout time.Duration) (Status, error) {
	return CollectReusing(ctx, kube, timeout, nil)
}

// PodPage is how many pods one list request of a collection asks for.
const PodPage = 500

// CollectReusing is Collect, except that when known holds the served APIs
// of the same Kubernetes version, they are reused instead of discovered
// again: discovery is the largest part of a collection (a hundred kilobytes
// of JSON from a real cluster), and the APIs change with an upgrade or a new
// CRD, not between two probes. The caller decides how often to pass nil.
func CollectReusing(ctx context.Context, kube kubernetes.Interface, timeout time.Duration, known *Status) (Status, error) {
	var s Status
	rc := kube.Discovery().RESTClient()
	steps := []struct {
		what string
		fn   func(ctx context.Context) error
	}{
		{"GET /version", func(ctx context.Context) error {
			raw, err := rc.Get().AbsPath("/version").Do(ctx).Raw()
			if err != nil {
				return err
			}
			var info version.Info
			if err := json.Unmarshal(raw, &info); err != nil {
				return fmt.Errorf("decode the answer: %w", err)
			}
			s.KubernetesVersion = info.GitVersion
			return nil
		}},
		{"API discovery", func(ctx context.Context) error {
			if known != nil && len(known.APIEnablements) > 0 && known.KubernetesVersion == s.KubernetesVersion {
				s.APIEnablements = known.APIEnablements
				return nil
			}
			_, lists, err := discovery.ServerGroupsAndResourcesWithContext(ctx, discovery.ToDiscoveryInterfaceWithContext(kube.Discovery()))
			if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
				return err
			}
			s.APIEnablements = apiEnablements(lists)
			return nil
		}},
		{"list nodes and pods", func(ctx context.Context) error {
			nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
			if err != nil {
				return err
			}
			t := newPodTally()
			opts := metav1.ListOptions{Limit: PodPage}
			for {
				pods, err := kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, opts)
				if err != nil {
					return err
				}
				t.add(pods.Items)
				if opts.Continue = pods.Continue; opts.Continue == "" {
					break
				}
			}
			s.NodeSummary = summarizeNodes(nodes.Items)
			s.ResourceSummary = t.resources(nodes.Items)
			s.PodSummary = t.summary()
			s.Nodes = listNodes(nodes.Items)
			return nil
		}},
	}
	for _, step := range steps {
		if err := run(ctx, timeout, step.fn); err != nil {
			if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				return s, &RefusedError{What: step.what, Err: err}
			}
			return s, fmt.Errorf("%s: %w", step.what, err)
		}
	}
	return s, nil
}

func run(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return fn(ctx)
}

// IsRefused tells whether err is (or wraps) a *RefusedError.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}
