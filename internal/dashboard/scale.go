package dashboard

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	autoscalingv1alpha1 "github.com/kurator-go/kurator/api/autoscaling/v1alpha1"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

// ScalePolicies and NodePools in access reviews.
var scalingGroup = autoscalingv1alpha1.GroupVersion.Group

const (
	scalePoliciesResource = "scalepolicies"
	nodePoolsResource     = "nodepools"
)

// scalePolicies lists the ScalePolicies in the namespaces where the user
// may list them.
func (s *Server) scalePolicies(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	if ok, why := s.store.served(&autoscalingv1alpha1.ScalePolicy{}); !ok {
		return dashboard.ScalePolicyList{Items: []dashboard.ScalePolicySummary{}, Namespaces: []string{}, Unavailable: why}, nil
	}
	var l autoscalingv1alpha1.ScalePolicyList
	if err := s.store.cache.List(ctx, &l, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	l.Items = keep(l.Items, func(p *autoscalingv1alpha1.ScalePolicy) bool {
		return s.auth.allowed(ctx, id, access{"list", scalingGroup, scalePoliciesResource, p.Namespace})
	})
	return dashboard.ScalePoliciesIn(l.Items, r.URL.Query().Get("namespace")), nil
}

// scalePolicy is one ScalePolicy's page, for users who may get it; the
// node pools it scales show to users who may also list nodepools in the
// clusters' namespace.
func (s *Server) scalePolicy(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if ok, why := s.store.served(&autoscalingv1alpha1.ScalePolicy{}); !ok {
		return nil, &apiError{http.StatusNotFound, why, "install the ScalePolicy CRD on the hub, then restart the dashboard"}
	}
	notFound := &apiError{http.StatusNotFound, fmt.Sprintf("no ScalePolicy %s/%s that %s may read", ns, name, id.User),
		"pick one from the Scaling page; `kurator scale list -n " + ns + "` lists them, and a ScalePolicy shows to users who may get scalepolicies.autoscaling.kurator.dev in its namespace"}
	if !s.auth.allowed(ctx, id, access{"get", scalingGroup, scalePoliciesResource, ns}) {
		return nil, notFound // like a missing one: nothing is learnt of what one may not read
	}
	var p autoscalingv1alpha1.ScalePolicy
	if err := s.store.cache.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &p); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, notFound
		}
		return nil, fmt.Errorf("read ScalePolicy %s/%s from the hub cache: %w", ns, name, err)
	}
	pools, hidden, err := s.readNodePools(ctx, id)
	if err != nil {
		return nil, err
	}
	events := s.events(ctx, id, ns, func(e *corev1.Event) bool {
		return e.InvolvedObject.Kind == "ScalePolicy" && e.InvolvedObject.Name == name
	})
	d := dashboard.BuildScalePolicy(&p, pools, events)
	if hidden != "" && p.Resolved().Action != nil && p.Resolved().Action.NodePool != nil {
		d.NodePoolsHidden = hidden
	}
	return d, nil
}

// readNodePools reads the NodePools of the clusters' namespace if the user
// may list them there, or says why not.
func (s *Server) readNodePools(ctx context.Context, id *identity) ([]autoscalingv1alpha1.NodePool, string, error) {
	ns := s.opts.ClusterNamespace
	if ok, why := s.store.served(&autoscalingv1alpha1.NodePool{}); !ok {
		return nil, why, nil
	}
	if !s.auth.allowed(ctx, id, access{"list", scalingGroup, nodePoolsResource, ns}) {
		return nil, fmt.Sprintf("%s may not list nodepools.autoscaling.kurator.dev in namespace %s: ask a hub admin for it to see the node pools this policy scales", id.User, ns), nil
	}
	var l autoscalingv1alpha1.NodePoolList
	if err := s.store.cache.List(ctx, &l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return nil, "", fmt.Errorf("list NodePools in %s from the hub cache: %w", ns, err)
	}
	return l.Items, "", nil
}

// nodePools lists the NodePools in the namespaces where the user may list
// them (the local fleet keeps them next to the AttachedClusters).
func (s *Server) nodePools(r *http.Request, id *identity) (any, error) {
	ctx := r.Context()
	if ok, why := s.store.served(&autoscalingv1alpha1.NodePool{}); !ok {
		return dashboard.NodePoolList{Items: []dashboard.NodePoolSummary{}, Namespaces: []string{}, Unavailable: why}, nil
	}
	var l autoscalingv1alpha1.NodePoolList
	if err := s.store.cache.List(ctx, &l, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	l.Items = keep(l.Items, func(np *autoscalingv1alpha1.NodePool) bool {
		return s.auth.allowed(ctx, id, access{"list", scalingGroup, nodePoolsResource, np.Namespace})
	})
	return dashboard.NodePoolsIn(l.Items, r.URL.Query().Get("namespace")), nil
}
