// Package heartbeat is the pull agent's sign of life on the hub. Every
// interval it renews the Lease AgentLeaseName in the cluster's execution
// namespace (holderIdentity = the cluster, leaseDurationSeconds 40,
// renewTime now): one PUT, the hub's agentlease controller judges Ready by
// it. It also reports the cluster on its AttachedCluster: status.agent
// (version, cluster ID, interval, last heartbeat, certificate expiry) and
// the member status internal/clusterstatus collects, the same the push
// cluster controller writes. That report is a JSON merge patch of only the
// fields that changed since the hub last answered, sent when something
// changed or, to refresh status.agent.lastHeartbeatTime, every
// StatusEvery heartbeats; a quiet cluster costs the link one Lease PUT per
// interval and one small patch every StatusEvery intervals.
//
// An agent whose member is not the one the AttachedCluster registered
// (status.agent.clusterID, the member's kube-system UID) refuses to run:
// Run returns an *IdentityError.
package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/clusterstatus"
)

// LeaseDurationSeconds is the agent Lease's leaseDurationSeconds.
const LeaseDurationSeconds = 40

// Defaults of Options.
const (
	DefaultInterval    = 30 * time.Second
	DefaultStatusEvery = 10
)

// Options configure a Heartbeat.
type Options struct {
	// Cluster is the AttachedCluster's name (required).
	Cluster string
	// Namespace holds the AttachedCluster (default kurator-system).
	Namespace string
	// ClusterID is the member's kube-system namespace UID (required).
	ClusterID string
	// Version is the agent's version, reported in status.agent.
	Version string
	// Hub reaches the hub with the agent's credentials (required; its scheme
	// must know cluster.kurator.dev and coordination.k8s.io).
	Hub client.Client
	// Member reaches the member (required): the status is collected there.
	Member kubernetes.Interface
	// Interval between heartbeats (default DefaultInterval).
	Interval time.Duration
	// StatusEvery: the status is written at least every this many
	// heartbeats even when unchanged (default DefaultStatusEvery).
	StatusEvery int
	// CertificateNotAfter reports when the agent's certificate expires.
	CertificateNotAfter func() time.Time
	// OnConnected is called after the first Lease renewal the hub accepted.
	OnConnected func()
	// Log receives the heartbeat's messages.
	Log logr.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = workv1alpha1.SystemNamespace
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.StatusEvery <= 0 {
		o.StatusEvery = DefaultStatusEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CertificateNotAfter == nil {
		o.CertificateNotAfter = func() time.Time { return time.Time{} }
	}
	return o
}

// IdentityError: the AttachedCluster belongs to another member, or is not a
// Pull cluster. The agent must not run.
type IdentityError struct{ msg string }

func (e *IdentityError) Error() string { return e.msg }

// Stats count what the heartbeat did since New.
type Stats struct {
	// Beats is how many heartbeats ran; LeaseRenewals how many the hub
	// accepted and LeaseFailures how many failed.
	Beats, LeaseRenewals, LeaseFailures int64
	// StatusWrites is how many status patches the hub accepted and
	// StatusBytes the size of their bodies; StatusSkipped how many
	// heartbeats found nothing to write.
	StatusWrites, StatusBytes, StatusSkipped int64
	// CollectFailures is how many times the member status could not be read.
	CollectFailures int64
}

// Heartbeat renews the Lease and reports the cluster's status.
type Heartbeat struct {
	opts Options

	lease *coordinationv1.Lease
	// cluster is the AttachedCluster as the hub last answered, the base of
	// the next merge patch.
	cluster *clusterv1alpha1.AttachedCluster
	// sinceWrite counts heartbeats since the last status write.
	sinceWrite int
	connected  bool
	failing    bool

	beats, renewals, leaseFailures, writes, bytes, skipped, collectFailures atomic.Int64
}

// New checks the options.
func New(opts Options) (*Heartbeat, error) {
	opts = opts.withDefaults()
	switch {
	case opts.Cluster == "":
		return nil, errors.New("heartbeat: the cluster name is empty")
	case opts.ClusterID == "":
		return nil, errors.New("heartbeat: the member's cluster ID (kube-system UID) is empty")
	case opts.Hub == nil || opts.Member == nil:
		return nil, errors.New("heartbeat: hub and member clients are required")
	}
	return &Heartbeat{opts: opts}, nil
}

// Stats returns the counters.
func (h *Heartbeat) Stats() Stats {
	return Stats{Beats: h.beats.Load(), LeaseRenewals: h.renewals.Load(), LeaseFailures: h.leaseFailures.Load(),
		StatusWrites: h.writes.Load(), StatusBytes: h.bytes.Load(), StatusSkipped: h.skipped.Load(), CollectFailures: h.collectFailures.Load()}
}

// Run beats at once and then every interval until ctx ends (nil) or the
// AttachedCluster turns out to belong to another member (*IdentityError).
// Failures to reach the hub are logged and retried on the next beat.
func (h *Heartbeat) Run(ctx context.Context) error {
	t := time.NewTicker(h.opts.Interval)
	defer t.Stop()
	for {
		if err := h.Beat(ctx); err != nil {
			var ie *IdentityError
			if errors.As(err, &ie) {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Beat renews the Lease and writes the status if due. It returns the
// *IdentityError that must stop the agent, or the last failure.
func (h *Heartbeat) Beat(ctx context.Context) error {
	h.beats.Add(1)
	now := h.opts.Now()
	leaseErr := h.renewLease(ctx, now)
	if leaseErr != nil {
		h.leaseFailures.Add(1)
		if !h.failing {
			h.opts.Log.Error(leaseErr, "heartbeat: renew the Lease on the hub (retrying every interval; the member keeps running what it has)")
		}
		h.failing = true
	} else {
		h.renewals.Add(1)
		if h.failing {
			h.opts.Log.Info("heartbeat: the hub answers again")
		}
		h.failing = false
		if !h.connected {
			h.connected = true
			if h.opts.OnConnected != nil {
				h.opts.OnConnected()
			}
		}
	}
	statusErr := h.report(ctx, now)
	var ie *IdentityError
	if errors.As(statusErr, &ie) {
		return statusErr
	}
	if statusErr != nil && leaseErr == nil {
		h.opts.Log.Error(statusErr, "heartbeat: report the cluster status")
	}
	return errors.Join(leaseErr, statusErr)
}

// renewLease renews the Lease, creating it when missing. It keeps the
// hub's last answer, so a renewal is one PUT; a conflict (someone else
// wrote the Lease) costs a GET and a second PUT.
func (h *Heartbeat) renewLease(ctx context.Context, now time.Time) error {
	ns := workv1alpha1.ExecutionNamespace(h.opts.Cluster)
	for attempt := 0; attempt < 2; attempt++ {
		if h.lease == nil {
			var l coordinationv1.Lease
			err := h.opts.Hub.Get(ctx, types.NamespacedName{Namespace: ns, Name: clusterv1alpha1.AgentLeaseName}, &l)
			switch {
			case apierrors.IsNotFound(err):
				l = coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: clusterv1alpha1.AgentLeaseName}}
				h.fillLease(&l, now)
				if err := h.opts.Hub.Create(ctx, &l); err != nil {
					return h.leaseError("create", err)
				}
				h.lease = &l
				return nil
			case err != nil:
				return h.leaseError("get", err)
			}
			h.lease = &l
		}
		l := h.lease.DeepCopy()
		h.fillLease(l, now)
		err := h.opts.Hub.Update(ctx, l)
		if err == nil {
			h.lease = l
			return nil
		}
		h.lease = nil
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return h.leaseError("update", err)
		}
	}
	return fmt.Errorf("renew Lease %s/%s on the hub: it changed under the agent twice in a row", ns, clusterv1alpha1.AgentLeaseName)
}

func (h *Heartbeat) fillLease(l *coordinationv1.Lease, now time.Time) {
	l.Spec.HolderIdentity = ptr.To(h.opts.Cluster)
	l.Spec.LeaseDurationSeconds = ptr.To[int32](LeaseDurationSeconds)
	l.Spec.RenewTime = &metav1.MicroTime{Time: now}
	if l.Spec.AcquireTime == nil {
		l.Spec.AcquireTime = &metav1.MicroTime{Time: now}
	}
}

func (h *Heartbeat) leaseError(verb string, err error) error {
	ns := workv1alpha1.ExecutionNamespace(h.opts.Cluster)
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s Lease %s/%s on the hub: %w: the agent's hub RBAC (RoleBinding to ClusterRole kurator-agent in %s) is missing; was the cluster unregistered? Register it again with a new token (`kurator token create` on the hub prints the command)",
			verb, ns, clusterv1alpha1.AgentLeaseName, err, ns)
	}
	return fmt.Errorf("%s Lease %s/%s on the hub: %w", verb, ns, clusterv1alpha1.AgentLeaseName, err)
}

// report writes the AttachedCluster's status when it changed or every
// StatusEvery heartbeats.
func (h *Heartbeat) report(ctx context.Context, now time.Time) error {
	if h.cluster == nil {
		var ac clusterv1alpha1.AttachedCluster
		if err := h.opts.Hub.Get(ctx, types.NamespacedName{Namespace: h.opts.Namespace, Name: h.opts.Cluster}, &ac); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("AttachedCluster %s/%s is not on the hub: was the cluster unregistered? Register it again (`kurator token create` on the hub prints the command)", h.opts.Namespace, h.opts.Cluster)
			}
			return fmt.Errorf("get AttachedCluster %s/%s from the hub: %w", h.opts.Namespace, h.opts.Cluster, err)
		}
		if err := h.checkIdentity(&ac); err != nil {
			return err
		}
		h.cluster = &ac
		// The first report after a start is always written.
		h.sinceWrite = h.opts.StatusEvery
	}
	h.sinceWrite++

	facts, err := clusterstatus.Collect(ctx, h.opts.Member, 10*time.Second)
	collected := err == nil
	if err != nil {
		h.collectFailures.Add(1)
		h.opts.Log.Error(err, "heartbeat: collect the member's status (the agent's ServiceAccount needs to read nodes, pods and discovery)")
	}

	desired := h.cluster.DeepCopy()
	if collected {
		facts.Into(&desired.Status)
	}
	agent := desired.Status.Agent
	if agent == nil {
		agent = &clusterv1alpha1.AgentStatus{}
	}
	desired.Status.Agent = agent
	agent.Version = h.opts.Version
	if agent.ClusterID == "" {
		agent.ClusterID = h.opts.ClusterID
	}
	agent.HeartbeatInterval = &metav1.Duration{Duration: h.opts.Interval}
	if na := h.opts.CertificateNotAfter(); !na.IsZero() {
		agent.CertificateNotAfter = ptr.To(metav1.NewTime(na.UTC().Truncate(time.Second)))
	}
	patch, err := client.MergeFrom(h.cluster).Data(desired)
	if err != nil {
		return err
	}
	if string(patch) == "{}" && h.sinceWrite < h.opts.StatusEvery {
		h.skipped.Add(1)
		return nil
	}
	agent.LastHeartbeatTime = ptr.To(metav1.NewTime(now.UTC().Truncate(time.Second)))
	patch, err = client.MergeFrom(h.cluster).Data(desired)
	if err != nil {
		return err
	}
	answered := h.cluster.DeepCopy()
	if err := h.opts.Hub.Status().Patch(ctx, answered, client.RawPatch(types.MergePatchType, patch)); err != nil {
		if apierrors.IsNotFound(err) {
			h.cluster = nil
		}
		if apierrors.IsForbidden(err) {
			return fmt.Errorf("patch the status of AttachedCluster %s/%s on the hub: %w: the agent's hub RBAC (ClusterRole kurator-agent:%s) is missing; was the cluster unregistered?", h.opts.Namespace, h.opts.Cluster, err, h.opts.Cluster)
		}
		return fmt.Errorf("patch the status of AttachedCluster %s/%s on the hub: %w", h.opts.Namespace, h.opts.Cluster, err)
	}
	h.writes.Add(1)
	h.bytes.Add(int64(len(patch)))
	h.sinceWrite = 0
	if err := h.checkIdentity(answered); err != nil {
		return err
	}
	h.cluster = answered
	return nil
}

// checkIdentity refuses an AttachedCluster that is not this member's.
func (h *Heartbeat) checkIdentity(ac *clusterv1alpha1.AttachedCluster) error {
	if !ac.IsPull() {
		return &IdentityError{msg: fmt.Sprintf("AttachedCluster %s/%s is joined in %s mode, not Pull: the hub reaches it with a kubeconfig; stop this agent, or unregister the cluster on the hub (`kurator unregister %s`) and register it again with --mode pull",
			ac.Namespace, ac.Name, ac.Spec.Mode, ac.Name)}
	}
	if ac.Status.Agent != nil && ac.Status.Agent.ClusterID != "" && ac.Status.Agent.ClusterID != h.opts.ClusterID {
		return &IdentityError{msg: fmt.Sprintf("AttachedCluster %s/%s was registered by another member (kube-system UID %s; this member's is %s): register this member under its own name (`kurator cluster register --name OTHER --mode pull ...`), or unregister %s on the hub first (`kurator unregister %s`) if it moved",
			ac.Namespace, ac.Name, ac.Status.Agent.ClusterID, h.opts.ClusterID, ac.Name, ac.Name)}
	}
	return nil
}
