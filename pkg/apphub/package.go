// Package apphub holds what AppHub knows about an application's content
// without touching a cluster: a package (a set of files: YAML manifests or
// a Helm chart), its canonical bundle and digest, its rendering into
// Kubernetes objects, and what can be read from those objects (images,
// object names, the difference between two versions).
//
// Everything here is pure: no I/O, no client, no clock. The hub store
// (internal/apphub) and the CLI call these functions so that a push, a
// deploy and a diff on a laptop see the same objects.
package apphub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// Package is an application's content: files by slash path, relative to
// the package's root, and their format.
type Package struct {
	// Format is appsv1alpha1.FormatManifests or appsv1alpha1.FormatHelmChart
	// ("" means DetectFormat(Files)).
	Format string
	// Files by clean, relative, slash-separated path.
	Files map[string][]byte
}

// Limits on what Unbundle accepts, so that a hostile or corrupt bundle
// cannot exhaust memory. A package is YAML or a chart: far below both.
const (
	MaxFiles      = 10000
	MaxBundleSize = 64 << 20 // uncompressed bytes, all files together
)

// bundleTime is the modification time of every bundled file: a fixed
// instant, so the bundle does not depend on when or where it was made.
var bundleTime = time.Unix(0, 0).UTC()

// Bundle returns the package as a canonical tar.gz and its digest.
//
// The tar holds one regular file per path, in byte order of the paths,
// with mode 0644, uid/gid 0, no user or group names and mtime 0; the gzip
// header carries no name and no time. The digest ("sha256:<hex>") is that
// of the uncompressed tar, so it names the files alone: equal files give
// an equal digest whatever compressor produced the bytes, and
// ContentDigest recomputes it from any bundle.
func (p Package) Bundle() (data []byte, digest string, err error) {
	paths, err := p.sortedPaths()
	if err != nil {
		return nil, "", err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz) // default header: no name, zero ModTime
	sum := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, sum))
	for _, name := range paths {
		content := p.Files[name]
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Mode:     0o644,
			Size:     int64(len(content)),
			ModTime:  bundleTime,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, "", fmt.Errorf("bundle file %s: %w", name, err)
		}
		if _, err := tw.Write(content); err != nil {
			return nil, "", fmt.Errorf("bundle file %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	return gz.Bytes(), "sha256:" + hex.EncodeToString(sum.Sum(nil)), nil
}

// sortedPaths checks every path and returns them in byte order.
func (p Package) sortedPaths() ([]string, error) {
	if len(p.Files) == 0 {
		return nil, errors.New("package has no files: add the application's YAML files or its Helm chart")
	}
	if len(p.Files) > MaxFiles {
		return nil, fmt.Errorf("package has %d files, more than %d: a package is an application's YAML or chart", len(p.Files), MaxFiles)
	}
	paths := make([]string, 0, len(p.Files))
	var total int
	for name, content := range p.Files {
		if err := checkPath(name); err != nil {
			return nil, err
		}
		total += len(content)
		paths = append(paths, name)
	}
	if total > MaxBundleSize {
		return nil, fmt.Errorf("package content is %d MiB, over %d MiB: a package is an application's YAML or chart, not its images or data", total>>20, MaxBundleSize>>20)
	}
	sort.Strings(paths)
	return paths, nil
}

// checkPath accepts clean, relative, slash-separated file paths only.
func checkPath(name string) error {
	switch {
	case name == "" || name == ".":
		return errors.New("package file with an empty path: every file needs a relative path such as deploy/app.yaml")
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("package file %q: path is absolute; give it relative to the package root", name)
	case strings.Contains(name, "\\"):
		return fmt.Errorf("package file %q: path has a backslash; use slashes", name)
	case path.Clean(name) != name:
		return fmt.Errorf("package file %q: path is not clean (want %q)", name, path.Clean(name))
	case name == ".." || strings.HasPrefix(name, "../"):
		return fmt.Errorf("package file %q: path leaves the package root", name)
	}
	return nil
}

// Unbundle reads a bundle made by Bundle (or any tar.gz of regular files
// with relative paths; directories are skipped). Its Format is detected
// from the files.
func Unbundle(data []byte) (Package, error) {
	files, _, err := readBundle(data)
	if err != nil {
		return Package{}, err
	}
	return Package{Format: DetectFormat(files), Files: files}, nil
}

// ContentDigest is the digest of a bundle's content, as Bundle reports it:
// sha256 of the uncompressed tar.
func ContentDigest(data []byte) (string, error) {
	_, digest, err := readBundle(data)
	return digest, err
}

func readBundle(data []byte) (map[string][]byte, string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("unbundle: not a gzip stream: %w", err)
	}
	sum := sha256.New()
	// One byte over the limit tells a too large bundle from one at it.
	limited := &io.LimitedReader{R: zr, N: MaxBundleSize + MaxFiles*4096 + 1}
	tr := tar.NewReader(io.TeeReader(limited, sum))
	files := map[string][]byte{}
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("unbundle: %w", err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, "", fmt.Errorf("unbundle: %s is not a regular file (type %q); a package holds regular files only", hdr.Name, hdr.Typeflag)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if err := checkPath(name); err != nil {
			return nil, "", fmt.Errorf("unbundle: %w", err)
		}
		if _, dup := files[name]; dup {
			return nil, "", fmt.Errorf("unbundle: file %s appears twice", name)
		}
		if len(files) == MaxFiles {
			return nil, "", fmt.Errorf("unbundle: more than %d files; a package is an application's YAML or chart", MaxFiles)
		}
		total += hdr.Size
		if hdr.Size < 0 || total > MaxBundleSize {
			return nil, "", fmt.Errorf("unbundle: content over %d MiB; a package is an application's YAML or chart, not its images", MaxBundleSize>>20)
		}
		content := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, content); err != nil {
			return nil, "", fmt.Errorf("unbundle: file %s: %w", name, err)
		}
		files[name] = content
	}
	// Hash the tar's trailing padding too, as Bundle did.
	if _, err := io.Copy(io.Discard, io.TeeReader(limited, sum)); err != nil {
		return nil, "", fmt.Errorf("unbundle: %w", err)
	}
	if limited.N <= 0 {
		return nil, "", fmt.Errorf("unbundle: content over %d MiB", MaxBundleSize>>20)
	}
	if len(files) == 0 {
		return nil, "", errors.New("unbundle: the bundle holds no files")
	}
	return files, "sha256:" + hex.EncodeToString(sum.Sum(nil)), nil
}

// DetectFormat says HelmChart when a Chart.yaml is at the root, else
// Manifests.
func DetectFormat(files map[string][]byte) string {
	if _, ok := files["Chart.yaml"]; ok {
		return appsv1alpha1.FormatHelmChart
	}
	return appsv1alpha1.FormatManifests
}
