package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestExploreConfigErrorsNameFlags checks that the options model.Config
// also validates are rejected in the words of the command line.
func TestExploreConfigErrorsNameFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--targets", "5"}, "explore: invalid --targets 5: must be 0 to 2"},
		{[]string{"--targets", "-1"}, "explore: invalid --targets -1: must be 0 to 2"},
		{[]string{"--pre-patch-ret"}, "explore: invalid --pre-patch-ret: it needs --callbacks"},
		{[]string{"--mutant", "M12"}, "explore: invalid --mutant M12: it changes callback code, so it needs at least --targets 1 and --callbacks"},
		{[]string{"--mutant", "M12", "--targets", "1"}, "explore: invalid --mutant M12: it changes callback code, so it needs at least --targets 1 and --callbacks"},
		{[]string{"--kernel", "v5.0", "--mutant", "M1"}, "explore: invalid --mutant M1: it changes code that --kernel v5.0 does not have; use --kernel 958ef1e"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"explore", "--out", t.TempDir()}, tt.args...)
			code, stdout, stderr := runCommand(t, args...)
			if code != exitUsage {
				t.Errorf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, expected it to contain %q", stderr, tt.want)
			}
		})
	}
}

func TestReplayTraceMutantErrorsNameFlag(t *testing.T) {
	trace := filepath.Join(writeTrace(t, "M3"), "trace.json")
	code, _, stderr := runCommand(t, "replay", "--trace", trace, "--mutant", "M12")
	if code != exitUsage {
		t.Errorf("exit status %d, expected %d", code, exitUsage)
	}
	want := "replay: invalid --mutant M12: it changes callback code, but the trace was recorded without target modules and callbacks"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, expected it to contain %q", stderr, want)
	}
}

func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"--version", "-version"} {
		code, stdout, stderr := runCommand(t, arg)
		if code != exitOK {
			t.Errorf("%s: exit status %d, expected 0\n%s", arg, code, stderr)
		}
		if !strings.HasPrefix(stdout, "klpcheck ") {
			t.Errorf("%s printed %q, expected the version line", arg, stdout)
		}
	}
}

func TestHelpHelp(t *testing.T) {
	code, stdout, stderr := runCommand(t, "help", "help")
	if code != exitOK {
		t.Fatalf("exit status %d, expected 0\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "Use \"klpcheck help <command>\"") {
		t.Errorf("help help printed %q, expected the main usage", stdout)
	}
}

// TestViewOutputInvalidExits2 checks outputs that the help lists under exit
// status 2 as an invalid OUTPUT: a directory, and a directory that takes
// no new file.
func TestViewOutputInvalidExits2(t *testing.T) {
	dir := t.TempDir()
	dot := filepath.Join(dir, "graph.dot")
	if err := os.WriteFile(dot, []byte("digraph { a -> b }"), 0o644); err != nil {
		t.Fatal(err)
	}
	asDir := filepath.Join(dir, "picture.svg")
	if err := os.Mkdir(asDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, output, want string
	}{
		{"output is a directory", asDir, "it is a directory"},
	}
	if runtime.GOOS == "linux" {
		// procfs takes no new file, not even from root.
		tests = append(tests, struct{ name, output, want string }{"directory takes no file", "/proc/x.svg", `cannot create a file in directory "/proc"`})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCommand(t, "view", dot, "-o", tt.output)
			if code != exitUsage {
				t.Errorf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, expected it to contain %q", stderr, tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("view left files behind in %s: %v", dir, entries)
	}
}

func TestReplayCRLFFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crlf.sh")
	if err := os.WriteFile(path, []byte("#!/bin/bash\r\nsetup_config\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCommand(t, "replay", path)
	if code != exitUsage {
		t.Errorf("exit status %d, expected %d", code, exitUsage)
	}
	if want := path + ":1: CRLF line endings: convert the file to LF line endings"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, expected it to contain %q", stderr, want)
	}
	if strings.Contains(stderr, "command") {
		t.Errorf("stderr calls a line of a CRLF file a command: %q", stderr)
	}
}
