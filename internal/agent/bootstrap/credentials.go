package bootstrap

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// RotationShare is the share of a certificate's lifetime after which the
// agent asks for a new one: at 80% of a 24h certificate, 4.8h before it
// expires, which leaves room for a long outage of the hub.
const RotationShare = 0.8

// Credentials are the agent's private key and the client certificate the
// hub issued for it.
type Credentials struct {
	// KeyPEM is the private key (PEM "EC PRIVATE KEY").
	KeyPEM []byte
	// CertPEM is the certificate, optionally followed by intermediates.
	CertPEM []byte

	leaf *x509.Certificate
	pair tls.Certificate
}

// NewKey generates the agent's private key: ECDSA on P-256.
func NewKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// encodeKey is the PEM form of key.
func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// ParseCredentials checks that the key and the certificate belong together
// and returns them ready for use.
func ParseCredentials(keyPEM, certPEM []byte) (*Credentials, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	pair.Leaf = leaf
	return &Credentials{KeyPEM: keyPEM, CertPEM: certPEM, leaf: leaf, pair: pair}, nil
}

// Certificate is the parsed client certificate.
func (c *Credentials) Certificate() *x509.Certificate { return c.leaf }

// NotAfter is when the certificate expires.
func (c *Credentials) NotAfter() time.Time { return c.leaf.NotAfter }

// RotateAt is when the certificate should be replaced: RotationShare of its
// lifetime after NotBefore.
func (c *Credentials) RotateAt() time.Time {
	return RotateAt(c.leaf.NotBefore, c.leaf.NotAfter)
}

// RotateAt is RotationShare of the way from notBefore to notAfter.
func RotateAt(notBefore, notAfter time.Time) time.Time {
	life := notAfter.Sub(notBefore)
	return notBefore.Add(time.Duration(float64(life) * RotationShare))
}

// Usable says why the credentials cannot serve the named cluster's agent at
// now, or nil: the certificate must be for that cluster's agent user, in the
// agents' group, for client authentication, and unexpired.
func (c *Credentials) Usable(cluster string, now time.Time) error {
	want := clusterv1alpha1.AgentUser(cluster)
	switch {
	case c.leaf.Subject.CommonName != want:
		return fmt.Errorf("the certificate is for %q, not %q", c.leaf.Subject.CommonName, want)
	case !slices.Contains(c.leaf.Subject.Organization, clusterv1alpha1.AgentGroup):
		return fmt.Errorf("the certificate's organizations %v lack %s", c.leaf.Subject.Organization, clusterv1alpha1.AgentGroup)
	case len(c.leaf.ExtKeyUsage) > 0 && !slices.Contains(c.leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth):
		return errors.New("the certificate is not for client authentication")
	case !now.Before(c.leaf.NotAfter):
		return fmt.Errorf("the certificate expired at %s", c.leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(c.leaf.NotBefore.Add(-time.Minute)):
		return fmt.Errorf("the certificate is valid only from %s (is the clock right?)", c.leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// matches tells whether the certificate certifies key's public half.
func matches(cert *x509.Certificate, key crypto.Signer) bool {
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(key.Public())
}
