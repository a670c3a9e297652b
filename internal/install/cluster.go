package install

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Target is the cluster to install into.
type Target struct {
	// Config reaches the cluster.
	Config *rest.Config
	// Kubeconfig and Context are where Config came from, for messages.
	Kubeconfig, Context string
}

// where names the cluster for an error message.
func (t Target) where() string {
	kc := t.Kubeconfig
	if kc == "" {
		kc = "(default: $KUBECONFIG or ~/.kube/config)"
	}
	s := fmt.Sprintf("the cluster at %s from kubeconfig %s", t.Config.Host, kc)
	if t.Context != "" {
		s += fmt.Sprintf(" (context %s)", t.Context)
	}
	return s
}

// cluster holds the clients of one Target.
type cluster struct {
	target  Target
	kube    kubernetes.Interface
	dynamic dynamic.Interface
	mapper  meta.RESTMapper
}

func connect(t Target) (*cluster, error) {
	cfg := rest.CopyConfig(t.Config)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", t.where(), err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", t.where(), err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kube.Discovery()))
	return &cluster{target: t, kube: kube, dynamic: dyn, mapper: mapper}, nil
}

// resource is the dynamic client of o's kind, namespaced when the kind is.
func (c *cluster) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: the cluster does not serve this kind: %w", gvk.Kind, u.GetName(), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dynamic.Resource(m.Resource).Namespace(u.GetNamespace()), m, nil
	}
	return c.dynamic.Resource(m.Resource), m, nil
}

// ReachTimeout bounds the first request to the cluster.
const ReachTimeout = 10 * time.Second

// CheckImages parses every container image the release runs; a reference
// that does not parse fails naming the object, the image and the fix.
func CheckImages(rel *Release) error {
	for _, o := range rel.Objects {
		if o.GetKind() != "Deployment" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			cm, _ := c.(map[string]any)
			img, _ := cm["image"].(string)
			if _, err := name.ParseReference(img); err != nil {
				return fmt.Errorf("Deployment %s container %v: image %q does not parse: %v: give --image REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST", o.GetName(), cm["name"], img, err)
			}
		}
	}
	return nil
}

// need is one permission the install needs.
type need struct {
	verb, group, resource, namespace string
}

func (n need) String() string {
	r := n.resource
	if n.group != "" {
		r += "." + n.group
	}
	if n.namespace != "" {
		return fmt.Sprintf("%s %s in namespace %s", n.verb, r, n.namespace)
	}
	return fmt.Sprintf("%s %s (cluster-wide)", n.verb, r)
}

// Preflight checks, writing nothing, that the release can be installed:
// the images parse, the cluster answers within ReachTimeout, and the user
// may get, create and patch every kind the release applies (and create the
// namespace). Every failed check says what to fix.
func Preflight(ctx context.Context, t Target, rel *Release) error {
	if err := CheckImages(rel); err != nil {
		return err
	}
	c, err := connect(t)
	if err != nil {
		return err
	}
	if err := c.reach(ctx); err != nil {
		return err
	}
	needs := []need{{"get", "", "namespaces", ""}, {"create", "", "namespaces", ""}}
	for _, o := range rel.Objects {
		_, m, err := c.resource(o.Unstructured)
		if err != nil {
			return err
		}
		for _, verb := range []string{"get", "create", "patch"} {
			needs = append(needs, need{verb, m.Resource.Group, m.Resource.Resource, o.GetNamespace()})
		}
	}
	return c.checkAccess(ctx, needs)
}

// CheckNodes fails when the cluster has no node to run the manager's pods
// on (a bare API server, like the hub of `kurator up`), instead of waiting
// out the rollout. A cluster that does not let us list nodes passes: the
// rollout wait will tell.
func CheckNodes(ctx context.Context, t Target) error {
	c, err := connect(t)
	if err != nil {
		return err
	}
	nodes, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil || len(nodes.Items) > 0 {
		return nil
	}
	return fmt.Errorf("%s has no nodes, so the manager's pods cannot run there (a hub started by `kurator up` is such a cluster): install into a cluster with nodes, e.g. a member (--context NAME), or pass --wait=false to install anyway", t.where())
}

func (c *cluster) reach(ctx context.Context) error {
	cfg := rest.CopyConfig(c.target.Config)
	cfg.Timeout = ReachTimeout
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w; check --kubeconfig/--context", c.target.where(), err)
	}
	done := make(chan error, 1)
	go func() { _, err := dc.ServerVersion(); done <- err }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w; check --kubeconfig/--context", c.target.where(), err)
	}
	return nil
}

// checkAccess asks the cluster (SelfSubjectAccessReview) for each distinct
// need and lists every one denied.
func (c *cluster) checkAccess(ctx context.Context, needs []need) error {
	seen := map[need]bool{}
	var denied []string
	for _, n := range needs {
		if seen[n] {
			continue
		}
		seen[n] = true
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: n.verb, Group: n.group, Resource: n.resource, Namespace: n.namespace},
		}}
		got, err := c.kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("ask %s whether you may %s: %w", c.target.where(), n, err)
		}
		if !got.Status.Allowed {
			denied = append(denied, n.String())
		}
	}
	if len(denied) == 0 {
		return nil
	}
	sort.Strings(denied)
	return fmt.Errorf("the credentials of %s may not:\n  %s\ninstalling Kurator needs a cluster administrator (the cluster-admin ClusterRole, or one granting these verbs): use an admin's kubeconfig or context, or ask one to run the install", c.target.where(), strings.Join(denied, "\n  "))
}

// ignoreNotFound is nil for a NotFound error.
func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func isNoMatch(err error) bool {
	return meta.IsNoMatchError(errors.Unwrap(err)) || meta.IsNoMatchError(err)
}
