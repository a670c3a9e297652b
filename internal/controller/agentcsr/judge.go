package agentcsr

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// The bootstrap-token Secret format of Kubernetes (k8s.io/cluster-bootstrap):
// Secret kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token,
// authenticated by the kube-apiserver as user system:bootstrap:<id>.
const (
	// FleetLabel on a token Secret names the Fleet the clusters it
	// registers join (`kurator token create --fleet F`).
	FleetLabel = "kurator.dev/fleet"

	tokenNamespace    = "kube-system"
	tokenSecretPrefix = "bootstrap-token-"
	tokenSecretType   = corev1.SecretType("bootstrap.kubernetes.io/token")
	bootstrapUserPfx  = "system:bootstrap:"

	keyExpiration  = "expiration"
	keyUsageAuth   = "usage-bootstrap-authentication"
	keyExtraGroups = "auth-extra-groups"
)

// tokenSecretName is the Secret of bootstrap token id.
func tokenSecretName(id string) string { return tokenSecretPrefix + id }

// bootstrapTokenID is the token id of a bootstrap token's user.
func bootstrapTokenID(user string) (string, bool) {
	id, ok := strings.CutPrefix(user, bootstrapUserPfx)
	return id, ok && id != ""
}

// Reasons of the Approved and Denied conditions this controller writes.
const (
	ReasonAgentRegistered      = "KuratorAgentRegistered"
	ReasonAgentRenewed         = "KuratorAgentRenewed"
	ReasonInvalidRequest       = "InvalidRequest"
	ReasonClusterNameMismatch  = "ClusterNameMismatch"
	ReasonInvalidClusterName   = "InvalidClusterName"
	ReasonBadUsages            = "BadUsages"
	ReasonUnknownRequester     = "UnknownRequester"
	ReasonTokenNotFound        = "BootstrapTokenNotFound"
	ReasonTokenExpired         = "BootstrapTokenExpired"
	ReasonTokenInvalid         = "BootstrapTokenInvalid"
	ReasonMissingClusterID     = "MissingClusterID"
	ReasonClusterNotRegistered = "ClusterNotRegistered"
	ReasonClusterInPushMode    = "ClusterJoinedInPushMode"
	ReasonClusterIDConflict    = "ClusterIDConflict"
	ReasonClusterBeingDeleted  = "ClusterBeingDeleted"
)

// newTokenFix ends every message of a refused token.
const newTokenFix = "create a new token on the hub with `kurator token create` and run the register command it prints"

// Input is what the approver knows when it judges one CSR.
type Input struct {
	CSR *certificatesv1.CertificateSigningRequest
	// Token is the Secret of the requester's bootstrap token; nil when the
	// requester is no bootstrap token or the Secret does not exist.
	Token *corev1.Secret
	// Cluster is the AttachedCluster kurator-system/<cluster>; nil when absent.
	Cluster *clusterv1alpha1.AttachedCluster
	Now     time.Time
}

// Verdict is the decision on one CSR.
type Verdict struct {
	// Approve: sign it; else deny it.
	Approve bool
	Reason  string
	Message string
	// Cluster is the cluster the CSR asks a certificate for (empty when the
	// request cannot be read).
	Cluster string
	// ClusterID is the member's kube-system UID the CSR carries.
	ClusterID string
	// TokenID is the bootstrap token that asks (empty for a renewal).
	TokenID string
	// Create: the AttachedCluster is absent and is created on approval.
	Create bool
}

// ClusterOfCSR is the cluster a CSR asks an agent certificate for: the
// common name's suffix after clusterv1alpha1.AgentUserPrefix. It is false for
// CSRs of other signers and for common names of no agent: not this
// controller's CSRs.
func ClusterOfCSR(csr *certificatesv1.CertificateSigningRequest) (string, bool) {
	if csr.Spec.SignerName != clusterv1alpha1.AgentSignerName {
		return "", false
	}
	cr, err := parseRequest(csr.Spec.Request)
	if err != nil {
		// A CSR that claims to be an agent's by its label is judged (and
		// denied) instead of ignored.
		name, labelled := csr.Labels[clusterv1alpha1.ClusterNameLabel]
		return name, labelled
	}
	if c, ok := clusterv1alpha1.ClusterOfAgentUser(cr.Subject.CommonName); ok {
		return c, true
	}
	return "", false
}

func parseRequest(data []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("spec.request holds no PEM block of type CERTIFICATE REQUEST")
	}
	cr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("spec.request: %w", err)
	}
	if err := cr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("spec.request: signature: %w", err)
	}
	return cr, nil
}

// allowedUsages are the key usages an agent's client certificate may have;
// client auth must be among them.
var allowedUsages = []certificatesv1.KeyUsage{
	certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment,
}

// Judge decides whether a CSR of a pull-mode agent is approved. It checks,
// in order: the request itself (common name, organization, no alternative
// names, usages), that its label names the same cluster, the requester (a
// live bootstrap token of `kurator token create`, or the cluster's own agent
// renewing), the cluster ID, and the AttachedCluster of that name (absent:
// created; Pull with the same or no recorded cluster ID: fine; Push or
// another cluster ID: refused). It is pure: the caller reads the Secret and
// the AttachedCluster.
func Judge(in Input) Verdict {
	csr := in.CSR
	deny := func(cluster, reason, format string, args ...any) Verdict {
		return Verdict{Reason: reason, Cluster: cluster, Message: fmt.Sprintf(format, args...)}
	}
	label := csr.Labels[clusterv1alpha1.ClusterNameLabel]
	cr, err := parseRequest(csr.Spec.Request)
	if err != nil {
		return deny(label, ReasonInvalidRequest, "CSR %s of cluster %q: %v: run a kurator-agent of this version, which writes a valid request", csr.Name, label, err)
	}
	cluster, ok := clusterv1alpha1.ClusterOfAgentUser(cr.Subject.CommonName)
	if !ok {
		return deny(label, ReasonInvalidRequest, "CSR %s: common name %q is not an agent's (%s<cluster>)", csr.Name, cr.Subject.CommonName, clusterv1alpha1.AgentUserPrefix)
	}
	if label != cluster {
		return deny(cluster, ReasonClusterNameMismatch, "CSR %s: its common name asks for cluster %s but its label %s names %q: the agent registers one cluster, under one name (--cluster-name)",
			csr.Name, cluster, clusterv1alpha1.ClusterNameLabel, label)
	}
	if msgs := validation.IsDNS1123Label(workv1alpha1.ExecutionNamespace(cluster)); len(msgs) > 0 || len(validation.IsDNS1123Label(cluster)) > 0 {
		return deny(cluster, ReasonInvalidClusterName, "CSR %s: cluster name %q must be a DNS label (lower-case letters, digits and '-') of at most %d characters: register under another --cluster-name",
			csr.Name, cluster, validation.DNS1123LabelMaxLength-len(workv1alpha1.ExecutionNamespacePrefix))
	}
	if !slices.Equal(cr.Subject.Organization, []string{clusterv1alpha1.AgentGroup}) {
		return deny(cluster, ReasonInvalidRequest, "CSR %s of cluster %s: the organization (the certificate's groups) must be exactly [%s], not %v",
			csr.Name, cluster, clusterv1alpha1.AgentGroup, cr.Subject.Organization)
	}
	if n := len(cr.DNSNames) + len(cr.IPAddresses) + len(cr.EmailAddresses) + len(cr.URIs); n > 0 {
		return deny(cluster, ReasonInvalidRequest, "CSR %s of cluster %s: an agent's client certificate has no subject alternative names, this request has %d", csr.Name, cluster, n)
	}
	if !slices.Contains(csr.Spec.Usages, certificatesv1.UsageClientAuth) || slices.ContainsFunc(csr.Spec.Usages, func(u certificatesv1.KeyUsage) bool {
		return !slices.Contains(allowedUsages, u)
	}) {
		return deny(cluster, ReasonBadUsages, "CSR %s of cluster %s: usages %v: an agent's certificate is for client auth only (with digital signature, key encipherment)", csr.Name, cluster, csr.Spec.Usages)
	}

	v := Verdict{Cluster: cluster, ClusterID: csr.Annotations[clusterv1alpha1.ClusterIDAnnotation]}
	renewal := false
	switch user := csr.Spec.Username; {
	case user == clusterv1alpha1.AgentUser(cluster):
		renewal = true
	case strings.HasPrefix(user, clusterv1alpha1.AgentUserPrefix):
		other, _ := clusterv1alpha1.ClusterOfAgentUser(user)
		return deny(cluster, ReasonClusterNameMismatch, "CSR %s: the agent of cluster %s asks for a certificate of cluster %s: an agent renews only its own cluster's certificate; check --cluster-name of the agent of %s",
			csr.Name, other, cluster, other)
	default:
		id, isToken := bootstrapTokenID(user)
		if !isToken || !slices.Contains(csr.Spec.Groups, clusterv1alpha1.BootstrapGroup) {
			return deny(cluster, ReasonUnknownRequester, "CSR %s of cluster %s: requester %q is neither a bootstrap token of `kurator token create` (group %s) nor the agent of %s: %s",
				csr.Name, cluster, user, clusterv1alpha1.BootstrapGroup, cluster, newTokenFix)
		}
		v.TokenID = id
		if r, msg := checkToken(in.Token, id, in.Now); r != "" {
			return deny(cluster, r, "CSR %s of cluster %s: %s: %s", csr.Name, cluster, msg, newTokenFix)
		}
	}
	if v.ClusterID == "" {
		return deny(cluster, ReasonMissingClusterID, "CSR %s of cluster %s carries no annotation %s (the member's kube-system namespace UID): run a kurator-agent of this version",
			csr.Name, cluster, clusterv1alpha1.ClusterIDAnnotation)
	}

	ac := in.Cluster
	switch {
	case ac == nil && renewal:
		return deny(cluster, ReasonClusterNotRegistered, "CSR %s: cluster %s is not registered (AttachedCluster %s/%s is gone: unregistered), so its agent's certificate is not renewed: %s",
			csr.Name, cluster, workv1alpha1.SystemNamespace, cluster, newTokenFix)
	case ac == nil:
		v.Create = true
	case !ac.DeletionTimestamp.IsZero():
		return deny(cluster, ReasonClusterBeingDeleted, "CSR %s: cluster %s is being unregistered: wait until AttachedCluster %s/%s is gone, then register again",
			csr.Name, cluster, ac.Namespace, ac.Name)
	case !ac.IsPull():
		return deny(cluster, ReasonClusterInPushMode, "CSR %s: cluster %s is joined in Push mode (the hub holds its kubeconfig): unjoin it first (kurator unjoin %s), or register the agent under another --cluster-name",
			csr.Name, cluster, cluster)
	default:
		if recorded := recordedClusterID(ac); recorded != "" && recorded != v.ClusterID {
			return deny(cluster, ReasonClusterIDConflict, "CSR %s: another cluster (id %s) is registered as %s; this agent runs in cluster id %s: register it under another --cluster-name, or unregister %s first (kurator unregister %s)",
				csr.Name, recorded, cluster, v.ClusterID, cluster, cluster)
		}
	}

	v.Approve = true
	if renewal {
		v.Reason = ReasonAgentRenewed
		v.Message = fmt.Sprintf("kurator-manager renewed the certificate of the agent of cluster %s (cluster id %s)", cluster, v.ClusterID)
	} else {
		v.Reason = ReasonAgentRegistered
		v.Message = fmt.Sprintf("kurator-manager registered cluster %s (cluster id %s) in Pull mode with bootstrap token %s", cluster, v.ClusterID, v.TokenID)
	}
	return v
}

// checkToken tells why the bootstrap token Secret does not allow a
// registration: a reason and a message, or "" when it does. The
// kube-apiserver refuses expired and deleted tokens itself; this catches the
// token that expired or was deleted after the CSR was made, and tokens not
// made by `kurator token create`.
func checkToken(s *corev1.Secret, id string, now time.Time) (reason, msg string) {
	if s == nil {
		return ReasonTokenNotFound, fmt.Sprintf("bootstrap token %s was deleted (revoked): Secret %s/%s not found", id, tokenNamespace, tokenSecretName(id))
	}
	if s.Type != tokenSecretType || string(s.Data[keyUsageAuth]) != "true" {
		return ReasonTokenInvalid, fmt.Sprintf("Secret %s/%s is no bootstrap token for authentication (type %s, %s=true)", s.Namespace, s.Name, tokenSecretType, keyUsageAuth)
	}
	if !slices.Contains(strings.Split(string(s.Data[keyExtraGroups]), ","), clusterv1alpha1.BootstrapGroup) {
		return ReasonTokenInvalid, fmt.Sprintf("bootstrap token %s is not a kurator token: its %s lack %s", id, keyExtraGroups, clusterv1alpha1.BootstrapGroup)
	}
	if exp := string(s.Data[keyExpiration]); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil {
			return ReasonTokenInvalid, fmt.Sprintf("bootstrap token %s: expiration %q is not an RFC 3339 time", id, exp)
		}
		if !now.Before(t) {
			return ReasonTokenExpired, fmt.Sprintf("bootstrap token %s expired at %s", id, t.UTC().Format(time.RFC3339))
		}
	}
	return "", ""
}

func recordedClusterID(ac *clusterv1alpha1.AttachedCluster) string {
	if ac.Status.Agent == nil {
		return ""
	}
	return ac.Status.Agent.ClusterID
}
