package testimage_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kurator-go/kurator/internal/registry/registrytest"
	"github.com/kurator-go/kurator/internal/testimage"
)

func digest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func build(t *testing.T, opts testimage.Options) v1.Image {
	t.Helper()
	img, err := testimage.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBuildDigests(t *testing.T) {
	v12 := digest(t, build(t, testimage.Options{}))
	cases := []struct {
		name string
		opts testimage.Options
		same bool
	}{
		{name: "the same inputs give the same digest", opts: testimage.Options{Name: "mes-system", Tag: "v1.2"}, same: true},
		{name: "another tag gives another digest", opts: testimage.Options{Tag: "v1.3"}},
		{name: "filler gives another digest", opts: testimage.Options{FillerMiB: 1}},
		{name: "another platform gives another digest", opts: testimage.Options{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		{name: "OCI media types give another digest", opts: testimage.Options{OCI: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := digest(t, build(t, tc.opts))
			if (got == v12) != tc.same {
				t.Errorf("digest %s vs default %s: same = %v, want %v", got, v12, got == v12, tc.same)
			}
		})
	}
}

func TestBuildContents(t *testing.T) {
	img := build(t, testimage.Options{Tag: "v1.1", FillerMiB: 3, FillerLayers: 2})
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Config.Entrypoint; len(got) != 1 || got[0] != "/usr/bin/mes-system" {
		t.Errorf("entrypoint %v, want [/usr/bin/mes-system]", got)
	}
	if !cfg.Created.Time.Equal(testimage.Created) {
		t.Errorf("created %v, want the fixed %v", cfg.Created.Time, testimage.Created)
	}
	if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
		t.Errorf("media type %s, want %s", mt, types.DockerManifestSchema2)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 3 {
		t.Fatalf("%d layers, want 3 (files + 2 filler)", len(layers))
	}
	var filler int64
	for _, l := range layers[1:] {
		n, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		filler += n
	}
	if min, max := int64(3<<20), int64(3<<20+64<<10); filler < min || filler > max {
		t.Errorf("filler layers hold %d bytes, want 3 MiB plus headers (%d..%d)", filler, min, max)
	}

	files := readLayer(t, layers[0])
	want := map[string]struct {
		mode int64
		data string
	}{
		"usr/bin/mes-system":                 {mode: 0o755},
		"etc/mes-system/mes.yaml":            {mode: 0o644},
		"etc/mes-system/version":             {mode: 0o644, data: "v1.1\n"},
		"usr/share/doc/mes-system/README.md": {mode: 0o644},
	}
	for p, w := range want {
		f, ok := files[p]
		if !ok {
			t.Errorf("layer 0 lacks %s (has %v)", p, keys(files))
			continue
		}
		if f.mode != w.mode {
			t.Errorf("%s mode %o, want %o", p, f.mode, w.mode)
		}
		if w.data != "" && f.data != w.data {
			t.Errorf("%s = %q, want %q", p, f.data, w.data)
		}
		if !f.mtime.Equal(testimage.Created) {
			t.Errorf("%s mtime %v, want the fixed %v", p, f.mtime, testimage.Created)
		}
	}
}

func TestFillerSharedAcrossTags(t *testing.T) {
	a, _ := build(t, testimage.Options{Tag: "v1.2", FillerMiB: 1}).Layers()
	b, _ := build(t, testimage.Options{Tag: "v1.3", FillerMiB: 1}).Layers()
	da, _ := a[1].Digest()
	db, _ := b[1].Digest()
	if da != db {
		t.Errorf("filler layer of v1.2 %s differs from v1.3's %s; versions must share it", da, db)
	}
	fa, _ := a[0].Digest()
	fb, _ := b[0].Digest()
	if fa == fb {
		t.Errorf("files layers of v1.2 and v1.3 are both %s; the version file must differ", fa)
	}
}

func TestBuildFromOtherRoot(t *testing.T) {
	root := fstest.MapFS{"bin/app": {Data: []byte("#!/bin/sh\n")}}
	img := build(t, testimage.Options{Name: "app", Tag: "v1", Root: root})
	layers, _ := img.Layers()
	files := readLayer(t, layers[0])
	if f, ok := files["bin/app"]; !ok || f.mode != 0o755 {
		t.Errorf("bin/app = %+v (present %v), want mode 755", f, ok)
	}
	if f := files["etc/app/version"]; f.data != "v1\n" {
		t.Errorf("etc/app/version = %q, want \"v1\\n\"", f.data)
	}
	if _, err := testimage.Build(testimage.Options{Name: "no-such-image"}); err == nil {
		t.Error("an image without files built; want an error naming internal/testimage/images")
	}
}

func TestTarballKeepsTheDigest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mes-system.tar")
	d, err := testimage.WriteTarball(file, testimage.Options{FillerMiB: 1})
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("mes-system:v1.2")
	img, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if got := digest(t, img); got != d {
		t.Errorf("tarball image digest %s, want the built image's %s", got, d)
	}
}

func TestPushToARegistry(t *testing.T) {
	reg := registrytest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	p, err := testimage.Push(ctx, reg.Host(), testimage.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := reg.Host() + "/mes-system:v1.2"; p.Ref != want {
		t.Errorf("ref %s, want %s", p.Ref, want)
	}
	if want := digest(t, build(t, testimage.Options{})); p.Digest != want {
		t.Errorf("pushed digest %s, want the built %s", p.Digest, want)
	}
	ref, _ := name.ParseReference(p.Ref, name.Insecure)
	desc, err := remote.Head(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != p.Digest {
		t.Errorf("registry has %s at %s, want %s", desc.Digest, p.Ref, p.Digest)
	}

	idx, err := testimage.BuildIndex(testimage.Options{Tag: "v1.2-multi"},
		v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	pi, err := testimage.PushIndex(ctx, idx, reg.Host()+"/mes-system:v1.2-multi", true)
	if err != nil {
		t.Fatal(err)
	}
	iref, _ := name.ParseReference(pi.Ref, name.Insecure)
	got, err := remote.Index(iref, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := got.IndexManifest()
	if len(im.Manifests) != 2 || im.MediaType != types.OCIImageIndex {
		t.Errorf("index %s has %d manifests of type %s, want 2 of %s", pi.Ref, len(im.Manifests), im.MediaType, types.OCIImageIndex)
	}
}

func TestPushToNoRegistrySaysSo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := testimage.Push(ctx, "127.0.0.1:1", testimage.Options{}, true)
	if err == nil {
		t.Fatal("push to 127.0.0.1:1 succeeded")
	}
	if want := "is the registry 127.0.0.1:1 running?"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

type file struct {
	mode  int64
	data  string
	mtime time.Time
}

func readLayer(t *testing.T, l v1.Layer) map[string]file {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = file{mode: h.Mode, data: string(data), mtime: h.ModTime}
	}
}

func keys(m map[string]file) []string {
	return slices.Sorted(maps.Keys(m))
}
