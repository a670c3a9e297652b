package apphub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

func TestBundleIsCanonical(t *testing.T) {
	files := map[string][]byte{"b.yaml": []byte("b"), "a/c.yaml": []byte("c"), "Chart.yaml": []byte("name: x")}
	data1, digest1, err := Package{Files: files}.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	// A map built in another order, and another format label, bundle the
	// same bytes: the digest names the files only.
	other := map[string][]byte{}
	for _, k := range []string{"Chart.yaml", "a/c.yaml", "b.yaml"} {
		other[k] = append([]byte(nil), files[k]...)
	}
	data2, digest2, err := Package{Format: appsv1alpha1.FormatManifests, Files: other}.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if digest1 != digest2 || !bytes.Equal(data1, data2) {
		t.Fatalf("equal files bundled differently: %s vs %s", digest1, digest2)
	}
	if !strings.HasPrefix(digest1, "sha256:") || len(digest1) != len("sha256:")+64 {
		t.Fatalf("digest %q is not sha256:<64 hex>", digest1)
	}
	other["b.yaml"] = []byte("B")
	if _, digest3, _ := (Package{Files: other}).Bundle(); digest3 == digest1 {
		t.Fatalf("changed content kept digest %s", digest1)
	}

	// Paths are in byte order, with fixed metadata.
	zr, err := gzip.NewReader(bytes.NewReader(data1))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v; want none", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, hdr.Name)
		if hdr.Mode != 0o644 || hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(time.Unix(0, 0)) || hdr.Uname != "" {
			t.Errorf("%s: mode %o uid %d gid %d mtime %v uname %q; want fixed", hdr.Name, hdr.Mode, hdr.Uid, hdr.Gid, hdr.ModTime, hdr.Uname)
		}
	}
	if want := []string{"Chart.yaml", "a/c.yaml", "b.yaml"}; !reflect.DeepEqual(names, want) {
		t.Errorf("tar order %v, want %v", names, want)
	}
}

func TestUnbundleRoundTripsAndDetectsTheFormat(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string][]byte
		wantFormat string
	}{
		{name: "YAML files are Manifests", files: map[string][]byte{"mes-app.yaml": mesYAML(t), "docs/README.md": []byte("x")}, wantFormat: appsv1alpha1.FormatManifests},
		{name: "Chart.yaml at the root is a HelmChart", files: map[string][]byte{"Chart.yaml": []byte("name: c"), "templates/a.yaml": []byte("")}, wantFormat: appsv1alpha1.FormatHelmChart},
		{name: "Chart.yaml below the root is not", files: map[string][]byte{"charts/c/Chart.yaml": []byte("name: c")}, wantFormat: appsv1alpha1.FormatManifests},
		{name: "an empty file survives", files: map[string][]byte{"empty.yaml": {}}, wantFormat: appsv1alpha1.FormatManifests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, digest, err := Package{Files: tt.files}.Bundle()
			if err != nil {
				t.Fatal(err)
			}
			p, err := Unbundle(data)
			if err != nil {
				t.Fatal(err)
			}
			if p.Format != tt.wantFormat || DetectFormat(tt.files) != tt.wantFormat {
				t.Errorf("format %q, want %q", p.Format, tt.wantFormat)
			}
			if len(p.Files) != len(tt.files) {
				t.Fatalf("files %d, want %d", len(p.Files), len(tt.files))
			}
			for name, content := range tt.files {
				if !bytes.Equal(p.Files[name], content) {
					t.Errorf("%s = %q, want %q", name, p.Files[name], content)
				}
			}
			got, err := ContentDigest(data)
			if err != nil || got != digest {
				t.Errorf("ContentDigest = %s, %v; want %s", got, err, digest)
			}
		})
	}
}

// tgz builds a tar.gz by hand, for bundles Bundle would never make.
func tgz(t *testing.T, entries ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, hdr := range entries {
		h := hdr
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Linkname))
			content := h.Linkname
			h.Linkname = ""
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write([]byte(content)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBundleAndUnbundleRefuseBadInput(t *testing.T) {
	// Linkname carries a regular file's content in tgz.
	reg := func(name, content string) tar.Header {
		return tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Linkname: content}
	}
	tests := []struct {
		name    string
		bundle  func() error
		wantErr string
	}{
		{name: "no files", bundle: func() error { _, _, err := Package{}.Bundle(); return err }, wantErr: "package has no files"},
		{name: "an absolute path", bundle: func() error { _, _, err := Package{Files: map[string][]byte{"/etc/x.yaml": nil}}.Bundle(); return err }, wantErr: "path is absolute"},
		{name: "a path leaving the root", bundle: func() error { _, _, err := Package{Files: map[string][]byte{"../x.yaml": nil}}.Bundle(); return err }, wantErr: "leaves the package root"},
		{name: "an unclean path", bundle: func() error { _, _, err := Package{Files: map[string][]byte{"a//x.yaml": nil}}.Bundle(); return err }, wantErr: "not clean"},
		{name: "not gzip", bundle: func() error { _, err := Unbundle([]byte("plain text")); return err }, wantErr: "not a gzip stream"},
		{name: "a symlink in the tar", bundle: func() error {
			_, err := Unbundle(tgz(t, tar.Header{Typeflag: tar.TypeSymlink, Name: "x.yaml", Linkname: "/etc/passwd"}))
			return err
		}, wantErr: "not a regular file"},
		{name: "a tar path leaving the root", bundle: func() error { _, err := Unbundle(tgz(t, reg("../../x.yaml", "a"))); return err }, wantErr: "leaves the package root"},
		{name: "a file twice", bundle: func() error { _, err := Unbundle(tgz(t, reg("x.yaml", "a"), reg("./x.yaml", "b"))); return err }, wantErr: "appears twice"},
		{name: "only directories", bundle: func() error {
			_, err := Unbundle(tgz(t, tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o755}))
			return err
		}, wantErr: "holds no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.bundle()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestUnbundleAcceptsATarWithDirectoriesAndDotSlashPaths(t *testing.T) {
	data := tgz(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755},
		tar.Header{Typeflag: tar.TypeReg, Name: "./app.yaml", Mode: 0o600, Linkname: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"},
	)
	p, err := Unbundle(data)
	if err != nil {
		t.Fatal(err)
	}
	objs, _, err := p.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := Objects(objs); !reflect.DeepEqual(got, []string{"ConfigMap/x"}) {
		t.Fatalf("objects %v", got)
	}
}
