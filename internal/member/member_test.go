package member

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/api/scheme"
)

// writeKubeconfig writes a two-context kubeconfig whose CA and client
// credentials are files next to it, and returns its path.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"ca.crt": "CA-A", "a.crt": "CERT-A", "a.key": "KEY-A", "b-ca.crt": "CA-B"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kc := `apiVersion: v1
kind: Config
current-context: b
clusters:
- name: ca
  cluster: {server: "https://a.example:6443", certificate-authority: ca.crt}
- name: cb
  cluster: {server: "https://b.example:6443", certificate-authority: b-ca.crt}
users:
- name: ua
  user: {client-certificate: a.crt, client-key: a.key}
- name: ub
  user: {token: tok-b}
contexts:
- name: a
  context: {cluster: ca, user: ua}
- name: b
  context: {cluster: cb, user: ub}
`
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFlattenKubeconfigFile(t *testing.T) {
	path := writeKubeconfig(t)
	tests := []struct {
		name       string
		context    string
		wantServer string
		wantErr    string
	}{
		{name: "named context a embeds its files", context: "a", wantServer: "https://a.example:6443"},
		{name: "empty context means current-context b", context: "", wantServer: "https://b.example:6443"},
		{name: "unknown context names the choices", context: "zz", wantErr: `no context "zz": choose one of [a b]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := FlattenKubeconfigFile(path, tt.context)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := clientcmd.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 {
				t.Fatalf("not minified: %d contexts, %d clusters, %d users", len(cfg.Contexts), len(cfg.Clusters), len(cfg.AuthInfos))
			}
			for _, c := range cfg.Clusters {
				if c.Server != tt.wantServer {
					t.Errorf("server = %s, want %s", c.Server, tt.wantServer)
				}
				if c.CertificateAuthority != "" || len(c.CertificateAuthorityData) == 0 {
					t.Errorf("CA not embedded: file %q, %d bytes", c.CertificateAuthority, len(c.CertificateAuthorityData))
				}
			}
			for _, u := range cfg.AuthInfos {
				if u.ClientCertificate != "" || u.ClientKey != "" {
					t.Errorf("client files not embedded: %q %q", u.ClientCertificate, u.ClientKey)
				}
			}
		})
	}
}

func TestKubeconfigSecret(t *testing.T) {
	path := writeKubeconfig(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Bytes carry no origin, so relative paths resolve from the working
	// directory: run from the kubeconfig's directory.
	t.Chdir(filepath.Dir(path))
	s, err := KubeconfigSecret("member-a", "kurator-system", raw, "a")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "member-a" || s.Namespace != "kurator-system" || s.Type != corev1.SecretTypeOpaque {
		t.Fatalf("secret meta = %s/%s %s", s.Namespace, s.Name, s.Type)
	}
	cfg, err := clientcmd.Load(s.Data["kubeconfig"])
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.AuthInfos["ua"].ClientKeyData); got != "KEY-A" {
		t.Errorf("embedded key = %q", got)
	}
	if _, err := KubeconfigSecret("x", "ns", []byte("not: [yaml"), ""); err == nil {
		t.Error("garbage kubeconfig accepted")
	}
}

func TestRestConfigFromSecretErrors(t *testing.T) {
	good, err := FlattenKubeconfigFile(writeKubeconfig(t), "b")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    map[string][]byte
		key     string
		wantErr string
	}{
		{name: "good kubeconfig", data: map[string][]byte{"kubeconfig": good}, key: "kubeconfig"},
		{name: "missing key says recreate", data: map[string][]byte{"other": good}, key: "kubeconfig",
			wantErr: "AttachedCluster c1: Secret kurator-system/s1 has no key kubeconfig: recreate it with kurator join"},
		{name: "garbage says not a kubeconfig", data: map[string][]byte{"kubeconfig": []byte("{{{")}, key: "kubeconfig",
			wantErr: "is not a kubeconfig"},
		{name: "empty config is unusable", data: map[string][]byte{"kubeconfig": []byte("apiVersion: v1\nkind: Config\n")}, key: "kubeconfig",
			wantErr: "unusable kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s1", Namespace: "kurator-system"}, Data: tt.data}
			rc, err := restConfigFromSecret("c1", s, tt.key)
			if tt.wantErr == "" {
				if err != nil || rc.Host != "https://b.example:6443" || rc.BearerToken != "tok-b" {
					t.Fatalf("rc=%+v err=%v", rc, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrKubeconfigInvalid) {
				t.Errorf("err %v is not ErrKubeconfigInvalid", err)
			}
		})
	}
}

func TestRegistryCachesAndRebuildsOnSecretChange(t *testing.T) {
	good := []byte(`apiVersion: v1
kind: Config
current-context: m
clusters: [{name: m, cluster: {server: "https://m.example:6443", insecure-skip-tls-verify: true}}]
users: [{name: m, user: {token: t}}]
contexts: [{name: m, context: {cluster: m, user: m}}]
`)
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: DefaultNamespace},
		Spec: clusterv1alpha1.AttachedClusterSpec{Kubeconfig: &clusterv1alpha1.KubeconfigReference{
			SecretRef: &clusterv1alpha1.SecretKeyReference{Name: "c1-kubeconfig"}}},
	}
	secret := secretFor("c1-kubeconfig", DefaultNamespace, good)
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(ac, secret).Build()
	r := NewRegistry(hub)
	ctx := context.Background()

	d1, err := r.Dynamic(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := r.Dynamic(ctx, "c1")
	if d1 != d2 {
		t.Error("client rebuilt although the Secret did not change")
	}

	secret.Data["unrelated"] = []byte("x")
	if err := hub.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	d3, _ := r.Dynamic(ctx, "c1")
	if d3 == d1 {
		t.Error("client kept although the Secret's resourceVersion changed")
	}

	r.Invalidate("c1")
	if d4, _ := r.Dynamic(ctx, "c1"); d4 == d3 {
		t.Error("client kept after Invalidate")
	}

	if err := hub.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	_, err = r.RESTConfig(ctx, "c1")
	if !errors.Is(err, ErrKubeconfigInvalid) || !strings.Contains(err.Error(), "Secret kurator-system/c1-kubeconfig not found: recreate it with kurator join") {
		t.Errorf("err = %v", err)
	}
	if _, err := r.Kubernetes(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "no AttachedCluster kurator-system/nope") {
		t.Errorf("err = %v", err)
	}
}

func TestRegistryRefusesPullClusters(t *testing.T) {
	ac := &clusterv1alpha1.AttachedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: DefaultNamespace},
		Spec:       clusterv1alpha1.AttachedClusterSpec{Mode: clusterv1alpha1.ModePull},
	}
	hub := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(ac).Build()
	r := NewRegistry(hub)
	ctx := context.Background()
	_, err := r.Kubernetes(ctx, "edge")
	if !errors.Is(err, ErrPullMode) {
		t.Fatalf("err = %v, want ErrPullMode", err)
	}
	if errors.Is(err, ErrKubeconfigInvalid) {
		t.Error("a Pull cluster's error claims a broken kubeconfig Secret")
	}
	if want := "cluster edge is in Pull mode: the hub holds no credentials for it"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
	if _, err := r.ForCluster(ctx, ac); !errors.Is(err, ErrPullMode) {
		t.Errorf("ForCluster err = %v, want ErrPullMode", err)
	}
}
