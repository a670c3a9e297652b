package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/pkg/plan"
)

const examples = "../../../examples/seed-001"

// runKurator runs the kurator command in-process and returns its output and
// error (a non-nil error is exit status 1).
func runKurator(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	err := root.Execute()
	return out.String(), err
}

func TestPlanCommandTable(t *testing.T) {
	out, err := runKurator(t, "", "plan", "-f", examples+"/seed-001.yaml")
	if err != nil {
		t.Fatalf("plan failed: %v", err)
	}
	rows := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^RESOURCE\s+POLICY\s+REPLICAS\s+TARGETS$`),
		regexp.MustCompile(`(?m)^Deployment default/nginx\s+PropagationPolicy default/nginx-propagation\s+10\s+cluster-hangzhou=6, cluster-shanghai=4$`),
		regexp.MustCompile(`(?m)^Deployment default/global-app\s+PropagationPolicy default/global-app-propagation\s+6\s+cluster-frankfurt=1, cluster-hangzhou=3, cluster-shanghai=2$`),
		regexp.MustCompile(`(?m)^RESOURCE\s+EXCLUDED CLUSTER\s+REASON$`),
		regexp.MustCompile(`(?m)^Deployment default/nginx\s+cluster-frankfurt\s+not in clusterNames$`),
	}
	for _, re := range rows {
		if !re.MatchString(out) {
			t.Errorf("output lacks a line matching %s:\n%s", re, out)
		}
	}
	if strings.Contains(out, "apiVersion:") {
		t.Errorf("manifests printed without --render:\n%s", out)
	}
}

func TestPlanCommandMachineFormats(t *testing.T) {
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			out, err := runKurator(t, "", "plan", "-f", examples, "-o", format)
			if err != nil {
				t.Fatalf("plan failed: %v", err)
			}
			var got plan.Output
			if err := yaml.UnmarshalStrict([]byte(out), &got); err != nil {
				t.Fatalf("output is not the documented shape: %v\n%s", err, out)
			}
			want := map[string]string{
				"nginx":              "cluster-hangzhou=6 cluster-shanghai=4",
				"ai-inference":       "cluster-hangzhou=7 cluster-shanghai=3",
				"cost-sensitive-app": "ondemand-cluster=2 spot-cluster=8",
				"global-app":         "cluster-frankfurt=1 cluster-hangzhou=3 cluster-shanghai=2",
			}
			if len(got.Workloads) != len(want) {
				t.Fatalf("%d workloads, want %d", len(got.Workloads), len(want))
			}
			for _, w := range got.Workloads {
				var parts []string
				for _, tc := range w.Targets {
					parts = append(parts, tc.Cluster+"="+itoa(tc.Replicas))
				}
				if g := strings.Join(parts, " "); g != want[w.Resource.Name] {
					t.Errorf("%s targets = %s, want %s", w.Resource.Name, g, want[w.Resource.Name])
				}
				if w.Manifests != nil {
					t.Errorf("%s has manifests without --render", w.Resource.Name)
				}
			}
		})
	}
}

func itoa(n int32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestPlanCommandRender(t *testing.T) {
	t.Run("table", func(t *testing.T) {
		out, err := runKurator(t, "", "plan", "-f", examples+"/seed-001.yaml", "--render")
		if err != nil {
			t.Fatalf("plan failed: %v", err)
		}
		for _, want := range []string{
			"# ===== cluster-frankfurt =====",
			"# cluster cluster-hangzhou: Deployment default/global-app",
			"image: registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2",
			"- --region=asia-east",
			"image: registry.eu-central.example.com/company/global-app:1.4.2",
			"- --region=eu-central",
			"- --compliance=gdpr",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		out, err := runKurator(t, "", "plan", "-f", examples+"/seed-001.yaml", "--render", "-o", "json")
		if err != nil {
			t.Fatalf("plan failed: %v", err)
		}
		var got plan.Output
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		images := map[string]string{}
		for _, w := range got.Workloads {
			if w.Resource.Name != "global-app" {
				continue
			}
			for cluster, objs := range w.Manifests {
				spec := objs[0]["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
				images[cluster] = spec["containers"].([]any)[0].(map[string]any)["image"].(string)
			}
		}
		want := map[string]string{
			"cluster-hangzhou":  "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2",
			"cluster-shanghai":  "global-app:1.4.2",
			"cluster-frankfurt": "registry.eu-central.example.com/company/global-app:1.4.2",
		}
		for c, img := range want {
			if images[c] != img {
				t.Errorf("%s image = %q, want %q", c, images[c], img)
			}
		}
	})
}

func TestPlanCommandStatusAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unschedulable := write("unschedulable.yaml", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: mars-app}
spec: {replicas: 2}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: nowhere}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: mars-app}]
  placement:
    clusterAffinity: {clusterNames: [cluster-mars]}
`)
	malformed := write("nginx.yaml", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: nginx-propagation}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  placement:
    replicaScheduling:
      weightPreference:
        staticWeightLis: []
`)
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string // "" means exit status 0
		wantOut []string
	}{
		{
			name:    "unschedulable workload: error shown, exit status 0",
			args:    []string{"plan", "-f", examples + "/seed-001.yaml", "-f", unschedulable},
			wantOut: []string{"RESOURCE ERROR", "Deployment default/mars-app 0/3 clusters are available"},
		},
		{
			name:    "unschedulable workload in JSON: error field set",
			args:    []string{"plan", "-f", examples + "/seed-001.yaml", "-f", unschedulable, "-o", "json"},
			wantOut: []string{`"error": "0/3 clusters are available: cluster-frankfurt: not in clusterNames`},
		},
		{
			name:    "no policy: <none>",
			stdin:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: network-config, namespace: kurator-system}\n",
			args:    []string{"plan", "-f", "-"},
			wantOut: []string{"ConfigMap kurator-system/network-config <none> 0 - (no policy claims it; stays on the hub)"},
		},
		{
			name:    "malformed input names file, document and field",
			args:    []string{"plan", "-f", malformed},
			wantErr: malformed + `: document 2 (PropagationPolicy nginx-propagation): spec.placement.replicaScheduling.weightPreference: unknown field "staticWeightLis"`,
		},
		{
			name:    "standard input is named <stdin>",
			stdin:   "apiVersion: fleet.kurator.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec: {clusterz: []}\n",
			args:    []string{"plan", "-f", "-"},
			wantErr: `<stdin>: document 1 (Fleet f): spec: unknown field "clusterz"`,
		},
		{
			name:    "standard input twice",
			args:    []string{"plan", "-f", "-", "-f", "-"},
			wantErr: "-f - is given twice",
		},
		{
			name:    "unknown output format",
			args:    []string{"plan", "-f", examples, "-o", "xml"},
			wantErr: "-o xml: unknown output format; use one of table, yaml, json",
		},
		{
			name:    "missing file",
			args:    []string{"plan", "-f", filepath.Join(dir, "absent.yaml")},
			wantErr: "absent.yaml: no such file or directory",
		},
		{
			name:    "no -f",
			args:    []string{"plan"},
			wantErr: `required flag(s) "filename" not set`,
		},
		{
			name:    "help has examples",
			args:    []string{"plan", "--help"},
			wantOut: []string{"kurator plan -f examples/seed-001/seed-001.yaml", "--render", "-o json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runKurator(t, tt.stdin, tt.args...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("exit status 1 (%v), want 0", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("exit status 0, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q, want it to contain %q", err, tt.wantErr)
			}
			// Column widths depend on the other rows; compare with runs of
			// spaces squashed.
			squashed := squash(out)
			for _, want := range tt.wantOut {
				if !strings.Contains(squashed, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

var spaces = regexp.MustCompile(` {2,}`)

func squash(s string) string { return spaces.ReplaceAllString(s, " ") }
