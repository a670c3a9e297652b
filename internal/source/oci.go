package source

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

// Media types read here. Flux pushes its content layer as
// FluxContentMediaType; any other tar+gzip layer is read the same way.
// Helm pushes a chart as one HelmChartMediaType layer (older Helm:
// LegacyHelmChartMediaType) with a HelmConfigMediaType config.
const (
	FluxContentMediaType     = "application/vnd.cncf.flux.content.v1.tar+gzip"
	HelmConfigMediaType      = "application/vnd.cncf.helm.config.v1+json"
	HelmChartMediaType       = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	LegacyHelmChartMediaType = "application/tar+gzip"
)

// OCI fetches an OCI artifact whose layer is a tar.gz of YAML (Flux's
// format): the one ref names (ref.digest, else ref.tag, else latest), or,
// when revision is set, that manifest digest again (a rollback; the Commit
// of an earlier fetch). The first tar+gzip layer's files make the package.
func OCI(ctx context.Context, s *appsv1alpha1.OCIRepositorySource, revision string, creds *Credentials) (Fetched, error) {
	if s == nil || !strings.HasPrefix(s.URL, "oci://") || len(s.URL) == len("oci://") {
		got := ""
		if s != nil {
			got = s.URL
		}
		return Fetched{}, fmt.Errorf("%s.url %q is not an OCI repository; write oci://<registry>/<repository>", ociField, got)
	}
	ctx, cancel, timeout := withTimeout(ctx, s.Timeout)
	defer cancel()
	repoName, err := ociRepository(s.URL, s.Insecure, ociField+".url")
	if err != nil {
		return Fetched{}, err
	}
	ref, field, err := ociReference(repoName, s.Reference, revision)
	if err != nil {
		return Fetched{}, err
	}
	opts := remoteOptions(ctx, creds)
	f, err := fetchArtifact(ctx, repoName, ref, field, opts)
	if err != nil {
		return Fetched{}, timeoutError(ctx, err, ociField, "fetching "+ref.String(), timeout)
	}
	return f, nil
}

func ociRepository(rawURL string, insecure bool, field string) (name.Repository, error) {
	var nameOpts []name.Option
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	repoName, err := name.NewRepository(strings.TrimSuffix(strings.TrimPrefix(rawURL, "oci://"), "/"), nameOpts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("%s %q: %v; write oci://<registry host>/<repository> in lower case", field, rawURL, err)
	}
	return repoName, nil
}

func ociReference(repoName name.Repository, ref *appsv1alpha1.OCIRepositoryRef, revision string) (name.Reference, string, error) {
	if ref == nil {
		ref = &appsv1alpha1.OCIRepositoryRef{}
	}
	switch {
	case revision != "":
		if !strings.HasPrefix(revision, "sha256:") {
			return nil, "", fmt.Errorf("%s: revision %q is not a manifest digest; give the sha256:<hex> digest the Application's history records", ociField, revision)
		}
		return repoName.Digest(revision), ociField, nil
	case ref.Digest != "":
		field := ociField + ".ref.digest"
		if _, err := v1.NewHash(ref.Digest); err != nil {
			return nil, "", fmt.Errorf("%s %q: %v; write sha256:<64 hex digits>", field, ref.Digest, err)
		}
		return repoName.Digest(ref.Digest), field, nil
	case ref.Tag != "":
		field := ociField + ".ref.tag"
		if _, err := name.NewTag(repoName.String() + ":" + ref.Tag); err != nil {
			return nil, "", fmt.Errorf("%s %q: %v; a tag is letters, digits, '_', '.' and '-'", field, ref.Tag, err)
		}
		return repoName.Tag(ref.Tag), field, nil
	}
	return repoName.Tag("latest"), ociField + ".ref.tag", nil
}

func remoteOptions(ctx context.Context, creds *Credentials) []remote.Option {
	auth := authn.Anonymous
	if !creds.empty() {
		auth = authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password, RegistryToken: creds.BearerToken})
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth)}
}

// fetchArtifact reads the manifest and the content layer of ref.
func fetchArtifact(ctx context.Context, repoName name.Repository, ref name.Reference, field string, opts []remote.Option) (Fetched, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return Fetched{}, registryError(ctx, err, repoName, ref, field, ociField, opts)
	}
	if desc.MediaType.IsIndex() {
		return Fetched{}, fmt.Errorf("%s: %s is an index (a multi-platform image), not an artifact; push the YAML with flux push artifact or oras push and name that", field, ref)
	}
	img, err := desc.Image()
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: read the manifest of %s: %w", field, ref, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: read the manifest of %s: %w", field, ref, err)
	}
	var content *v1.Descriptor
	var seen []string
	for i := range manifest.Layers {
		l := &manifest.Layers[i]
		seen = append(seen, string(l.MediaType))
		if isTarGzip(string(l.MediaType)) {
			content = l
			break
		}
	}
	if content == nil {
		return Fetched{}, fmt.Errorf("%s: %s has no tar+gzip layer (layers: %s); push the YAML as a tar.gz layer (%s)", field, ref, listOf(seen), FluxContentMediaType)
	}
	layer, err := img.LayerByDigest(content.Digest)
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: layer %s of %s: %w", field, content.Digest, ref, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return Fetched{}, registryError(ctx, err, repoName, ref, field, ociField, opts)
	}
	defer rc.Close()
	digest := desc.Digest.String()
	files, err := tarGzipFiles(rc, ociField, "the files of "+repoName.String()+"@"+short(digest, 19))
	if err != nil {
		return Fetched{}, err
	}
	return Fetched{
		Revision: "oci-" + short(desc.Digest.Hex, 12),
		Commit:   digest,
		Source:   "oci " + repoName.String() + "@" + digest,
		Package:  apphub.Package{Format: apphub.DetectFormat(files), Files: files},
	}, nil
}

func isTarGzip(mediaType string) bool {
	return strings.Contains(mediaType, "tar") && (strings.Contains(mediaType, "gzip") || strings.HasSuffix(mediaType, "+gz"))
}

// tarGzipFiles reads the regular files of a tar.gz, within the size
// limit; a leading "./" is dropped and paths leaving the root are refused.
func tarGzipFiles(r io.Reader, field, what string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: the layer is not gzip (%v); push a tar.gz of the YAML", field, what, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	budget := sizeBudget{field: field, what: what}
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: the layer is not a tar.gz (%v); push a tar.gz of the YAML", field, what, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue // directories, links: no content of their own
		}
		p := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if p == "." || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("%s: %s: file %q leaves the artifact's root; push a tar.gz with relative paths", field, what, hdr.Name)
		}
		if err := budget.add(p, hdr.Size); err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: read %s: %w", field, what, p, err)
		}
		files[p] = data
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %s: the layer holds no files; push the application's YAML", field, what)
	}
	return files, nil
}

// registryError says what a failed registry call means for the source's
// fields: credentials, a missing tag (listing the ones there), or a
// registry that does not answer.
func registryError(ctx context.Context, err error, repoName name.Repository, ref name.Reference, field, sourceField string, opts []remote.Option) error {
	if ctx.Err() != nil {
		return err // timeoutError words it
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: %s refused access to %s (%d); "+secretRefHint+": %w", sourceField, repoName.RegistryStr(), repoName.RepositoryStr(), terr.StatusCode, sourceField, err)
		case http.StatusNotFound:
			tags, lerr := remote.List(repoName, opts...)
			if lerr != nil {
				return fmt.Errorf("%s: %s not found, and the repository lists no tags (%v); check %s.url: %w", field, ref, lerr, sourceField, err)
			}
			if _, byDigest := ref.(name.Digest); byDigest {
				return fmt.Errorf("%s: %s not found (the digest is not, or no longer, in the repository; tags there: %s): %w", field, ref, listOf(tags), err)
			}
			return fmt.Errorf("%s: %s not found; tags there: %s; set it to one of them: %w", field, ref, listOf(tags), err)
		}
	}
	msg := err.Error()
	if strings.Contains(msg, "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("%s: %s serves plain HTTP; set %s.insecure: true: %w", sourceField, repoName.RegistryStr(), sourceField, err)
	}
	return fmt.Errorf("%s.url: cannot read %s from %s; check that the registry runs and the URL is right: %w", sourceField, ref, repoName.RegistryStr(), err)
}

// helmOCI fetches a chart Helm pushed to a registry
// (oci://<registry>/<path>/<chart>:<version>). It uses
// go-containerregistry rather than Helm's registry client: that client
// takes no context (a stuck registry would outlive the source's timeout)
// and reads the hub's Docker credential files; the format is Helm's all
// the same (its media types, "_" for "+" in tags), and the tests push
// with Helm's own client.
func helmOCI(ctx context.Context, s *appsv1alpha1.HelmRepositorySource, chart, version string, creds *Credentials) (Fetched, error) {
	base := s.URL
	if !strings.HasPrefix(base, "oci://") {
		return Fetched{}, fmt.Errorf("%s.url %q: type oci takes an oci://<registry>/<path> URL", helmField, s.URL)
	}
	repoName, err := ociRepository(strings.TrimSuffix(base, "/")+"/"+chart, s.Insecure, helmField+".url")
	if err != nil {
		return Fetched{}, err
	}
	opts := remoteOptions(ctx, creds)
	tags, err := remote.List(repoName, opts...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return Fetched{}, fmt.Errorf("%s: no chart %q under %s (%s has no tags); check the chart's name and %s.url: %w", chartField, chart, redactURL(s.URL), repoName, helmField, err)
		}
		return Fetched{}, registryError(ctx, err, repoName, repoName.Tag("latest"), helmField+".url", helmField, opts)
	}
	versions := sortedSemverDesc(tags)
	if len(versions) == 0 {
		return Fetched{}, fmt.Errorf("%s: %s has no tags that are chart versions (tags: %s); push the chart with helm push", chartField, repoName, listOf(tags))
	}
	picked, err := pickVersion(versions, chart, version, "oci://"+repoName.String())
	if err != nil {
		return Fetched{}, err
	}
	ref := repoName.Tag(strings.ReplaceAll(picked, "+", "_"))
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return Fetched{}, registryError(ctx, err, repoName, ref, versionField, helmField, opts)
	}
	img, err := desc.Image()
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: %s is not a chart (%v); push it with helm push", chartField, ref, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: read the manifest of %s: %w", chartField, ref, err)
	}
	var layerDigest *v1.Hash
	for _, l := range manifest.Layers {
		if l.MediaType == HelmChartMediaType || l.MediaType == LegacyHelmChartMediaType {
			d := l.Digest
			layerDigest = &d
			break
		}
	}
	if string(manifest.Config.MediaType) != HelmConfigMediaType || layerDigest == nil {
		return Fetched{}, fmt.Errorf("%s: %s is not a Helm chart (config %s); push the chart with helm push", chartField, ref, manifest.Config.MediaType)
	}
	layer, err := img.LayerByDigest(*layerDigest)
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: chart layer of %s: %w", chartField, ref, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return Fetched{}, registryError(ctx, err, repoName, ref, versionField, helmField, opts)
	}
	defer rc.Close()
	archive, err := io.ReadAll(io.LimitReader(rc, MaxContentSize+1))
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: read the chart layer of %s: %w", helmField, ref, err)
	}
	if len(archive) > MaxContentSize {
		return Fetched{}, fmt.Errorf("%s: the chart archive of %s is larger than %d MiB; a chart holds templates and values, not binaries", helmField, ref, MaxContentSize>>20)
	}
	files, err := chartFiles(archive, chart, picked, "oci://"+ref.String())
	if err != nil {
		return Fetched{}, err
	}
	sum := sha256.Sum256(archive)
	return Fetched{
		Revision: picked,
		Commit:   "sha256:" + hex.EncodeToString(sum[:]),
		Source:   "helm oci://" + ref.String() + "@" + desc.Digest.String(),
		Package:  apphub.Package{Format: appsv1alpha1.FormatHelmChart, Files: files},
	}, nil
}
