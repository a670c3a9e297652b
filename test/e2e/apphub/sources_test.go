package apphub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/source"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// replicasIn is a member Deployment's spec.replicas and first image.
func replicasIn(t *testing.T, cluster, ns, name string) (int32, string, error) {
	t.Helper()
	d, err := fleettest.Client(t, fleet, cluster).AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return 0, "", err
	}
	return *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, nil
}

// A chart from a Helm repository served over HTTP by the test deploys to
// the whole fleet with the sync policy's values (written the way Kurator's
// examples write a HelmRelease).
func TestHelmRepositorySourceDeploysTheChartWithValues(t *testing.T) {
	dir := t.TempDir()
	ch, err := loader.LoadDir("testdata/charts/web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chartutil.Save(ch, dir); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	idx, err := repo.IndexDirectory(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	apply(t, fmt.Sprintf(`apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: web-helm, namespace: default}
spec:
  source:
    helmRepository: {url: %q, interval: 1m}
  syncPolicies:
  - destination: {fleet: global-production}
    helm:
      releaseName: web
      chart:
        spec: {chart: web, version: 0.1.0}
      install: {createNamespace: true}
      targetNamespace: helm-demo
      values: {replicaCount: 2}
`, base))
	// The chart's version is the revision.
	waitPhase(t, "default", "web-helm", "0.1.0", appsv1alpha1.PhaseSucceeded, 3*time.Minute, nil)
	for _, c := range members {
		n, _, err := replicasIn(t, c, "helm-demo", "web")
		if err != nil || n != 2 {
			t.Errorf("%s: Deployment helm-demo/web replicas %d (%v), want 2 from the values", c, n, err)
		}
	}
	fleettest.Kubectl(t, fleet, "", "delete", "application", "web-helm", "-n", "default")
}

// A Git repository's path deploys to the fleet; a new commit is picked up
// at the source's interval and released as a new revision.
func TestGitRepositorySourceFollowsNewCommits(t *testing.T) {
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	commit := func(image string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "deploy"), 0o755); err != nil {
			t.Fatal(err)
		}
		manifest := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: %q}]
`, image)
		if err := os.WriteFile(filepath.Join(dir, "deploy", "web.yaml"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add("deploy/web.yaml"); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit("web "+image, &git.CommitOptions{Author: &object.Signature{Name: "test", Email: "test@example.com", When: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	first := commit("nginx:1.25")
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	apply(t, fmt.Sprintf(`apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: web-git, namespace: default}
spec:
  source:
    gitRepository:
      url: file://%s
      ref: {branch: %s}
      interval: 5s
  syncPolicies:
  - destination: {fleet: global-production}
    kustomization: {path: ./deploy, targetNamespace: git-demo}
    # Kurator's per-cluster canary: accepted, not run (a condition says so).
    rollout:
      workload: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: git-demo}
      serviceName: web
      port: 80
`, dir, head.Name().Short()))
	app := waitPhase(t, "default", "web-git", "git-"+first[:12], appsv1alpha1.PhaseSucceeded, 3*time.Minute, nil)
	if s, msg := condition(app, appsv1alpha1.ConditionRolloutSupported); s != "False" || !strings.Contains(msg, "spec.syncPolicies[0].rollout") {
		t.Errorf("RolloutSupported %s %q: want False naming the field", s, msg)
	}
	second := commit("nginx:1.26")
	fleettest.Eventually(t, 2*time.Minute, "the second commit everywhere", func() error {
		app := getApp(t, "default", "web-git")
		if app.Status.Revision != "git-"+second[:12] {
			return fmt.Errorf("revision %s", app.Status.Revision)
		}
		for _, c := range members {
			if _, img, err := replicasIn(t, c, "git-demo", "web"); err != nil || img != "nginx:1.26" {
				return fmt.Errorf("%s: image %s (%v)", c, img, err)
			}
		}
		return nil
	})
	fleettest.Kubectl(t, fleet, "", "delete", "application", "web-git", "-n", "default")
}

// An OCI artifact (Flux's format: one tar.gz layer of YAML) in AppHub's
// registry deploys to the fleet; its revision names the manifest digest.
func TestOCIRepositorySourceDeploysTheArtifact(t *testing.T) {
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	manifest := []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "./web.yaml", Mode: 0o644, Size: int64(len(manifest))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(manifest); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.cncf.flux.config.v1+json")
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(tgz.Bytes(), source.FluxContentMediaType)})
	if err != nil {
		t.Fatal(err)
	}
	repo := fleet.HubRegistry + "/apps/web"
	ref, err := name.ParseReference(repo+":v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	apply(t, fmt.Sprintf(`apiVersion: apps.kurator.dev/v1alpha1
kind: Application
metadata: {name: web-oci, namespace: default}
spec:
  source:
    ociRepository: {url: "oci://%s", ref: {tag: v1}, insecure: true}
  syncPolicies:
  - destination: {fleet: global-production}
    kustomization: {targetNamespace: oci-demo}
`, repo))
	waitPhase(t, "default", "web-oci", "oci-"+digest.Hex[:12], appsv1alpha1.PhaseSucceeded, 3*time.Minute, nil)
	for _, c := range members {
		if _, img, err := replicasIn(t, c, "oci-demo", "web"); err != nil || img != "nginx:1.27" {
			t.Errorf("%s: oci-demo/web image %q (%v)", c, img, err)
		}
	}
	fleettest.Kubectl(t, fleet, "", "delete", "application", "web-oci", "-n", "default")
}
