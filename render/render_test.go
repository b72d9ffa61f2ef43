package render

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// traceDOT is a small counterexample-like graph whose labels need escaping
// in DOT (quotes, \n line breaks) and in SVG (<, >, &).
const traceDOT = `digraph trace {
	s0 [label="state 0\nphase=\"enabled\""];
	s1 [label="patched < unpatched & more"];
	s2 [label="<html> & 'quotes'"];
	s0 -> s1 [label="transition \"a\""];
	s1 -> s2;
}`

// wantSVGTexts are the <text> contents Graphviz produces for traceDOT.
// The \n escape splits the first label into two text lines.
var wantSVGTexts = []string{
	`state 0`,
	`phase="enabled"`,
	`patched < unpatched & more`,
	`<html> & 'quotes'`,
	`transition "a"`,
}

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// svgTexts parses svg as XML and returns the character data of every
// <text> element. It fails the test if svg is not well-formed XML.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	decoder := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	var current *strings.Builder
	sawSVGRoot := false
	for {
		token, err := decoder.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG output is not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := token.(type) {
		case xml.StartElement:
			if tok.Name.Local == "svg" {
				sawSVGRoot = true
			}
			if tok.Name.Local == "text" {
				current = &strings.Builder{}
			}
		case xml.CharData:
			if current != nil {
				current.Write(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "text" && current != nil {
				texts = append(texts, current.String())
				current = nil
			}
		}
	}
	if !sawSVGRoot {
		t.Fatalf("SVG output has no <svg> element:\n%s", svg)
	}
	return texts
}

func TestRenderSVGContainsLabels(t *testing.T) {
	svg, err := Render(context.Background(), []byte(traceDOT), SVG)
	if err != nil {
		t.Fatalf("Render(SVG) error: %v", err)
	}

	texts := svgTexts(t, svg)
	for _, want := range wantSVGTexts {
		found := false
		for _, text := range texts {
			if text == want {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("SVG has no <text> element %q; texts are %q", want, texts)
		}
	}
}

func TestRenderSVGEscapesMarkup(t *testing.T) {
	svg, err := Render(context.Background(), []byte(traceDOT), SVG)
	if err != nil {
		t.Fatalf("Render(SVG) error: %v", err)
	}

	// The raw label text must not appear unescaped, or the <html> in the
	// label would be read as an element.
	if bytes.Contains(svg, []byte("<html>")) {
		t.Errorf("SVG contains unescaped <html> from a label:\n%s", svg)
	}
	if !bytes.Contains(svg, []byte("&lt;html&gt;")) {
		t.Errorf("SVG does not contain the escaped label &lt;html&gt;:\n%s", svg)
	}
}

func TestRenderPNGSignature(t *testing.T) {
	png, err := Render(context.Background(), []byte(traceDOT), PNG)
	if err != nil {
		t.Fatalf("Render(PNG) error: %v", err)
	}
	if !bytes.HasPrefix(png, pngSignature) {
		t.Fatalf("PNG output starts with % x, want signature % x", png[:min(len(png), 8)], pngSignature)
	}
	// A signature alone is 8 bytes, and an image with six labels is far larger.
	if len(png) < 200 {
		t.Errorf("PNG output is %d bytes, too small to hold the rendered graph", len(png))
	}
}

func TestRenderInvalidDOT(t *testing.T) {
	cases := []struct {
		name        string
		dot         string
		wantMessage string
	}{
		{name: "unclosed brace", dot: "digraph {", wantMessage: "syntax error"},
		{name: "missing edge target", dot: "digraph { a -> }", wantMessage: "syntax error"},
		{name: "directed edge in graph", dot: "graph { a -> b }", wantMessage: "syntax error"},
		{name: "not DOT", dot: "hello world", wantMessage: "syntax error"},
		{name: "empty", dot: "", wantMessage: "input is empty"},
		{name: "whitespace only", dot: " \n\t", wantMessage: "input is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Render(context.Background(), []byte(tc.dot), SVG)
			if err == nil {
				t.Fatalf("Render(%q) returned no error and %d bytes", tc.dot, len(out))
			}
			if !strings.Contains(err.Error(), "could not parse DOT") {
				t.Errorf("error %q does not say the DOT could not be parsed", err)
			}
			if !strings.Contains(err.Error(), tc.wantMessage) {
				t.Errorf("error %q does not contain %q", err, tc.wantMessage)
			}
			if out != nil {
				t.Errorf("Render returned %d bytes along with the error", len(out))
			}
		})
	}
}

func TestRenderValidAfterInvalid(t *testing.T) {
	if _, err := Render(context.Background(), []byte("digraph { a -> }"), SVG); err == nil {
		t.Fatal("Render of invalid DOT returned no error")
	}
	svg, err := Render(context.Background(), []byte(`digraph { after -> error }`), SVG)
	if err != nil {
		t.Fatalf("Render of valid DOT after a failure: %v", err)
	}
	texts := svgTexts(t, svg)
	if strings.Join(texts, ",") != "after,error" {
		t.Errorf("texts = %q, want [after error]", texts)
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	_, err := Render(context.Background(), []byte(traceDOT), Format("gif"))
	if err == nil {
		t.Fatal("Render with format gif returned no error")
	}
	if !strings.Contains(err.Error(), `"gif"`) {
		t.Errorf("error %q does not name the format", err)
	}
}

func TestRenderCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Render(ctx, []byte(traceDOT), SVG)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Render with canceled context: error %v, want context.Canceled", err)
	}
}

func TestRenderConcurrent(t *testing.T) {
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("node%d", i)
			dot := fmt.Sprintf("digraph { %s -> end }", name)
			svg, err := Render(context.Background(), []byte(dot), SVG)
			if err != nil {
				errs <- fmt.Errorf("worker %d: %w", i, err)
				return
			}
			if !bytes.Contains(svg, []byte(">"+name+"<")) {
				errs <- fmt.Errorf("worker %d: SVG does not contain label %s", i, name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRenderWithoutGraphvizBinary checks that rendering needs no dot
// program: PATH is emptied so any attempt to run one would fail.
func TestRenderWithoutGraphvizBinary(t *testing.T) {
	if path, err := exec.LookPath("dot"); err == nil {
		t.Logf("a dot binary is installed at %s; PATH is cleared below so it cannot be used", path)
	}
	t.Setenv("PATH", "")
	if _, err := exec.LookPath("dot"); err == nil {
		t.Fatal("dot is still found with an empty PATH")
	}

	svg, err := Render(context.Background(), []byte(traceDOT), SVG)
	if err != nil {
		t.Fatalf("Render with empty PATH: %v", err)
	}
	svgTexts(t, svg)
}

func TestParseFormat(t *testing.T) {
	cases := []struct {
		name string
		want Format
	}{
		{"svg", SVG},
		{"SVG", SVG},
		{"png", PNG},
		{"Png", PNG},
	}
	for _, tc := range cases {
		got, err := ParseFormat(tc.name)
		if err != nil {
			t.Errorf("ParseFormat(%q) error: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseFormatInvalid(t *testing.T) {
	for _, name := range []string{"", "gif", ".svg", "svgz"} {
		_, err := ParseFormat(name)
		if err == nil {
			t.Errorf("ParseFormat(%q) returned no error", name)
			continue
		}
		message := err.Error()
		if !strings.Contains(message, fmt.Sprintf("%q", name)) {
			t.Errorf("error %q does not name the value %q", message, name)
		}
		for _, valid := range []string{"svg", "png"} {
			if !strings.Contains(message, valid) {
				t.Errorf("error %q does not list the valid format %s", message, valid)
			}
		}
	}
}

func TestGuardRecoversPanic(t *testing.T) {
	err := guard("test op", func() error { panic("boom") })
	if err == nil {
		t.Fatal("guard returned no error for a panicking function")
	}
	if !strings.Contains(err.Error(), "test op") {
		t.Errorf("error %q does not name the operation", err)
	}
	if !strings.Contains(err.Error(), "boom") {
		t.Errorf("error %q does not contain the panic value", err)
	}
}

func TestGuardPassesError(t *testing.T) {
	sentinel := errors.New("sentinel")
	if err := guard("test op", func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("guard returned %v, want the function's error", err)
	}
}

// writeDOT writes dot to a file in dir and returns its path.
func writeDOT(t *testing.T, dir, dot string) string {
	t.Helper()
	path := filepath.Join(dir, "trace.dot")
	if err := os.WriteFile(path, []byte(dot), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dirNames returns the sorted names of the entries in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(entries))
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	return names
}

func TestRenderFileSVG(t *testing.T) {
	dir := t.TempDir()
	dotPath := writeDOT(t, dir, traceDOT)
	outPath := filepath.Join(dir, "trace.svg")

	if err := RenderFile(context.Background(), dotPath, outPath); err != nil {
		t.Fatalf("RenderFile: %v", err)
	}

	svg, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, svg)
	if len(texts) != len(wantSVGTexts) {
		t.Errorf("SVG has %d <text> elements %q, want %d", len(texts), texts, len(wantSVGTexts))
	}

	info, err := os.Stat(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != outputFileMode {
		t.Errorf("output file mode = %v, want %v", mode, os.FileMode(outputFileMode))
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "trace.dot,trace.svg" {
		t.Errorf("directory contains %q, want only trace.dot and trace.svg", names)
	}
}

func TestRenderFilePNGReplacesExisting(t *testing.T) {
	dir := t.TempDir()
	dotPath := writeDOT(t, dir, traceDOT)
	outPath := filepath.Join(dir, "trace.PNG")
	if err := os.WriteFile(outPath, []byte("old content"), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := RenderFile(context.Background(), dotPath, outPath); err != nil {
		t.Fatalf("RenderFile: %v", err)
	}

	png, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, pngSignature) {
		t.Errorf("output starts with % x, want PNG signature", png[:min(len(png), 8)])
	}
}

func TestRenderFileBadExtension(t *testing.T) {
	dir := t.TempDir()
	dotPath := writeDOT(t, dir, traceDOT)
	cases := []struct {
		outName   string
		wantInErr string
	}{
		{"trace.gif", `".gif"`},
		{"trace.svg.bak", `".bak"`},
		{"trace", "no extension"},
	}
	for _, tc := range cases {
		outPath := filepath.Join(dir, tc.outName)
		err := RenderFile(context.Background(), dotPath, outPath)
		if err == nil {
			t.Errorf("RenderFile to %s returned no error", tc.outName)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantInErr) {
			t.Errorf("error %q does not contain %s", err, tc.wantInErr)
		}
		for _, valid := range []string{".svg", ".png"} {
			if !strings.Contains(err.Error(), valid) {
				t.Errorf("error %q does not list the valid extension %s", err, valid)
			}
		}
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "trace.dot" {
		t.Errorf("directory contains %q after failures, want only trace.dot", names)
	}
}

func TestRenderFileInvalidDOTWritesNothing(t *testing.T) {
	dir := t.TempDir()
	dotPath := writeDOT(t, dir, "digraph { a -> ")
	outPath := filepath.Join(dir, "trace.svg")

	err := RenderFile(context.Background(), dotPath, outPath)
	if err == nil {
		t.Fatal("RenderFile of invalid DOT returned no error")
	}
	if !strings.Contains(err.Error(), "could not parse DOT") {
		t.Errorf("error %q does not say the DOT could not be parsed", err)
	}
	if !strings.Contains(err.Error(), dotPath) {
		t.Errorf("error %q does not name the input file", err)
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "trace.dot" {
		t.Errorf("directory contains %q after failure, want only trace.dot", names)
	}
}

func TestRenderFileMissingInput(t *testing.T) {
	dir := t.TempDir()
	err := RenderFile(context.Background(), filepath.Join(dir, "absent.dot"), filepath.Join(dir, "out.svg"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("RenderFile with missing input: error %v, want os.ErrNotExist", err)
	}
}

// TestRenderFileRenameFailureRemovesTemp makes the final rename fail by
// placing a non-empty directory at the output path, after the temporary
// file has been written, and checks that the temporary file is removed.
func TestRenderFileRenameFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	dotPath := writeDOT(t, dir, traceDOT)
	outPath := filepath.Join(dir, "trace.svg")
	if err := os.Mkdir(outPath, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outPath, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	err := RenderFile(context.Background(), dotPath, outPath)
	if err == nil {
		t.Fatal("RenderFile onto a directory returned no error")
	}
	if !strings.Contains(err.Error(), "replace output file") {
		t.Errorf("error %q does not come from the rename step", err)
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "trace.dot,trace.svg" {
		t.Errorf("directory contains %q after failure, want only trace.dot and trace.svg", names)
	}
}

func TestRenderFileMissingOutputDir(t *testing.T) {
	dir := t.TempDir()
	dotPath := writeDOT(t, dir, traceDOT)
	outPath := filepath.Join(dir, "no-such-dir", "trace.svg")

	err := RenderFile(context.Background(), dotPath, outPath)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("RenderFile into missing directory: error %v, want os.ErrNotExist", err)
	}
}

// chainDOT returns a directed chain of n labeled nodes.
func chainDOT(n int) []byte {
	var b strings.Builder
	b.WriteString("digraph chain {\n")
	for i := range n {
		fmt.Fprintf(&b, "\tn%d [label=\"state %d\"];\n", i, i)
	}
	for i := range n - 1 {
		fmt.Fprintf(&b, "\tn%d -> n%d;\n", i, i+1)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

var firstRenderLogged sync.Once

// BenchmarkRenderSVG measures steady-state rendering of a 10-node chain.
// Run it alone (go test -run '^$' -bench RenderSVG) so that the logged first
// call is the one that sets up the Graphviz engine.
func BenchmarkRenderSVG(b *testing.B) {
	dot := chainDOT(10)
	ctx := context.Background()

	firstRenderLogged.Do(func() {
		start := time.Now()
		if _, err := Render(ctx, dot, SVG); err != nil {
			b.Fatal(err)
		}
		b.Logf("first Render in this process took %v", time.Since(start))
	})

	for b.Loop() {
		if _, err := Render(ctx, dot, SVG); err != nil {
			b.Fatal(err)
		}
	}
}
