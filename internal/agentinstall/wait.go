package agentinstall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// ErrTokenRefused means the hub answered 401 to the bootstrap token.
var ErrTokenRefused = errors.New("the hub refused the bootstrap token (expired, revoked or mistyped): create a new one on the hub with `kurator token create` and run the register command it prints")

// HubConfig is a client configuration for the hub authenticated by token.
func HubConfig(hubURL string, ca []byte, serverName, token string) *rest.Config {
	return &rest.Config{
		Host:            hubURL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca, ServerName: serverName},
		Timeout:         10 * time.Second,
	}
}

// CheckToken asks the hub who the token is (a SelfSubjectReview, which
// every authenticated user may create). It returns ErrTokenRefused on 401,
// and an error naming the URL when the hub does not answer.
func CheckToken(ctx context.Context, cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if apierrors.IsUnauthorized(err) {
		return "", ErrTokenRefused
	}
	if err != nil {
		return "", fmt.Errorf("the hub at %s does not answer from here: %w", cfg.Host, err)
	}
	return r.Status.UserInfo.Username, nil
}

// Watcher follows an agent's registration from the member (its Deployment,
// Pod and logs) and, when it can read the hub, from the hub (the cluster's
// CertificateSigningRequests and AttachedCluster).
type Watcher struct {
	Cluster string
	HubURL  string
	// Member reads the agent's objects in the member.
	Member kubernetes.Interface
	// Hub, optional, reads CSRs and the AttachedCluster on the hub.
	Hub client.Client
	// MemberContext names the member in the fix commands of messages.
	MemberContext string
	// Poll is the time between looks (default 1s).
	Poll time.Duration
	Out  io.Writer
}

// Observation is one look at the registration.
type Observation struct {
	// Phase is a short human line ("agent Pod Running", "CSR approved", ...).
	Phase string
	// Ready: the AttachedCluster is Ready (or, without a hub reader, the
	// agent stored its credentials).
	Ready bool
	// Failed holds a definite failure (CSR denied, token refused).
	Failed error
	// Hint is the most telling detail so far, for a timeout's message.
	Hint string
	// SawCSR: the hub has a CSR of the cluster (the agent reached it).
	SawCSR bool
}

// Wait polls until the cluster is Ready, a failure is certain, or timeout,
// printing each new phase with the time since start.
func (w *Watcher) Wait(ctx context.Context, timeout time.Duration) error {
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	begin := time.Now()
	deadline := begin.Add(timeout)
	last := ""
	var obs Observation
	for {
		obs = w.Observe(ctx)
		if obs.Phase != last {
			fmt.Fprintf(w.Out, "[%5.1fs] %s\n", time.Since(begin).Seconds(), obs.Phase)
			last = obs.Phase
		}
		if obs.Failed != nil {
			return obs.Failed
		}
		if obs.Ready {
			return nil
		}
		if time.Now().After(deadline) {
			return w.timeoutError(obs, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

func (w *Watcher) timeoutError(obs Observation, timeout time.Duration) error {
	logs := fmt.Sprintf("kubectl%s -n %s logs deploy/%s", w.contextFlag(), Namespace, Name)
	msg := fmt.Sprintf("cluster %s is not Ready after %s (last: %s)", w.Cluster, timeout, obs.Phase)
	if obs.Hint != "" {
		msg += "; " + obs.Hint
	}
	if w.Hub != nil && !obs.SawCSR {
		msg += fmt.Sprintf("; the hub has no certificate request from the agent: it has not reached the hub at %s from the member; check the member's network path to it (firewall, proxy, DNS) and the agent's logs: %s", w.HubURL, logs)
	} else {
		msg += "; see the agent's logs: " + logs
	}
	return errors.New(msg)
}

func (w *Watcher) contextFlag() string {
	if w.MemberContext == "" {
		return ""
	}
	return " --context " + w.MemberContext
}

// Observe takes one look at the member and the hub.
func (w *Watcher) Observe(ctx context.Context) Observation {
	obs := w.observeMember(ctx)
	if obs.Failed != nil {
		return obs
	}
	if w.Hub == nil {
		return obs
	}
	obs.Ready = false
	csr := w.latestCSR(ctx)
	if csr != nil {
		obs.SawCSR = true
		state, denied := csrState(csr)
		if denied != "" {
			obs.Failed = fmt.Errorf("the hub denied the agent's certificate request %s for cluster %s: %s", csr.Name, w.Cluster, denied)
			obs.Phase = "certificate request denied"
			return obs
		}
		obs.Phase = "certificate request " + csr.Name + " " + state
	}
	var ac clusterv1alpha1.AttachedCluster
	err := w.Hub.Get(ctx, client.ObjectKey{Namespace: workv1alpha1.SystemNamespace, Name: w.Cluster}, &ac)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			obs.Hint = fmt.Sprintf("read AttachedCluster %s/%s on the hub: %v", workv1alpha1.SystemNamespace, w.Cluster, err)
		}
		return obs
	}
	if !ac.IsPull() {
		obs.Failed = fmt.Errorf("cluster %s is joined in Push mode on the hub: unjoin it first (`kurator unjoin %s`) or register the member under another --name", w.Cluster, w.Cluster)
		return obs
	}
	cond := ac.ReadyCondition()
	switch {
	case cond == nil:
		obs.Phase = "AttachedCluster " + w.Cluster + " created, waiting for the first heartbeat"
	case cond.Status == metav1.ConditionTrue:
		obs.Phase, obs.Ready = "AttachedCluster "+w.Cluster+" Ready", true
	default:
		obs.Phase = fmt.Sprintf("AttachedCluster %s Ready=%s (%s)", w.Cluster, cond.Status, cond.Reason)
		obs.Hint = cond.Message
	}
	return obs
}

// observeMember looks at the Deployment, its Pod and the credentials Secret.
func (w *Watcher) observeMember(ctx context.Context) Observation {
	var obs Observation
	d, err := w.Member.AppsV1().Deployments(Namespace).Get(ctx, Name, metav1.GetOptions{})
	if err != nil {
		obs.Phase = "reading the agent's Deployment"
		obs.Hint = fmt.Sprintf("read Deployment %s/%s in the member: %v", Namespace, Name, err)
		return obs
	}
	obs.Phase = "agent Deployment created"
	if available(d) {
		obs.Phase = "agent Deployment available"
	}
	pods, err := w.Member.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + Name})
	if err == nil && len(pods.Items) > 0 {
		sort.Slice(pods.Items, func(i, j int) bool {
			return pods.Items[j].CreationTimestamp.Before(&pods.Items[i].CreationTimestamp)
		})
		p := &pods.Items[0]
		phase, hint, fatal := podState(p)
		if phase != "Running" || !available(d) {
			obs.Phase = "agent Pod " + p.Name + " " + phase
		}
		obs.Hint = hint
		if fatal {
			if line := w.refusal(ctx, p); line != "" {
				obs.Failed = fmt.Errorf("the agent of cluster %s stopped: %s", w.Cluster, line)
				if strings.Contains(line, "bootstrap token") {
					obs.Failed = fmt.Errorf("the agent of cluster %s stopped: %w (agent log: %s)", w.Cluster, ErrTokenRefused, line)
				}
				return obs
			}
		}
	}
	if _, err := w.Member.CoreV1().Secrets(Namespace).Get(ctx, CredentialsSecretName, metav1.GetOptions{}); err == nil {
		obs.Phase = "agent registered (its certificate is stored in Secret " + Namespace + "/" + CredentialsSecretName + ")"
		// Without the hub, registration is as far as one can see.
		obs.Ready = w.Hub == nil
	}
	return obs
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// podState summarises the agent container: a phase, a hint and whether it
// keeps failing (CrashLoopBackOff or terminated with an error).
func podState(p *corev1.Pod) (phase, hint string, failing bool) {
	phase = string(p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			r := cs.State.Waiting.Reason
			phase = r
			switch r {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
				hint = fmt.Sprintf("the member cannot pull the agent image %s: %s (pass --image with a reference the member can pull)", cs.Image, cs.State.Waiting.Message)
			case "CrashLoopBackOff":
				failing = true
				hint = "the agent keeps exiting: " + cs.State.Waiting.Message
			default:
				hint = cs.State.Waiting.Message
			}
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
			phase, failing = "exited with code "+fmt.Sprint(cs.State.Terminated.ExitCode), true
			hint = cs.State.Terminated.Message
		case cs.State.Running != nil && cs.Ready:
			phase = "Running"
		}
	}
	return phase, hint, failing
}

// refusal returns the agent log line that explains why it stopped, when
// it says the hub refused it (token or certificate request).
func (w *Watcher) refusal(ctx context.Context, p *corev1.Pod) string {
	for _, previous := range []bool{true, false} {
		tail := int64(20)
		data, err := w.Member.CoreV1().Pods(Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Previous: previous, TailLines: &tail}).DoRaw(ctx)
		if err != nil {
			continue
		}
		if line := RefusalLine(data); line != "" {
			return line
		}
	}
	return ""
}

// RefusalLine finds, in agent log output, the last line saying the hub
// refused the token or the certificate, or denied the certificate request.
func RefusalLine(log []byte) string {
	lines := bytes.Split(bytes.TrimSpace(log), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		l := string(bytes.TrimSpace(lines[i]))
		low := strings.ToLower(l)
		if strings.Contains(low, "refused the bootstrap token") || strings.Contains(low, "refused the agent") || strings.Contains(low, "denied") {
			return l
		}
	}
	return ""
}

// latestCSR is the newest CSR on the hub labelled with the cluster's name.
func (w *Watcher) latestCSR(ctx context.Context) *certificatesv1.CertificateSigningRequest {
	var csrs certificatesv1.CertificateSigningRequestList
	if err := w.Hub.List(ctx, &csrs, client.MatchingLabels{clusterv1alpha1.ClusterNameLabel: w.Cluster}); err != nil || len(csrs.Items) == 0 {
		return nil
	}
	sort.Slice(csrs.Items, func(i, j int) bool {
		return csrs.Items[j].CreationTimestamp.Before(&csrs.Items[i].CreationTimestamp)
	})
	return &csrs.Items[0]
}

// csrState is "pending", "approved" or "issued"; denied holds the denial's
// reason and message.
func csrState(c *certificatesv1.CertificateSigningRequest) (state, denied string) {
	state = "pending"
	for _, cond := range c.Status.Conditions {
		switch cond.Type {
		case certificatesv1.CertificateDenied, certificatesv1.CertificateFailed:
			if cond.Status == corev1.ConditionTrue {
				return "denied", strings.TrimSpace(cond.Reason + ": " + cond.Message)
			}
		case certificatesv1.CertificateApproved:
			if cond.Status == corev1.ConditionTrue {
				state = "approved"
			}
		}
	}
	if len(c.Status.Certificate) > 0 {
		state = "issued"
	}
	return state, ""
}
