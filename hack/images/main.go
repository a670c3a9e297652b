// Command images builds the OCI images of kurator-manager, kurator (the
// CLI, which also serves the dashboard) and kurator-agent (the pull-mode
// agent `kurator cluster register --mode pull` installs) without Docker, into OCI image
// layouts under bin/images, and optionally pushes them to a registry
// (`make images`, `make images PUSH=REGISTRY/PREFIX`). The same source tree
// and SOURCE_DATE_EPOCH give the same digests; docs/images.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kurator-go/kurator/internal/ociimage"
)

// DefaultRepository is where released images live; the printed references
// and the chart's default image.repository use it.
const DefaultRepository = "ghcr.io/kurator-go"

// Source is the org.opencontainers.image.source label.
const Source = "https://github.com/kurator-go/kurator"

// image is one binary and its image.
type image struct {
	name string
	pkg  string
}

var images = []image{
	{name: "kurator-manager", pkg: "./cmd/kurator-manager"},
	{name: "kurator", pkg: "./cmd/kurator"},
	{name: "kurator-agent", pkg: "./cmd/kurator-agent"},
}

type options struct {
	root     string // module root
	out      string // bin/images
	binDir   string // where the linux binaries are compiled to
	version  string
	revision string
	push     string // REGISTRY/PREFIX
	insecure bool
	only     string
	// noCompile builds the images from the binaries already in binDir.
	noCompile bool
}

func main() {
	var o options
	flag.StringVar(&o.root, "root", ".", "module root (the directory of go.mod)")
	flag.StringVar(&o.out, "out", "bin/images", "directory of the OCI layouts (<out>/<name>/) and digests.txt")
	flag.StringVar(&o.binDir, "bin-dir", "bin/linux_amd64", "directory the linux/amd64 binaries are compiled into")
	flag.StringVar(&o.version, "version", "", "version stamped into the binaries, the image label and the tag (default: git describe --tags --always --dirty, else dev)")
	flag.StringVar(&o.revision, "revision", "", "source revision label (default: git rev-parse HEAD)")
	flag.StringVar(&o.push, "push", "", "push the layouts to REGISTRY/PREFIX (e.g. 127.0.0.1:5000/kurator-go) as <prefix>/<name>:<version>")
	flag.BoolVar(&o.insecure, "insecure", false, "push over plain HTTP (automatic for loopback, localhost and private-network registries)")
	flag.StringVar(&o.only, "only", "", "build only this image (kurator-manager, kurator or kurator-agent)")
	flag.BoolVar(&o.noCompile, "no-compile", false, "build the images from the binaries already in -bin-dir (compiled by an earlier run or elsewhere with the same flags)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

// built is one finished image.
type built struct {
	name   string
	digest string
	size   int64 // bytes of the layout's blobs
}

func run(ctx context.Context, o options, w io.Writer) error {
	start := time.Now()
	created, err := ociimage.SourceDateEpoch(os.Getenv)
	if err != nil {
		return err
	}
	if o.version == "" {
		o.version = gitOutput(o.root, "describe", "--tags", "--always", "--dirty")
		if o.version == "" {
			o.version = "dev"
		}
	}
	if o.revision == "" {
		o.revision = gitOutput(o.root, "rev-parse", "HEAD")
	}
	if _, err := ociimage.ParseTag(DefaultRepository+"/kurator:"+o.version, false); err != nil {
		return fmt.Errorf("version %q is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): pass -version", o.version)
	}
	todo := images
	if o.only != "" {
		todo = nil
		for _, im := range images {
			if im.name == o.only {
				todo = append(todo, im)
			}
		}
		if todo == nil {
			return fmt.Errorf("-only %q: no such image; pick kurator-manager, kurator or kurator-agent", o.only)
		}
	}
	var done []built
	for _, im := range todo {
		t0 := time.Now()
		bin := filepath.Join(o.binDir, im.name)
		c := ociimage.Compile{Dir: o.root, Package: im.pkg, Output: abs(bin), Version: o.version}
		if !o.noCompile {
			fmt.Fprintf(w, "compile %s (%s, linux/amd64, CGO_ENABLED=0, -trimpath, -ldflags %q)\n", im.name, im.pkg, c.LDFlags())
			if err := c.Run(ctx); err != nil {
				return err
			}
		}
		t1 := time.Now()
		b, err := buildLayout(ociimage.Spec{
			Name: im.name, Binary: bin, Created: created,
			Source: Source, Version: o.version, Revision: o.revision,
		}, filepath.Join(o.out, im.name), o.version)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "image %s %s (%.1f MB compressed; compile %s, image %s)\n", im.name, b.digest,
			float64(b.size)/1e6, t1.Sub(t0).Round(100*time.Millisecond), time.Since(t1).Round(100*time.Millisecond))
		done = append(done, b)
	}
	digests, err := writeDigests(filepath.Join(o.out, "digests.txt"), done)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nOCI layouts in %s/<name>/, digests in %s (%s, SOURCE_DATE_EPOCH=%d, %s)\n",
		o.out, filepath.Join(o.out, "digests.txt"), o.version, created.Unix(), time.Since(start).Round(100*time.Millisecond))
	repo := DefaultRepository
	if o.push != "" {
		repo = strings.TrimSuffix(o.push, "/")
	}
	valuesFile := filepath.Join(o.out, "values.yaml")
	if err := writeValues(valuesFile, repo, digests); err != nil {
		return err
	}
	if o.push != "" {
		for _, b := range done {
			tag, err := ociimage.ParseTag(repo+"/"+b.name+":"+o.version, o.insecure)
			if err != nil {
				return fmt.Errorf("-push %q: %w", o.push, err)
			}
			ref, err := ociimage.Push(ctx, filepath.Join(o.out, b.name), tag, remote.WithAuthFromKeychain(authn.DefaultKeychain))
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "pushed %s (%s)\n", ref, tag)
		}
	} else {
		fmt.Fprintf(w, "push them with `make images PUSH=REGISTRY/PREFIX` (or any OCI tool: crane push %s/kurator-manager REF)\n", o.out)
	}
	fmt.Fprintln(w)
	for _, b := range done {
		fmt.Fprintf(w, "%s/%s@%s\n", repo, b.name, b.digest)
	}
	fmt.Fprintf(w, "\nchart values pinning them by digest in %s; install with:\n  kurator install center-manager -f %s\n  (or helm install kurator charts/kurator -n kurator-system --create-namespace -f %s)\n", valuesFile, valuesFile, valuesFile)
	return nil
}

// chartImages are the chart's image values each image fills.
var chartImages = []struct{ name, key string }{
	{"kurator-manager", "image"},
	{"kurator", "dashboard.image"},
}

// writeValues writes the chart values that pin every built image by digest
// in repo, for `kurator install center-manager -f` and `helm install -f`.
func writeValues(path, repo string, digests map[string]string) error {
	var sb strings.Builder
	sb.WriteString("# Written by make images: the chart's images pinned by digest.\n")
	for _, ci := range chartImages {
		d, ok := digests[ci.name]
		if !ok {
			continue
		}
		indent := ""
		if parent, _, nested := strings.Cut(ci.key, "."); nested {
			fmt.Fprintf(&sb, "%s:\n", parent)
			indent = "  "
		}
		fmt.Fprintf(&sb, "%simage:\n%s  repository: %s/%s\n%s  digest: %s\n", indent, indent, repo, ci.name, indent, d)
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

func buildLayout(s ociimage.Spec, dir, tag string) (built, error) {
	img, err := ociimage.Build(s)
	if err != nil {
		return built{}, err
	}
	d, err := ociimage.WriteLayout(dir, img, tag)
	if err != nil {
		return built{}, err
	}
	var size int64
	err = filepath.Walk(filepath.Join(dir, "blobs"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return err
	})
	if err != nil {
		return built{}, fmt.Errorf("layout %s: %w", dir, err)
	}
	return built{name: s.Name, digest: d.String(), size: size}, nil
}

// writeDigests writes "<name> sha256:..." lines in the order of images;
// lines of images not built this time (-only) are kept.
func writeDigests(path string, done []built) (map[string]string, error) {
	digests := map[string]string{}
	if old, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(old), "\n") {
			if n, d, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
				digests[n] = d
			}
		}
	}
	for _, b := range done {
		digests[b.name] = b.digest
	}
	var sb strings.Builder
	for _, im := range images {
		if d, ok := digests[im.name]; ok {
			fmt.Fprintf(&sb, "%s %s\n", im.name, d)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return digests, os.WriteFile(path, []byte(sb.String()), 0o644)
}

func gitOutput(dir string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
