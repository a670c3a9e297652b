package overrides

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// decodeJSON decodes raw into the value types unstructured objects hold
// (map[string]any, []any, string, int64, float64, bool, nil). Plain
// encoding/json would produce float64 for every number, which turns replicas: 3
// into 3.0 and makes runtime.DeepCopyJSONValue panic on nothing but surprises
// everyone comparing manifests. Empty raw means JSON null.
func decodeJSON(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON value: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON value: trailing data after the value")
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers replaces json.Number in place: integers that fit become
// int64, everything else float64, as the Kubernetes JSON decoder does.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			// Out of float range: JSON allows it, Go does not. Keep the
			// text rather than invent a number.
			return string(t)
		}
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalizeNumbers(e)
		}
		return t
	default:
		return v
	}
}
