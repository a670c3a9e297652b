package apphub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

func TestVersionName(t *testing.T) {
	tests := []struct {
		name, app, version string
		want               string // "" when only the shape is checked
		hashed             bool
	}{
		{name: "a valid name is kept as it is", app: "mes", version: "v1.2", want: "mes-v1.2"},
		{name: "a Git revision is kept", app: "mes", version: "git-3f2a9c1", want: "mes-git-3f2a9c1"},
		{name: "uppercase is lowered and hashed", app: "mes", version: "V1.2", hashed: true},
		{name: "a semver build suffix is mapped and hashed", app: "mes", version: "1.2.0+build.7", hashed: true},
		{name: "an underscore is mapped and hashed", app: "mes_app", version: "v1", hashed: true},
		{name: "a 128-character version fits", app: strings.Repeat("a", 63), version: strings.Repeat("V", 128), hashed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := VersionName(tt.app, tt.version)
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Fatalf("%q is not a DNS-1123 subdomain: %v", got, errs)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.hashed {
				i := strings.LastIndexByte(got, '-')
				if i < 0 || len(got)-i-1 != 8 {
					t.Fatalf("%q has no 8-hex hash suffix", got)
				}
			}
		})
	}
	// Versions that map to the same characters keep distinct names.
	if a, b := VersionName("mes", "V1.2"), VersionName("mes", "v1_2"); a == b {
		t.Fatalf("V1.2 and v1_2 share the name %s", a)
	}
	if a, b := VersionName("mes", "V1.2"), VersionName("mes", "V1.2"); a != b {
		t.Fatalf("the name is not stable: %s, %s", a, b)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// chartArchive writes a .tgz as helm package does: the chart's files
// under a directory named after the chart.
func chartArchive(t *testing.T, path, top string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: top + "/" + name, Mode: 0o644, Size: int64(len(files[name]))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

const chartYAML = "apiVersion: v2\nname: mes\nversion: 1.2.0\n"
const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"

func TestLoadPath(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, dir string) string // returns the path to load
		wantFormat string
		wantFiles  []string
	}{
		{
			name: "a directory of YAML keeps only .yaml, .yml and .json files, at any depth, skipping dot-directories",
			setup: func(t *testing.T, dir string) string {
				writeFiles(t, dir, map[string]string{"mes-app.yaml": configMap, "base/svc.yml": strings.Replace(configMap, "name: x", "name: other", 1), "extra/x.json": `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "z"}}`, "README.md": "# MES", ".git/config.yaml": "x", "notes.txt": "x"})
				return dir
			},
			wantFormat: appsv1alpha1.FormatManifests,
			wantFiles:  []string{"base/svc.yml", "extra/x.json", "mes-app.yaml"},
		},
		{
			name: "a chart directory keeps every file less .helmignore's",
			setup: func(t *testing.T, dir string) string {
				writeFiles(t, dir, map[string]string{"Chart.yaml": chartYAML, "values.yaml": "a: 1", "templates/cm.yaml": configMap, "templates/_helpers.tpl": "", "README.md": "x", "ci/test.yaml": "x", ".helmignore": "ci/\n*.md\n"})
				return dir
			},
			wantFormat: appsv1alpha1.FormatHelmChart,
			wantFiles:  []string{".helmignore", "Chart.yaml", "templates/_helpers.tpl", "templates/cm.yaml", "values.yaml"},
		},
		{
			name: "a single YAML file",
			setup: func(t *testing.T, dir string) string {
				writeFiles(t, dir, map[string]string{"plant/mes-app.yaml": configMap})
				return filepath.Join(dir, "plant", "mes-app.yaml")
			},
			wantFormat: appsv1alpha1.FormatManifests,
			wantFiles:  []string{"mes-app.yaml"},
		},
		{
			name: "a chart archive loses the chart's top directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "mes-1.2.0.tgz")
				chartArchive(t, p, "mes", map[string]string{"Chart.yaml": chartYAML, "templates/cm.yaml": configMap})
				return p
			},
			wantFormat: appsv1alpha1.FormatHelmChart,
			wantFiles:  []string{"Chart.yaml", "templates/cm.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LoadPath(tt.setup(t, t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for name := range p.Files {
				names = append(names, name)
			}
			sort.Strings(names)
			if p.Format != tt.wantFormat || !reflect.DeepEqual(names, tt.wantFiles) {
				t.Fatalf("format %s files %v, want %s %v", p.Format, names, tt.wantFormat, tt.wantFiles)
			}
			if _, _, err := p.Render(apphub.RenderOptions{DefaultNamespace: "default"}); err != nil {
				t.Fatalf("the loaded package does not render: %v", err)
			}
		})
	}
}

func TestLoadPathRefusals(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string
		wantErr []string
	}{
		{
			name:    "a missing path names it and what to give",
			setup:   func(t *testing.T, dir string) string { return filepath.Join(dir, "nope") },
			wantErr: []string{"nope", "no such file", "give a directory of YAML files, a chart directory, a YAML file or a chart .tgz"},
		},
		{
			name: "a directory without YAML",
			setup: func(t *testing.T, dir string) string {
				writeFiles(t, dir, map[string]string{"README.md": "x"})
				return dir
			},
			wantErr: []string{"has no .yaml, .yml or .json file and no Chart.yaml"},
		},
		{
			name: "a file of another kind",
			setup: func(t *testing.T, dir string) string {
				writeFiles(t, dir, map[string]string{"mes.zip": "x"})
				return filepath.Join(dir, "mes.zip")
			},
			wantErr: []string{"mes.zip", "not YAML (.yaml, .yml, .json) nor a chart archive"},
		},
		{
			name: "an archive that is not gzip",
			setup: func(t *testing.T, dir string) string {
				writeFiles(t, dir, map[string]string{"mes.tgz": "plain"})
				return filepath.Join(dir, "mes.tgz")
			},
			wantErr: []string{"mes.tgz", "not a gzip stream", "give a chart archive made by helm package"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPath(tt.setup(t, t.TempDir()))
			if err == nil {
				t.Fatal("LoadPath succeeded")
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}
