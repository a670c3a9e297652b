package overrides

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// overrideField applies a fieldOverrider: the string at FieldPath holds a
// JSON or YAML document (typically a ConfigMap data entry); its JSON patches
// run on it parsed as JSON, then its YAML patches on it parsed as YAML, and the
// result is written back as a string in the same format. Re-encoding sorts
// object keys and drops YAML comments; the values are what matter to the
// program reading the file.
func overrideField(obj map[string]any, o *policyv1alpha1.FieldOverrider) error {
	cur, err := getPointer(obj, o.FieldPath)
	if err != nil {
		return &pathError{path: o.FieldPath, err: err}
	}
	text, ok := cur.(string)
	if !ok {
		return &pathError{path: o.FieldPath, err: fmt.Errorf("is %s, want a string holding JSON or YAML", typeName(cur))}
	}
	if len(o.JSON) > 0 {
		doc, err := decodeJSON([]byte(text))
		if err != nil {
			return &pathError{path: o.FieldPath, err: fmt.Errorf("the field does not hold JSON: %w", err)}
		}
		for i := range o.JSON {
			op := &o.JSON[i]
			if doc, err = patchDocument(doc, op.Operator, op.SubPath, op.Value.Raw); err != nil {
				return &pathError{path: fmt.Sprintf("%s json[%d] subPath %s", o.FieldPath, i, op.SubPath), err: err}
			}
		}
		out, err := json.Marshal(doc)
		if err != nil {
			return &pathError{path: o.FieldPath, err: err}
		}
		text = string(out)
	}
	if len(o.YAML) > 0 {
		asJSON, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			return &pathError{path: o.FieldPath, err: fmt.Errorf("the field does not hold YAML: %w", err)}
		}
		doc, err := decodeJSON(asJSON)
		if err != nil {
			return &pathError{path: o.FieldPath, err: fmt.Errorf("the field does not hold YAML: %w", err)}
		}
		for i := range o.YAML {
			op := &o.YAML[i]
			if doc, err = patchDocument(doc, op.Operator, op.SubPath, op.Value.Raw); err != nil {
				return &pathError{path: fmt.Sprintf("%s yaml[%d] subPath %s", o.FieldPath, i, op.SubPath), err: err}
			}
		}
		out, err := yaml.Marshal(doc)
		if err != nil {
			return &pathError{path: o.FieldPath, err: err}
		}
		text = string(out)
	}
	if _, err := patchPointer(obj, policyv1alpha1.OverriderOpReplace, o.FieldPath, text); err != nil {
		return &pathError{path: o.FieldPath, err: err}
	}
	return nil
}

// patchDocument applies one operation inside an embedded document. Unlike
// plaintext, the root path is allowed: replacing a whole embedded file is a
// reasonable thing to ask for.
func patchDocument(doc any, op policyv1alpha1.OverriderOperator, subPath string, raw []byte) (any, error) {
	var value any
	if op != policyv1alpha1.OverriderOpRemove {
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, err
		}
		value = v
	}
	return patchPointer(doc, op, subPath, value)
}
