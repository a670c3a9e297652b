package validation

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/config/crd"
)

const seedDir = "../../../api/testdata/seeds"

var ourGroups = map[string]bool{
	"policy.karmada.io":   true,
	"cluster.kurator.dev": true,
	"fleet.kurator.dev":   true,
	"work.kurator.dev":    true,
}

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parse turns one YAML document into an object the way the apiserver
// decodes a request body (integers as int64).
func parse(t *testing.T, doc []byte) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("yaml to json: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return u
}

func splitDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			t.Fatal(err)
		}
		if len(probe) > 0 {
			out = append(out, doc)
		}
	}
}

func TestEveryCRDIsAcceptedByAnAPIServer(t *testing.T) {
	crds, err := crd.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 9 {
		t.Errorf("embedded CRDs: got %d, want 9 (4 policy, 1 cluster, 1 fleet, 3 work)", len(crds))
	}
	for i := range crds {
		t.Run(crds[i].Name, func(t *testing.T) {
			errs, err := CheckCRD(&crds[i])
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) > 0 {
				t.Errorf("refused: %v", errs.ToAggregate())
			}
		})
	}
}

func TestSeedDocumentsValidate(t *testing.T) {
	v := newValidator(t)
	files, err := filepath.Glob(filepath.Join(seedDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed files in %s: %v", seedDir, err)
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range splitDocs(t, data) {
			u := parse(t, doc)
			if !ourGroups[u.GroupVersionKind().Group] {
				continue
			}
			checked++
			t.Run(filepath.Base(f)+"/"+u.GetKind()+"/"+u.GetName(), func(t *testing.T) {
				if errs := v.Validate(context.Background(), u); len(errs) > 0 {
					t.Errorf("rejected: %v", errs.ToAggregate())
				}
			})
		}
	}
	if checked != 8 {
		t.Errorf("checked %d seed documents of our groups, want 8", checked)
	}
}
