package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kurator-go/kurator/config/crd/validation/admissioncases"
)

// TestParseRefusesWhatTheHubRefuses runs the shared admission table through
// Parse: plan must give every object the hub's verdict, and for objects the
// hub refuses, its field errors after the file, document and object.
func TestParseRefusesWhatTheHubRefuses(t *testing.T) {
	cases, err := admissioncases.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := Parse("case.yaml", []byte(tc.Object))
			if !tc.Refused() {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want refused with %q, got accepted", tc.Want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "case.yaml: document 1 (") || !strings.Contains(msg, " admission-case): ") {
				t.Errorf("error %q does not start with the file, document, kind and name", msg)
			}
			// An unknown field is reported by plan's strict decoding first,
			// in its own words; everything else is the hub's message.
			if !strings.Contains(msg, "the hub would refuse it: ") {
				if !strings.Contains(msg, "unknown field") {
					t.Errorf("error %q is neither the hub's refusal nor an unknown field", msg)
				}
				return
			}
			for _, w := range tc.Missing(msg) {
				t.Errorf("error %q lacks %q", msg, w)
			}
		})
	}
}

func TestParseAdmissionErrorMessage(t *testing.T) {
	_, err := Parse("policy.yaml", []byte(`apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
    clusterTolerations: [{key: dedicated, operator: Exists, value: gpu}]
`))
	want := `policy.yaml: document 1 (PropagationPolicy web): the hub would refuse it: spec.placement.clusterTolerations[0].value: Invalid value: operator Exists matches any value; remove value or use operator Equal`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

// notObjects are example files that are not Kubernetes objects: the
// `kurator server install --config` file (its own test decodes it) and the
// kubeconfig it names.
var notObjects = map[string]bool{
	"../../examples/install/config.yaml": true,
}

// TestEveryExampleAndSeedIsAdmitted: the examples and the seed documents
// must keep passing the admission check plan now runs.
func TestEveryExampleAndSeedIsAdmitted(t *testing.T) {
	var files []string
	for _, dir := range []string{"../../examples/*/*.yaml", "../../api/testdata/seeds/*.yaml"} {
		m, err := filepath.Glob(dir)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found %d example and seed files, want at least 10", len(files))
	}
	for _, f := range files {
		if notObjects[filepath.ToSlash(f)] {
			continue
		}
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(f, data); err != nil {
				t.Error(err)
			}
		})
	}
}
