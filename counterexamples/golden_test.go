package counterexamples_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

// goldenCase is one mutant whose counterexample is kept under testdata/ as
// <name>.dot and <name>.txt.
type goldenCase struct {
	name   string
	config model.Config
	// reason states what the trace must show, so that a reviewer of an
	// -update diff can judge whether the new trace still shows it.
	reason string
}

// goldenCases run each mutant at the smallest bounds where it shows.
var goldenCases = []goldenCase{
	{
		name:   "M2",
		config: model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1, Mutant: model.M2},
		reason: "a forced patch loses its module reference in free_work (S9): the task inside P0's f0 " +
			"blocks the disable, force ends the transition, the transition work completes it and free_work runs",
	},
	{
		name:   "M3",
		config: model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1, Mutant: model.M3},
		reason: "echo 0 > enabled completes the unpatching inline and frees the patch inside its own " +
			"sysfs handler (S11), a violation on the step rather than on a state",
	},
	{
		name:   "M11",
		config: model.Config{Kernel: model.Kernel958ef1e, Patches: 2, Tasks: 1, Functions: 1, Mutant: model.M11},
		reason: "a second insmod starts a transition while the first is still in progress (S22), " +
			"which needs two patch modules",
	},
}

func counterexample(t *testing.T, c model.Config) *counterexamples.Counterexample {
	t.Helper()
	res, err := explore.Run(context.Background(), explore.Options{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation == nil {
		t.Fatalf("%s at patches %d, tasks %d, functions %d: verdict %s, want a violation",
			c.Mutant, c.Patches, c.Tasks, c.Functions, res.Verdict)
	}
	return counterexamples.New(c, res.Violation)
}

func render(t *testing.T, x *counterexamples.Counterexample) (dot, text []byte) {
	t.Helper()
	var d, s bytes.Buffer
	if err := x.WriteDOT(&d); err != nil {
		t.Fatalf("WriteDOT: %v", err)
	}
	if err := x.WriteText(&s); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	return d.Bytes(), s.Bytes()
}

// compareGolden compares got with testdata/name, or rewrites the file under
// -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./counterexamples -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (review, then run go test ./counterexamples -update):\n%s",
			path, firstDifference(got, want))
	}
}

// firstDifference describes the first line where got and want differ.
func firstDifference(got, want []byte) string {
	gl := strings.Split(string(got), "\n")
	wl := strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
	return "no line differs"
}

func TestGoldenCounterexamples(t *testing.T) {
	names := map[string]bool{}
	for _, gc := range goldenCases {
		if gc.reason == "" {
			t.Fatalf("golden case %s has no reason", gc.name)
		}
		if names[gc.name] {
			t.Fatalf("golden case %s is listed twice", gc.name)
		}
		names[gc.name] = true

		t.Run(gc.name, func(t *testing.T) {
			t.Logf("reason: %s", gc.reason)
			dot, text := render(t, counterexample(t, gc.config))

			// A second search and rendering must give the same bytes.
			dot2, text2 := render(t, counterexample(t, gc.config))
			if !bytes.Equal(dot, dot2) {
				t.Errorf("two DOT renderings differ:\n%s", firstDifference(dot, dot2))
			}
			if !bytes.Equal(text, text2) {
				t.Errorf("two text renderings differ:\n%s", firstDifference(text, text2))
			}

			compareGolden(t, gc.name+".dot", dot)
			compareGolden(t, gc.name+".txt", text)
		})
	}
}

// dotToken is one lexical token of a DOT file: an identifier, a quoted
// string (kind '"') or a punctuation mark.
type dotToken struct {
	kind byte // 'a' for an identifier, '"' for a string, '>' for "->", or the punctuation mark itself
	text string
	line int
}

// lexDOT splits the subset of DOT that WriteDOT produces into tokens. It
// rejects an unterminated string and any character outside that subset.
func lexDOT(src string) ([]dotToken, error) {
	var toks []dotToken
	line := 1
	for i := 0; i < len(src); {
		ch := src[i]
		switch {
		case ch == '\n':
			line++
			i++
		case ch == ' ' || ch == '\t' || ch == '\r':
			i++
		case ch == '"':
			start, startLine := i, line
			i++
			for i < len(src) && src[i] != '"' {
				if src[i] == '\\' {
					i++
				}
				if i < len(src) && src[i] == '\n' {
					line++
				}
				i++
			}
			if i >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated string", startLine)
			}
			i++
			toks = append(toks, dotToken{kind: '"', text: src[start:i], line: startLine})
		case ch == '-' && i+1 < len(src) && src[i+1] == '>':
			toks = append(toks, dotToken{kind: '>', text: "->", line: line})
			i += 2
		case strings.IndexByte("{}[];,=", ch) >= 0:
			toks = append(toks, dotToken{kind: ch, text: string(ch), line: line})
			i++
		case isIDByte(ch):
			start := i
			for i < len(src) && isIDByte(src[i]) {
				i++
			}
			toks = append(toks, dotToken{kind: 'a', text: src[start:i], line: line})
		default:
			return nil, fmt.Errorf("line %d: unexpected character %q", line, ch)
		}
	}
	return toks, nil
}

func isIDByte(ch byte) bool {
	return ch == '_' || ch == '.' || ('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') || ('0' <= ch && ch <= '9')
}

// dotGraph is the structure checkDOT finds: the declared nodes and the
// edges between them, in file order.
type dotGraph struct {
	nodes []string
	edges [][2]string
}

// checkDOT parses a digraph of node, edge and attribute statements, as
// WriteDOT writes them. It checks that braces and brackets balance, that
// every string is closed and that every edge joins declared nodes.
func checkDOT(src string) (dotGraph, error) {
	var g dotGraph
	toks, err := lexDOT(src)
	if err != nil {
		return g, err
	}

	// Braces and brackets must nest and close.
	var open []dotToken
	for _, tok := range toks {
		switch tok.kind {
		case '{', '[':
			open = append(open, tok)
		case '}', ']':
			want := byte('{')
			if tok.kind == ']' {
				want = '['
			}
			if len(open) == 0 || open[len(open)-1].kind != want {
				return g, fmt.Errorf("line %d: unbalanced %q", tok.line, tok.text)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		return g, fmt.Errorf("line %d: %q is never closed", open[0].line, open[0].text)
	}

	if len(toks) < 4 || toks[0].text != "digraph" || toks[1].kind != 'a' || toks[2].kind != '{' || toks[len(toks)-1].kind != '}' {
		return g, errors.New("not of the form: digraph NAME { ... }")
	}
	body := toks[3 : len(toks)-1]

	// Split the body into statements at semicolons outside brackets.
	declared := map[string]bool{}
	var stmt []dotToken
	depth := 0
	for _, tok := range body {
		switch tok.kind {
		case '[':
			depth++
		case ']':
			depth--
		}
		if tok.kind != ';' || depth > 0 {
			stmt = append(stmt, tok)
			continue
		}
		if len(stmt) == 0 {
			continue
		}
		if err := addStatement(&g, declared, stmt); err != nil {
			return g, err
		}
		stmt = nil
	}
	if len(stmt) > 0 {
		return g, fmt.Errorf("line %d: statement without a closing semicolon", stmt[0].line)
	}

	for _, e := range g.edges {
		for _, end := range e {
			if !declared[end] {
				return g, fmt.Errorf("edge %s -> %s references undeclared node %s", e[0], e[1], end)
			}
		}
	}
	return g, nil
}

// addStatement records one statement: "ID = value" sets a graph attribute,
// "node [...]" and "edge [...]" set defaults, "ID [...]" declares a node
// and "ID -> ID [...]" adds an edge.
func addStatement(g *dotGraph, declared map[string]bool, stmt []dotToken) error {
	first := stmt[0]
	if first.kind != 'a' {
		return fmt.Errorf("line %d: statement starts with %q", first.line, first.text)
	}
	rest := stmt[1:]
	switch {
	case len(rest) > 0 && rest[0].kind == '=':
		if len(rest) != 2 || (rest[1].kind != 'a' && rest[1].kind != '"') {
			return fmt.Errorf("line %d: malformed attribute %s", first.line, first.text)
		}
		return nil
	case len(rest) > 1 && rest[0].kind == '>':
		if rest[1].kind != 'a' {
			return fmt.Errorf("line %d: edge from %s has no target node", first.line, first.text)
		}
		g.edges = append(g.edges, [2]string{first.text, rest[1].text})
		return checkAttributes(rest[2:], first.line)
	case first.text == "node" || first.text == "edge" || first.text == "graph":
		return checkAttributes(rest, first.line)
	default:
		if declared[first.text] {
			return fmt.Errorf("line %d: node %s is declared twice", first.line, first.text)
		}
		declared[first.text] = true
		g.nodes = append(g.nodes, first.text)
		return checkAttributes(rest, first.line)
	}
}

// checkAttributes accepts nothing or one "[key=value, ...]" list.
func checkAttributes(toks []dotToken, line int) error {
	if len(toks) == 0 {
		return nil
	}
	if toks[0].kind != '[' || toks[len(toks)-1].kind != ']' {
		return fmt.Errorf("line %d: expected an attribute list in brackets", line)
	}
	list := toks[1 : len(toks)-1]
	for i := 0; i < len(list); i += 4 {
		if i+2 >= len(list) || list[i].kind != 'a' || list[i+1].kind != '=' || (list[i+2].kind != 'a' && list[i+2].kind != '"') {
			return fmt.Errorf("line %d: malformed attribute list", line)
		}
		if i+3 < len(list) && list[i+3].kind != ',' {
			return fmt.Errorf("line %d: attributes not separated by commas", line)
		}
	}
	return nil
}

// TestCheckDOTRejects makes sure the checker used below can fail.
func TestCheckDOTRejects(t *testing.T) {
	cases := []struct{ name, src string }{
		{"unbalanced brace", "digraph g {\n\ts0 [label=\"a\"];\n"},
		{"unterminated string", "digraph g {\n\ts0 [label=\"a];\n}\n"},
		{"unbalanced bracket", "digraph g {\n\ts0 [label=\"a\";\n}\n"},
		{"undeclared node", "digraph g {\n\ts0 [label=\"a\"];\n\ts0 -> s1 [label=\"b\"];\n}\n"},
		{"missing semicolon", "digraph g {\n\ts0 [label=\"a\"]\n}\n"},
		{"not a digraph", "graph g {\n}\n"},
	}
	for _, tc := range cases {
		if _, err := checkDOT(tc.src); err == nil {
			t.Errorf("%s: checkDOT accepted\n%s", tc.name, tc.src)
		}
	}
	if _, err := checkDOT("digraph g {\n\ta=\"x\\\"y\";\n\ts0 [label=\"a\"];\n\ts1;\n\ts0 -> s1;\n}\n"); err != nil {
		t.Errorf("checkDOT rejected a valid graph: %v", err)
	}
}

// TestDOTParses checks each golden counterexample's DOT: it must parse and
// form a path s0 -> s1 -> ... with one edge per step and one red element.
func TestDOTParses(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			x := counterexample(t, gc.config)
			dot, _ := render(t, x)

			g, err := checkDOT(string(dot))
			if err != nil {
				t.Fatalf("invalid DOT: %v\n%s", err, dot)
			}
			if len(g.nodes) != len(x.Steps)+1 {
				t.Errorf("DOT declares %d nodes, want %d for %d steps", len(g.nodes), len(x.Steps)+1, len(x.Steps))
			}
			if len(g.edges) != len(x.Steps) {
				t.Errorf("DOT has %d edges, want one per step (%d)", len(g.edges), len(x.Steps))
			}
			for i, e := range g.edges {
				want := [2]string{fmt.Sprintf("s%d", i), fmt.Sprintf("s%d", i+1)}
				if e != want {
					t.Errorf("edge %d is %s -> %s, want %s -> %s", i+1, e[0], e[1], want[0], want[1])
				}
			}
			if n := bytes.Count(dot, []byte(`color="red"`)); n != 1 {
				t.Errorf("DOT marks %d elements red, want exactly the violating one", n)
			}
		})
	}
}

func TestDOTRendersWithGraphviz(t *testing.T) {
	dotPath, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz dot is not on PATH; install Graphviz to check that the DOT renders")
	}
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			dot, _ := render(t, counterexample(t, gc.config))
			cmd := exec.Command(dotPath, "-Tsvg")
			cmd.Stdin = bytes.NewReader(dot)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("dot -Tsvg failed: %v\n%s", err, stderr.String())
			}
			if stderr.Len() > 0 {
				// Warnings often come from the local font setup, not the DOT.
				t.Logf("dot -Tsvg warned:\n%s", stderr.String())
			}
			if !bytes.Contains(stdout.Bytes(), []byte("<svg")) {
				t.Errorf("dot -Tsvg output has no <svg element")
			}
		})
	}
}
