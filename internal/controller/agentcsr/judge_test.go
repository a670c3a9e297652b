package agentcsr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

const (
	tokenID   = "abc123"
	clusterID = "0b7e1c2a-uid-of-kube-system"
)

// csrSpec shapes a test CSR.
type csrSpec struct {
	cn, label, user string
	orgs            []string
	dns             []string
	usages          []certificatesv1.KeyUsage
	groups          []string
	clusterID       string
	badPEM          bool
}

// agentCSR is the CSR a bootstrapping agent of cluster "edge" makes, changed by f.
func agentCSR(t *testing.T, f func(*csrSpec)) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	s := csrSpec{
		cn: clusterv1alpha1.AgentUser("edge"), label: "edge", user: bootstrapUserPfx + tokenID,
		orgs:      []string{clusterv1alpha1.AgentGroup},
		usages:    []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		groups:    []string{"system:bootstrappers", clusterv1alpha1.BootstrapGroup, "system:authenticated"},
		clusterID: clusterID,
	}
	if f != nil {
		f(&s)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: s.cn, Organization: s.orgs}, DNSNames: s.dns,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	req := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	if s.badPEM {
		req = []byte("not a request")
	}
	csr := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "kurator-agent-edge-x7", Labels: map[string]string{}, Annotations: map[string]string{}},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: req, SignerName: clusterv1alpha1.AgentSignerName, Usages: s.usages,
			Username: s.user, Groups: s.groups,
		},
	}
	if s.label != "" {
		csr.Labels[clusterv1alpha1.ClusterNameLabel] = s.label
	}
	if s.clusterID != "" {
		csr.Annotations[clusterv1alpha1.ClusterIDAnnotation] = s.clusterID
	}
	return csr
}

func tokenSecret(id string, expires time.Time, groups string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: tokenSecretName(id), Namespace: tokenNamespace},
		Type:       tokenSecretType,
		Data: map[string][]byte{
			"token-id": []byte(id), "token-secret": []byte("0123456789abcdef"),
			keyExpiration: []byte(expires.Format(time.RFC3339)), keyUsageAuth: []byte("true"), keyExtraGroups: []byte(groups),
		},
	}
}

func pullCluster(name, id string) *clusterv1alpha1.AttachedCluster {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: workv1alpha1.SystemNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
	}
	if id != "" {
		ac.Status.Agent = &clusterv1alpha1.AgentStatus{ClusterID: id}
	}
	return ac
}

func TestJudge(t *testing.T) {
	live := tokenSecret(tokenID, now.Add(time.Hour), clusterv1alpha1.BootstrapGroup)
	push := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: workv1alpha1.SystemNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{Name: "edge-kubeconfig"}},
	}
	renewal := func(s *csrSpec) {
		s.user = clusterv1alpha1.AgentUser("edge")
		s.groups = []string{clusterv1alpha1.AgentGroup}
	}
	deleting := pullCluster("edge", clusterID)
	deleting.DeletionTimestamp = &metav1.Time{Time: now}
	deleting.Finalizers = []string{"x"}
	tests := []struct {
		name    string
		csr     func(*csrSpec)
		token   *corev1.Secret
		cluster *clusterv1alpha1.AttachedCluster
		// approve or the denial reason; message parts it must contain.
		approve bool
		create  bool
		reason  string
		message []string
	}{
		{name: "live token, no cluster yet: approved, the cluster is created", token: live,
			approve: true, create: true, reason: ReasonAgentRegistered, message: []string{"cluster edge", tokenID}},
		{name: "live token, Pull cluster with the same cluster ID (re-registration): approved", token: live, cluster: pullCluster("edge", clusterID),
			approve: true, reason: ReasonAgentRegistered},
		{name: "live token, Pull cluster with no recorded ID: approved", token: live, cluster: pullCluster("edge", ""),
			approve: true, reason: ReasonAgentRegistered},
		{name: "the cluster's own agent renewing: approved", csr: renewal, cluster: pullCluster("edge", clusterID),
			approve: true, reason: ReasonAgentRenewed},
		{name: "renewal of an unregistered cluster: denied, register again with a new token", csr: renewal,
			reason: ReasonClusterNotRegistered, message: []string{"cluster edge is not registered", "kurator token create"}},
		{name: "agent of cluster b asks for a certificate of edge: denied", token: live,
			csr: func(s *csrSpec) {
				s.user = clusterv1alpha1.AgentUser("b")
				s.groups = []string{clusterv1alpha1.AgentGroup}
			},
			reason: ReasonClusterNameMismatch, message: []string{"the agent of cluster b asks for a certificate of cluster edge"}},
		{name: "common name edge, label other: denied", token: live, csr: func(s *csrSpec) { s.label = "other" },
			reason: ReasonClusterNameMismatch, message: []string{`names "other"`}},
		{name: "no cluster label: denied", token: live, csr: func(s *csrSpec) { s.label = "" },
			reason: ReasonClusterNameMismatch},
		{name: "cluster name that makes no namespace: denied", token: live,
			csr:    func(s *csrSpec) { s.cn = clusterv1alpha1.AgentUser("Edge_1"); s.label = "Edge_1" },
			reason: ReasonInvalidClusterName, message: []string{"at most 48 characters"}},
		{name: "organization system:masters: denied", token: live, csr: func(s *csrSpec) { s.orgs = []string{"system:masters"} },
			reason: ReasonInvalidRequest, message: []string{"must be exactly [system:kurator:agents]"}},
		{name: "an extra organization: denied", token: live, csr: func(s *csrSpec) { s.orgs = append(s.orgs, "system:masters") },
			reason: ReasonInvalidRequest},
		{name: "DNS names in the request: denied", token: live, csr: func(s *csrSpec) { s.dns = []string{"edge.example"} },
			reason: ReasonInvalidRequest, message: []string{"no subject alternative names"}},
		{name: "server auth usage: denied", token: live,
			csr:    func(s *csrSpec) { s.usages = append(s.usages, certificatesv1.UsageServerAuth) },
			reason: ReasonBadUsages},
		{name: "no client auth usage: denied", token: live,
			csr:    func(s *csrSpec) { s.usages = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature} },
			reason: ReasonBadUsages},
		{name: "unparsable request: denied", token: live, csr: func(s *csrSpec) { s.badPEM = true },
			reason: ReasonInvalidRequest, message: []string{"CERTIFICATE REQUEST"}},
		{name: "requester is a plain user: denied", token: live, csr: func(s *csrSpec) { s.user = "alice"; s.groups = nil },
			reason: ReasonUnknownRequester, message: []string{`requester "alice"`, "kurator token create"}},
		{name: "a bootstrap token without the kurator group (kubeadm's): denied", token: live,
			csr: func(s *csrSpec) {
				s.groups = []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"}
			},
			reason: ReasonUnknownRequester},
		{name: "token Secret deleted (revoked): denied", reason: ReasonTokenNotFound,
			message: []string{"bootstrap token abc123 was deleted (revoked)", "kurator token create"}},
		{name: "token expired: denied", token: tokenSecret(tokenID, now.Add(-time.Second), clusterv1alpha1.BootstrapGroup),
			reason: ReasonTokenExpired, message: []string{"expired at 2026-12-02T09:59:59Z", "kurator token create"}},
		{name: "token Secret whose groups lack the kurator group: denied", token: tokenSecret(tokenID, now.Add(time.Hour), "system:bootstrappers:kubeadm:default-node-token"),
			reason: ReasonTokenInvalid},
		{name: "no cluster ID annotation: denied", token: live, csr: func(s *csrSpec) { s.clusterID = "" },
			reason: ReasonMissingClusterID, message: []string{clusterv1alpha1.ClusterIDAnnotation}},
		{name: "cluster joined in Push mode: denied", token: live, cluster: push,
			reason: ReasonClusterInPushMode, message: []string{"cluster edge is joined in Push mode", "kurator unjoin edge"}},
		{name: "another cluster registered under the name: denied", token: live, cluster: pullCluster("edge", "other-uid"),
			reason: ReasonClusterIDConflict, message: []string{"another cluster (id other-uid) is registered as edge", "kurator unregister edge"}},
		{name: "renewal by an agent whose cluster ID differs from the registration: denied", csr: renewal, cluster: pullCluster("edge", "other-uid"),
			reason: ReasonClusterIDConflict},
		{name: "cluster being unregistered: denied", token: live, cluster: deleting, reason: ReasonClusterBeingDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(Input{CSR: agentCSR(t, tt.csr), Token: tt.token, Cluster: tt.cluster, Now: now})
			if v.Approve != tt.approve || v.Reason != tt.reason || v.Create != tt.create {
				t.Fatalf("verdict approve=%v reason=%s create=%v (%s), want approve=%v reason=%s create=%v",
					v.Approve, v.Reason, v.Create, v.Message, tt.approve, tt.reason, tt.create)
			}
			for _, part := range tt.message {
				if !strings.Contains(v.Message, part) {
					t.Errorf("message %q lacks %q", v.Message, part)
				}
			}
		})
	}
}

func TestClusterOfCSR(t *testing.T) {
	other := agentCSR(t, nil)
	other.Spec.SignerName = "kubernetes.io/kubelet-serving"
	human := agentCSR(t, func(s *csrSpec) { s.cn = "alice"; s.label = "" })
	tests := []struct {
		name    string
		csr     *certificatesv1.CertificateSigningRequest
		cluster string
		ours    bool
	}{
		{"agent CSR of edge: ours", agentCSR(t, nil), "edge", true},
		{"another signer: not ours", other, "", false},
		{"client certificate of a person: not ours", human, "", false},
		{"unreadable request labelled for edge: ours, to be denied", agentCSR(t, func(s *csrSpec) { s.badPEM = true }), "edge", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ours := ClusterOfCSR(tt.csr)
			if c != tt.cluster || ours != tt.ours {
				t.Errorf("ClusterOfCSR = %q, %v; want %q, %v", c, ours, tt.cluster, tt.ours)
			}
		})
	}
}
