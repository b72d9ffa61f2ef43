package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
	"github.com/klpcheck/klpcheck/tracefile"
)

func replayFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "selftests", "*.sh"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	return files
}

func runReplayCommand(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestReplaySelftestScenarios replays every scenario in the 5.1 dialect,
// the dialect of their expected logs, and requires every check to pass.
func TestReplaySelftestScenarios(t *testing.T) {
	for _, path := range replayFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			code, stdout, stderr := runReplayCommand("replay", "--log-dialect", "5.1", path)
			if code != exitOK {
				t.Fatalf("exit %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "replay: "+path+": ") || !strings.HasSuffix(last, " passed") {
				t.Errorf("last line %q; want the summary of %s", last, path)
			}
		})
	}
}

// TestReplayChangedExpectedLine changes one expected line of a scenario.
// The replay must exit 1 and show the change as a unified diff.
func TestReplayChangedExpectedLine(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "selftests", "t-lp-1-basic-function-patching.sh"))
	if err != nil {
		t.Fatal(err)
	}
	old := "livepatch: '$MOD_LIVEPATCH': starting unpatching transition"
	changed := strings.Replace(string(src), old, "livepatch: '$MOD_LIVEPATCH': starting the wrong transition", 1)
	if changed == string(src) {
		t.Fatalf("the scenario has no line %q", old)
	}
	path := filepath.Join(t.TempDir(), "changed.sh")
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, _ := runReplayCommand("replay", path)
	if code != exitViolation {
		t.Errorf("exit %d; want %d", code, exitViolation)
	}
	for _, want := range []string{
		"check_result failed:\n--- expected\n+++ result\n",
		"\n-livepatch: 'test_klp_livepatch': starting the wrong transition\n+livepatch: 'test_klp_livepatch': starting unpatching transition\n",
		"replay: " + path + ": 1 of 1 check failed\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestReplayUnknownCommandExits2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unknown.sh")
	src := "setup_config\nload_lp test_klp_livepatch\nfrobnicate test_klp_livepatch\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runReplayCommand("replay", path)
	if code != exitUsage {
		t.Errorf("exit %d; want %d", code, exitUsage)
	}
	if want := path + ":3: unsupported command"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if stdout != "" {
		t.Errorf("replay ran commands before rejecting the file:\n%s", stdout)
	}
}

func TestReplayHelperCannotFinishExits1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stuck.sh")
	src := "load_lp test_klp_livepatch\nunload_lp test_klp_livepatch\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runReplayCommand("replay", path)
	if code != exitViolation {
		t.Errorf("exit %d; want %d", code, exitViolation)
	}
	if want := path + ":2: unload_lp test_klp_livepatch failed: the refcnt"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
}

func TestReplayScenarioErrorExits2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replace.sh")
	if err := os.WriteFile(path, []byte("load_lp test_klp_atomic_replace replace=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runReplayCommand("replay", path)
	if code != exitUsage {
		t.Errorf("exit %d; want %d", code, exitUsage)
	}
	if want := path + ":1: replace=1 selects atomic replace"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

func TestReplayFlags(t *testing.T) {
	pinned := filepath.Join("..", "..", "testdata", "selftests", "force-later-patch-pinned-v5.0.sh")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"kernel after the file", []string{"replay", pinned, "--kernel", "958ef1e"}, exitViolation, "expect_error EAGAIN failed"},
		{"insmod dialect", []string{"replay", "--log-dialect", "insmod", pinned}, exitViolation, "% insmod test_modules/test_klp_callbacks_busy.ko sleep_secs=30"},
		{"unknown dialect", []string{"replay", "--log-dialect", "5.2", pinned}, exitUsage, `unknown log dialect "5.2"`},
		{"unknown kernel", []string{"replay", "--kernel", "v4.0", pinned}, exitUsage, `unknown kernel "v4.0"`},
		{"no file", []string{"replay"}, exitUsage, "expected one scenario FILE or --trace FILE, got 0 arguments"},
		{"two files", []string{"replay", pinned, pinned}, exitUsage, "expected one scenario FILE or --trace FILE, got 2 arguments"},
		{"missing file", []string{"replay", filepath.Join(t.TempDir(), "missing.sh")}, exitUsage, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runReplayCommand(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", tt.want, stdout, stderr)
			}
		})
	}
}

// TestReplayFlagOfOtherForm gives each form of replay a flag that only the
// other form uses. It must be a usage error that names the flag and the
// form it belongs to, never a flag silently ignored.
func TestReplayFlagOfOtherForm(t *testing.T) {
	scenario := filepath.Join("..", "..", "testdata", "selftests", "t-lp-1-basic-function-patching.sh")
	trace := filepath.Join(writeTrace(t, "M3"), "trace.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"mutant with a scenario", []string{"replay", "--mutant", "M2", scenario},
			`invalid --mutant: it applies only to "klpcheck replay --trace FILE" (a recorded trace.json), not to "klpcheck replay FILE" (a selftest scenario)`},
		{"mutant after the scenario", []string{"replay", scenario, "--mutant=none"},
			`invalid --mutant: it applies only to "klpcheck replay --trace FILE"`},
		{"kernel with a trace", []string{"replay", "--trace", trace, "--kernel", "v5.0"},
			`invalid --kernel: it applies only to "klpcheck replay FILE" (a selftest scenario), not to "klpcheck replay --trace FILE" (a recorded trace.json)`},
		{"log dialect with a trace", []string{"replay", "--log-dialect", "insmod", "--trace", trace},
			`invalid --log-dialect: it applies only to "klpcheck replay FILE" (a selftest scenario)`},
		{"scenario with a trace", []string{"replay", "--trace", trace, scenario},
			`takes no scenario FILE`},
		{"empty trace", []string{"replay", "--trace="},
			`missing --trace FILE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runReplayCommand(tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if stdout != "" {
				t.Errorf("replay ran before rejecting the flag:\n%s", stdout)
			}
		})
	}
}

// TestReplayFlagsAfterTraceOrFile checks that --trace selects the trace
// form in any position, and that after "--" it is a file name.
func TestReplayFlagsAfterTraceOrFile(t *testing.T) {
	trace := filepath.Join(writeTrace(t, "M3"), "trace.json")
	code, stdout, stderr := runReplayCommand("replay", "--mutant", "none", "--trace="+trace)
	if code != exitOK {
		t.Errorf("--mutant before --trace=FILE: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, stdout, stderr)
	}
	code, _, stderr = runReplayCommand("replay", "--", "--trace")
	if code != exitUsage || !strings.Contains(stderr, `cannot read "--trace"`) {
		t.Errorf(`replay -- --trace: exit %d, stderr %q; want exit %d and "--trace" read as a scenario file`, code, stderr, exitUsage)
	}
}

func TestReplayTraceL5StillFails(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCommand(t, "explore", "--kernel", "v5.0", "--patches", "2", "--tasks", "1", "--quiet", "--out", out); code != exitViolation {
		t.Fatalf("explore --kernel v5.0: exit status %d, expected %d\n%s", code, exitViolation, stderr)
	}
	code, stdout, stderr := runCommand(t, "replay", "--trace", filepath.Join(out, "trace.json"))
	if code != exitViolation {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitViolation, stdout, stderr)
	}
	want := "still fails: L5 a patch never involved in a forced transition can be removed after it is disabled, in the state after step 6: P1 is loaded"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if strings.Contains(stdout, "(the trace recorded") {
		t.Errorf("replay reported another failure than the recorded one:\n%s", stdout)
	}
}

// TestReplayTraceL5NoLongerFails writes a trace that records L5 at a
// state where P0 is loaded and disabled at 958ef1e, from which free_work
// and rmmod unload it.
func TestReplayTraceL5NoLongerFails(t *testing.T) {
	c := model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1}
	s0 := model.Initial(&c)
	insmod, disable := model.Action{Kind: model.Insmod}, model.Action{Kind: model.Disable}
	s1, out1 := c.Step(s0, insmod)
	s2, out2 := c.Step(s1, disable)
	v := &explore.Violation{ID: "L5", Name: "test", Detail: "test", Trace: explore.Trace{Initial: s0, Steps: []explore.Step{
		{Action: insmod, Outcome: out1, State: s1},
		{Action: disable, Outcome: out2, State: s2},
	}}}
	path := filepath.Join(t.TempDir(), "trace.json")
	var buf bytes.Buffer
	if err := tracefile.Write(&buf, tracefile.New(c, v, "klpcheck test")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCommand(t, "replay", "--trace", path)
	if code != exitOK {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, stdout, stderr)
	}
	want := "no longer fails: all 2 recorded steps ran, every safety property held, and L5 holds in the last state: a search of "
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, " states from it reaches the goal of P0\n") {
		t.Errorf("stdout lacks %q ... reaches the goal of P0:\n%s", want, stdout)
	}
}
