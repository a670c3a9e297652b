package v1alpha1

import "strings"

// ClusterMode is how the hub and a member talk: Push or Pull.
type ClusterMode string

const (
	// ModePush: the hub holds the member's kubeconfig and applies to it.
	ModePush ClusterMode = "Push"
	// ModePull: an agent in the member connects to the hub and applies
	// the member's Works itself.
	ModePull ClusterMode = "Pull"
)

// IsPull tells whether the cluster is joined through an agent.
func (c *AttachedCluster) IsPull() bool { return c.Spec.Mode == ModePull }

// The identities of pull-mode agents on the hub.
const (
	// AgentUserPrefix + cluster name is an agent's user: the common name of
	// the client certificate it obtains through a CertificateSigningRequest.
	AgentUserPrefix = "system:kurator:agent:"
	// AgentGroup is every agent's group (the certificate's organization).
	AgentGroup = "system:kurator:agents"
	// BootstrapGroup is the extra group of the bootstrap tokens `kurator
	// token create` makes: it may only create and read
	// CertificateSigningRequests.
	BootstrapGroup = "system:bootstrappers:kurator"
	// AgentSignerName signs agent certificates: kube-controller-manager's
	// client signer, so the hub's own CA issues them.
	AgentSignerName = "kubernetes.io/kube-apiserver-client"
	// AgentLeaseName is the heartbeat Lease of a cluster's agent, in the
	// cluster's execution namespace (work.kurator.dev ExecutionNamespace).
	AgentLeaseName = "kurator-agent"
	// ClusterNameLabel on a CertificateSigningRequest names the cluster the
	// agent registers as (the certificate's common name must agree).
	ClusterNameLabel = "cluster.kurator.dev/name"
	// ClusterIDAnnotation on a CertificateSigningRequest carries the
	// member's kube-system namespace UID (AgentStatus.ClusterID).
	ClusterIDAnnotation = "cluster.kurator.dev/cluster-id"
	// BootstrapTokenIDAnnotation on an AttachedCluster records the id of the
	// token that registered it.
	BootstrapTokenIDAnnotation = "cluster.kurator.dev/bootstrap-token-id"
)

// AgentUser is the hub user of the named cluster's agent.
func AgentUser(cluster string) string { return AgentUserPrefix + cluster }

// ClusterOfAgentUser is the cluster an agent user belongs to.
func ClusterOfAgentUser(user string) (string, bool) {
	c, ok := strings.CutPrefix(user, AgentUserPrefix)
	return c, ok && c != ""
}
