package ociimage

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kurator-go/kurator/internal/registry/registrytest"
)

// TestPushToRegistry pushes a layout to a real CNCF distribution registry
// on loopback and reads the image back by digest: the registry serves the
// same manifest, config and layer bytes.
func TestPushToRegistry(t *testing.T) {
	reg := registrytest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	content := fakeContent()
	img, err := Build(spec(fakeBinary(t, content)))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "kurator-manager")
	want, err := WriteLayout(dir, img, "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	tag, err := ParseTag(reg.Host()+"/kurator-go/kurator-manager:v0.1.0", false)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Push(ctx, dir, tag)
	if err != nil {
		t.Fatal(err)
	}
	if ref.DigestStr() != want.String() || ref.Context().String() != reg.Host()+"/kurator-go/kurator-manager" {
		t.Fatalf("pushed %s, want %s/kurator-go/kurator-manager@%s", ref, reg.Host(), want)
	}

	byDigest, err := name.NewDigest(reg.Host() + "/kurator-go/kurator-manager@" + want.String())
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(byDigest, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("read back %s: %v", byDigest, err)
	}
	local, err := ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	localManifest, _ := local.RawManifest()
	if desc.Digest != want || !bytes.Equal(desc.Manifest, localManifest) {
		t.Errorf("registry manifest %s differs from the layout's %s", desc.Digest, want)
	}
	remoteImg, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := remoteImg.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || cf.Config.Labels[LabelVersion] != "v0.1.0" {
		t.Errorf("registry config user %q version label %q, want 65532:65532 and v0.1.0", cf.Config.User, cf.Config.Labels[LabelVersion])
	}
	layers, err := remoteImg.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("registry image has %d layers (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, gz, err := Layer(spec(fakeBinary(t, content)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, gz) {
		t.Errorf("registry layer blob (%d bytes) differs from the built one (%d bytes)", len(got), len(gz))
	}

	// Pushing the same layout again is a no-op that names the same digest.
	again, err := Push(ctx, dir, tag)
	if err != nil || again != ref {
		t.Errorf("second push %s, %v; want %s", again, err, ref)
	}
}
