package apphub

import (
	"strings"
	"testing"
)

func TestRenderBuildsAKustomizationWhenThePathHasOne(t *testing.T) {
	p := manifests(map[string]string{
		"base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.25"}]}
`,
		"base/kustomization.yaml":          "resources: [deployment.yaml]\n",
		"overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\nimages: [{name: nginx, newTag: \"1.27\"}]\n",
		"overlays/prod/unused.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-listed}\n",
	})
	objs, _, err := p.Render(RenderOptions{Path: "./overlays/prod", DefaultNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := Objects(objs); len(got) != 1 || got[0] != "Deployment/default/prod-web" {
		t.Fatalf("objects %v, want only the kustomization's Deployment/default/prod-web", got)
	}
	if imgs := Images(objs); len(imgs) != 1 || imgs[0] != "nginx:1.27" {
		t.Errorf("images %v, want the kustomization's nginx:1.27", imgs)
	}
	_, _, err = manifests(map[string]string{"kustomization.yaml": "resources: [missing.yaml]\n"}).Render(RenderOptions{})
	if err == nil || !strings.Contains(err.Error(), "kustomize build of kustomization.yaml") {
		t.Errorf("a broken kustomization: err %v, want one naming the kustomization", err)
	}
}
