package dashboard

import (
	"strings"
)

// LineDiff is a unified line diff of a and b: the longest common
// subsequence of lines kept as context, the rest as removals ("-", from a)
// and additions ("+", from b). Objects rendered for display are a few
// hundred lines, so the quadratic table is small.
func LineDiff(a, b string) []DiffLine {
	x, y := splitLines(a), splitLines(b)
	n, m := len(x), len(y)
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	out := make([]DiffLine, 0, max(n, m))
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			out = append(out, DiffLine{Op: " ", Text: x[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{Op: "-", Text: x[i]})
			i++
		default:
			out = append(out, DiffLine{Op: "+", Text: y[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, DiffLine{Op: "-", Text: x[i]})
	}
	for ; j < m; j++ {
		out = append(out, DiffLine{Op: "+", Text: y[j]})
	}
	return out
}

// Changed counts the added and removed lines.
func Changed(d []DiffLine) int {
	n := 0
	for _, l := range d {
		if l.Op != " " {
			n++
		}
	}
	return n
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
