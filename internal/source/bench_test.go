package source

import (
	"context"
	"testing"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/registry/registrytest"
)

// One fetch of a small application (two files, or the test chart) from
// each kind of source on loopback: the time a new revision adds before
// AppHub stores it.

func BenchmarkGitDaemonHead(b *testing.B) {
	root := b.TempDir()
	tr := makeTestRepo(b, root, "mes")
	base := startGitDaemon(b, root)
	src := &appsv1alpha1.GitRepositorySource{URL: base + "/mes"}
	b.ResetTimer()
	for range b.N {
		f, err := Git(context.Background(), src, "", nil)
		if err != nil || f.Commit != tr.second {
			b.Fatalf("fetch: %v (commit %s)", err, f.Commit)
		}
	}
}

func BenchmarkGitLocalHead(b *testing.B) {
	tr := makeTestRepo(b, b.TempDir(), "mes")
	src := &appsv1alpha1.GitRepositorySource{URL: "file://" + tr.dir}
	b.ResetTimer()
	for range b.N {
		if _, err := Git(context.Background(), src, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHelmIndexLatest(b *testing.B) {
	cr := startChartRepo(b)
	creds := &Credentials{Username: repoUser, Password: repoPassword}
	src := &appsv1alpha1.HelmRepositorySource{URL: cr.url}
	b.ResetTimer()
	for range b.N {
		if _, err := Helm(context.Background(), src, "mes", "", creds); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOCIArtifactTag(b *testing.B) {
	reg := registrytest.Start(b)
	ref := reg.Host() + "/apps/mes"
	pushArtifact(b, ref+":v1", FluxContentMediaType, tarGzip(b, map[string]string{appYAMLPath: configMapYAML("v1")}, appYAMLPath))
	src := &appsv1alpha1.OCIRepositorySource{URL: "oci://" + ref, Reference: &appsv1alpha1.OCIRepositoryRef{Tag: "v1"}}
	b.ResetTimer()
	for range b.N {
		if _, err := OCI(context.Background(), src, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}
