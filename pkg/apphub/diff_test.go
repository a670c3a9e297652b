package apphub

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func render(t *testing.T, yaml string) []*unstructured.Unstructured {
	t.Helper()
	objs, _, err := manifests(map[string]string{"a.yaml": yaml}).Render(RenderOptions{DefaultNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestDiff(t *testing.T) {
	v11 := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: mes}
spec:
  replicas: 5
  selector: {matchLabels: {app: mes}}
  template:
    metadata: {labels: {app: mes}}
    spec: {containers: [{name: mes, image: mes-system:v1.1}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: old}
data: {k: v}
`
	v12 := `
apiVersion: v1
kind: Service
metadata: {name: mes}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mes}
spec:
  replicas: 5
  selector: {matchLabels: {app: mes}}
  template:
    metadata: {labels: {app: mes}}
    spec: {containers: [{name: mes, image: mes-system:v1.2}]}
`
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{name: "equal objects in another order give no diff", a: v11, b: reorder(v11), want: ""},
		{
			name: "changed image, removed ConfigMap and added Service, in name order",
			a:    v11, b: v12,
			want: `--- a/ConfigMap/default/old
+++ /dev/null
@@ -1,7 +0,0 @@
-apiVersion: v1
-data:
-  k: v
-kind: ConfigMap
-metadata:
-  name: old
-  namespace: default
--- a/Deployment/default/mes
+++ b/Deployment/default/mes
@@ -14,5 +14,5 @@
         app: mes
     spec:
       containers:
-      - image: mes-system:v1.1
+      - image: mes-system:v1.2
         name: mes
--- /dev/null
+++ b/Service/default/mes
@@ -0,0 +1,8 @@
+apiVersion: v1
+kind: Service
+metadata:
+  name: mes
+  namespace: default
+spec:
+  ports:
+  - port: 80
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(render(t, tt.a), render(t, tt.b))
			if got != tt.want {
				t.Fatalf("diff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// reorder swaps the two documents of a two-document stream.
func reorder(s string) string {
	docs := strings.Split(s, "\n---\n")
	return docs[1] + "\n---\n" + docs[0]
}

func TestUnifiedHunks(t *testing.T) {
	lines := func(n int, change map[int]string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("l%d", i+1)
			if c, ok := change[i+1]; ok {
				out[i] = c
			}
		}
		return out
	}
	tests := []struct {
		name string
		a, b []string
		want string
	}{
		{name: "equal is empty", a: lines(5, nil), b: lines(5, nil), want: ""},
		{
			name: "changes 6 lines apart share one hunk",
			a:    lines(20, nil), b: lines(20, map[int]string{5: "X", 12: "Y"}),
			want: "--- a\n+++ b\n@@ -2,14 +2,14 @@\n l2\n l3\n l4\n-l5\n+X\n l6\n l7\n l8\n l9\n l10\n l11\n-l12\n+Y\n l13\n l14\n l15\n",
		},
		{
			name: "changes 7 lines apart get two hunks",
			a:    lines(20, nil), b: lines(20, map[int]string{5: "X", 13: "Y"}),
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+X\n l6\n l7\n l8\n@@ -10,7 +10,7 @@\n l10\n l11\n l12\n-l13\n+Y\n l14\n l15\n l16\n",
		},
		{
			name: "a line inserted at the top",
			a:    []string{"x", "y"}, b: []string{"new", "x", "y"},
			want: "--- a\n+++ b\n@@ -1,2 +1,3 @@\n+new\n x\n y\n",
		},
		{
			name: "everything replaced",
			a:    []string{"a", "b"}, b: []string{"c"},
			want: "--- a\n+++ b\n@@ -1,2 +1,1 @@\n-a\n-b\n+c\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unified("a", "b", tt.a, tt.b); got != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestEditScriptBeyondTheEditLimitIsStillCorrect(t *testing.T) {
	n := maxEditDistance + 10
	a, b := make([]string, n), make([]string, n)
	for i := range a {
		a[i], b[i] = fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
	}
	edits := editScript(a, b)
	var gotA, gotB []string
	for _, e := range edits {
		if e.op != '+' {
			gotA = append(gotA, e.text)
		}
		if e.op != '-' {
			gotB = append(gotB, e.text)
		}
	}
	if strings.Join(gotA, ",") != strings.Join(a, ",") || strings.Join(gotB, ",") != strings.Join(b, ",") {
		t.Fatal("the edit script does not turn a into b")
	}
}
