// Package testimage builds the container images the AppHub tests, the
// image-sync bench and the docs push: an image made only from files in this
// repository (images/mes-system: a start script, a config file, a README),
// with go-containerregistry, nothing pulled from outside. The same inputs
// always give the same digest (fixed timestamps, owners and modes, and
// layers stored uncompressed inside gzip, whose output no Go release
// changes), so a test can name an image by digest before it is pushed.
//
// Images use Docker's manifest media types, the ones a `docker save`
// tarball carries: the tarball WriteTarball writes reads back with the
// digest Push gives the registry copy (go-containerregistry rebuilds a
// tarball image's manifest in Docker's format). BuildIndex makes an OCI
// index of OCI images, for the paths that handle indexes.
package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

//go:embed images
var images embed.FS

// Created is the timestamp of every image, layer entry and history line.
var Created = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Options describe one test image.
type Options struct {
	// Name is the repository name; default "mes-system", whose files are
	// images/mes-system.
	Name string
	// Tag is the version; default "v1.2". It is written to
	// /etc/<name>/version, so each tag has its own digest.
	Tag string
	// Root holds the image's files; default images/<Name> of this package.
	Root fs.FS
	// FillerMiB adds that many MiB of deterministic pseudo-random data in
	// FillerLayers layers (default 1), for throughput figures. Filler
	// layers do not depend on the tag: two versions share them, as images
	// built on one base do.
	FillerMiB    int
	FillerLayers int
	// Platform is the image's OS and architecture; default linux/amd64.
	Platform *v1.Platform
	// OCI uses OCI media types instead of Docker's.
	OCI bool
}

func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = "mes-system"
	}
	if o.Tag == "" {
		o.Tag = "v1.2"
	}
	if o.Root == nil {
		sub, err := fs.Sub(images, path.Join("images", o.Name))
		if err != nil {
			return o, err
		}
		if _, err := fs.Stat(sub, "."); err != nil {
			return o, fmt.Errorf("test image %s has no files: add internal/testimage/images/%s or pass Options.Root", o.Name, o.Name)
		}
		o.Root = sub
	}
	if o.FillerMiB < 0 {
		return o, fmt.Errorf("test image %s: FillerMiB %d is negative", o.Name, o.FillerMiB)
	}
	if o.FillerMiB > 0 && o.FillerLayers <= 0 {
		o.FillerLayers = 1
	}
	if o.Platform == nil {
		o.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	return o, nil
}

// Ref is where Push puts the image on host: "<host>/<name>:<tag>".
func Ref(host string, opts Options) string {
	opts, _ = opts.withDefaults()
	return host + "/" + opts.Name + ":" + opts.Tag
}

// Build makes the image: the files of Root (plus /etc/<name>/version) in
// one layer, then the filler layers, with Entrypoint /usr/bin/<name>.
func Build(opts Options) (v1.Image, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	layerType, manifestType, configType := types.DockerLayer, types.DockerManifestSchema2, types.DockerConfigJSON
	if opts.OCI {
		layerType, manifestType, configType = types.OCILayer, types.OCIManifestSchema1, types.OCIConfigJSON
	}

	files, err := rootfsTar(opts)
	if err != nil {
		return nil, err
	}
	base, err := gzipLayer(files, layerType)
	if err != nil {
		return nil, fmt.Errorf("test image %s:%s: files layer: %w", opts.Name, opts.Tag, err)
	}
	adds := []mutate.Addendum{{
		Layer:   base,
		History: v1.History{Created: v1.Time{Time: Created}, CreatedBy: "kurator testimage: files of " + opts.Name},
	}}
	total := int64(opts.FillerMiB) << 20
	for i := range opts.FillerLayers {
		size := total / int64(opts.FillerLayers)
		if i == opts.FillerLayers-1 {
			size = total - size*int64(opts.FillerLayers-1)
		}
		l, err := gzipLayer(fillerTar(opts.Name, i, size), layerType)
		if err != nil {
			return nil, fmt.Errorf("test image %s:%s: filler layer %d: %w", opts.Name, opts.Tag, i, err)
		}
		adds = append(adds, mutate.Addendum{
			Layer:   l,
			History: v1.History{Created: v1.Time{Time: Created}, CreatedBy: fmt.Sprintf("kurator testimage: filler %d (%d bytes)", i, size)},
		})
	}

	cfg := &v1.ConfigFile{
		Architecture: opts.Platform.Architecture,
		OS:           opts.Platform.OS,
		Variant:      opts.Platform.Variant,
		Created:      v1.Time{Time: Created},
		Config: v1.Config{
			Entrypoint: []string{"/usr/bin/" + opts.Name},
			Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			WorkingDir: "/",
			Labels: map[string]string{
				"org.opencontainers.image.title":   opts.Name,
				"org.opencontainers.image.version": opts.Tag,
				"org.opencontainers.image.source":  "kurator internal/testimage",
			},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img, err := mutate.ConfigFile(mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifestType), configType), cfg)
	if err != nil {
		return nil, fmt.Errorf("test image %s:%s: config: %w", opts.Name, opts.Tag, err)
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("test image %s:%s: layers: %w", opts.Name, opts.Tag, err)
	}
	return img, nil
}

// BuildIndex makes an OCI image index with one OCI image per platform
// (they share their layers, differ in their config).
func BuildIndex(opts Options, platforms ...v1.Platform) (v1.ImageIndex, error) {
	if len(platforms) == 0 {
		return nil, fmt.Errorf("test image index %s: give at least one platform", opts.Name)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		o := opts
		o.OCI = true
		o.Platform = &p
		img, err := Build(o)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	return idx, nil
}

// Pushed says where an image went.
type Pushed struct {
	// Ref is the tag reference, "<host>/<name>:<tag>".
	Ref string
	// Digest is the manifest's digest, "sha256:...".
	Digest string
}

// Push builds the image and pushes it to host (plain HTTP when insecure)
// as Ref(host, opts).
func Push(ctx context.Context, host string, opts Options, insecure bool) (Pushed, error) {
	img, err := Build(opts)
	if err != nil {
		return Pushed{}, err
	}
	return PushImage(ctx, img, Ref(host, opts), insecure)
}

// PushImage pushes img to ref.
func PushImage(ctx context.Context, img v1.Image, ref string, insecure bool) (Pushed, error) {
	r, err := parseRef(ref, insecure)
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
		return Pushed{}, fmt.Errorf("push test image %s: %w (is the registry %s running?)", ref, err, r.Context().RegistryStr())
	}
	d, err := img.Digest()
	if err != nil {
		return Pushed{}, err
	}
	return Pushed{Ref: ref, Digest: d.String()}, nil
}

// PushIndex pushes idx to ref.
func PushIndex(ctx context.Context, idx v1.ImageIndex, ref string, insecure bool) (Pushed, error) {
	r, err := parseRef(ref, insecure)
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.WriteIndex(r, idx, remote.WithContext(ctx)); err != nil {
		return Pushed{}, fmt.Errorf("push test index %s: %w (is the registry %s running?)", ref, err, r.Context().RegistryStr())
	}
	d, err := idx.Digest()
	if err != nil {
		return Pushed{}, err
	}
	return Pushed{Ref: ref, Digest: d.String()}, nil
}

// WriteTarball builds the image and writes it as a `docker save` tarball
// tagged "<name>:<tag>" (what `kurator app push --image` reads), returning
// the image's digest.
func WriteTarball(file string, opts Options) (string, error) {
	img, err := Build(opts)
	if err != nil {
		return "", err
	}
	o, _ := opts.withDefaults()
	tag, err := name.NewTag(o.Name + ":" + o.Tag)
	if err != nil {
		return "", fmt.Errorf("test image tag %s:%s: %w", o.Name, o.Tag, err)
	}
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		return "", fmt.Errorf("write test image %s to %s: %w", tag, file, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

func parseRef(ref string, insecure bool) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return r, nil
}

// rootfsTar archives Root plus /etc/<name>/version with fixed metadata,
// entries sorted by path (a directory, "a/", sorts before what it holds).
// Files in bin/ directories are executable.
func rootfsTar(opts Options) ([]byte, error) {
	type entry struct {
		dir  bool
		mode int64
		data []byte
	}
	entries := map[string]entry{}
	err := fs.WalkDir(opts.Root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		if d.IsDir() {
			entries[p+"/"] = entry{dir: true, mode: 0o755}
			return nil
		}
		data, err := fs.ReadFile(opts.Root, p)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if path.Base(path.Dir(p)) == "bin" {
			mode = 0o755
		}
		entries[p] = entry{mode: mode, data: data}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("test image %s: read its files: %w", opts.Name, err)
	}
	entries["etc/"] = entry{dir: true, mode: 0o755}
	entries["etc/"+opts.Name+"/"] = entry{dir: true, mode: 0o755}
	entries["etc/"+opts.Name+"/version"] = entry{mode: 0o644, data: []byte(opts.Tag + "\n")}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range slices.Sorted(maps.Keys(entries)) {
		e := entries[p]
		if e.dir {
			if err := tw.WriteHeader(header(p, tar.TypeDir, e.mode, 0)); err != nil {
				return nil, err
			}
			continue
		}
		if err := writeFile(tw, p, e.mode, e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func header(name string, typ byte, mode, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: typ, Name: name, Mode: mode, Size: size,
		ModTime: Created, Uname: "root", Gname: "root", Format: tar.FormatUSTAR,
	}
}

func writeFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	if err := tw.WriteHeader(header(name, tar.TypeReg, mode, int64(len(data)))); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// fillerTar is one layer of size pseudo-random bytes, from a ChaCha8
// stream seeded by the image name and the layer's index (the same bytes on
// every run and machine).
func fillerTar(imageName string, index int, size int64) []byte {
	seed := sha256.Sum256([]byte(fmt.Sprintf("kurator testimage filler %s %d", imageName, index)))
	var buf bytes.Buffer
	buf.Grow(int(size) + 4096)
	tw := tar.NewWriter(&buf)
	dir := "var/lib/" + imageName + "/"
	_ = tw.WriteHeader(header("var/", tar.TypeDir, 0o755, 0))
	_ = tw.WriteHeader(header("var/lib/", tar.TypeDir, 0o755, 0))
	_ = tw.WriteHeader(header(dir, tar.TypeDir, 0o755, 0))
	_ = tw.WriteHeader(header(fmt.Sprintf("%sfiller-%d.bin", dir, index), tar.TypeReg, 0o644, size))
	_, _ = io.CopyN(tw, rand.NewChaCha8(seed), size)
	_ = tw.Close()
	return buf.Bytes()
}

// gzipLayer wraps an uncompressed tar in gzip with stored (level 0)
// blocks: the bytes depend on no compressor's tuning, and pseudo-random
// filler would not shrink anyway. go-containerregistry takes gzip input as
// the layer's compressed form as is.
func gzipLayer(tarBytes []byte, mt types.MediaType) (v1.Layer, error) {
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.NoCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tarBytes); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	b := gz.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(mt))
}
