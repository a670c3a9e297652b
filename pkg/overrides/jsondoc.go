package overrides

import (
	"bytes"
	"encoding/json"
	"errors"
)

// A fieldOverrider edits a document embedded in a string, and the string is
// what the member cluster gets, so its exact text matters. Karmada patches
// that text with github.com/evanphx/json-patch/v5, which keeps object keys in
// their original order (new keys go last), keeps numbers and strings as
// written, and prints the result compactly with <, > and & escaped. The
// ordered documents below do the same, so a JSON field comes out byte for
// byte as Karmada writes it.
//
// An ordered document is built from *jsonObject, []any and json.RawMessage
// (the text of one string, number, boolean or null).

// jsonObject is a JSON object that remembers the order of its keys.
type jsonObject struct {
	keys []string
	vals map[string]any
}

// set adds or overwrites k; a new key goes last, an existing one keeps its
// place.
func (o *jsonObject) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *jsonObject) remove(k string) {
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			return
		}
	}
}

// parseOrdered reads one JSON value into an ordered document. Empty input is
// null, as for any overrider value.
func parseOrdered(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return json.RawMessage("null"), nil
	}
	if !json.Valid(data) {
		// Let encoding/json say where and why.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	s := jsonScanner{b: data}
	return s.value(), nil
}

// jsonScanner walks text that json.Valid has accepted, so it skips the
// checks a general parser needs.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) value() any {
	s.space()
	switch s.b[s.i] {
	case '{':
		s.i++
		o := &jsonObject{vals: map[string]any{}}
		s.space()
		if s.b[s.i] == '}' {
			s.i++
			return o
		}
		for {
			s.space()
			var key string
			_ = json.Unmarshal(s.str(), &key) // valid by json.Valid
			s.space()
			s.i++ // ':'
			o.set(key, s.value())
			s.space()
			c := s.b[s.i]
			s.i++
			if c == '}' {
				return o
			}
		}
	case '[':
		s.i++
		a := []any{}
		s.space()
		if s.b[s.i] == ']' {
			s.i++
			return a
		}
		for {
			a = append(a, s.value())
			s.space()
			c := s.b[s.i]
			s.i++
			if c == ']' {
				return a
			}
		}
	case '"':
		return json.RawMessage(s.str())
	default:
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ' ', '\t', '\n', '\r', ',', ']', '}':
				return json.RawMessage(s.b[start:s.i])
			}
			s.i++
		}
		return json.RawMessage(s.b[start:])
	}
}

// str returns the raw text of the string starting at s.i, quotes included.
func (s *jsonScanner) str() []byte {
	start := s.i
	s.i++
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
	return s.b[start:s.i]
}

// encodeOrdered prints an ordered document compactly, escaping <, > and &
// inside strings as encoding/json does.
func encodeOrdered(v any) []byte {
	var b bytes.Buffer
	writeOrdered(&b, v)
	var out bytes.Buffer
	out.Grow(b.Len())
	json.HTMLEscape(&out, b.Bytes())
	return out.Bytes()
}

func writeOrdered(b *bytes.Buffer, v any) {
	switch t := v.(type) {
	case *jsonObject:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(k) // a string always marshals
			b.Write(key)
			b.WriteByte(':')
			writeOrdered(b, t.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeOrdered(b, e)
		}
		b.WriteByte(']')
	case json.RawMessage:
		b.Write(t)
	}
}

// isContainer reports whether an ordered value is an object or an array, the
// only documents json-patch will work on.
func isContainer(v any) bool {
	switch v.(type) {
	case *jsonObject, []any:
		return true
	}
	return false
}
