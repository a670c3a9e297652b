package overrides

import (
	"errors"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// overridePlaintext applies one RFC 6902 operation to the object. The root
// path is refused: replacing the whole object would drop its identity.
func overridePlaintext(obj map[string]any, o *policyv1alpha1.PlaintextOverrider) error {
	if o.Path == "" {
		return errors.New("path is empty; name a field such as /spec/replicas")
	}
	var value any
	if o.Operator != policyv1alpha1.OverriderOpRemove {
		v, err := decodeJSON(o.Value.Raw)
		if err != nil {
			return &pathError{path: o.Path, err: err}
		}
		value = v
	}
	if _, err := patchPointer(obj, o.Operator, o.Path, value); err != nil {
		return &pathError{path: o.Path, err: err}
	}
	return nil
}
