package ociimage

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// WriteLayout writes img as the only image of a new OCI image layout in dir
// (whatever dir held is removed first, so a layout never keeps blobs of an
// earlier build) and returns the image's manifest digest. The index entry
// carries the platform and, when tag is not empty, the ref.name annotation
// tools use to pick an image out of a layout (skopeo's oci:DIR:TAG).
func WriteLayout(dir string, img v1.Image, tag string) (v1.Hash, error) {
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: image digest: %w", dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: remove the previous layout: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: %w", dir, err)
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: %w", dir, err)
	}
	opts := []layout.Option{}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: image config: %w", dir, err)
	}
	if p := cf.Platform(); p != nil {
		opts = append(opts, layout.WithPlatform(*p))
	}
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{AnnotationRefName: tag}))
	}
	if err := lp.AppendImage(img, opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: write image: %w", dir, err)
	}
	// go-containerregistry writes blobs 0600 and index.json 0755; a layout
	// is data that others (a registry's importer, a CI upload step) read.
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		return v1.Hash{}, fmt.Errorf("layout %s: file modes: %w", dir, err)
	}
	return digest, nil
}

// ReadLayout returns the one image of the OCI layout in dir.
func ReadLayout(dir string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("layout %s: %w (write it with `make images`)", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("layout %s: index.json: %w", dir, err)
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("layout %s: index.json lists %d manifests, want exactly one image (rebuild it with `make images`)", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("layout %s: image %s: %w", dir, m.Manifests[0].Digest, err)
	}
	return img, nil
}

// ParseTag parses REGISTRY/REPOSITORY:TAG (the tag is required). Plain
// HTTP is used for loopback, localhost, *.local and private (RFC 1918)
// registries, and for every registry when insecure is set.
func ParseTag(ref string, insecure bool) (name.Tag, error) {
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(ref, opts...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image reference %q is not REGISTRY/REPOSITORY:TAG (e.g. 127.0.0.1:5000/kurator-go/kurator-manager:v0.1.0): %w", ref, err)
	}
	return tag, nil
}

// Push uploads the image of the OCI layout in dir to tag and returns the
// pushed image's reference by digest, which is the layout's digest: the
// manifest is uploaded byte for byte.
func Push(ctx context.Context, dir string, tag name.Tag, opts ...remote.Option) (name.Digest, error) {
	img, err := ReadLayout(dir)
	if err != nil {
		return name.Digest{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return name.Digest{}, fmt.Errorf("push %s: digest: %w", dir, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := remote.Write(tag, img, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("push %s to %s: %w", dir, tag, err)
	}
	// What the tag names now is what the registry stored: a registry that
	// rewrote the manifest (or a concurrent push) shows here.
	desc, err := remote.Head(tag, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("push %s to %s: read the tag back: %w", dir, tag, err)
	}
	if desc.Digest != digest {
		return name.Digest{}, fmt.Errorf("push %s to %s: the registry's tag names %s, the layout's image is %s: push again, and check nothing else pushes to the tag", dir, tag, desc.Digest, digest)
	}
	return tag.Context().Digest(digest.String()), nil
}
