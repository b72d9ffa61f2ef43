package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
	"github.com/klpcheck/klpcheck/tracefile"
)

// runCommand runs one command line in-process and returns the exit status,
// stdout and stderr.
func runCommand(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func progressLines(stderr string) int {
	n := 0
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "klpcheck: progress: depth ") {
			n++
		}
	}
	return n
}

func TestExploreProgressLines(t *testing.T) {
	out := t.TempDir()
	// A 1ns interval has always passed when explore samples the clock, so
	// every sample (one per 1024 expanded states) prints a line.
	code, stdout, stderr := runCommand(t, "explore", "--patches", "4", "--tasks", "4", "--functions", "2",
		"--max-states", "30000", "--progress-interval", "1ns", "--out", out)
	if code != exitBounded {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitBounded, stdout, stderr)
	}
	if n := progressLines(stderr); n == 0 {
		t.Errorf("no progress lines on stderr:\n%s", stderr)
	}
	for _, field := range []string{" states, ", " queued, ", " states/s, ", " B/state, ", " elapsed"} {
		if !strings.Contains(stderr, field) {
			t.Errorf("progress lines lack %q:\n%s", field, stderr)
		}
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress to a non-terminal contains a carriage return:\n%q", stderr)
	}
}

func TestExploreQuietPrintsNoProgress(t *testing.T) {
	code, stdout, stderr := runCommand(t, "explore", "--patches", "4", "--tasks", "4", "--functions", "2",
		"--max-states", "30000", "--progress-interval", "1ns", "--quiet", "--out", t.TempDir())
	if code != exitBounded {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitBounded, stdout, stderr)
	}
	if strings.Contains(stderr, "progress") {
		t.Errorf("--quiet printed progress:\n%s", stderr)
	}
}

func TestExploreCoverageJSON(t *testing.T) {
	code, stdout, stderr := runCommand(t, "explore", "--json", "--quiet", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit status %d, expected 0\nstderr:\n%s", code, stderr)
	}
	var res jsonResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if len(res.Coverage) != model.NumKinds {
		t.Fatalf("coverage has %d entries, expected %d", len(res.Coverage), model.NumKinds)
	}
	for k, c := range res.Coverage {
		if c.Kind != model.Kind(k).String() {
			t.Errorf("coverage[%d].kind = %q, expected %q", k, c.Kind, model.Kind(k))
		}
		def := model.DefaultConfig()
		if c.Enabled == 0 && def.Configured(model.Kind(k)) {
			t.Errorf("coverage of %s: enabled 0 in the default configuration", c.Kind)
		}
		if c.NewStates > c.Enabled {
			t.Errorf("coverage of %s: %d new states from %d enabled", c.Kind, c.NewStates, c.Enabled)
		}
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("the default configuration printed a warning:\n%s", stderr)
	}
}

func TestExploreSummaryListsCoverage(t *testing.T) {
	code, stdout, _ := runCommand(t, "explore", "--quiet", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit status %d, expected 0", code)
	}
	if !strings.Contains(stdout, "\ncoverage:\n") {
		t.Fatalf("summary has no coverage table:\n%s", stdout)
	}
	def := model.DefaultConfig()
	for k := 0; k < model.NumKinds; k++ {
		listed := strings.Contains(stdout, "\n  "+model.Kind(k).String()+" ")
		if configured := def.Configured(model.Kind(k)); listed != configured {
			t.Errorf("coverage table lists %s: %t, want %t (configured: %t):\n%s", model.Kind(k), listed, configured, configured, stdout)
		}
	}
}

func TestExploreWarnsNeverEnabled(t *testing.T) {
	code, _, stderr := runCommand(t, "explore", "--max-states", "10", "--quiet", "--out", t.TempDir())
	if code != exitBounded {
		t.Fatalf("exit status %d, expected %d", code, exitBounded)
	}
	for _, kind := range []string{"free_work", "transition_work", "return"} {
		want := "klpcheck: warning: no " + kind + " action was ever enabled"
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "no insmod action") {
		t.Errorf("warned about insmod, which is enabled in the initial state:\n%s", stderr)
	}
}

func TestExploreNoWarningAfterViolation(t *testing.T) {
	code, _, stderr := runCommand(t, "explore", "--mutant", "M3", "--quiet", "--out", t.TempDir())
	if code != exitViolation {
		t.Fatalf("exit status %d, expected %d", code, exitViolation)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("a search cut short by a violation warned about coverage:\n%s", stderr)
	}
}

// checkSVG fails the test unless path holds well-formed XML with an <svg>
// root element.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s has root element %q, expected svg", path, root)
	}
}

// checkNoTempFiles fails the test if dir holds a temporary file of
// internal/atomicfile or of the --out probe.
func checkNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s holds the temporary file %s", dir, e.Name())
		}
	}
}

func TestExploreMutantWritesArtefacts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new", "out")
	code, stdout, stderr := runCommand(t, "explore", "--mutant", "M3", "--quiet", "--out", out)
	if code != exitViolation {
		t.Fatalf("exit status %d, expected %d\nstderr:\n%s", code, exitViolation, stderr)
	}
	for _, name := range []string{"trace.txt", "trace.json", "trace.dot", "trace.svg"} {
		path := filepath.Join(out, name)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
		if !strings.Contains(stdout, path) {
			t.Errorf("summary does not name %s:\n%s", path, stdout)
		}
	}
	checkSVG(t, filepath.Join(out, "trace.svg"))
	checkNoTempFiles(t, out)

	r, err := os.Open(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tf, err := tracefile.Read(r)
	if err != nil {
		t.Fatalf("trace.json does not read back: %v", err)
	}
	if tf.Property.ID != "S11" || tf.Config.Mutant != "M3" || len(tf.Steps) != 2 {
		t.Errorf("trace.json holds %s, mutant %s, %d steps; expected S11, M3, 2 steps", tf.Property.ID, tf.Config.Mutant, len(tf.Steps))
	}
}

func TestExploreJSONNamesArtefacts(t *testing.T) {
	out := t.TempDir()
	code, stdout, _ := runCommand(t, "explore", "--mutant", "M5", "--json", "--quiet", "--out", out)
	if code != exitViolation {
		t.Fatalf("exit status %d, expected %d", code, exitViolation)
	}
	var res jsonResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"trace.dot": res.DotFile, "trace.svg": res.SVGFile, "trace.json": res.JSONFile, "trace.txt": res.TextFile}
	for name, got := range want {
		if got != filepath.Join(out, name) {
			t.Errorf("--json names %q for %s, expected %q", got, name, filepath.Join(out, name))
		}
	}
}

func TestExploreRemovesUnusedOutDir(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, _ := runCommand(t, "explore", "--quiet", "--out", out); code != exitOK {
		t.Fatalf("exit status %d, expected 0", code)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--out %s was left behind by a run that wrote nothing: %v", out, err)
	}
}

func TestExploreKeepsExistingOutDir(t *testing.T) {
	out := t.TempDir()
	if code, _, _ := runCommand(t, "explore", "--quiet", "--out", out); code != exitOK {
		t.Fatalf("exit status %d, expected 0", code)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("an existing --out directory was removed: %v", err)
	}
}

// writeTrace runs explore with a mutant and returns the directory of its
// counterexample.
func writeTrace(t *testing.T, mutant string) string {
	t.Helper()
	out := t.TempDir()
	if code, _, stderr := runCommand(t, "explore", "--mutant", mutant, "--quiet", "--out", out); code != exitViolation {
		t.Fatalf("explore --mutant %s: exit status %d, expected %d\n%s", mutant, code, exitViolation, stderr)
	}
	return out
}

func TestViewRendersSVGAndPNG(t *testing.T) {
	out := writeTrace(t, "M3")
	dot := filepath.Join(out, "trace.dot")
	if err := os.Remove(filepath.Join(out, "trace.svg")); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCommand(t, "view", dot)
	if code != exitOK {
		t.Fatalf("view: exit status %d\n%s", code, stderr)
	}
	svg := filepath.Join(out, "trace.svg")
	if strings.TrimSpace(stdout) != svg {
		t.Errorf("view printed %q, expected the output path %q", stdout, svg)
	}
	checkSVG(t, svg)

	png := filepath.Join(out, "picture.png")
	if code, _, stderr := runCommand(t, "view", dot, "-o", png); code != exitOK {
		t.Fatalf("view -o %s: exit status %d\n%s", png, code, stderr)
	}
	data, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s does not start with the PNG signature", png)
	}
	checkNoTempFiles(t, out)
}

func TestDefaultViewOutput(t *testing.T) {
	tests := map[string]string{
		"trace.dot":     "trace.svg",
		"dir/graph.gv":  "dir/graph.svg",
		"dir/GRAPH.DOT": "dir/GRAPH.svg",
		"notes.txt":     "notes.txt.svg",
		"noext":         "noext.svg",
	}
	for in, want := range tests {
		if got := defaultViewOutput(in); got != want {
			t.Errorf("defaultViewOutput(%q) = %q, expected %q", in, got, want)
		}
	}
}

func TestReplayTraceStillFails(t *testing.T) {
	trace := filepath.Join(writeTrace(t, "M3"), "trace.json")
	code, stdout, stderr := runCommand(t, "replay", "--trace", trace)
	if code != exitViolation {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitViolation, stdout, stderr)
	}
	if !strings.Contains(stdout, "still fails: S11 ") {
		t.Errorf("stdout lacks \"still fails: S11\":\n%s", stdout)
	}
	if strings.Contains(stdout, "differs from the recording") {
		t.Errorf("replay on the recorded model diverged:\n%s", stdout)
	}
}

func TestReplayTraceWithoutMutant(t *testing.T) {
	trace := filepath.Join(writeTrace(t, "M3"), "trace.json")
	code, stdout, stderr := runCommand(t, "replay", "--trace", trace, "--mutant", "none")
	if code != exitOK {
		t.Fatalf("exit status %d, expected 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"mutant none (recorded with mutant M3)",
		"the state after step 2 differs from the recording:",
		"Patches[0].FreeWork: recorded false, now true",
		"no longer fails: all 2 recorded steps ran",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestReplayTraceBlocked(t *testing.T) {
	trace := filepath.Join(writeTrace(t, "M3"), "trace.json")
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	// Make step 1 load P1 instead of P0: step 2 then disables P0, whose
	// sysfs file does not exist.
	edited := strings.Replace(string(data), `"text": "insmod(P0)"`, `"text": "insmod(P1)"`, 1)
	edited = strings.Replace(edited, `"kind": "insmod",
        "patch": 0`, `"kind": "insmod",
        "patch": 1`, 1)
	if edited == string(data) || !strings.Contains(edited, `"patch": 1`) {
		t.Fatalf("the test could not edit the action of step 1 in:\n%s", data)
	}
	if err := os.WriteFile(trace, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCommand(t, "replay", "--trace", trace)
	if code != exitBlocked {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitBlocked, stdout, stderr)
	}
	want := "cannot replay: step 2: echo 0 > P0/enabled is not enabled in the state after step 1; enabled actions: "
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if !strings.Contains(stdout, "the state after step 1 differs from the recording:") {
		t.Errorf("stdout does not report the diverging state of step 1:\n%s", stdout)
	}
}

func TestReplayMissingScriptFile(t *testing.T) {
	code, _, stderr := runCommand(t, "replay", filepath.Join(t.TempDir(), "missing.sh"))
	if code != exitUsage {
		t.Fatalf("exit status %d, expected %d", code, exitUsage)
	}
	if !strings.Contains(stderr, `missing.sh": no such file or directory`) {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDOT := filepath.Join(dir, "notes.dot")
	if err := os.WriteFile(notDOT, []byte("this is { not DOT"), 0o644); err != nil {
		t.Fatal(err)
	}
	svgNamedDOT := filepath.Join(dir, "graph.svg")
	if err := os.WriteFile(svgNamedDOT, []byte("digraph { a -> b }"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"bogus"}, `unknown command "bogus": valid commands are explore, replay, view, mutants, version, help`},
		{[]string{"explore", "--patches", "abc"}, `explore: invalid --patches "abc": must be an integer (number of livepatch modules, 1 to 4)`},
		{[]string{"explore", "--patches", "9"}, "explore: invalid --patches 9: must be 1 to 4"},
		{[]string{"explore", "--tasks", "0"}, "explore: invalid --tasks 0: must be 1 to 4"},
		{[]string{"explore", "--functions=3"}, "explore: invalid --functions 3: must be 1 to 2"},
		{[]string{"explore", "--max-states", "-1"}, "explore: invalid --max-states -1"},
		{[]string{"explore", "--max-depth", "99999999999999999999"}, `explore: invalid --max-depth "99999999999999999999": must be an integer`},
		{[]string{"explore", "--bogus"}, `explore: unknown flag "-bogus": run "klpcheck explore -h" for the valid flags`},
		{[]string{"explore", "--patches"}, "explore: missing value for --patches: number of livepatch modules"},
		{[]string{"explore", "--json=maybe"}, `explore: invalid --json "maybe": must be true or false`},
		{[]string{"explore", "extra"}, `explore: unexpected argument "extra"`},
		{[]string{"explore", "---patches=2"}, `explore: invalid flag syntax "---patches=2"`},
		{[]string{"explore", "--progress-interval", "0"}, "explore: invalid --progress-interval 0s: must be more than 0"},
		{[]string{"explore", "--progress-interval", "-3s"}, "explore: invalid --progress-interval -3s: must be more than 0"},
		{[]string{"explore", "--progress-interval", "soon"}, `explore: invalid --progress-interval "soon": must be a duration such as 500ms, 2s or 1m`},
		{[]string{"explore", "--mutant", "M9"}, `explore: invalid --mutant: unknown mutant "M9": valid mutants are none, M1`},
		{[]string{"explore", "--kernel", "6.0"}, `explore: invalid --kernel: unknown kernel "6.0": valid kernels are 958ef1e`},
		{[]string{"explore", "--out", ""}, `explore: invalid --out "": must name a directory`},
		{[]string{"explore", "--out", notDir}, "it exists and is not a directory"},
		{[]string{"explore", "--out", filepath.Join(notDir, "sub")}, `sub": not a directory`},
		{[]string{"view"}, "view: missing the DOT file to render"},
		{[]string{"view", "a.dot", "b.dot"}, `view: unexpected argument "b.dot": give one DOT file`},
		{[]string{"view", filepath.Join(dir, "missing.dot")}, "missing.dot\": no such file or directory"},
		{[]string{"view", notDOT}, `notes.dot" is not valid DOT: syntax error`},
		{[]string{"view", notDOT, "-o", filepath.Join(dir, "x.jpg")}, `x.jpg": the name must end in .svg or .png`},
		{[]string{"view", notDOT, "-o", filepath.Join(dir, "noext")}, `noext": the name must end in .svg or .png`},
		{[]string{"view", notDOT, "-o", filepath.Join(dir, "missing", "x.svg")}, `missing": no such file or directory`},
		{[]string{"view", svgNamedDOT, "-o", svgNamedDOT}, "it is the input file"},
		{[]string{"replay"}, "replay: expected one scenario FILE or --trace FILE, got 0 arguments"},
		{[]string{"replay", "--trace"}, "replay: missing value for --trace: trace.json file of a recorded counterexample to replay"},
		{[]string{"replay", "--trace", ""}, "replay: missing --trace FILE"},
		{[]string{"replay", "--trace", filepath.Join(dir, "missing.json")}, `missing.json": no such file or directory`},
		{[]string{"replay", "--trace", notDOT}, "notes.dot\": invalid JSON"},
		{[]string{"replay", "--trace", notDOT, "extra"}, `replay: unexpected argument "extra"`},
		{[]string{"mutants", "x"}, `mutants: unexpected argument "x"`},
		{[]string{"version", "--short"}, `version: unknown flag "-short"`},
		{[]string{"help", "bogus"}, `help: unknown command "bogus"`},
		{[]string{"help", "explore", "view"}, `help: unexpected argument "view"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCommand(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, expected it to contain %q", stderr, tt.want)
			}
			if tt.args != nil && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr has %d lines, expected one:\n%s", strings.Count(stderr, "\n"), stderr)
			}
		})
	}
}

func TestReplayInvalidTraceContent(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace.json")
	if err := os.WriteFile(trace, []byte(`{"schema_version": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCommand(t, "replay", "--trace", trace)
	if code != exitUsage {
		t.Fatalf("exit status %d, expected %d", code, exitUsage)
	}
	if !strings.Contains(stderr, "unsupported schema_version 7: this klpcheck reads version 1") {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, cmd := range []string{"explore", "replay", "view", "mutants", "version"} {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			code, stdout, stderr := runCommand(t, args...)
			if code != exitOK {
				t.Errorf("%q: exit status %d, expected 0\n%s", args, code, stderr)
			}
			if !strings.HasPrefix(stdout, "usage: klpcheck "+cmd) {
				t.Errorf("%q: help does not start with the usage line:\n%s", args, stdout)
			}
			if !strings.Contains(stdout, "Exit status:") {
				t.Errorf("%q: help does not state the exit status:\n%s", args, stdout)
			}
			if stderr != "" {
				t.Errorf("%q: help wrote to stderr: %q", args, stderr)
			}
		}
	}
	code, stdout, _ := runCommand(t, "help")
	if code != exitOK || !strings.Contains(stdout, "The commands are:") {
		t.Errorf("help: exit status %d, output:\n%s", code, stdout)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCommand(t, "version")
	if code != exitOK {
		t.Fatalf("exit status %d", code)
	}
	if !strings.HasPrefix(stdout, "klpcheck ") || !strings.Contains(stdout, runtime.Version()) {
		t.Errorf("version printed %q, expected \"klpcheck VERSION %s ...\"", stdout, runtime.Version())
	}
}

func TestInternalErrorReported(t *testing.T) {
	var stderr bytes.Buffer
	code := func() (code int) {
		defer recoverInternalError(&code, &stderr)
		var table []int
		_ = table[len(stderr.String())+3]
		return exitOK
	}()
	if code != exitViolation {
		t.Errorf("exit status %d, expected %d", code, exitViolation)
	}
	msg := stderr.String()
	for _, want := range []string{"klpcheck: internal error: runtime error: index out of range", "TestInternalErrorReported", "please report it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Count(msg, "\n") != 1 {
		t.Errorf("message has %d lines, expected one:\n%s", strings.Count(msg, "\n"), msg)
	}
}

func TestProgressPrinterTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := &progressPrinter{w: &buf, tty: true, width: 40}
	p.report(explore.Progress{Depth: 3, DistinctStates: 1000, Queued: 10, Elapsed: time.Second, BytesPerState: 64})
	p.report(explore.Progress{Depth: 4, DistinctStates: 3000, Queued: 20, Elapsed: 2 * time.Second, BytesPerState: 64})
	p.finish()

	got := buf.String()
	parts := strings.Split(got, "\r")
	if len(parts) != 4 || parts[0] != "" {
		t.Fatalf("output %q is not three carriage-return updates", got)
	}
	for _, line := range parts[1:3] {
		text, ok := strings.CutSuffix(line, "\x1b[K")
		if !ok {
			t.Errorf("update %q does not clear the rest of the line", line)
		}
		if len(text) >= 40 {
			t.Errorf("update %q is %d columns wide on a 40-column terminal", text, len(text))
		}
	}
	if !strings.HasPrefix(parts[2], "depth 4, 3000 states") {
		t.Errorf("second update %q does not start with the new counts", parts[2])
	}
	if parts[3] != "\x1b[K" {
		t.Errorf("finish wrote %q, expected a cleared line", "\r"+parts[3])
	}
	if strings.Contains(got, "\n") {
		t.Errorf("terminal output contains a newline: %q", got)
	}
}

func TestFormatProgressRate(t *testing.T) {
	prev := explore.Progress{DistinctStates: 1000, Elapsed: 2 * time.Second}
	cur := explore.Progress{Depth: 7, DistinctStates: 5000, Queued: 42, Elapsed: 4 * time.Second, BytesPerState: 96}
	want := "depth 7, 5000 states, 42 queued, 2000 states/s, 96 B/state, 4s elapsed"
	if got := formatProgress(cur, prev); got != want {
		t.Errorf("formatProgress = %q, expected %q", got, want)
	}
}
