package agentinstall

import (
	"context"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

func TestRefusalLine(t *testing.T) {
	for _, tc := range []struct{ name, log, want string }{
		{"the token refusal is found", "starting\nE the hub refused the bootstrap token (expired)\n", "E the hub refused the bootstrap token (expired)"},
		{"a denial is found", "x\ncertificate request denied: another cluster (id 1) is registered as a\ny", "certificate request denied: another cluster (id 1) is registered as a"},
		{"other failures are not a refusal", "dial tcp 10.0.0.1:6443: i/o timeout\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RefusalLine([]byte(tc.log)); got != tc.want {
				t.Fatalf("RefusalLine = %q, want %q", got, tc.want)
			}
		})
	}
}

func csrWith(conds ...certificatesv1.CertificateSigningRequestCondition) *certificatesv1.CertificateSigningRequest {
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "csr-1", Labels: map[string]string{clusterv1alpha1.ClusterNameLabel: "north"}},
		Status:     certificatesv1.CertificateSigningRequestStatus{Conditions: conds},
	}
}

func TestCSRState(t *testing.T) {
	approved := certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue}
	denied := certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue,
		Reason: "ClusterIDMismatch", Message: "another cluster (id X) is registered as north"}
	issued := csrWith(approved)
	issued.Status.Certificate = []byte("pem")
	for _, tc := range []struct {
		name         string
		csr          *certificatesv1.CertificateSigningRequest
		state, wantD string
	}{
		{"no condition is pending", csrWith(), "pending", ""},
		{"approved without a certificate is approved", csrWith(approved), "approved", ""},
		{"a certificate is issued", issued, "issued", ""},
		{"denied carries reason and message", csrWith(denied), "denied", "ClusterIDMismatch: another cluster (id X) is registered as north"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, d := csrState(tc.csr)
			if state != tc.state || d != tc.wantD {
				t.Fatalf("csrState = %q, %q; want %q, %q", state, d, tc.state, tc.wantD)
			}
		})
	}
}

func agentDeployment(available bool) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace}}
	if available {
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	}
	return d
}

func agentPod(state corev1.ContainerState) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kurator-agent-abc", Namespace: Namespace, Labels: map[string]string{"app.kubernetes.io/name": Name}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "agent", Image: "registry.invalid/agent:v1", State: state}}},
	}
}

func TestObserve(t *testing.T) {
	ready := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "north", Namespace: "kurator-system"},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
		Status: clusterv1alpha1.AttachedClusterStatus{Conditions: []metav1.Condition{
			{Type: "Ready", Status: metav1.ConditionTrue, Reason: "AgentHeartbeat"}}},
	}
	push := ready.DeepCopy()
	push.Spec.Mode = clusterv1alpha1.ModePush
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	pullBackOff := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "not found"}}
	denied := csrWith(certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue,
		Reason: "PushCluster", Message: "cluster north is joined in Push mode"})
	for _, tc := range []struct {
		name      string
		hub       []client.Object // nil: no hub reader
		noHub     bool
		pod       corev1.ContainerState
		creds     bool
		ready     bool
		failed    string
		hint      string
		phasePart string
	}{
		{name: "a Ready AttachedCluster is the end", hub: []client.Object{ready}, pod: running, ready: true, phasePart: "Ready"},
		{name: "a denied CSR fails with its reason", hub: []client.Object{denied}, pod: running, failed: "joined in Push mode"},
		{name: "a Push AttachedCluster of that name fails naming unjoin", hub: []client.Object{push}, pod: running, failed: "kurator unjoin north"},
		{name: "an image that cannot be pulled is the hint", hub: []client.Object{}, pod: pullBackOff, hint: "--image", phasePart: "ImagePullBackOff"},
		{name: "without the hub, stored credentials are as far as one sees", noHub: true, pod: running, creds: true, ready: true, phasePart: "registered"},
		{name: "without the hub and no credentials it waits", noHub: true, pod: running, phasePart: "agent Deployment available"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{agentDeployment(true), agentPod(tc.pod)}
			if tc.creds {
				objs = append(objs, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: CredentialsSecretName, Namespace: Namespace}})
			}
			w := &Watcher{Cluster: "north", HubURL: "https://hub:6443", Member: k8sfake.NewClientset(objs...)}
			if !tc.noHub {
				w.Hub = newHub(tc.hub...)
			}
			obs := w.Observe(context.Background())
			if tc.failed != "" {
				if obs.Failed == nil || !strings.Contains(obs.Failed.Error(), tc.failed) {
					t.Fatalf("Failed = %v, want one containing %q", obs.Failed, tc.failed)
				}
				return
			}
			if obs.Failed != nil {
				t.Fatalf("Failed = %v", obs.Failed)
			}
			if obs.Ready != tc.ready {
				t.Errorf("Ready = %v, want %v (phase %q)", obs.Ready, tc.ready, obs.Phase)
			}
			if !strings.Contains(obs.Phase, tc.phasePart) {
				t.Errorf("phase %q, want it to contain %q", obs.Phase, tc.phasePart)
			}
			if !strings.Contains(obs.Hint, tc.hint) {
				t.Errorf("hint %q, want it to contain %q", obs.Hint, tc.hint)
			}
		})
	}
}

func TestTimeoutSaysTheAgentDidNotReachTheHub(t *testing.T) {
	w := &Watcher{Cluster: "north", HubURL: "https://hub:6443", Hub: newHub(), MemberContext: "north"}
	err := w.timeoutError(Observation{Phase: "agent Pod Running"}, 0)
	for _, part := range []string{"has not reached the hub at https://hub:6443", "kubectl --context north -n kurator-system logs deploy/kurator-agent"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	if errors.Is(err, ErrTokenRefused) {
		t.Error("a timeout is not a token refusal")
	}
}
