package apphub

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// Diff is a unified diff of the objects' YAML from a to b: objects are
// matched by group, kind, namespace and name and shown in the order of
// their names (Objects); an added or removed object is shown whole. It is
// "" when both sides hold the same objects with the same content.
func Diff(a, b []*unstructured.Unstructured) string {
	type pair struct {
		name string
		a, b *unstructured.Unstructured
	}
	byKey := map[string]*pair{}
	for _, obj := range a {
		byKey[objectKey(obj)] = &pair{name: objectName(obj), a: obj}
	}
	for _, obj := range b {
		if p, ok := byKey[objectKey(obj)]; ok {
			p.b = obj
			continue
		}
		byKey[objectKey(obj)] = &pair{name: objectName(obj), b: obj}
	}
	pairs := make([]*pair, 0, len(byKey))
	for _, p := range byKey {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].name != pairs[j].name {
			return pairs[i].name < pairs[j].name
		}
		return objectKey(first(pairs[i].a, pairs[i].b)) < objectKey(first(pairs[j].a, pairs[j].b))
	})
	var out strings.Builder
	for _, p := range pairs {
		if p.a != nil && p.b != nil && reflect.DeepEqual(p.a.Object, p.b.Object) {
			continue // most objects of a release are unchanged: skip the YAML
		}
		from, to := "a/"+p.name, "b/"+p.name
		if p.a == nil {
			from = "/dev/null"
		}
		if p.b == nil {
			to = "/dev/null"
		}
		out.WriteString(unified(from, to, yamlLines(p.a), yamlLines(p.b)))
	}
	return out.String()
}

func first(a, b *unstructured.Unstructured) *unstructured.Unstructured {
	if a != nil {
		return a
	}
	return b
}

// yamlLines is the object as YAML (keys sorted), one string per line.
func yamlLines(obj *unstructured.Unstructured) []string {
	if obj == nil {
		return nil
	}
	data, err := yaml.Marshal(obj.Object)
	if err != nil {
		// Objects read from YAML or JSON always marshal; keep the diff
		// readable if one does not.
		return []string{fmt.Sprintf("# %s cannot be shown as YAML: %v", objectName(obj), err)}
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// edit is one line of an edit script: ' ' kept, '-' removed from a, '+'
// added from b; ai and bi are the line's (or the insertion point's)
// indexes in a and b.
type edit struct {
	op     byte
	ai, bi int
	text   string
}

// unified renders the diff of a and b with file headers and hunks, or ""
// when they are equal.
func unified(from, to string, a, b []string) string {
	edits := editScript(a, b)
	changed := false
	for _, e := range edits {
		if e.op != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", from, to)
	for start := 0; start < len(edits); {
		// Find the next change, then extend the hunk while changes are
		// closer than two contexts apart.
		for start < len(edits) && edits[start].op == ' ' {
			start++
		}
		if start == len(edits) {
			break
		}
		end := start // exclusive end of the last change seen
		for i := start; i < len(edits); i++ {
			if edits[i].op != ' ' {
				end = i + 1
				continue
			}
			if i-end >= 2*diffContext {
				break
			}
		}
		lo := max(start-diffContext, 0)
		hi := min(end+diffContext, len(edits))
		writeHunk(&out, edits[lo:hi])
		start = hi
	}
	return out.String()
}

func writeHunk(out *strings.Builder, hunk []edit) {
	aStart, bStart := hunk[0].ai, hunk[0].bi
	aLen, bLen := 0, 0
	for _, e := range hunk {
		switch e.op {
		case ' ':
			aLen++
			bLen++
		case '-':
			aLen++
		case '+':
			bLen++
		}
	}
	// Unified diff counts lines from 1; an empty range names the line
	// before it.
	if aLen > 0 {
		aStart++
	}
	if bLen > 0 {
		bStart++
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
	for _, e := range hunk {
		out.WriteByte(e.op)
		out.WriteString(e.text)
		out.WriteByte('\n')
	}
}

// maxEditDistance bounds the work (and memory, quadratic in it) spent on
// a minimal diff; objects further apart than that are shown as the whole
// of a removed and the whole of b added, which is still a correct diff.
const maxEditDistance = 1000

// editScript is a shortest edit script from a to b (Myers' O(ND)
// algorithm), in order.
func editScript(a, b []string) []edit {
	n, m := len(a), len(b)
	limit := min(n+m, maxEditDistance)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		// trace[d] is v after step d-1, on diagonals -d..d.
		snapshot := make([]int, 2*d+1)
		copy(snapshot, v[off-d:off+d+1])
		trace = append(trace, snapshot)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: a line of b inserted
			} else {
				x = v[off+k-1] + 1 // right: a line of a deleted
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, d)
			}
		}
	}
	// Too far apart: remove all of a, add all of b.
	edits := make([]edit, 0, n+m)
	for i, line := range a {
		edits = append(edits, edit{op: '-', ai: i, bi: 0, text: line})
	}
	for j, line := range b {
		edits = append(edits, edit{op: '+', ai: n, bi: j, text: line})
	}
	return edits
}

func backtrack(a, b []string, trace [][]int, dist int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for d := dist; d > 0; d-- {
		prev := trace[d]
		at := func(k int) int { return prev[k+d] }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, edit{op: ' ', ai: x, bi: y, text: a[x]})
		}
		if x == prevX {
			y--
			rev = append(rev, edit{op: '+', ai: x, bi: y, text: b[y]})
		} else {
			x--
			rev = append(rev, edit{op: '-', ai: x, bi: y, text: a[x]})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, edit{op: ' ', ai: x, bi: y, text: a[x]})
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
