package admission

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/config/crd/validation"
	"github.com/kurator-go/kurator/config/crd/validation/admissioncases"
	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// TestHubRefusesEveryInvalidObject sends each case of the shared table to
// the hub and to the offline check: both give the case's verdict, and the
// hub's refusal holds every expected fragment.
func TestHubRefusesEveryInvalidObject(t *testing.T) {
	cases, err := admissioncases.Load()
	if err != nil {
		t.Fatal(err)
	}
	if refused := admissioncases.CountRefused(cases); refused < 50 {
		t.Fatalf("%d refused cases in the admission table, want at least 50", refused)
	}
	offline := newValidator(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			hubErr := dryRunApply(t, tc.Object)
			offlineErr := offline(t, tc.Object)
			if !tc.Refused() {
				if hubErr != "" {
					t.Errorf("the hub refused a valid object:\n%s", hubErr)
				}
				if offlineErr != "" {
					t.Errorf("the offline check refused a valid object: %s", offlineErr)
				}
				return
			}
			if hubErr == "" {
				t.Errorf("the hub accepted an object it must refuse with %q", tc.Want)
			}
			t.Logf("hub: %s", strings.TrimSpace(hubErr))
			if offlineErr == "" {
				t.Errorf("the offline check accepted an object the hub must refuse with %q", tc.Want)
			}
			if hubErr != "" {
				for _, w := range tc.Missing(hubErr) {
					t.Errorf("the hub's refusal lacks %q:\n%s", w, hubErr)
				}
			}
		})
	}
}

// TestHubAcceptsSeedsAndExamples applies, as a dry run, every document of
// our groups in the seed documents and the examples: the hub and the
// offline check accept each.
func TestHubAcceptsSeedsAndExamples(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../../api/testdata/seeds/*.yaml", "../../../examples/*/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	offline := newValidator(t)
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range ourDocuments(t, data) {
			checked++
			t.Run(filepath.Base(f)+"/"+doc.name, func(t *testing.T) {
				// An example's own namespace (prod) exists on the hub
				// once the example is applied; create it for the dry run.
				if doc.namespace != "" {
					fleettest.Kubectl(t, fleet, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", doc.namespace), "apply", "-f", "-")
				}
				if hubErr := dryRunApply(t, doc.yaml); hubErr != "" {
					t.Errorf("document %d: the hub refused it:\n%s", i+1, hubErr)
				}
				if offlineErr := offline(t, doc.yaml); offlineErr != "" {
					t.Errorf("document %d: the offline check refused it: %s", i+1, offlineErr)
				}
			})
		}
	}
	// The seeds hold 8 documents of our groups; the examples add more.
	if checked < 8 {
		t.Errorf("checked %d documents of our groups, want at least the 8 of the seeds", checked)
	}
}

// dryRunApply runs the pinned kubectl's server-side dry-run apply of obj
// against the hub and returns its error output, or "" when the hub accepts.
func dryRunApply(t *testing.T, obj string) string {
	t.Helper()
	kubectl := filepath.Join(localfleet.DefaultBinDir(), "kubectl")
	cmd := exec.Command(kubectl, "--kubeconfig", fleet.Kubeconfig, "apply", "--dry-run=server", "-f", "-")
	cmd.Stdin = strings.NewReader(obj)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &exit):
		if stderr.Len() == 0 {
			t.Fatalf("kubectl apply failed (%v) without saying why; stdout:\n%s", err, stdout.String())
		}
		return stderr.String()
	default:
		t.Fatalf("run %s: %v", kubectl, err)
		return ""
	}
}

// newValidator returns the offline check as a function from YAML to its
// error text ("" when the object is accepted).
func newValidator(t *testing.T) func(*testing.T, string) string {
	t.Helper()
	v, err := validation.New()
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T, obj string) string {
		t.Helper()
		js, err := yaml.YAMLToJSON([]byte(obj))
		if err != nil {
			t.Fatalf("yaml to json: %v", err)
		}
		var m map[string]any
		if err := utiljson.Unmarshal(js, &m); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if errs := v.Validate(context.Background(), &unstructured.Unstructured{Object: m}); len(errs) > 0 {
			return errs.ToAggregate().Error()
		}
		return ""
	}
}

// ourGroups are the API groups the hub's CRDs serve.
var ourGroups = map[string]bool{
	"policy.karmada.io":      true,
	"cluster.kurator.dev":    true,
	"fleet.kurator.dev":      true,
	"work.kurator.dev":       true,
	"apps.kurator.dev":       true,
	"networking.kurator.dev": true,
}

type document struct {
	name      string // Kind/name
	namespace string
	yaml      string
}

// ourDocuments splits a YAML stream and keeps the documents of our groups
// (the seeds also hold Deployments and Istio objects the hub has no CRD for).
func ourDocuments(t *testing.T, data []byte) []document {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []document
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatal(err)
		}
		group, _, _ := strings.Cut(head.APIVersion, "/")
		if ourGroups[group] {
			out = append(out, document{name: head.Kind + "/" + head.Metadata.Name, namespace: head.Metadata.Namespace, yaml: string(doc)})
		}
	}
}
