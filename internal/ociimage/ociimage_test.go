package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var epoch = time.Unix(0, 0).UTC()

// fakeBinary writes content to a file of its own and returns its path.
func fakeBinary(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kurator-manager")
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func spec(bin string) Spec {
	return Spec{
		Name: "kurator-manager", Binary: bin, Created: epoch,
		Source: "https://github.com/kurator-go/kurator", Version: "v0.1.0", Revision: "0123abcd",
	}
}

func digest(t *testing.T, s Spec) v1.Hash {
	t.Helper()
	img, err := Build(s)
	if err != nil {
		t.Fatalf("build %s: %v", s.Binary, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fakeContent is large enough that gzip's block structure matters (more
// than one deflate block), and deterministic.
func fakeContent() string {
	var sb strings.Builder
	for i := 0; sb.Len() < 300<<10; i++ {
		sb.WriteString("\x7fELF fake binary ")
		sb.WriteByte(byte(i * 7))
	}
	return sb.String()
}

func TestBuildDigest(t *testing.T) {
	content := fakeContent()
	base := digest(t, spec(fakeBinary(t, content)))
	oneByte := []byte(content)
	oneByte[len(oneByte)/2] ^= 1
	cases := []struct {
		name string
		spec func() Spec
		same bool
	}{
		{"same bytes in another file give the same digest", func() Spec { return spec(fakeBinary(t, content)) }, true},
		{"one byte of the binary changed gives another digest", func() Spec { return spec(fakeBinary(t, string(oneByte))) }, false},
		{"another SOURCE_DATE_EPOCH gives another digest", func() Spec {
			s := spec(fakeBinary(t, content))
			s.Created = time.Unix(1700000000, 0)
			return s
		}, false},
		{"another version label gives another digest", func() Spec {
			s := spec(fakeBinary(t, content))
			s.Version = "v0.1.1"
			return s
		}, false},
		{"another name (path and entrypoint) gives another digest", func() Spec {
			s := spec(fakeBinary(t, content))
			s.Name = "kurator"
			return s
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := digest(t, tc.spec())
			if (got == base) != tc.same {
				t.Errorf("digest %s, first build %s: same=%v, want same=%v", got, base, got == base, tc.same)
			}
		})
	}
}

func TestBuildConfig(t *testing.T) {
	created := time.Unix(1714000000, 0).UTC()
	s := spec(fakeBinary(t, "binary"))
	s.Created = created
	img, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", cf.Config.User)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/kurator-manager" || len(cf.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/kurator-manager] and no cmd", cf.Config.Entrypoint, cf.Config.Cmd)
	}
	if cf.Config.WorkingDir != "/" {
		t.Errorf("working dir %q, want /", cf.Config.WorkingDir)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	wantLabels := map[string]string{LabelSource: s.Source, LabelVersion: "v0.1.0", LabelRevision: "0123abcd"}
	if len(cf.Config.Labels) != len(wantLabels) {
		t.Errorf("labels %v, want %v", cf.Config.Labels, wantLabels)
	}
	for k, v := range wantLabels {
		if cf.Config.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, cf.Config.Labels[k], v)
		}
	}
	if len(cf.RootFS.DiffIDs) != 1 || len(cf.History) != 1 {
		t.Errorf("%d layers, %d history entries; want one of each", len(cf.RootFS.DiffIDs), len(cf.History))
	}

	// Every time anywhere in the config is the epoch given.
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	times := 0
	walkStrings(doc, func(key, v string) {
		if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
			times++
			if !tm.Equal(created) {
				t.Errorf("config %s = %s, want the epoch %s", key, v, created.Format(time.RFC3339))
			}
		}
	})
	if times != 2 {
		t.Errorf("config holds %d times, want 2 (created and history[0].created): %s", times, raw)
	}

	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if mt != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("media types manifest %s config %s layers %v, want OCI manifest, config and one gzip layer", mt, m.Config.MediaType, m.Layers)
	}
}

func walkStrings(v any, f func(key, v string)) {
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(key+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(key+"[]", e)
			}
		case string:
			f(key, x)
		}
	}
	walk("", v)
}

func TestLayerEntries(t *testing.T) {
	created := time.Unix(1714000000, 0).UTC()
	content := fakeContent()
	s := spec(fakeBinary(t, content))
	s.Created = created
	img, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	type entry struct {
		name       string
		typ        byte
		mode       int64
		uid, gid   int
		uname      string
		gname      string
		size       int64
		mtimeEpoch bool
	}
	want := []entry{
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777, mtimeEpoch: true},
		{name: "kurator-manager", typ: tar.TypeReg, mode: 0o755, uid: NonRoot, gid: NonRoot, size: int64(len(content)), mtimeEpoch: true},
	}
	var got []entry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entry{name: h.Name, typ: h.Typeflag, mode: h.Mode, uid: h.Uid, gid: h.Gid, uname: h.Uname, gname: h.Gname,
			size: h.Size, mtimeEpoch: h.ModTime.Equal(created) && h.AccessTime.IsZero() && h.ChangeTime.IsZero()})
		if h.Name == "kurator-manager" {
			b, _ := io.ReadAll(tr)
			if string(b) != content {
				t.Errorf("kurator-manager in the layer differs from the binary (%d bytes, want %d)", len(b), len(content))
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("layer entries %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("layer entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestWriteLayoutTwiceIsByteIdentical(t *testing.T) {
	content := fakeContent()
	var trees []map[string][]byte
	var digests []v1.Hash
	for range 2 {
		dir := filepath.Join(t.TempDir(), "kurator-manager")
		// A leftover of an earlier build must not stay in the layout.
		if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", "stale"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := Build(spec(fakeBinary(t, content)))
		if err != nil {
			t.Fatal(err)
		}
		d, err := WriteLayout(dir, img, "v0.1.0")
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadLayout(dir)
		if err != nil {
			t.Fatal(err)
		}
		if bd, _ := back.Digest(); bd != d {
			t.Errorf("layout %s reads back as %s, written %s", dir, bd, d)
		}
		digests = append(digests, d)
		trees = append(trees, readTree(t, dir))
	}
	if digests[0] != digests[1] {
		t.Errorf("digests %s and %s differ", digests[0], digests[1])
	}
	if len(trees[0]) != 5 { // oci-layout, index.json, manifest, config, layer
		t.Errorf("layout files %v, want oci-layout, index.json and 3 blobs", keys(trees[0]))
	}
	for name, b := range trees[0] {
		if !bytes.Equal(b, trees[1][name]) {
			t.Errorf("layout file %s differs between the two builds", name)
		}
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(trees[0]["index.json"], &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations[AnnotationRefName] != "v0.1.0" ||
		idx.Manifests[0].Platform == nil || idx.Manifests[0].Platform.Architecture != "amd64" {
		t.Errorf("index.json %s, want one manifest with ref.name v0.1.0 and platform linux/amd64", trees[0]["index.json"])
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("layout file %s has mode %v, want 0644", p, fi.Mode().Perm())
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func TestSourceDateEpoch(t *testing.T) {
	cases := []struct {
		name, value string
		want        int64
		wantErr     bool
	}{
		{"unset is 0", "", 0, false},
		{"seconds are read", "1714000000", 1714000000, false},
		{"a date string is refused", "2024-04-25", 0, true},
		{"a negative number is refused", "-5", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SourceDateEpoch(func(string) string { return tc.value })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
					t.Errorf("error %q does not name SOURCE_DATE_EPOCH", err)
				}
				return
			}
			if got.Unix() != tc.want || got.Location() != time.UTC {
				t.Errorf("got %v, want %d UTC", got, tc.want)
			}
		})
	}
}

func TestBuildBadInput(t *testing.T) {
	cases := []struct {
		name    string
		spec    Spec
		wantErr string
	}{
		{"a missing binary names the build command", Spec{Name: "kurator-manager", Binary: "/nonexistent/kurator-manager"}, "make images"},
		{"a name with a slash is refused", Spec{Name: "bin/kurator", Binary: "/x"}, "one path element"},
		{"an empty binary path is refused", Spec{Name: "kurator"}, "spec.Binary is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseTag(t *testing.T) {
	if _, err := ParseTag("127.0.0.1:5000/kurator-go/kurator-manager", false); err == nil {
		t.Error("a reference without a tag was accepted")
	}
	tag, err := ParseTag("127.0.0.1:5000/kurator-go/kurator-manager:v0.1.0", false)
	if err != nil {
		t.Fatal(err)
	}
	if tag.Scheme() != "http" {
		t.Errorf("loopback registry scheme %s, want http", tag.Scheme())
	}
	tag, err = ParseTag("registry.example.com/kurator-go/kurator-manager:v0.1.0", true)
	if err != nil {
		t.Fatal(err)
	}
	if tag.Scheme() != "http" {
		t.Errorf("insecure registry scheme %s, want http", tag.Scheme())
	}
}
