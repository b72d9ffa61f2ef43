package replay

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines around each change, as in
// diff -u.
const diffContext = 3

// maxDiffCells bounds the longest-common-subsequence table. Larger inputs
// get a diff that removes every old line and adds every new one, which is
// correct but not minimal.
const maxDiffCells = 4 << 20

// diffOp is one line of an edit script.
type diffOp struct {
	kind byte // ' ' kept, '-' only in a, '+' only in b
	text string
}

// unifiedDiff returns the differences from a to b in the unified format of
// diff -u, with the file labels labelA and labelB, or "" when a equals b.
func unifiedDiff(a, b []string, labelA, labelB string) string {
	ops := editScript(a, b)
	changed := false
	for _, op := range ops {
		if op.kind != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return ""
	}

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", labelA, labelB)
	// lineA and lineB are the 0-based positions in a and b before ops[i].
	lineA, lineB := 0, 0
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			lineA++
			lineB++
			i++
			continue
		}
		// A hunk starts diffContext kept lines before the change and
		// extends while the next change is within 2*diffContext lines.
		start := max(0, i-diffContext)
		startA, startB := lineA-(i-start), lineB-(i-start)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}

		countA, countB := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				countA++
			}
			if op.kind != '-' {
				countB++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(startA, countA), hunkRange(startB, countB))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.text)
			out.WriteByte('\n')
		}

		for _, op := range ops[i:end] {
			if op.kind != '+' {
				lineA++
			}
			if op.kind != '-' {
				lineB++
			}
		}
		i = end
	}
	return out.String()
}

// hunkRange formats the start and length of one side of a hunk. diff -u
// writes the line before an empty range as its start, and omits a length
// of 1.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}

// editScript returns a shortest edit script from a to b, computed from the
// longest common subsequence. Removals come before additions in each run
// of changes, as diff prints them.
func editScript(a, b []string) []diffOp {
	n, m := len(a), len(b)
	if n*m > maxDiffCells {
		ops := make([]diffOp, 0, n+m)
		for _, line := range a {
			ops = append(ops, diffOp{'-', line})
		}
		for _, line := range b {
			ops = append(ops, diffOp{'+', line})
		}
		return ops
	}

	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}

	ops := make([]diffOp, 0, n+m)
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i]})
			i++
			j++
		case j == m || (i < n && lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j]})
			j++
		}
	}
	return ops
}
