package clusterprofile

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	multiclusterv1alpha1 "github.com/kurator-go/kurator/api/multicluster/v1alpha1"
)

// Names of the properties Kurator adds to every profile besides the
// member's own ClusterProperty objects. The prefix keeps them apart from
// ClusterProperty names, which are object names and cannot hold a slash.
const (
	PropertyPrefix            = "kurator.dev/"
	PropertyNodeCount         = PropertyPrefix + "node-count"
	PropertyReadyNodeCount    = PropertyPrefix + "ready-node-count"
	PropertyProvider          = PropertyPrefix + "provider"
	PropertyRegion            = PropertyPrefix + "region"
	PropertyZones             = PropertyPrefix + "zones"
	PropertyAllocatableCPU    = PropertyPrefix + "allocatable-cpu"
	PropertyAllocatableMemory = PropertyPrefix + "allocatable-memory"
)

// Reasons of the profile's conditions besides those copied from the
// AttachedCluster's Ready condition.
const (
	// ReasonNotProbed: the hub has not probed the cluster yet.
	ReasonNotProbed = "NotProbed"
	// ReasonJoined: the cluster is an AttachedCluster the hub has reached.
	ReasonJoined = "Joined"
	// ReasonNotYetReached: the cluster is an AttachedCluster the hub has
	// not reached yet.
	ReasonNotYetReached = "NotYetReached"
)

// MaxValueLength is the longest property value the CRD accepts.
const MaxValueLength = 1024

// observation is what one reconcile saw, the input of desiredStatus.
type observation struct {
	// memberProperties are the member's ClusterProperty objects, by name;
	// nil when they were not read this time (the member is not Ready or
	// did not answer), so the previous ones are kept.
	memberProperties map[string]string
	// server is the member's API server as the hub reaches it; nil when
	// its clients are unavailable.
	server *rest.Config
	now    time.Time
	// refresh is how old a property's lastObservedTime may grow while its
	// value stays the same.
	refresh time.Duration
}

// desiredStatus computes the profile's status from its AttachedCluster,
// what was observed now and the profile's previous status. It is pure.
func desiredStatus(ac *clusterv1alpha1.AttachedCluster, generation int64, obs observation, prev multiclusterv1alpha1.ClusterProfileStatus) multiclusterv1alpha1.ClusterProfileStatus {
	out := multiclusterv1alpha1.ClusterProfileStatus{
		Conditions:          append([]metav1.Condition(nil), prev.Conditions...),
		Version:             multiclusterv1alpha1.ClusterVersion{Kubernetes: ac.Status.KubernetesVersion},
		CredentialProviders: prev.CredentialProviders,
		AccessProviders:     prev.AccessProviders,
	}
	if out.Version.Kubernetes == "" {
		// Not reached yet (or never): keep what was seen last.
		out.Version = prev.Version
	}
	for _, c := range conditions(ac, generation) {
		meta.SetStatusCondition(&out.Conditions, c)
	}
	out.Properties = properties(ac, obs, prev.Properties)
	if obs.server != nil {
		out.AccessProviders = accessProviders(obs.server)
	}
	return out
}

// conditions maps the AttachedCluster's Ready condition to
// ControlPlaneHealthy and its reachability to Joined.
func conditions(ac *clusterv1alpha1.AttachedCluster, generation int64) []metav1.Condition {
	key := ac.Namespace + "/" + ac.Name
	health := metav1.Condition{
		Type: multiclusterv1alpha1.ClusterConditionControlPlaneHealthy, Status: metav1.ConditionUnknown,
		Reason:  ReasonNotProbed,
		Message: fmt.Sprintf("the hub has not probed cluster %s yet; AttachedCluster %s gets its Ready condition within one probe interval", ac.Name, key),
	}
	if ready := ac.ReadyCondition(); ready != nil {
		health.Status, health.Reason, health.Message = ready.Status, ready.Reason, ready.Message
		health.LastTransitionTime = ready.LastTransitionTime
		if health.Reason == "" {
			health.Reason = ReasonNotProbed
		}
	}
	health.ObservedGeneration = generation

	joined := metav1.Condition{
		Type: multiclusterv1alpha1.ClusterConditionJoined, Status: metav1.ConditionUnknown,
		Reason:  ReasonNotYetReached,
		Message: fmt.Sprintf("the hub has not reached cluster %s yet: see the Ready condition of AttachedCluster %s", ac.Name, key),
	}
	ready := ac.ReadyCondition()
	switch {
	case ac.Status.KubernetesVersion != "" || (ready != nil && ready.Status == metav1.ConditionTrue):
		joined.Status, joined.Reason = metav1.ConditionTrue, ReasonJoined
		joined.Message = fmt.Sprintf("cluster %s is a member of the Kurator hub as AttachedCluster %s", ac.Name, key)
	case ready != nil && ready.Reason == clusterv1alpha1.ReasonKubeconfigInvalid:
		joined.Status, joined.Reason, joined.Message = metav1.ConditionFalse, ready.Reason, ready.Message
	}
	joined.ObservedGeneration = generation
	return []metav1.Condition{health, joined}
}

// properties lists the member's ClusterProperties (sorted by name), then
// Kurator's own. A property keeps its previous lastObservedTime while its
// value is unchanged and the time is younger than obs.refresh, so that an
// unchanged cluster does not rewrite its profile on every resync.
func properties(ac *clusterv1alpha1.AttachedCluster, obs observation, prev []multiclusterv1alpha1.Property) []multiclusterv1alpha1.Property {
	previous := make(map[string]multiclusterv1alpha1.Property, len(prev))
	for _, p := range prev {
		previous[p.Name] = p
	}
	var out []multiclusterv1alpha1.Property
	observed := func(name, value string) {
		if value == "" || len(value) > MaxValueLength {
			return
		}
		p := multiclusterv1alpha1.Property{Name: name, Value: value, LastObservedTime: metav1.NewTime(obs.now.Truncate(time.Second))}
		if old, ok := previous[name]; ok && old.Value == value && obs.now.Sub(old.LastObservedTime.Time) < obs.refresh {
			p.LastObservedTime = old.LastObservedTime
		}
		out = append(out, p)
	}

	if obs.memberProperties != nil {
		names := make([]string, 0, len(obs.memberProperties))
		for n := range obs.memberProperties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			observed(n, obs.memberProperties[n])
		}
	} else {
		// Not read this time: the last values stay, with their times,
		// which tell a consumer how stale they are.
		for _, p := range prev {
			if !strings.HasPrefix(p.Name, PropertyPrefix) {
				out = append(out, p)
			}
		}
	}

	if s := ac.Status.NodeSummary; s != nil {
		observed(PropertyNodeCount, strconv.Itoa(int(s.TotalNum)))
		observed(PropertyReadyNodeCount, strconv.Itoa(int(s.ReadyNum)))
	}
	observed(PropertyProvider, ac.ProviderName())
	observed(PropertyRegion, ac.RegionName())
	observed(PropertyZones, strings.Join(ac.Zones(), ","))
	if s := ac.Status.ResourceSummary; s != nil {
		if q, ok := s.Allocatable[corev1.ResourceCPU]; ok {
			observed(PropertyAllocatableCPU, q.String())
		}
		if q, ok := s.Allocatable[corev1.ResourceMemory]; ok {
			observed(PropertyAllocatableMemory, q.String())
		}
	}
	return out
}

// AccessProviderName names the one access provider of a profile: the
// member's API server and CA as the hub reaches it, without credentials.
const AccessProviderName = "kurator"

func accessProviders(cfg *rest.Config) []multiclusterv1alpha1.AccessProvider {
	if cfg.Host == "" {
		return nil
	}
	return []multiclusterv1alpha1.AccessProvider{{
		Name: AccessProviderName,
		Cluster: clientcmdv1.Cluster{
			Server:                   cfg.Host,
			TLSServerName:            cfg.TLSClientConfig.ServerName,
			InsecureSkipTLSVerify:    cfg.TLSClientConfig.Insecure,
			CertificateAuthorityData: cfg.TLSClientConfig.CAData,
		},
	}}
}
