package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kurator-go/kurator/internal/install"
	"github.com/kurator-go/kurator/internal/ociimage"
	"github.com/kurator-go/kurator/internal/registry/registrytest"
)

// TestManagerImageIsReproducible runs the real build of the kurator-manager
// image: one compile, the image built twice from that binary into two
// layouts (same digest), then a second compile into another directory
// (fast: the build cache holds every package, only the link runs again)
// whose binary and image must be identical too, and a push of the layout
// to a real registry that must serve it under the same digest.
func TestManagerImageIsReproducible(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	base := options{root: root, version: "v0.0.0-test", revision: "0000000000000000000000000000000000000000", only: "kurator-manager"}

	build := func(name, binDir string, compile bool) (string, string) {
		t.Helper()
		o := base
		o.out = filepath.Join(tmp, name)
		o.binDir = binDir
		o.noCompile = !compile
		var out bytes.Buffer
		start := time.Now()
		if err := run(ctx, o, &out); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out.String())
		}
		t.Logf("build %s (compile=%v): %s", name, compile, time.Since(start).Round(100*time.Millisecond))
		digests, err := os.ReadFile(filepath.Join(o.out, "digests.txt"))
		if err != nil {
			t.Fatal(err)
		}
		n, d, ok := strings.Cut(strings.TrimSpace(string(digests)), " ")
		if !ok || n != "kurator-manager" || !strings.HasPrefix(d, "sha256:") {
			t.Fatalf("%s/digests.txt = %q, want one line `kurator-manager sha256:...`", o.out, digests)
		}
		wantLine := "ghcr.io/kurator-go/kurator-manager@" + d
		if !strings.Contains(out.String(), wantLine) {
			t.Errorf("output lacks %q:\n%s", wantLine, out.String())
		}
		return d, out.String()
	}

	bin1 := filepath.Join(tmp, "bin1")
	d1, _ := build("first", bin1, true)
	d2, _ := build("same-binary", bin1, false)
	if d1 != d2 {
		t.Errorf("the same binary gave two digests: %s and %s", d1, d2)
	}

	bin2 := filepath.Join(tmp, "bin2")
	d3, _ := build("second-compile", bin2, true)
	b1, err := os.ReadFile(filepath.Join(bin1, "kurator-manager"))
	if err != nil {
		t.Fatal(err)
	}
	b2, err := os.ReadFile(filepath.Join(bin2, "kurator-manager"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1, b2) {
		t.Errorf("two compiles of ./cmd/kurator-manager differ (%d and %d bytes): the build is not reproducible", len(b1), len(b2))
	}
	if d3 != d1 {
		t.Errorf("second compile gave digest %s, first %s", d3, d1)
	}
	t.Logf("kurator-manager: %d bytes binary, image %s", len(b1), d1)

	// Push the layout of the first build to a real registry, as
	// `make images PUSH=...` does.
	reg := registrytest.Start(t)
	o := base
	o.out = filepath.Join(tmp, "push")
	o.binDir = bin1
	o.noCompile = true
	o.push = reg.Host() + "/kurator-go/"
	var out bytes.Buffer
	if err := run(ctx, o, &out); err != nil {
		t.Fatalf("push: %v\n%s", err, out.String())
	}
	pushed := reg.Host() + "/kurator-go/kurator-manager@" + d1
	valuesFile := filepath.Join(o.out, "values.yaml")
	if !strings.Contains(out.String(), "kurator install center-manager -f "+valuesFile) {
		t.Errorf("push output lacks the install line with %s:\n%s", valuesFile, out.String())
	}
	values, err := os.ReadFile(valuesFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "repository: " + reg.Host() + "/kurator-go/kurator-manager\n  digest: " + d1; !strings.Contains(string(values), want) {
		t.Errorf("%s does not pin the pushed image (%s):\n%s", valuesFile, want, values)
	}
	ref, err := name.NewDigest(pushed)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("read back %s: %v", ref, err)
	}
	if desc.Digest.String() != d1 {
		t.Errorf("registry serves %s for %s", desc.Digest, ref)
	}
	tagged, err := ociimage.ParseTag(reg.Host()+"/kurator-go/kurator-manager:v0.0.0-test", false)
	if err != nil {
		t.Fatal(err)
	}
	head, err := remote.Head(tagged, remote.WithContext(ctx))
	if err != nil || head.Digest.String() != d1 {
		t.Errorf("tag %s names %v (%v), want %s", tagged, head, err, d1)
	}
}

func TestRunBadInput(t *testing.T) {
	cases := []struct {
		name    string
		opts    options
		wantErr string
	}{
		{"an unknown image is refused with the choices", options{only: "kurator-dashboard", version: "v1"}, "pick kurator-manager, kurator or kurator-agent"},
		{"a version that is no tag is refused", options{version: "v1/2"}, "not a valid image tag"},
		{"a push prefix that does not parse is refused", options{version: "v1", push: "Bad Registry//x", noCompile: true}, "-push"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.root = "."
			o.out = t.TempDir()
			o.binDir = t.TempDir()
			if o.noCompile {
				for _, im := range images {
					if err := os.WriteFile(filepath.Join(o.binDir, im.name), []byte("fake "+im.name), 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := run(context.Background(), o, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestValuesPinTheChartByDigest: the values make images writes, given to
// the chart as `kurator install -f` does, make the manager and the
// dashboard run exactly the built images.
func TestValuesPinTheChartByDigest(t *testing.T) {
	manager, dash := "sha256:"+strings.Repeat("3c", 32), "sha256:"+strings.Repeat("4d", 32)
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := writeValues(file, "127.0.0.1:5000/kg", map[string]string{"kurator-manager": manager, "kurator": dash}); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{}
	if err := install.ReadValuesFile(values, file); err != nil {
		t.Fatal(err)
	}
	install.MergeValues(values, map[string]any{"dashboard": map[string]any{"enabled": true, "tls": map[string]any{"secretName": "tls"}}})
	rel, err := install.Render(install.Options{Values: values})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`image: "127.0.0.1:5000/kg/kurator-manager@` + manager + `"`, `image: "127.0.0.1:5000/kg/kurator@` + dash + `"`} {
		if !strings.Contains(rel.Manifest, want) {
			t.Errorf("the chart rendered with %s lacks %s", file, want)
		}
	}
}
