package overrides

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// This file implements the three RFC 6902 operations overriders use (add,
// remove, replace) directly on decoded JSON values. Patching the unstructured
// map in place avoids marshalling the whole object for every operation and
// lets errors say exactly which token of the path failed.

// splitPointer parses an RFC 6901 JSON pointer into unescaped tokens.
// "" is the whole document and yields no tokens.
func splitPointer(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	if path[0] != '/' {
		return nil, errors.New(`a JSON pointer must start with "/"`)
	}
	tokens := strings.Split(path[1:], "/")
	for i, t := range tokens {
		if strings.IndexByte(t, '~') < 0 {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(t); j++ {
			if t[j] != '~' {
				b.WriteByte(t[j])
				continue
			}
			if j+1 < len(t) && t[j+1] == '0' {
				b.WriteByte('~')
			} else if j+1 < len(t) && t[j+1] == '1' {
				b.WriteByte('/')
			} else {
				return nil, fmt.Errorf("token %q: \"~\" must be followed by 0 or 1", t)
			}
			j++
		}
		tokens[i] = b.String()
	}
	return tokens, nil
}

// arrayIndex parses an array index token; RFC 6901 forbids leading zeros and
// signs. n is the array length; allowEnd admits index n (insert at the end).
func arrayIndex(tok string, n int, allowEnd bool) (int, error) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') || tok[0] < '0' || tok[0] > '9' {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	i, err := strconv.Atoi(tok)
	if err != nil {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	if i > n || (i == n && !allowEnd) {
		return 0, fmt.Errorf("index %d out of range (array length %d)", i, n)
	}
	return i, nil
}

// getPointer returns the value at path in doc.
func getPointer(doc any, path string) (any, error) {
	tokens, err := splitPointer(path)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, tok := range tokens {
		cur, err = child(cur, tok)
		if err != nil {
			return nil, err
		}
	}
	return cur, nil
}

func child(node any, tok string) (any, error) {
	switch n := node.(type) {
	case map[string]any:
		v, ok := n[tok]
		if !ok {
			return nil, fmt.Errorf("key %q not found", tok)
		}
		return v, nil
	case []any:
		i, err := arrayIndex(tok, len(n), false)
		if err != nil {
			return nil, err
		}
		return n[i], nil
	default:
		return nil, fmt.Errorf("cannot descend into %s at %q", typeName(node), tok)
	}
}

// patchPointer applies one operation and returns the new document. Maps are
// changed in place; arrays may be reallocated, which is why every level writes
// its child back. value must not be shared with anything else in doc.
func patchPointer(doc any, op policyv1alpha1.OverriderOperator, path string, value any) (any, error) {
	switch op {
	case policyv1alpha1.OverriderOpAdd, policyv1alpha1.OverriderOpRemove, policyv1alpha1.OverriderOpReplace:
	default:
		return nil, fmt.Errorf("unknown operator %q (want add, remove or replace)", op)
	}
	tokens, err := splitPointer(path)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		if op == policyv1alpha1.OverriderOpRemove {
			return nil, errors.New("cannot remove the whole document")
		}
		return value, nil
	}
	return patchAt(doc, tokens, op, value)
}

func patchAt(node any, tokens []string, op policyv1alpha1.OverriderOperator, value any) (any, error) {
	tok := tokens[0]
	if len(tokens) > 1 {
		c, err := child(node, tok)
		if err != nil {
			return nil, err
		}
		nc, err := patchAt(c, tokens[1:], op, value)
		if err != nil {
			return nil, err
		}
		switch n := node.(type) {
		case map[string]any:
			n[tok] = nc
		case []any:
			i, _ := arrayIndex(tok, len(n), false) // validated by child
			n[i] = nc
		}
		return node, nil
	}

	switch n := node.(type) {
	case map[string]any:
		_, exists := n[tok]
		switch op {
		case policyv1alpha1.OverriderOpAdd:
			n[tok] = value
		case policyv1alpha1.OverriderOpReplace:
			if !exists {
				return nil, fmt.Errorf("key %q not found (use add to create it)", tok)
			}
			n[tok] = value
		case policyv1alpha1.OverriderOpRemove:
			if !exists {
				return nil, fmt.Errorf("key %q not found", tok)
			}
			delete(n, tok)
		}
		return n, nil
	case []any:
		if op == policyv1alpha1.OverriderOpAdd {
			if tok == "-" {
				return append(n, value), nil
			}
			i, err := arrayIndex(tok, len(n), true)
			if err != nil {
				return nil, err
			}
			n = append(n, nil)
			copy(n[i+1:], n[i:])
			n[i] = value
			return n, nil
		}
		i, err := arrayIndex(tok, len(n), false)
		if err != nil {
			return nil, err
		}
		if op == policyv1alpha1.OverriderOpReplace {
			n[i] = value
			return n, nil
		}
		return append(n[:i], n[i+1:]...), nil
	default:
		return nil, fmt.Errorf("cannot %s %q in %s", op, tok, typeName(node))
	}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64, int, int32:
		return "a number"
	default:
		return fmt.Sprintf("%T", v)
	}
}
