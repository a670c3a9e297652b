package apphub

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// mesYAML is seed 000's mes-app.yaml as the seed gives it (indented).
func mesYAML(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/mes/mes-app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func manifests(files map[string]string) Package {
	p := Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{}}
	for name, content := range files {
		p.Files[name] = []byte(content)
	}
	return p
}

func TestRenderMESPackageDefaultsTheSelectorWithAWarning(t *testing.T) {
	p := Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{"mes-app.yaml": mesYAML(t)}}
	objs, warnings, err := p.Render(RenderOptions{DefaultNamespace: "default", Package: "mes:v1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Objects(objs), []string{"Deployment/default/mes-deployment"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	wantWarnings := []string{"Deployment mes-deployment: spec.selector was missing; defaulted to app=mes-deployment (set it in the YAML to choose your own)"}
	if !reflect.DeepEqual(warnings, wantWarnings) {
		t.Fatalf("warnings %q, want %q", warnings, wantWarnings)
	}
	sel, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "selector", "matchLabels")
	pod, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "template", "metadata", "labels")
	if want := map[string]string{"app": "mes-deployment"}; !reflect.DeepEqual(sel, want) || !reflect.DeepEqual(pod, want) {
		t.Fatalf("selector %v and pod labels %v, want both %v", sel, pod, want)
	}
	if got, want := Images(objs), []string{"mes-system:v1.2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("images %v, want %v", got, want)
	}
	replicas, _, _ := unstructured.NestedInt64(objs[0].Object, "spec", "replicas")
	if replicas != 5 {
		t.Fatalf("replicas %d, want 5 kept", replicas)
	}
}

func TestRenderManifests(t *testing.T) {
	tests := []struct {
		name         string
		files        map[string]string
		opts         RenderOptions
		wantObjects  []string
		wantWarnings int
		check        func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		{
			name: "files in lexical order, documents in file order, empty documents skipped",
			files: map[string]string{
				"b.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b1}\n---\n# only a comment\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b2}\n",
				"a.yml":       "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
				"c.json":      `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"c"}}`,
				"README.md":   "not read",
				"sub/d.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n",
				"values.toml": "x = 1",
			},
			opts:        RenderOptions{DefaultNamespace: "apps"},
			wantObjects: []string{"Service/apps/a", "ConfigMap/apps/b1", "ConfigMap/apps/b2", "Secret/apps/c", "ConfigMap/apps/d"},
		},
		{
			name: "path narrows to one directory",
			files: map[string]string{
				"base/a.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n",
				"overlay/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: overlay}\n",
			},
			opts:        RenderOptions{Path: "./overlay/"},
			wantObjects: []string{"ConfigMap/overlay"},
		},
		{
			name: "target namespace wins over the object's own; cluster-scoped kinds keep none",
			files: map[string]string{"all.yaml": `
apiVersion: v1
kind: ConfigMap
metadata: {name: own, namespace: mine}
---
apiVersion: v1
kind: Namespace
metadata: {name: plant, namespace: wrong}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: x
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv1}
`},
			opts:        RenderOptions{TargetNamespace: "plant", DefaultNamespace: "default"},
			wantObjects: []string{"ConfigMap/plant/own", "Namespace/plant", "ClusterRole/reader", "StorageClass/fast", "CustomResourceDefinition/widgets.example.com", "PriorityClass/high", "PersistentVolume/pv1"},
		},
		{
			name:        "own namespace kept without a target namespace",
			files:       map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own, namespace: mine}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: none}\n"},
			opts:        RenderOptions{DefaultNamespace: "default"},
			wantObjects: []string{"ConfigMap/mine/own", "ConfigMap/default/none"},
		},
		{
			name:        "v1 List unpacked into its items",
			files:       map[string]string{"list.yaml": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: one}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: two}}\n"},
			wantObjects: []string{"ConfigMap/one", "ConfigMap/two"},
		},
		{
			name:        "labels and annotations added to every object, overriding the same keys",
			files:       map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {team: old, keep: 'yes'}}\n"},
			opts:        RenderOptions{Labels: map[string]string{"team": "mes"}, Annotations: map[string]string{"apps.kurator.dev/revision": "v1.2"}},
			wantObjects: []string{"ConfigMap/a"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if got, want := objs[0].GetLabels(), map[string]string{"team": "mes", "keep": "yes"}; !reflect.DeepEqual(got, want) {
					t.Errorf("labels %v, want %v", got, want)
				}
				if got := objs[0].GetAnnotations()["apps.kurator.dev/revision"]; got != "v1.2" {
					t.Errorf("annotation %q, want v1.2", got)
				}
			},
		},
		{
			name: "selector defaulted from the pod template's app label when it has one",
			files: map[string]string{"sts.yaml": `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template:
    metadata: {labels: {app: mes-db, tier: data}}
    spec: {containers: [{name: db, image: postgres:16}]}
`},
			wantObjects:  []string{"StatefulSet/db"},
			wantWarnings: 1,
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				sel, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "selector", "matchLabels")
				pod, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "template", "metadata", "labels")
				if !reflect.DeepEqual(sel, map[string]string{"app": "mes-db"}) || !reflect.DeepEqual(pod, map[string]string{"app": "mes-db", "tier": "data"}) {
					t.Errorf("selector %v, pod labels %v; want app=mes-db and the pod labels untouched", sel, pod)
				}
			},
		},
		{
			name: "a workload with its own selector is left alone, no warning",
			files: map[string]string{"ds.yaml": `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {name: agent}}
  template:
    metadata: {labels: {name: agent}}
    spec: {containers: [{name: a, image: agent:1}]}
`},
			wantObjects: []string{"DaemonSet/agent"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				pod, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "template", "metadata", "labels")
				if !reflect.DeepEqual(pod, map[string]string{"name": "agent"}) {
					t.Errorf("pod labels %v changed", pod)
				}
			},
		},
		{
			name:        "a workload whose spec is not a mapping is left for the API server to refuse, no defaulting",
			files:       map[string]string{"d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: broken\n"},
			wantObjects: []string{"Deployment/d"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if got := objs[0].Object["spec"]; got != "broken" {
					t.Errorf("spec became %v", got)
				}
			},
		},
		{
			name:         "every selector-less workload kind warns once: Deployment, StatefulSet, DaemonSet, ReplicaSet; a Job does not",
			files:        map[string]string{"w.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"},
			wantObjects:  []string{"Deployment/d", "StatefulSet/s", "DaemonSet/ds", "ReplicaSet/rs", "Job/j"},
			wantWarnings: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, warnings, err := manifests(tt.files).Render(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := Objects(objs); !reflect.DeepEqual(got, tt.wantObjects) {
				t.Fatalf("objects %v, want %v", got, tt.wantObjects)
			}
			if len(warnings) != tt.wantWarnings {
				t.Fatalf("warnings %q, want %d", warnings, tt.wantWarnings)
			}
			if tt.check != nil {
				tt.check(t, objs)
			}
		})
	}
}

func TestRenderRefusesBadPackages(t *testing.T) {
	tests := []struct {
		name    string
		pkg     Package
		opts    RenderOptions
		wantErr []string // every part must be in the message
	}{
		{
			name:    "no object at all names the package, the path and the fix",
			pkg:     manifests(map[string]string{"README.md": "# MES", "empty.yaml": "---\n# nothing\n"}),
			opts:    RenderOptions{Package: "mes:v1.2"},
			wantErr: []string{"package mes:v1.2 has no Kubernetes object under path .: add YAML with apiVersion and kind"},
		},
		{
			name:    "no object under the given path",
			pkg:     manifests(map[string]string{"a/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}),
			opts:    RenderOptions{Package: "mes:v1.2", Path: "b"},
			wantErr: []string{"package mes:v1.2 has no Kubernetes object under path b"},
		},
		{
			name:    "a document without kind names the file and the document index",
			pkg:     manifests(map[string]string{"app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nmetadata: {name: nokind}\n"}),
			wantErr: []string{"file app.yaml document 2", "apiVersion and kind are required"},
		},
		{
			name:    "a document without apiVersion",
			pkg:     manifests(map[string]string{"d/app.yaml": "kind: Deployment\nmetadata: {name: x}\n"}),
			wantErr: []string{"file d/app.yaml document 1", "apiVersion and kind are required"},
		},
		{
			name:    "a scalar document is not an object",
			pkg:     manifests(map[string]string{"app.yaml": "just a string\n"}),
			wantErr: []string{"file app.yaml document 1", "not an object"},
		},
		{
			name:    "YAML that does not parse",
			pkg:     manifests(map[string]string{"app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n"}),
			wantErr: []string{"file app.yaml document 1", "not valid YAML"},
		},
		{
			name:    "a duplicate key is refused, as kubectl apply refuses it",
			pkg:     manifests(map[string]string{"app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '1'}\ndata: {b: '2'}\n"}),
			wantErr: []string{"file app.yaml document 1", "not valid YAML"},
		},
		{
			name:    "an object without a name",
			pkg:     manifests(map[string]string{"app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n"}),
			wantErr: []string{"file app.yaml document 1 (ConfigMap): metadata.name is required"},
		},
		{
			name:    "the same object twice names both places",
			pkg:     manifests(map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n"}),
			opts:    RenderOptions{DefaultNamespace: "default"},
			wantErr: []string{"ConfigMap/default/x is defined twice (file a.yaml document 1 and file b.yaml document 1)"},
		},
		{
			name:    "an unknown format",
			pkg:     Package{Format: "Kustomize", Files: map[string][]byte{"a.yaml": nil}},
			wantErr: []string{`format "Kustomize" is not known: use Manifests or HelmChart`},
		},
		{
			name:    "a path leaving the package",
			pkg:     manifests(map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}),
			opts:    RenderOptions{Path: "../etc"},
			wantErr: []string{`path "../etc"`, "leaves the package root"},
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

func TestImagesFromEveryPodTemplateKind(t *testing.T) {
	p := manifests(map[string]string{"w.yaml": `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: pod:1}], initContainers: [{name: i, image: init:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: deploy:1}, {name: s, image: pod:1}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {selector: {matchLabels: {a: b}}, template: {spec: {containers: [{name: c, image: sts:1}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec: {selector: {matchLabels: {a: b}}, template: {spec: {containers: [{name: c, image: ds:1}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {selector: {matchLabels: {a: b}}, template: {spec: {containers: [{name: c, image: rs:1}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {spec: {containers: [{name: c, image: job:1}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec: {jobTemplate: {spec: {template: {spec: {initContainers: [{name: i, image: cron-init:1}], containers: [{name: c, image: cron:1}]}}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-workload}
data: {image: ignored:1}
`})
	objs, _, err := p.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cron-init:1", "cron:1", "deploy:1", "ds:1", "init:1", "job:1", "pod:1", "rs:1", "sts:1"}
	if got := Images(objs); !reflect.DeepEqual(got, want) {
		t.Fatalf("images %v, want %v", got, want)
	}
}
