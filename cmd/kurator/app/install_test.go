package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kurator-go/kurator/internal/install"
)

// TestInstallFlagErrors: bad flags stop before any cluster is read (none
// is reachable here: the kubeconfig points nowhere), naming the flag.
func TestInstallFlagErrors(t *testing.T) {
	nowhere := filepath.Join(t.TempDir(), "missing-kubeconfig")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"-o json is refused", []string{"--dry-run", "-o", "json"}, "only yaml"},
		{"-o without --dry-run is refused", []string{"-o", "yaml"}, "add --dry-run"},
		{"zero replicas names --replicas", []string{"--replicas", "0", "--dry-run"}, "--replicas 0"},
		{"an image that does not parse names it", []string{"--image", "Registry/UPPER CASE", "--dry-run"}, `--image "Registry/UPPER CASE" does not parse`},
		{"a misspelt --set key is named", []string{"--set", "replica=3", "--dry-run"}, "'replica' not allowed"},
		{"an unreachable kubeconfig names the file and the flags", []string{"--kubeconfig", nowhere}, "check --kubeconfig/--context"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runKurator(t, "", append([]string{"install", "center-manager"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v does not hold %q; output:\n%s", err, tc.want, out)
			}
		})
	}
}

// TestInstallValuesFiles: -f files layer under --image and --set as in
// Helm; an image pinned by digest in a file is replaced whole by --image.
func TestInstallValuesFiles(t *testing.T) {
	digest := "sha256:" + strings.Repeat("2b", 32)
	file := filepath.Join(t.TempDir(), "values.yaml")
	pinned := "image:\n  repository: 127.0.0.1:5000/kurator-manager\n  digest: " + digest + "\n  pullPolicy: Always\nreplicas: 4\n"
	if err := os.WriteFile(file, []byte(pinned), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"the file pins the image by digest", nil,
			[]string{`image: "127.0.0.1:5000/kurator-manager@` + digest + `"`, "imagePullPolicy: Always", "replicas: 4"}, nil},
		{"--set wins over the file", []string{"--set", "replicas=2"}, []string{"replicas: 2"}, []string{"replicas: 4"}},
		{"--image with a tag replaces the file's digest", []string{"--image", "example.com/km:v2"},
			[]string{`image: "example.com/km:v2"`, "imagePullPolicy: Always"}, []string{digest}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runKurator(t, "", append([]string{"install", "center-manager", "--dry-run", "-f", file}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the manifest lacks %s", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("the manifest still holds %s", n)
				}
			}
		})
	}
	if _, err := runKurator(t, "", "install", "center-manager", "--dry-run", "-f", filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "--values") {
		t.Errorf("a missing values file: error %v, want one naming --values", err)
	}
}

// TestInstallDryRunPrintsTheChart: --dry-run prints Render's manifest for
// the flags' values, and --image with a digest pins it.
func TestInstallDryRunPrintsTheChart(t *testing.T) {
	digest := "sha256:" + strings.Repeat("1a", 32)
	out, err := runKurator(t, "", "install", "center-manager", "--dry-run", "-n", "hub", "--replicas", "3",
		"--image", "127.0.0.1:5000/kurator-manager@"+digest, "--set", "manager.args={--concurrency=5}")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := install.Render(install.Options{Namespace: "hub", Values: map[string]any{
		"replicas": 3,
		"image":    map[string]any{"repository": "127.0.0.1:5000/kurator-manager", "digest": digest},
		"manager":  map[string]any{"args": []any{"--concurrency=5"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out != rel.Manifest {
		t.Fatal("--dry-run output differs from the chart's rendering of the same values")
	}
	for _, want := range []string{"replicas: 3", `image: "127.0.0.1:5000/kurator-manager@` + digest + `"`, "--leader-election-namespace=hub", `- "--concurrency=5"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the manifest lacks %s", want)
		}
	}
}

func TestExpandHome(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	for in, want := range map[string]string{
		"~/.kube/config": filepath.Join(home, ".kube/config"),
		"/etc/kube":      "/etc/kube",
		"rel/~x":         "rel/~x",
		"":               "",
	} {
		if got := expandHome(in); got != want {
			t.Errorf("expandHome(%q) = %q, want %q", in, got, want)
		}
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServerConfigRefused: each bad file stops naming the problem.
func TestServerConfigRefused(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string
	}{
		{"an unknown top-level key is named with its line", "kubeconfig: a\nclsuters: []\n", []string{`unknown key "clsuters"`, "(line 2)"}},
		{"an unknown cluster key is named with its line", "clusters:\n  - name: a\n    kubeconfig: a.yaml\n    lables: {env: prod}\n", []string{`"lables"`, "(line 4)"}},
		{"a duplicate cluster name is named", "clusters:\n  - {name: a, kubeconfig: a.yaml}\n  - {name: a, kubeconfig: b.yaml}\n", []string{`cluster "a" is listed twice`}},
		{"a cluster without credentials is named", "clusters:\n  - name: north\n    labels: {env: prod}\n", []string{`cluster "north" has neither kubeconfig nor server`}},
		{"a server without a token is named", "clusters:\n  - {name: east, server: 'https://e:6443'}\n", []string{`cluster "east" has a server but no token`}},
		{"kubeconfig and server together are refused", "clusters:\n  - {name: w, kubeconfig: w.yaml, server: 'https://w', token: t}\n", []string{`cluster "w" has both`}},
		{"a fleet without a name is refused", "fleet: {}\n", []string{"fleet has no name"}},
		{"zero replicas is refused", "replicas: 0\n", []string{"replicas 0"}},
		{"a duplicate key is refused", "namespace: a\nnamespace: b\n", []string{"namespace"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadServerConfig(writeConfig(t, tc.body))
			if err == nil {
				t.Fatal("the file is accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not hold %q: %v", w, err)
				}
			}
		})
	}
}

// TestServerConfigDecodes: a good file decodes; relative kubeconfig paths
// are relative to the file; a server and token make a kubeconfig of theirs.
func TestServerConfigDecodes(t *testing.T) {
	p := writeConfig(t, `kubeconfig: mgmt.yaml
context: admin
namespace: hub
replicas: 1
image: ghcr.io/kurator-go/kurator-manager:v1
values:
  resources: {requests: {cpu: 10m}}
clusters:
  - name: hangzhou
    kubeconfig: members/hangzhou.yaml
    context: hz
    labels: {env: production}
    region: asia-east
  - name: frankfurt
    server: https://frankfurt.example.com:6443
    token: secret-token
    insecureSkipTLSVerify: true
fleet:
  name: global-production
`)
	c, err := loadServerConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if c.Kubeconfig != filepath.Join(dir, "mgmt.yaml") || c.Clusters[0].Kubeconfig != filepath.Join(dir, "members/hangzhou.yaml") {
		t.Errorf("paths not relative to the file: %q %q", c.Kubeconfig, c.Clusters[0].Kubeconfig)
	}
	if *c.Replicas != 1 || c.Namespace != "hub" || c.Fleet.Name != "global-production" || c.Clusters[0].Labels["env"] != "production" {
		t.Errorf("decoded %+v", c)
	}
	kc, err := c.Clusters[1].kubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://frankfurt.example.com:6443" || cfg.BearerToken != "secret-token" || !cfg.Insecure {
		t.Errorf("server/token kubeconfig gives host %q token %q insecure %v", cfg.Host, cfg.BearerToken, cfg.Insecure)
	}
}

// TestServerInstallDryRun: the example file checks and prints the chart.
func TestServerInstallDryRun(t *testing.T) {
	out, err := runKurator(t, "", "server", "install", "--config", "../../../examples/install/config.yaml", "--dry-run")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "kind: Deployment") {
		t.Errorf("no manifests printed:\n%.400s", out)
	}
}
