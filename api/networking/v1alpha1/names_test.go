package v1alpha1

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 60)
	cases := []struct {
		name, got, want string
	}{
		{"short work name is traffic-namespace-name", WorkName("default", "reviews"), "traffic-default-reviews"},
		{"short label value is namespace.name", PolicyLabelValue("default", "reviews"), "default.reviews"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	for _, f := range []func(string, string) string{WorkName, PolicyLabelValue} {
		a, b := f("default", long+"x"), f("default", long+"y")
		if len(a) > 63 || len(b) > 63 {
			t.Errorf("long names are cut to 63 characters: %q (%d), %q (%d)", a, len(a), b, len(b))
		}
		if a == b {
			t.Errorf("two long names that differ at the end get the same cut name %q", a)
		}
	}
}
