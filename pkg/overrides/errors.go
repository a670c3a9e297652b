package overrides

import (
	"errors"
	"fmt"
)

// Error says which policy, rule and overrider failed on which path, e.g.
//
//	OverridePolicy default/cross-cloud-config rule 1 plaintext[0]: path /spec/foo: key "foo" not found
//
// Rule indexes count OverrideSpec.Rules(), so the deprecated single-rule form,
// when present, is rule 0.
type Error struct {
	// Policy is "ClusterOverridePolicy NAME" or "OverridePolicy NAMESPACE/NAME".
	Policy string
	// Rule is the index of the failing rule.
	Rule int
	// Overrider names the overrider and its index, e.g. "imageOverrider[0]".
	Overrider string
	// Path is the JSON pointer involved, if any.
	Path string
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s rule %d %s: %v", e.Policy, e.Rule, e.Overrider, e.Err)
	}
	return fmt.Sprintf("%s rule %d %s: path %s: %v", e.Policy, e.Rule, e.Overrider, e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// pathError carries the path from an overrider up to Apply, which turns it
// into an *Error.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return "path " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// newError builds the public error for an overrider failure.
func newError(policy string, rule int, overrider string, err error) *Error {
	out := &Error{Policy: policy, Rule: rule, Overrider: overrider, Err: err}
	var pe *pathError
	if errors.As(err, &pe) {
		out.Path, out.Err = pe.path, pe.err
	}
	return out
}
