package bootstrap

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Store keeps the agent's credentials across restarts.
type Store interface {
	// Load returns the stored credentials, nil when there are none.
	Load(ctx context.Context) (*Credentials, error)
	// Save replaces the stored credentials.
	Save(ctx context.Context, c *Credentials) error
	// String names the store in messages.
	String() string
}

// CredentialsFile is the file in the credentials directory holding the
// certificate followed by the private key, both PEM. kubectl and client-go
// take it as both --client-certificate and --client-key.
const CredentialsFile = "kurator-agent.pem"

// DirStore keeps the credentials in one file of a directory, readable by
// its owner only. The file is replaced atomically (a rename), so a crash
// never leaves a key that does not match its certificate.
type DirStore struct{ Dir string }

func (d DirStore) path() string { return filepath.Join(d.Dir, CredentialsFile) }

func (d DirStore) String() string { return d.path() }

// Load reads the credentials file; a missing file is no credentials.
func (d DirStore) Load(context.Context) (*Credentials, error) {
	raw, err := os.ReadFile(d.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM := splitPEM(raw)
	c, err := ParseCredentials(keyPEM, certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path(), err)
	}
	return c, nil
}

// Save writes the certificate and the key into the file, mode 0600, in a
// directory of mode 0700.
func (d DirStore) Save(_ context.Context, c *Credentials) error {
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.Dir, "."+CredentialsFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	body := append(append(bytes.Clone(c.CertPEM), '\n'), c.KeyPEM...)
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), d.path())
}

// splitPEM separates certificate blocks from key blocks.
func splitPEM(raw []byte) (certPEM, keyPEM []byte) {
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			return certPEM, keyPEM
		}
		if b.Type == "CERTIFICATE" {
			certPEM = append(certPEM, pem.EncodeToMemory(b)...)
		} else {
			keyPEM = append(keyPEM, pem.EncodeToMemory(b)...)
		}
	}
}

// SecretStore keeps the credentials in a kubernetes.io/tls Secret of the
// member, so an agent Pod whose credentials directory is an emptyDir finds
// them again after a restart and needs no token.
type SecretStore struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string
}

// DefaultSecretName is the Secret an in-cluster agent keeps its credentials
// in, in the kurator-system namespace of its member.
const DefaultSecretName = "kurator-agent-credentials"

func (s SecretStore) String() string { return "Secret " + s.Namespace + "/" + s.Name }

// Load reads the Secret; a missing Secret is no credentials.
func (s SecretStore) Load(ctx context.Context) (*Credentials, error) {
	sec, err := s.Client.CoreV1().Secrets(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := ParseCredentials(sec.Data[corev1.TLSPrivateKeyKey], sec.Data[corev1.TLSCertKey])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	return c, nil
}

// Save creates or updates the Secret.
func (s SecretStore) Save(ctx context.Context, c *Credentials) error {
	secrets := s.Client.CoreV1().Secrets(s.Namespace)
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name,
			Labels: map[string]string{"app.kubernetes.io/name": "kurator-agent"}},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: c.CertPEM, corev1.TLSPrivateKeyKey: c.KeyPEM},
	}
	cur, err := secrets.Get(ctx, s.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if cur.Type != corev1.SecretTypeTLS {
		// The type of a Secret cannot change: replace it.
		if err := secrets.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
		return err
	}
	cur.Data = want.Data
	_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}
