package imagesync_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kurator-go/kurator/internal/imagesync"
	"github.com/kurator-go/kurator/internal/registry/registrytest"
	"github.com/kurator-go/kurator/internal/testimage"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// rawManifest returns the manifest bytes ref serves.
func rawManifest(t *testing.T, ref string) []byte {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return d.Manifest
}

// blobSizes returns the size of every blob (config and layers) of img.
func blobSizes(t *testing.T, img v1.Image) map[v1.Hash]int64 {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[v1.Hash]int64{m.Config.Digest: m.Config.Size}
	for _, l := range m.Layers {
		out[l.Digest] = l.Size
	}
	return out
}

func hasBlob(t *testing.T, host, repo string, d v1.Hash) bool {
	t.Helper()
	resp, err := http.Head("http://" + host + "/v2/" + repo + "/blobs/" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestCopyImagePreservesTheDigestAndSkipsWhenPresent(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	ctx := ctxFor(t)
	opts := testimage.Options{FillerMiB: 2, FillerLayers: 2}
	pushed, err := testimage.Push(ctx, src.Host(), opts, true)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := testimage.Build(opts)
	var blobs int64
	for _, n := range blobSizes(t, img) {
		blobs += n
	}
	manifest := rawManifest(t, pushed.Ref)

	var mu sync.Mutex
	var last imagesync.Progress
	calls := 0
	to := dst.Host() + "/mes-system:v1.2"
	res, err := imagesync.Copy(ctx, pushed.Ref, to, imagesync.Options{
		InsecureSrc: true, InsecureDst: true,
		Progress: func(p imagesync.Progress) { mu.Lock(); last, calls = p, calls+1; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != pushed.Digest || res.Skipped {
		t.Errorf("first copy = %+v, want digest %s, not skipped", res, pushed.Digest)
	}
	if want := blobs + int64(len(manifest)); res.Bytes != want {
		t.Errorf("first copy sent %d bytes, want every blob and the manifest: %d", res.Bytes, want)
	}
	if got := rawManifest(t, to); !bytes.Equal(got, manifest) {
		t.Errorf("destination manifest differs from the source's:\n%s\nvs\n%s", got, manifest)
	}
	if calls == 0 || last.Done != last.Total || last.Total < blobs {
		t.Errorf("progress: %d calls, last %+v; want calls ending at Done == Total >= %d", calls, last, blobs)
	}

	cases := []struct {
		name      string
		dst       string
		skipped   bool
		wantBytes int64
	}{
		{name: "same tag again is skipped and sends nothing", dst: to, skipped: true},
		{name: "by digest where it is is skipped", dst: dst.Host() + "/mes-system@" + pushed.Digest, skipped: true},
		{name: "a new tag of present content sends only the manifest", dst: dst.Host() + "/mes-system:stable", wantBytes: int64(len(manifest))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := imagesync.Copy(ctx, pushed.Ref, tc.dst, imagesync.Options{InsecureSrc: true, InsecureDst: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Skipped != tc.skipped || res.Bytes != tc.wantBytes || res.Digest != pushed.Digest {
				t.Errorf("copy to %s = %+v, want skipped %v, %d bytes, digest %s", tc.dst, res, tc.skipped, tc.wantBytes, pushed.Digest)
			}
			if got, err := imagesync.Resolve(ctx, tc.dst, true); err != nil || got != pushed.Digest {
				t.Errorf("Resolve(%s) = %s, %v; want %s", tc.dst, got, err, pushed.Digest)
			}
		})
	}
}

func TestCopyIndexKeepsEveryManifest(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	ctx := ctxFor(t)
	idx, err := testimage.BuildIndex(testimage.Options{Tag: "v1.2"},
		v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := testimage.PushIndex(ctx, idx, src.Host()+"/mes-system:v1.2", true)
	if err != nil {
		t.Fatal(err)
	}
	// Where a cluster pulls it from: by digest, as Rewrite names it.
	to, err := imagesync.Rewrite(pushed.Ref+"@"+pushed.Digest, dst.Host())
	if err != nil {
		t.Fatal(err)
	}
	res, err := imagesync.Copy(ctx, pushed.Ref, to, imagesync.Options{InsecureSrc: true, InsecureDst: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != pushed.Digest || res.Skipped {
		t.Errorf("copy = %+v, want digest %s, not skipped", res, pushed.Digest)
	}
	if got, want := rawManifest(t, to), rawManifest(t, pushed.Ref); !bytes.Equal(got, want) {
		t.Errorf("index manifest changed in the copy:\n%s\nvs\n%s", got, want)
	}
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		child := dst.Host() + "/mes-system@" + m.Digest.String()
		if got, want := rawManifest(t, child), rawManifest(t, src.Host()+"/mes-system@"+m.Digest.String()); !bytes.Equal(got, want) {
			t.Errorf("child %s (%s) differs in the copy", m.Digest, m.Platform)
		}
	}
}

func TestCopyStoppedHalfWaySendsOnlyTheRestWhenRunAgain(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	ctx := ctxFor(t)
	opts := testimage.Options{FillerMiB: 8, FillerLayers: 4}
	pushed, err := testimage.Push(ctx, src.Host(), opts, true)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := testimage.Build(opts)
	sizes := blobSizes(t, img)
	var all int64
	for _, n := range sizes {
		all += n
	}
	manifest := rawManifest(t, pushed.Ref)
	to := dst.Host() + "/mes-system:v1.2"

	// The first run is stopped once half the bytes are through: one blob
	// at a time, so the blobs before that point are complete.
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	_, err = imagesync.Copy(stopCtx, pushed.Ref, to, imagesync.Options{
		InsecureSrc: true, InsecureDst: true, Jobs: 1,
		Progress: func(p imagesync.Progress) {
			if p.Done >= p.Total/2 {
				stop()
			}
		},
	})
	if err == nil {
		t.Fatal("the stopped copy succeeded; want it cut off half way")
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run it again") {
		t.Errorf("stopped copy error %q: want context.Canceled and 'run it again'", err)
	}

	var missing int64
	present := 0
	for d, n := range sizes {
		if hasBlob(t, dst.Host(), "mes-system", d) {
			present++
		} else {
			missing += n
		}
	}
	if present == 0 || missing == 0 {
		t.Fatalf("after the stop %d of %d blobs are present (%d bytes missing); want some but not all", present, len(sizes), missing)
	}

	res, err := imagesync.Copy(ctx, pushed.Ref, to, imagesync.Options{InsecureSrc: true, InsecureDst: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := missing + int64(len(manifest)); res.Bytes != want {
		t.Errorf("resumed copy sent %d bytes, want only the missing blobs and the manifest: %d (all blobs: %d)", res.Bytes, want, all)
	}
	if res.Digest != pushed.Digest {
		t.Errorf("resumed copy digest %s, want %s", res.Digest, pushed.Digest)
	}
	for d := range sizes {
		if !hasBlob(t, dst.Host(), "mes-system", d) {
			t.Errorf("blob %s missing after the resumed copy", d)
		}
	}
}

func TestCopyErrorsNameTheImageRegistryAndFix(t *testing.T) {
	src := registrytest.Start(t)
	ctx := ctxFor(t)
	pushed, err := testimage.Push(ctx, src.Host(), testimage.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	other, err := testimage.Build(testimage.Options{Tag: "v9"})
	if err != nil {
		t.Fatal(err)
	}
	otherDigest, _ := other.Digest()
	owner := "AttachedCluster cluster-x spec.registry.host"

	cases := []struct {
		name    string
		src     string
		dst     string
		is      error
		want    []string
		wantNot string
	}{
		{
			name: "destination down says unreachable and names the cluster's field",
			src:  pushed.Ref, dst: "127.0.0.1:1/mes-system:v1.2",
			is:   imagesync.ErrUnreachable,
			want: []string{"copy image " + pushed.Ref, "registry 127.0.0.1:1 unreachable", "start it or fix " + owner},
		},
		{
			name: "source down says unreachable",
			src:  "127.0.0.1:1/mes-system:v1.2", dst: src.Host() + "/copy:v1",
			is:   imagesync.ErrUnreachable,
			want: []string{"read image 127.0.0.1:1/mes-system:v1.2", "registry 127.0.0.1:1 unreachable"},
		},
		{
			name: "source tag missing says not found",
			src:  src.Host() + "/mes-system:v0.0", dst: src.Host() + "/copy:v1",
			is:   imagesync.ErrNotFound,
			want: []string{"registry " + src.Host() + " has no", "push it first"},
		},
		{
			name: "destination digest other than the source's is refused",
			src:  pushed.Ref, dst: src.Host() + "/copy@" + otherDigest.String(),
			want: []string{"names digest " + otherDigest.String(), "but the source has " + pushed.Digest},
		},
		{
			name: "malformed reference says how to write one",
			src:  "Not A Ref", dst: src.Host() + "/copy:v1",
			want: []string{`source image "Not A Ref"`, "<host>/<repository>:<tag>"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := imagesync.Copy(ctx, tc.src, tc.dst, imagesync.Options{InsecureSrc: true, InsecureDst: true, DstOwner: owner})
			if err == nil {
				t.Fatal("copy succeeded, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPushTarball(t *testing.T) {
	dst := registrytest.Start(t)
	ctx := ctxFor(t)
	file := filepath.Join(t.TempDir(), "mes-system.tar")
	digest, err := testimage.WriteTarball(file, testimage.Options{FillerMiB: 1})
	if err != nil {
		t.Fatal(err)
	}
	to := dst.Host() + "/apphub/mes-system:v1.2"
	first, err := imagesync.PushTarball(ctx, file, to, true)
	if err != nil {
		t.Fatal(err)
	}
	if first.Digest != digest || first.Skipped || first.Bytes < 1<<20 {
		t.Errorf("first push = %+v, want digest %s, not skipped, at least 1 MiB sent", first, digest)
	}
	if got, err := imagesync.Resolve(ctx, to, true); err != nil || got != digest {
		t.Errorf("Resolve(%s) = %s, %v; want the tarball's %s", to, got, err, digest)
	}
	again, err := imagesync.PushTarball(ctx, file, to, true)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Skipped || again.Bytes != 0 {
		t.Errorf("second push = %+v, want skipped with 0 bytes", again)
	}
	if _, err := imagesync.PushTarball(ctx, filepath.Join(t.TempDir(), "none.tar"), to, true); err == nil || !strings.Contains(err.Error(), "docker save") {
		t.Errorf("missing tarball: error %v, want one saying how to write a tarball", err)
	}
}
