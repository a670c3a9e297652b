package overrides

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
)

// This file implements the three JSON patch operations overriders use (add,
// remove, replace) directly on decoded JSON values. Patching the unstructured
// map in place avoids marshalling the whole object for every operation and
// lets errors say exactly which token of the path failed.
//
// The rules are the ones Karmada's results come from, not a stricter reading
// of RFC 6901/6902: Karmada applies plaintext and field patches with
// github.com/evanphx/json-patch/v5 and reads fieldPath and image predicate
// paths with a plain walk. So an array index is whatever strconv.Atoi accepts
// ("01" and "+1" are index 1), patches may count from the end with a negative
// index, and a "~" not followed by 0 or 1 is an ordinary character.

// unescapeToken undoes "~1" -> "/" and "~0" -> "~", scanning left to right.
var unescapeToken = strings.NewReplacer("~1", "/", "~0", "~")

// splitPointer parses a JSON pointer into unescaped tokens. "" is the whole
// document and yields no tokens.
func splitPointer(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	if path[0] != '/' {
		return nil, errors.New(`a JSON pointer must start with "/"`)
	}
	tokens := strings.Split(path[1:], "/")
	for i, t := range tokens {
		if strings.IndexByte(t, '~') >= 0 {
			tokens[i] = unescapeToken.Replace(t)
		}
	}
	return tokens, nil
}

// indexRule says how an array index token may be written.
type indexRule int

const (
	// plainIndex: 0 up to the array length minus one. Reading fieldPath
	// and predicate paths.
	plainIndex indexRule = iota
	// patchIndex: also negative, counting from the end (-1 is the last
	// element; for add, -1 is the end). Applying patch operations.
	patchIndex
)

// arrayIndex parses an array index token for an array of length n. forAdd
// admits index n (insert at the end) and shifts negative indexes by one more,
// as json-patch does.
func arrayIndex(tok string, n int, rule indexRule, forAdd bool) (int, error) {
	i, err := strconv.Atoi(tok)
	if err != nil {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	size := n
	if forAdd {
		size = n + 1
	}
	if i < 0 {
		if rule != patchIndex || i < -size {
			return 0, fmt.Errorf("index %d out of range (array length %d)", i, n)
		}
		i += size
	}
	if i >= size {
		return 0, fmt.Errorf("index %d out of range (array length %d)", i, n)
	}
	return i, nil
}

// getPointer returns the value at path in doc, reading array indexes by the
// plain rule.
func getPointer(doc any, path string) (any, error) {
	tokens, err := splitPointer(path)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, tok := range tokens {
		cur, err = child(cur, tok, plainIndex)
		if err != nil {
			return nil, err
		}
	}
	return cur, nil
}

func child(node any, tok string, rule indexRule) (any, error) {
	switch n := node.(type) {
	case map[string]any:
		v, ok := n[tok]
		if !ok {
			return nil, fmt.Errorf("key %q not found", tok)
		}
		return v, nil
	case *jsonObject:
		v, ok := n.vals[tok]
		if !ok {
			return nil, fmt.Errorf("key %q not found", tok)
		}
		return v, nil
	case []any:
		i, err := arrayIndex(tok, len(n), rule, false)
		if err != nil {
			return nil, err
		}
		return n[i], nil
	default:
		return nil, fmt.Errorf("cannot descend into %s at %q", typeName(node), tok)
	}
}

// patchPointer applies one operation and returns the new document. Objects
// are changed in place; arrays may be reallocated, which is why every level
// writes its child back. value must not be shared with anything else in doc.
// doc is either decoded unstructured content (map[string]any, []any,
// scalars) or an ordered document from parseOrdered; value must be of the
// same family.
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
		c, err := child(node, tok, patchIndex)
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
		case *jsonObject:
			n.vals[tok] = nc
		case []any:
			i, _ := arrayIndex(tok, len(n), patchIndex, false) // validated by child
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
	case *jsonObject:
		_, exists := n.vals[tok]
		switch op {
		case policyv1alpha1.OverriderOpAdd:
			n.set(tok, value)
		case policyv1alpha1.OverriderOpReplace:
			if !exists {
				return nil, fmt.Errorf("key %q not found (use add to create it)", tok)
			}
			n.vals[tok] = value
		case policyv1alpha1.OverriderOpRemove:
			if !exists {
				return nil, fmt.Errorf("key %q not found", tok)
			}
			n.remove(tok)
		}
		return n, nil
	case []any:
		if op == policyv1alpha1.OverriderOpAdd {
			if tok == "-" {
				return append(n, value), nil
			}
			i, err := arrayIndex(tok, len(n), patchIndex, true)
			if err != nil {
				return nil, err
			}
			n = append(n, nil)
			copy(n[i+1:], n[i:])
			n[i] = value
			return n, nil
		}
		i, err := arrayIndex(tok, len(n), patchIndex, false)
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
	switch t := v.(type) {
	case nil:
		return "null"
	case map[string]any, *jsonObject:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64, int, int32:
		return "a number"
	case json.RawMessage:
		switch {
		case len(t) == 0:
			return "null"
		case t[0] == '"':
			return "a string"
		case t[0] == 't' || t[0] == 'f':
			return "a boolean"
		case t[0] == 'n':
			return "null"
		default:
			return "a number"
		}
	default:
		return fmt.Sprintf("%T", v)
	}
}
