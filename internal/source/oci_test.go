package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/registry/registrytest"
)

// tarGzip packs files (path -> content) as Flux does: a tar.gz with
// paths under "./".
func tarGzip(t testing.TB, files map[string]string, order ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, p := range order {
		content := files[p]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "./" + p, Mode: 0o644, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
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

// pushArtifact pushes an OCI manifest with one layer of the given media
// type holding content, as `flux push artifact` does, and returns its
// manifest digest.
func pushArtifact(t testing.TB, ref string, layerType types.MediaType, content []byte) v1.Hash {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.cncf.flux.config.v1+json")
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(content, layerType)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOCIArtifacts(t *testing.T) {
	reg := registrytest.Start(t)
	repoRef := reg.Host() + "/apps/mes"
	content := func(version string) []byte {
		return tarGzip(t, map[string]string{appYAMLPath: configMapYAML(version), "README.md": "mes\n"}, "README.md", appYAMLPath)
	}
	v1Digest := pushArtifact(t, repoRef+":v1", FluxContentMediaType, content("v1"))
	v2Digest := pushArtifact(t, repoRef+":v2", FluxContentMediaType, content("v2"))
	latestDigest := pushArtifact(t, repoRef+":latest", FluxContentMediaType, content("v2"))
	ociLayer := pushArtifact(t, repoRef+":oci-layer", types.OCILayer, content("oci-layer"))
	pushArtifact(t, repoRef+":no-tar", "application/vnd.example.config+json", []byte(`{}`))
	escaping := tarGzip(t, map[string]string{"../evil.yaml": "x"}, "../evil.yaml")
	pushArtifact(t, repoRef+":escaping", FluxContentMediaType, escaping)

	url := "oci://" + repoRef
	cases := []struct {
		name       string
		ref        *appsv1alpha1.OCIRepositoryRef
		revision   string
		wantDigest v1.Hash
		wantYAML   string
		wantError  []string
	}{
		{name: "no ref: tag latest", wantDigest: latestDigest, wantYAML: configMapYAML("v2")},
		{name: "tag v1", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "v1"}, wantDigest: v1Digest, wantYAML: configMapYAML("v1")},
		{name: "tag v2", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "v2"}, wantDigest: v2Digest, wantYAML: configMapYAML("v2")},
		{name: "digest wins over tag", ref: &appsv1alpha1.OCIRepositoryRef{Digest: v1Digest.String(), Tag: "v2"}, wantDigest: v1Digest, wantYAML: configMapYAML("v1")},
		{name: "revision of v1 with ref tag v2: rollback to v1", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "v2"}, revision: v1Digest.String(), wantDigest: v1Digest, wantYAML: configMapYAML("v1")},
		{name: "an OCI image layer (tar+gzip) is read too", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "oci-layer"}, wantDigest: ociLayer, wantYAML: configMapYAML("oci-layer")},
		{name: "unknown tag: error names ref.tag and lists the tags", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "v9"},
			wantError: []string{"spec.source.ociRepository.ref.tag", "v9", "tags there: escaping, latest, no-tar, oci-layer, v1, v2"}},
		{name: "unknown digest: error names ref.digest", ref: &appsv1alpha1.OCIRepositoryRef{Digest: "sha256:" + strings.Repeat("1", 64)},
			wantError: []string{"spec.source.ociRepository.ref.digest", "not found"}},
		{name: "malformed digest: error names ref.digest", ref: &appsv1alpha1.OCIRepositoryRef{Digest: "sha256:xyz"},
			wantError: []string{"spec.source.ociRepository.ref.digest", "sha256:<64 hex digits>"}},
		{name: "revision that is no digest: refused", revision: "oci-0123456789ab",
			wantError: []string{"spec.source.ociRepository", "not a manifest digest"}},
		{name: "no tar+gzip layer: error names the media type to push", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "no-tar"},
			wantError: []string{"no tar+gzip layer", FluxContentMediaType}},
		{name: "a path leaving the root: refused", ref: &appsv1alpha1.OCIRepositoryRef{Tag: "escaping"},
			wantError: []string{"leaves the artifact's root"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OCI(context.Background(), &appsv1alpha1.OCIRepositorySource{URL: url, Reference: tc.ref}, tc.revision, nil)
			if tc.wantError != nil {
				if err == nil {
					t.Fatalf("want an error with %q, got %s", tc.wantError, got.Revision)
				}
				t.Logf("error: %v", err)
				for _, s := range tc.wantError {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Commit != tc.wantDigest.String() || got.Revision != "oci-"+tc.wantDigest.Hex[:12] {
				t.Errorf("commit %s revision %s, want %s", got.Commit, got.Revision, tc.wantDigest)
			}
			if string(got.Package.Files[appYAMLPath]) != tc.wantYAML {
				t.Errorf("%s = %q, want %q", appYAMLPath, got.Package.Files[appYAMLPath], tc.wantYAML)
			}
			if len(got.Package.Files) != 2 || got.Package.Format != appsv1alpha1.FormatManifests {
				t.Errorf("files %v format %s, want README.md and %s as Manifests", keys(got.Package.Files), got.Package.Format, appYAMLPath)
			}
			if want := "oci " + repoRef + "@" + tc.wantDigest.String(); got.Source != want {
				t.Errorf("source %q, want %q", got.Source, want)
			}
		})
	}
}

func TestOCIUnreachableRegistryNamesTheField(t *testing.T) {
	port := freePort(t) // nothing listens there
	_, err := OCI(context.Background(), &appsv1alpha1.OCIRepositorySource{
		URL:     "oci://127.0.0.1:" + strconv.Itoa(port) + "/apps/mes",
		Timeout: &metav1.Duration{Duration: 2 * time.Second},
	}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "spec.source.ociRepository") {
		t.Fatalf("error %v, want one naming spec.source.ociRepository", err)
	}
	t.Logf("error: %v", err)
}

func TestOCIRejectsBadURLs(t *testing.T) {
	for _, url := range []string{"", "https://registry/apps/mes", "oci://", "oci://Registry/UPPER"} {
		t.Run(url, func(t *testing.T) {
			_, err := OCI(context.Background(), &appsv1alpha1.OCIRepositorySource{URL: url}, "", nil)
			if err == nil || !strings.Contains(err.Error(), "spec.source.ociRepository.url") {
				t.Fatalf("error %v, want one naming spec.source.ociRepository.url", err)
			}
		})
	}
}

// TestHelmOCIRegistry pushes charts with Helm's own registry client and
// reads them back as a type oci HelmRepository.
func TestHelmOCIRegistry(t *testing.T) {
	reg := registrytest.Start(t)
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	archives := map[string][]byte{}
	for _, v := range []string{"1.1.0", "1.2.0", "1.2.1+build.7", "2.0.0-beta.1"} {
		archives[v] = chartArchive(t, v)
		if _, err := client.Push(archives[v], reg.Host()+"/charts/mes:"+v); err != nil {
			t.Fatalf("helm push mes %s: %v", v, err)
		}
	}
	src := &appsv1alpha1.HelmRepositorySource{URL: "oci://" + reg.Host() + "/charts", Type: "oci"}
	cases := []struct {
		name      string
		chart     string
		version   string
		want      string
		wantError []string
	}{
		{name: "no version: the latest stable, 1.2.1+build.7 (tag 1.2.1_build.7)", chart: "mes", want: "1.2.1+build.7"},
		{name: "pinned 1.1.0", chart: "mes", version: "1.1.0", want: "1.1.0"},
		{name: "range ~1.2.0: 1.2.1+build.7", chart: "mes", version: "~1.2.0", want: "1.2.1+build.7"},
		{name: "pre-release pinned: 2.0.0-beta.1", chart: "mes", version: "2.0.0-beta.1", want: "2.0.0-beta.1"},
		{name: "unknown version: error names helm.version and lists the versions", chart: "mes", version: "3.0.0",
			wantError: []string{"spec.syncPolicies[].helm.version", "2.0.0-beta.1, 1.2.1+build.7, 1.2.0, 1.1.0"}},
		{name: "unknown chart: error names helm.chart", chart: "erp",
			wantError: []string{"spec.syncPolicies[].helm.chart", `"erp"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Helm(context.Background(), src, tc.chart, tc.version, nil)
			if tc.wantError != nil {
				if err == nil {
					t.Fatalf("want an error with %q, got %s", tc.wantError, got.Revision)
				}
				t.Logf("error: %v", err)
				for _, s := range tc.wantError {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkChart(t, got, tc.want, archives[tc.want])
			if !strings.HasPrefix(got.Source, "helm oci://"+reg.Host()+"/charts/mes:"+strings.ReplaceAll(tc.want, "+", "_")+"@sha256:") {
				t.Errorf("source %q, want helm oci://…/charts/mes:<tag>@<digest>", got.Source)
			}
		})
	}
	t.Run("the URL alone says oci: type may be left out", func(t *testing.T) {
		got, err := Helm(context.Background(), &appsv1alpha1.HelmRepositorySource{URL: src.URL}, "mes", "1.2.0", nil)
		if err != nil {
			t.Fatal(err)
		}
		checkChart(t, got, "1.2.0", archives["1.2.0"])
	})
}
