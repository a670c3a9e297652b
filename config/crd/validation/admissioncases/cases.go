// Package admissioncases holds the table of objects the hub must refuse (and
// a few it must accept), shared by the offline check's unit tests
// (config/crd/validation) and the e2e test that sends them to a real hub
// (test/e2e/admission), so the two cannot drift apart.
package admissioncases

import (
	_ "embed"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed cases.yaml
var casesYAML []byte

// Case is one object and the verdict the hub gives it.
type Case struct {
	// Name states the expectation, e.g. "empty resourceSelectors are refused".
	Name string
	// Object is the YAML of the object.
	Object string
	// Want lists fragments of the refusal; empty means the object is accepted.
	Want []string
}

// Refused reports whether the hub must refuse the case's object.
func (c Case) Refused() bool { return len(c.Want) > 0 }

// Missing returns the fragments of Want that a refusal message lacks.
func (c Case) Missing(msg string) []string {
	var out []string
	for _, w := range c.Want {
		if !strings.Contains(msg, w) {
			out = append(out, w)
		}
	}
	return out
}

// CountRefused is how many of cases the hub must refuse.
func CountRefused(cases []Case) int {
	n := 0
	for _, c := range cases {
		if c.Refused() {
			n++
		}
	}
	return n
}

type file struct {
	Bases map[string]string `json:"bases"`
	Cases []struct {
		Name   string   `json:"name"`
		Base   string   `json:"base"`
		Spec   string   `json:"spec"`
		Object string   `json:"object"`
		Want   []string `json:"want"`
	} `json:"cases"`
}

// Load returns the cases in file order. It fails when cases.yaml is
// malformed: a case without a name, a duplicate name, an unknown base, or
// neither base nor object.
func Load() ([]Case, error) {
	var f file
	if err := yaml.UnmarshalStrict(casesYAML, &f); err != nil {
		return nil, fmt.Errorf("admissioncases/cases.yaml: %w", err)
	}
	seen := map[string]bool{}
	out := make([]Case, 0, len(f.Cases))
	for i, c := range f.Cases {
		where := fmt.Sprintf("admissioncases/cases.yaml: case %d (%s)", i+1, c.Name)
		if c.Name == "" || seen[c.Name] {
			return nil, fmt.Errorf("%s: every case needs a name of its own", where)
		}
		seen[c.Name] = true
		obj := c.Object
		if c.Base != "" {
			base, ok := f.Bases[c.Base]
			if !ok {
				return nil, fmt.Errorf("%s: unknown base %q", where, c.Base)
			}
			obj = base + indent(c.Spec, "  ")
		}
		if strings.TrimSpace(obj) == "" {
			return nil, fmt.Errorf("%s: give a base and spec, or an object", where)
		}
		out = append(out, Case{Name: c.Name, Object: obj, Want: c.Want})
	}
	return out, nil
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}
