// Package agent is the pull-mode agent that runs in (or next to) a member
// cluster: it obtains its hub identity (internal/agent/bootstrap), renews
// its heartbeat Lease and reports the cluster's status
// (internal/agent/heartbeat), and applies the cluster's Works
// (internal/agent/sync). Only the agent connects: the hub holds no
// credentials of the member, and the member needs no inbound port.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/agent/bootstrap"
	"github.com/kurator-go/kurator/internal/agent/heartbeat"
	agentsync "github.com/kurator-go/kurator/internal/agent/sync"
	"github.com/kurator-go/kurator/internal/apply"
)

// ConnectedMessage is logged once the agent is registered and the hub
// accepted its first heartbeat.
const ConnectedMessage = "Connected to server"

// Options configure the agent.
type Options struct {
	// ClusterName is the name the cluster registers as on the hub.
	ClusterName string
	// Hub says how to reach the hub.
	Hub bootstrap.Hub
	// Token is the bootstrap token; needed for the first registration only.
	Token string
	// Member is the member's rest.Config.
	Member *rest.Config
	// InCluster: the agent runs in a Pod of the member, and keeps its
	// credentials in the member Secret kurator-system/kurator-agent-credentials
	// too.
	InCluster bool
	// CredentialsDir holds the agent's key and certificate.
	CredentialsDir string
	// HeartbeatInterval is how often the Lease is renewed (default 30s).
	HeartbeatInterval time.Duration
	// StatusEvery: the cluster status is written at least every this many
	// heartbeats (default heartbeat.DefaultStatusEvery).
	StatusEvery int
	// CertificateTTL is the lifetime of the agent's certificates (default 24h).
	CertificateTTL time.Duration
	// ResyncPeriod and StatusInterval tune the Work sync (agentsync defaults).
	ResyncPeriod   time.Duration
	StatusInterval time.Duration
	// Version is the agent's version.
	Version string
	// TrafficLogInterval is how often the hub traffic is logged (default
	// 10m; negative: never).
	TrafficLogInterval time.Duration
	// Log receives everything the agent says.
	Log logr.Logger
}

// Agent is a running agent's parts, for tests and figures.
type Agent struct {
	Credentials *bootstrap.Manager
	Heartbeat   *heartbeat.Heartbeat
	Sync        *agentsync.Syncer
	// Traffic counts what the agent exchanged with the hub.
	Traffic *Meter
}

// Run registers (or reuses stored credentials), then heartbeats, rotates
// its certificate and syncs Works until ctx ends. It returns nil on a
// graceful stop; an error when the agent cannot or must not run (a refused
// token, a denied registration, another member's cluster).
func Run(ctx context.Context, o Options) error {
	a, err := Start(ctx, o)
	if err != nil {
		return err
	}
	return a.Wait(ctx, o)
}

// Start makes the agent ready to run: the member's identity, the hub
// credentials, the hub clients and the components.
func Start(ctx context.Context, o Options) (*Agent, error) {
	logger := o.Log.WithValues("cluster", o.ClusterName)
	if o.Member == nil {
		return nil, errors.New("no member rest.Config: pass --kubeconfig of the member, or run the agent in a Pod of the member")
	}
	member := rest.CopyConfig(o.Member)
	if member.QPS == 0 {
		member.QPS, member.Burst = 50, 100
	}
	member.UserAgent = "kurator-agent"
	memberKube, err := kubernetes.NewForConfig(member)
	if err != nil {
		return nil, fmt.Errorf("member clients for %s: %w", member.Host, err)
	}
	clusterID, err := memberIdentity(ctx, memberKube, logger)
	if err != nil {
		return nil, err
	}
	logger.Info("member identified", "member", member.Host, "clusterID", clusterID)

	stores := []bootstrap.Store{bootstrap.DirStore{Dir: o.CredentialsDir}}
	if o.InCluster {
		stores = append(stores, bootstrap.SecretStore{Client: memberKube, Namespace: workv1alpha1.SystemNamespace, Name: bootstrap.DefaultSecretName})
	}
	creds, err := bootstrap.New(bootstrap.Options{
		Cluster: o.ClusterName, ClusterID: clusterID, Hub: o.Hub, Token: o.Token,
		CertificateTTL: o.CertificateTTL, Stores: stores, Log: logger.WithName("bootstrap"),
	})
	if err != nil {
		return nil, err
	}
	registered, err := startCredentials(ctx, creds, logger)
	if err != nil {
		return nil, err
	}
	if registered {
		logger.Info("registered with the hub", "hub", o.Hub.URL, "notAfter", creds.NotAfter().UTC().Format(time.RFC3339))
	}

	meter := &Meter{}
	hubCfg := creds.HubConfig()
	hubCfg.WrapTransport = meter.Wrap
	hub, err := client.NewWithWatch(hubCfg, client.Options{Scheme: scheme.Scheme, Mapper: hubMapper()})
	if err != nil {
		return nil, fmt.Errorf("hub client for %s: %w", o.Hub.URL, err)
	}
	hb, err := heartbeat.New(heartbeat.Options{
		Cluster: o.ClusterName, ClusterID: clusterID, Version: o.Version, Hub: hub, Member: memberKube,
		Interval: o.HeartbeatInterval, StatusEvery: o.StatusEvery, CertificateNotAfter: creds.NotAfter,
		OnConnected: func() {
			logger.Info(ConnectedMessage, "hub", o.Hub.URL, "heartbeatInterval", o.HeartbeatInterval.String())
		},
		Log: logger.WithName("heartbeat"),
	})
	if err != nil {
		return nil, err
	}
	m, err := apply.MemberFromConfig(o.ClusterName, member)
	if err != nil {
		return nil, err
	}
	syncer, err := agentsync.New(agentsync.Options{
		Cluster: o.ClusterName, Hub: hub, Member: m,
		ResyncPeriod: o.ResyncPeriod, StatusInterval: o.StatusInterval,
	})
	if err != nil {
		return nil, err
	}
	return &Agent{Credentials: creds, Heartbeat: hb, Sync: syncer, Traffic: meter}, nil
}

// Wait runs the components until ctx ends or one of them must stop the
// agent.
func (a *Agent) Wait(ctx context.Context, o Options) error {
	logger := o.Log.WithValues("cluster", o.ClusterName)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	fail := func(err error) {
		if err != nil {
			cancel(err)
		}
	}
	wg.Go(func() { fail(a.Credentials.Run(ctx)) })
	wg.Go(func() { fail(a.Heartbeat.Run(ctx)) })
	// The sync names the cluster in its own log values.
	wg.Go(func() { fail(a.Sync.Run(log.IntoContext(ctx, o.Log.WithName("sync")))) })
	if every := o.TrafficLogInterval; every >= 0 {
		if every == 0 {
			every = 10 * time.Minute
		}
		wg.Go(func() { a.logTraffic(ctx, logger, every) })
	}
	<-ctx.Done()
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	logger.Info("agent stopped; everything applied stays in the member")
	return nil
}

// memberIdentity is the UID of the member's kube-system namespace, retried
// while the member does not answer.
func memberIdentity(ctx context.Context, kube kubernetes.Interface, logger logr.Logger) (string, error) {
	for attempt := 0; ; attempt++ {
		ns, err := kube.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
		if err == nil {
			return string(ns.UID), nil
		}
		if attempt == 0 || attempt%10 == 0 {
			logger.Error(err, "read the member's kube-system namespace (its UID identifies the cluster): the agent's ServiceAccount needs get on namespaces; retrying")
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("read the member's kube-system namespace: %w", err)
		case <-time.After(min(time.Duration(attempt+1)*time.Second, 10*time.Second)):
		}
	}
}

// startCredentials starts the credentials manager, retrying failures that
// may pass (the hub unreachable, an approval that took too long) and
// returning at once those that will not (a refused token, a denial, no
// token).
func startCredentials(ctx context.Context, m *bootstrap.Manager, logger logr.Logger) (bool, error) {
	for attempt := 1; ; attempt++ {
		registered, err := m.Start(ctx)
		if err == nil {
			return registered, nil
		}
		var denied *bootstrap.DeniedError
		if errors.Is(err, bootstrap.ErrTokenRefused) || errors.As(err, &denied) || errors.Is(err, bootstrap.ErrNoCredentials) || ctx.Err() != nil {
			return false, err
		}
		logger.Error(err, "register with the hub; retrying", "attempt", attempt)
		select {
		case <-ctx.Done():
			return false, err
		case <-time.After(min(time.Duration(attempt)*5*time.Second, time.Minute)):
		}
	}
}

// hubMapper maps the few kinds the agent touches on the hub, so the agent
// never runs discovery over the link.
func hubMapper() meta.RESTMapper {
	kinds := []schema.GroupVersionKind{
		workv1alpha1.GroupVersion.WithKind("Work"),
		clusterv1alpha1.GroupVersion.WithKind("AttachedCluster"),
		coordinationv1.SchemeGroupVersion.WithKind("Lease"),
		corev1.SchemeGroupVersion.WithKind("Event"),
		eventsv1.SchemeGroupVersion.WithKind("Event"),
	}
	versions := make([]schema.GroupVersion, 0, len(kinds))
	for _, gvk := range kinds {
		versions = append(versions, gvk.GroupVersion())
	}
	m := meta.NewDefaultRESTMapper(versions)
	for _, gvk := range kinds {
		m.Add(gvk, meta.RESTScopeNamespace)
	}
	return m
}

func (a *Agent) logTraffic(ctx context.Context, logger logr.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last, lastAt := a.Traffic.Snapshot(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, at := a.Traffic.Snapshot(), time.Now()
		minutes := at.Sub(lastAt).Minutes()
		hb := a.Heartbeat.Stats()
		logger.Info("hub traffic",
			"requestsPerMinute", fmt.Sprintf("%.1f", float64(now.Requests-last.Requests)/minutes),
			"bytesSentPerMinute", int64(float64(now.BytesSent-last.BytesSent)/minutes),
			"bytesReceivedPerMinute", int64(float64(now.BytesReceived-last.BytesReceived)/minutes),
			"leaseRenewals", hb.LeaseRenewals, "statusWrites", hb.StatusWrites)
		last, lastAt = now, at
	}
}

// Meter counts the requests to the hub and the bytes of their bodies (not
// headers or TLS), per direction.
type Meter struct {
	requests, sent, received atomic.Int64
}

// Traffic is a Meter reading.
type Traffic struct {
	Requests, BytesSent, BytesReceived int64
}

// Snapshot reads the counters.
func (m *Meter) Snapshot() Traffic {
	return Traffic{Requests: m.requests.Load(), BytesSent: m.sent.Load(), BytesReceived: m.received.Load()}
}

// Wrap is a rest.Config WrapTransport that counts through m.
func (m *Meter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		m.requests.Add(1)
		if req.ContentLength > 0 {
			m.sent.Add(req.ContentLength)
		}
		resp, err := rt.RoundTrip(req)
		if resp != nil && resp.Body != nil {
			resp.Body = &countingBody{ReadCloser: resp.Body, n: &m.received}
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
