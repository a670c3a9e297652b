package bootstrap

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	certificatesclient "k8s.io/client-go/kubernetes/typed/certificates/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// MinCertificateTTL is the shortest certificate the CertificateSigningRequest
// API lets a requester ask for.
const MinCertificateTTL = 10 * time.Minute

// certificateRequest is the PEM PKCS#10 request of the named cluster's agent:
// common name AgentUser(cluster), organization AgentGroup, signed by key.
func certificateRequest(key *ecdsa.PrivateKey, cluster string) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{
			CommonName:   clusterv1alpha1.AgentUser(cluster),
			Organization: []string{clusterv1alpha1.AgentGroup},
		},
	}, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// signingRequest is the CertificateSigningRequest the hub's agentcsr
// controller approves: the client signer, client auth usages, the cluster
// name as a label and the member's identity as an annotation.
func signingRequest(request []byte, cluster, clusterID string, ttl time.Duration) *certificatesv1.CertificateSigningRequest {
	seconds := int32(ttl / time.Second)
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "kurator-agent-" + cluster + "-",
			Labels:       map[string]string{clusterv1alpha1.ClusterNameLabel: cluster},
			Annotations:  map[string]string{clusterv1alpha1.ClusterIDAnnotation: clusterID},
		},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:           request,
			SignerName:        clusterv1alpha1.AgentSignerName,
			ExpirationSeconds: &seconds,
			Usages:            []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}
}

// ErrTokenRefused: the hub answered 401 to the bootstrap token.
var ErrTokenRefused = errors.New("the hub refused the bootstrap token (expired, revoked or mistyped): create a new one on the hub with `kurator token create` and run the register command it prints")

// ErrCertificateRefused: the hub answered 401 to the agent's certificate.
var ErrCertificateRefused = errors.New("the hub refused the agent's current certificate (expired, or the hub's CA changed): register the cluster again with a new token (`kurator token create` on the hub prints the command)")

// DeniedError is a CertificateSigningRequest the hub denied or failed.
type DeniedError struct {
	Name    string
	Type    certificatesv1.RequestConditionType
	Reason  string
	Message string
}

func (e *DeniedError) Error() string {
	verb := "denied"
	if e.Type == certificatesv1.CertificateFailed {
		verb = "failed"
	}
	return fmt.Sprintf("the hub %s the agent's certificate request %s: %s: %s", verb, e.Name, e.Reason, e.Message)
}

// requestCertificate creates the CertificateSigningRequest and waits, until
// timeout, for the hub to approve it and issue the certificate. creds names
// the credentials the request is made with, for messages.
func requestCertificate(ctx context.Context, csrs certificatesclient.CertificateSigningRequestInterface, req *certificatesv1.CertificateSigningRequest, creds string, timeout time.Duration) ([]byte, string, error) {
	created, err := csrs.Create(ctx, req, metav1.CreateOptions{})
	switch {
	case apierrors.IsUnauthorized(err) && creds == credsToken:
		return nil, "", ErrTokenRefused
	case apierrors.IsUnauthorized(err):
		return nil, "", fmt.Errorf("%w (%v)", ErrCertificateRefused, err)
	case apierrors.IsForbidden(err):
		return nil, "", fmt.Errorf("the hub does not let the %s create CertificateSigningRequests (%v): the ClusterRole and ClusterRoleBinding kurator-agent-bootstrap are missing; `kurator token create` on the hub (or installing the chart) creates them", creds, err)
	case err != nil:
		return nil, "", fmt.Errorf("create the CertificateSigningRequest for cluster %s on the hub: %w", req.Labels[clusterv1alpha1.ClusterNameLabel], err)
	}
	cert, err := waitForCertificate(ctx, csrs, created.Name, timeout)
	return cert, created.Name, err
}

const (
	credsToken = "bootstrap token"
	credsCert  = "agent's current certificate"
)

// waitForCertificate watches the named CertificateSigningRequest until it
// carries a certificate, is denied or failed, or timeout passes. A watch
// that ends (a dropped connection, a relay restart) resumes from the last
// resourceVersion seen, so a slow link carries one GET and the events.
func waitForCertificate(ctx context.Context, csrs certificatesclient.CertificateSigningRequestInterface, name string, timeout time.Duration) ([]byte, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			select {
			case <-wctx.Done():
			case <-time.After(min(time.Duration(attempt)*time.Second, 5*time.Second)):
			}
		}
		if wctx.Err() != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			msg := fmt.Sprintf("the hub did not issue a certificate for request %s within %s: its manager approves agent requests (on the hub: kubectl get csr %s; kubectl -n kurator-system logs deploy/kurator-manager) and its kube-controller-manager signs them (csrsigning controller)", name, timeout, name)
			if lastErr != nil {
				msg += fmt.Sprintf("; last error: %v", lastErr)
			}
			return nil, errors.New(msg)
		}
		csr, err := csrs.Get(wctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("the certificate request %s was deleted on the hub before it was issued (the hub's csrcleaner removes old requests): restart the agent to request again", name)
		}
		if err != nil {
			lastErr = err
			continue
		}
		if cert, done, err := outcome(csr); done {
			return cert, err
		}
		w, err := csrs.Watch(wctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
			ResourceVersion: csr.ResourceVersion,
		})
		if err != nil {
			lastErr = err
			continue
		}
		cert, done, err := watchOutcome(w, name)
		w.Stop()
		if done {
			return cert, err
		}
	}
}

// watchOutcome reads w until the request is decided (done) or the watch
// ends.
func watchOutcome(w watch.Interface, name string) (cert []byte, done bool, err error) {
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Deleted:
			return nil, true, fmt.Errorf("the certificate request %s was deleted on the hub before it was issued: restart the agent to request again", name)
		case watch.Error:
			return nil, false, nil
		}
		csr, ok := ev.Object.(*certificatesv1.CertificateSigningRequest)
		if !ok || csr.Name != name {
			continue
		}
		if cert, done, err := outcome(csr); done {
			return cert, true, err
		}
	}
	return nil, false, nil
}

// outcome is the certificate of an issued request, the *DeniedError of a
// denied or failed one, or not done.
func outcome(csr *certificatesv1.CertificateSigningRequest) ([]byte, bool, error) {
	if d, ok := decided(csr); ok {
		return nil, true, d
	}
	if approved(csr) && len(csr.Status.Certificate) > 0 {
		return csr.Status.Certificate, true, nil
	}
	return nil, false, nil
}

// decided returns the Denied or Failed condition of csr.
func decided(csr *certificatesv1.CertificateSigningRequest) (*DeniedError, bool) {
	for _, c := range csr.Status.Conditions {
		if (c.Type == certificatesv1.CertificateDenied || c.Type == certificatesv1.CertificateFailed) && c.Status != corev1.ConditionFalse {
			return &DeniedError{Name: csr.Name, Type: c.Type, Reason: c.Reason, Message: c.Message}, true
		}
	}
	return nil, false
}

func approved(csr *certificatesv1.CertificateSigningRequest) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == certificatesv1.CertificateApproved && c.Status != corev1.ConditionFalse {
			return true
		}
	}
	return false
}
