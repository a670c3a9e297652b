package imagesync

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is how go-containerregistry names Docker Hub, the registry of
// references without a host ("nginx" is index.docker.io/library/nginx).
const dockerHub = "index.docker.io"

// Rewrite returns where a cluster whose registry is registryHost pulls
// ref from: "<registryHost>/<repository path>@<digest>". The repository
// path is ref's without its registry host, and without Docker Hub's
// "library/" for official images, so
//
//	docker.io/library/nginx:1.27@sha256:ab...  -> <host>/nginx@sha256:ab...
//	127.0.0.1:5000/mes/mes-system@sha256:cd... -> <host>/mes/mes-system@sha256:cd...
//
// registryHost may carry a path prefix (registry.example.com/plant-1), which
// goes before the repository path. ref must carry its digest (Copy's
// Result.Digest: "<image>@<digest>"); a ref already in registryHost is
// returned with its path unchanged, so rewriting twice changes nothing.
func Rewrite(ref, registryHost string) (string, error) {
	host, prefix, err := splitHost(registryHost)
	if err != nil {
		return "", err
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w (write <registry>/<repository>@sha256:<digest>)", ref, err)
	}
	d, ok := r.(name.Digest)
	if !ok {
		return "", fmt.Errorf("image %s has no digest: a cluster's copy is named by digest; copy it first (imagesync.Copy gives the digest) and pass %s@<digest>", ref, ref)
	}
	repo := r.Context()
	path := repo.RepositoryStr()
	switch {
	case repo.RegistryStr() == host && (prefix == "" || strings.HasPrefix(path, prefix+"/")):
		// Already in the cluster's registry.
	case repo.RegistryStr() == dockerHub:
		path = strings.TrimPrefix(path, "library/")
		fallthrough
	default:
		if prefix != "" {
			path = prefix + "/" + path
		}
	}
	out := host + "/" + path + "@" + d.DigestStr()
	if _, err := name.NewDigest(out); err != nil {
		return "", fmt.Errorf("image %s rewritten for registry %s gives %q: %w", ref, registryHost, out, err)
	}
	return out, nil
}

// Pin adds digest to ref ("<image>:<tag>@<digest>" keeps the tag for
// people; the digest decides). A digest already there must equal it.
func Pin(ref, digest string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	if d, ok := r.(name.Digest); ok {
		if d.DigestStr() != digest {
			return "", fmt.Errorf("image %s is pinned to %s, not %s", ref, d.DigestStr(), digest)
		}
		return ref, nil
	}
	out := ref + "@" + digest
	if _, err := name.NewDigest(out); err != nil {
		return "", fmt.Errorf("image %s with digest %q: %w", ref, digest, err)
	}
	return out, nil
}

// splitHost splits a registry host with an optional path prefix
// ("registry.example.com/plant-1") into the host and the prefix.
func splitHost(registryHost string) (host, prefix string, err error) {
	host, prefix, _ = strings.Cut(strings.TrimSuffix(registryHost, "/"), "/")
	if host == "" {
		return "", "", fmt.Errorf("registry host is empty: set spec.registry.host (host[:port][/prefix])")
	}
	if _, err := name.NewRegistry(host, name.StrictValidation); err != nil {
		return "", "", fmt.Errorf("registry host %q: %w (want host[:port][/prefix], e.g. 127.0.0.1:5000 or registry.example.com/plant-1)", registryHost, err)
	}
	if prefix != "" {
		if _, err := name.NewRepository(host+"/"+prefix, name.StrictValidation); err != nil {
			return "", "", fmt.Errorf("registry host %q: path prefix %q: %w (lower-case letters, digits, '.', '_', '-' and '/')", registryHost, prefix, err)
		}
	}
	return host, prefix, nil
}
