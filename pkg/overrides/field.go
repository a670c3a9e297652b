package overrides

import (
	"fmt"

	"sigs.k8s.io/yaml"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// overrideField applies a fieldOverrider: the string at FieldPath holds a
// JSON or YAML document (typically a ConfigMap data entry). Karmada's
// pipeline, step for step: JSON patches run on the text itself, keeping key
// order and number spelling (see jsondoc.go); YAML patches run on the YAML
// converted to JSON and the result is converted back, which sorts keys and
// drops comments.
//
// Karmada's admission refuses a fieldOverrider with both json and yaml; here
// both may be given and json runs first. With neither, the field is left as
// it is (Karmada would write an empty string).
func overrideField(obj map[string]any, o *policyv1alpha1.FieldOverrider) error {
	cur, err := getPointer(obj, o.FieldPath)
	if err != nil {
		return &pathError{path: o.FieldPath, err: err}
	}
	text, ok := cur.(string)
	if !ok {
		return &pathError{path: o.FieldPath, err: fmt.Errorf("is %s, want a string holding JSON or YAML", typeName(cur))}
	}
	if len(o.JSON) == 0 && len(o.YAML) == 0 {
		return nil
	}
	if len(o.JSON) > 0 && text != "" {
		ops := make([]fieldOp, len(o.JSON))
		for i := range o.JSON {
			ops[i] = fieldOp{o.JSON[i].Operator, o.JSON[i].SubPath, o.JSON[i].Value.Raw}
		}
		out, err := patchJSONText([]byte(text), ops)
		if err != nil {
			return err.pathError(o.FieldPath, "json", "JSON")
		}
		text = string(out)
	}
	if len(o.YAML) > 0 {
		asJSON, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			return &pathError{path: o.FieldPath, err: fmt.Errorf("the field does not hold YAML: %w", err)}
		}
		ops := make([]fieldOp, len(o.YAML))
		for i := range o.YAML {
			ops[i] = fieldOp{o.YAML[i].Operator, o.YAML[i].SubPath, o.YAML[i].Value.Raw}
		}
		out, perr := patchJSONText(asJSON, ops)
		if perr != nil {
			return perr.pathError(o.FieldPath, "yaml", "YAML")
		}
		back, err := yaml.JSONToYAML(out)
		if err != nil {
			return &pathError{path: o.FieldPath, err: err}
		}
		text = string(back)
	}
	if _, err := patchPointer(obj, policyv1alpha1.OverriderOpReplace, o.FieldPath, text); err != nil {
		return &pathError{path: o.FieldPath, err: err}
	}
	return nil
}

// fieldOp is one JSON or YAML patch operation of a fieldOverrider.
type fieldOp struct {
	op      policyv1alpha1.OverriderOperator
	subPath string
	value   []byte
}

// fieldError says which operation failed (where is "" when the document
// itself is the problem).
type fieldError struct {
	where string
	err   error
}

func (e *fieldError) pathError(fieldPath, list, format string) *pathError {
	if e.where == "" {
		return &pathError{path: fieldPath, err: fmt.Errorf("the field does not hold a %s object or array: %w", format, e.err)}
	}
	return &pathError{path: fieldPath + " " + list + e.where, err: e.err}
}

// patchJSONText applies ops to a JSON document held as text and prints the
// result the way json-patch does. The document must be an object or an
// array, and so must a value that replaces it at the root.
func patchJSONText(text []byte, ops []fieldOp) ([]byte, *fieldError) {
	doc, err := parseOrdered(text)
	if err != nil {
		return nil, &fieldError{err: err}
	}
	if !isContainer(doc) {
		return nil, &fieldError{err: fmt.Errorf("it holds %s", typeName(doc))}
	}
	for i, op := range ops {
		where := fmt.Sprintf("[%d] subPath %s", i, op.subPath)
		var value any
		if op.op != policyv1alpha1.OverriderOpRemove {
			if value, err = parseOrdered(op.value); err != nil {
				return nil, &fieldError{where: where, err: fmt.Errorf("invalid JSON value: %w", err)}
			}
			if op.subPath == "" && !isContainer(value) {
				return nil, &fieldError{where: where, err: fmt.Errorf("the whole document can only become an object or an array, not %s", typeName(value))}
			}
		}
		if doc, err = patchPointer(doc, op.op, op.subPath, value); err != nil {
			return nil, &fieldError{where: where, err: err}
		}
	}
	return encodeOrdered(doc), nil
}
