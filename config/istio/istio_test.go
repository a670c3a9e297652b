package istio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedFileIsWhatTheModuleGives regenerates the file from the
// istio.io/api module go.mod pins and compares bytes: a module upgrade or a
// hand edit without `make generate` fails here.
func TestEmbeddedFileIsWhatTheModuleGives(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the check finds the istio.io/api module through the go command: %v", err)
	}
	res, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}} {{.Version}}", ModulePath).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", ModulePath, err)
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(res)), " ")
	src, err := os.ReadFile(filepath.Join(dir, SourcePath))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Filter(src, version)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Embedded(), want) {
		t.Fatalf("%s differs from what %s@%s gives (%d bytes embedded, %d generated); run make generate and commit the result",
			FileName, ModulePath, version, len(Embedded()), len(want))
	}
}

func TestCRDsAreTheNetworkingGroup(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range crds {
		if c.Spec.Group != Group {
			t.Errorf("CRD %s has group %s, want only %s", c.Name, c.Spec.Group, Group)
		}
		got[c.Name] = true
	}
	for _, name := range []string{
		"virtualservices.networking.istio.io",
		"destinationrules.networking.istio.io",
		"gateways.networking.istio.io",
		"serviceentries.networking.istio.io",
		"sidecars.networking.istio.io",
		"workloadentries.networking.istio.io",
		"workloadgroups.networking.istio.io",
	} {
		if !got[name] {
			t.Errorf("CRD %s missing from %d embedded (%v)", name, len(crds), got)
		}
	}
}

func TestVirtualServiceServesV1beta1(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds {
		if c.Name != "virtualservices.networking.istio.io" {
			continue
		}
		var versions []string
		for _, v := range c.Spec.Versions {
			if v.Served {
				versions = append(versions, v.Name)
			}
		}
		if !strings.Contains(","+strings.Join(versions, ",")+",", ",v1beta1,") {
			t.Errorf("VirtualService serves %v; the seed's YAML uses networking.istio.io/v1beta1", versions)
		}
		return
	}
	t.Fatal("no VirtualService CRD")
}

func TestFilterKeepsOnlyTheGroupByteForByte(t *testing.T) {
	src := []byte(`# leading comment
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: wasmplugins.extensions.istio.io
spec:
  group: extensions.istio.io
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gateways.networking.istio.io
spec:
  group:    networking.istio.io   # odd spacing kept
---
# only a comment
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sidecars.networking.istio.io
spec:
  group: networking.istio.io
`)
	tests := []struct {
		name    string
		src     []byte
		want    []string
		absent  []string
		wantErr string
	}{
		{
			name:   "two networking CRDs kept, the extensions one and comment-only documents dropped",
			src:    src,
			want:   []string{"  group:    networking.istio.io   # odd spacing kept\n---\n", "name: sidecars.networking.istio.io", "istio.io/api@v9.9.9"},
			absent: []string{"wasmplugins", "only a comment"},
		},
		{
			name:    "no networking CRD is an error naming the group",
			src:     src[:strings.Index(string(src), "---")],
			wantErr: "holds no CRD of group networking.istio.io",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Filter(tt.src, "v9.9.9")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(string(out), a) {
					t.Errorf("output holds %q:\n%s", a, out)
				}
			}
		})
	}
}
