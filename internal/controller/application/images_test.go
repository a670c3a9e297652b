package application

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	pkgapphub "github.com/kurator-go/kurator/pkg/apphub"
	"github.com/kurator-go/kurator/pkg/overrides"
)

func TestImageSourceAndTarget(t *testing.T) {
	hub := hubRegistry{host: "127.0.0.1:5000", insecure: true}
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		name, ref, digest, src, dst string
	}{
		{"a bare name comes from AppHub's registry, pinned to the pushed digest", "mes-system:v1.2", d, "127.0.0.1:5000/mes-system@" + d, "10.0.0.9:5001/plant-1/mes-system@" + d},
		{"without a recorded digest the tag is kept", "mes-system:v1.2", "", "127.0.0.1:5000/mes-system:v1.2", "10.0.0.9:5001/plant-1/mes-system@" + d},
		{"a named registry is kept; library/ is dropped in the target", "docker.io/library/nginx:1.25", "", "docker.io/library/nginx:1.25", "10.0.0.9:5001/plant-1/nginx@" + d},
		{"a path keeps its repository", "127.0.0.1:6000/team/api:2", d, "127.0.0.1:6000/team/api@" + d, "10.0.0.9:5001/plant-1/team/api@" + d},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := imageSource(c.ref, c.digest, hub)
			if src != c.src {
				t.Errorf("source %q, want %q", src, c.src)
			}
			if dst := imageTarget(src, d, "10.0.0.9:5001/plant-1/"); dst != c.dst {
				t.Errorf("target %q, want %q", dst, c.dst)
			}
		})
	}
}

func TestImageRewritePointsEachSyncedContainerAtTheClusterRegistry(t *testing.T) {
	var obj unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: mes}
spec:
  template:
    spec:
      initContainers: [{name: migrate, image: "mes-migrate:v1"}]
      containers:
      - {name: mes, image: "mes-system:v1.2"}
      - {name: sidecar, image: "envoy:1.30"}
`), &obj.Object); err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{"mes-system:v1.2": "reg-a/mes-system@sha256:aa", "mes-migrate:v1": "reg-a/mes-migrate@sha256:bb"}
	sel := imageRewrite(&obj, "cluster-a", targets)
	if sel == nil {
		t.Fatal("no rewrite")
	}
	out, _, err := overrides.ApplySelected(&obj, overrides.ClusterInfo{Name: "cluster-a"}, []overrides.Selected{*sel})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range pkgapphub.ContainerImages(out) {
		got[c.Path] = c.Image
	}
	want := map[string]string{
		"/spec/template/spec/initContainers/0/image": "reg-a/mes-migrate@sha256:bb",
		"/spec/template/spec/containers/0/image":     "reg-a/mes-system@sha256:aa",
		"/spec/template/spec/containers/1/image":     "envoy:1.30", // not synced: unchanged
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s = %q, want %q", p, got[p], w)
		}
	}
	// Another cluster is not targeted by this cluster's rewrite.
	other, _, _ := overrides.ApplySelected(&obj, overrides.ClusterInfo{Name: "cluster-b"}, []overrides.Selected{*sel})
	if img := pkgapphub.ContainerImages(other)[1].Image; img != "mes-system:v1.2" {
		t.Errorf("cluster-b image %q changed", img)
	}
	if imageRewrite(&obj, "cluster-a", nil) != nil {
		t.Error("a rewrite with nothing synced")
	}
}
