package apphub

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// readDir loads a directory of testdata as a package, under prefix.
func readDir(t testing.TB, dir, prefix string) Package {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[prefix+filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return Package{Format: DetectFormat(files), Files: files}
}

func TestRenderHelmChart(t *testing.T) {
	tests := []struct {
		name         string
		pkg          Package
		opts         RenderOptions
		wantObjects  []string
		wantImages   []string
		wantReplicas int64
		wantWarnings []string
	}{
		{
			name: "chart defaults: CRDs first, then Helm's install order; NOTES and the test hook left out; a template's own namespace kept",
			pkg:  readDir(t, "testdata/chart/mes", ""),
			opts: RenderOptions{ReleaseName: "plant", TargetNamespace: "mes"},
			wantObjects: []string{
				"CustomResourceDefinition/productionlines.mes.example.com",
				"Namespace/plant-shared",
				"ConfigMap/plant-shared/plant-mes-config",
				"Service/mes/plant-mes",
				"Deployment/mes/plant-mes",
			},
			wantImages:   []string{"mes-system:v1.2"},
			wantReplicas: 5,
			wantWarnings: []string{"chart mes: hook Pod/plant-mes-test (helm.sh/hook: test) left out: releases here apply the chart's objects as one set, without Helm's lifecycle hooks"},
		},
		{
			name: "values override the chart's; the release name defaults to the chart's; a chart in a subdirectory",
			pkg: func() Package {
				p := readDir(t, "testdata/chart/mes", "charts/mes/")
				p.Format = appsv1alpha1.FormatHelmChart
				return p
			}(),
			opts: RenderOptions{Path: "charts/mes", DefaultNamespace: "default", Values: map[string]any{
				"replicaCount": 2, "image": map[string]any{"tag": "v1.3"}, "service": map[string]any{"enabled": false},
			}},
			wantObjects: []string{
				"CustomResourceDefinition/productionlines.mes.example.com",
				"Namespace/plant-shared",
				"Deployment/default/mes-mes",
			},
			wantImages:   []string{"mes-system:v1.3"},
			wantReplicas: 2,
			wantWarnings: []string{"chart mes: hook Pod/mes-mes-test (helm.sh/hook: test) left out: releases here apply the chart's objects as one set, without Helm's lifecycle hooks"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, warnings, err := tt.pkg.Render(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := Objects(objs); !reflect.DeepEqual(got, tt.wantObjects) {
				t.Fatalf("objects %v, want %v", got, tt.wantObjects)
			}
			if got := Images(objs); !reflect.DeepEqual(got, tt.wantImages) {
				t.Errorf("images %v, want %v", got, tt.wantImages)
			}
			if !reflect.DeepEqual(warnings, tt.wantWarnings) {
				t.Errorf("warnings %q, want %q", warnings, tt.wantWarnings)
			}
			for _, obj := range objs {
				if obj.GetKind() == "Deployment" {
					replicas, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
					if replicas != tt.wantReplicas {
						t.Errorf("replicas %d, want %d", replicas, tt.wantReplicas)
					}
				}
			}
		})
	}
}

func TestRenderHelmChartRefusals(t *testing.T) {
	chart := func(extra map[string]string) Package {
		p := readDir(t, "testdata/chart/mes", "")
		for name, content := range extra {
			p.Files[name] = []byte(content)
		}
		return p
	}
	tests := []struct {
		name    string
		pkg     Package
		opts    RenderOptions
		wantErr []string
	}{
		{
			name:    "a template that does not render names the template and Helm's message",
			pkg:     chart(map[string]string{"templates/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deep }}\n"}),
			opts:    RenderOptions{Package: "mes:v1.3"},
			wantErr: []string{"package mes:v1.3: chart mes does not render", "mes/templates/broken.yaml", "nil pointer", "fix that template or the values"},
		},
		{
			name:    "a template that does not parse",
			pkg:     chart(map[string]string{"templates/broken.yaml": "{{ if }}"}),
			wantErr: []string{"chart mes does not render", "mes/templates/broken.yaml"},
		},
		{
			name:    "a template rendering YAML that is not an object",
			pkg:     chart(map[string]string{"templates/list.yaml": "- a\n- b\n"}),
			wantErr: []string{"mes/templates/list.yaml"},
		},
		{
			name:    "a Chart.yaml without a version",
			pkg:     chart(map[string]string{"Chart.yaml": "apiVersion: v2\nname: mes\n"}),
			wantErr: []string{"the chart at path . does not load", "version", "fix Chart.yaml"},
		},
		{
			name:    "values against the chart's schema",
			pkg:     chart(map[string]string{"values.schema.json": `{"type":"object","properties":{"replicaCount":{"type":"integer","minimum":1}}}`}),
			opts:    RenderOptions{Values: map[string]any{"replicaCount": 0}},
			wantErr: []string{"chart mes: values:", "replicaCount", "fix the values"},
		},
		{
			name:    "a chart that renders only hooks and notes has no object",
			pkg:     Package{Files: map[string][]byte{"Chart.yaml": []byte("apiVersion: v2\nname: hooks\nversion: 0.1.0\n"), "templates/NOTES.txt": []byte("hi"), "templates/job.yaml": []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations: {helm.sh/hook: pre-install}\n")}},
			opts:    RenderOptions{Package: "hooks:0.1.0"},
			wantErr: []string{"package hooks:0.1.0 has no Kubernetes object under path ."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.pkg.Render(tt.opts)
			if err == nil {
				t.Fatalf("Render succeeded, want an error with %q", tt.wantErr)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}
