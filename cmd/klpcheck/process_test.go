package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// These tests run a klpcheck binary built from this package, because
// signals and an environment without Graphviz need a real process.

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// klpcheckBinary builds klpcheck once per test run and returns its path.
func klpcheckBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "klpcheck-test-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "klpcheck")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(goTool, "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run klpcheck: %v", err)
	}
	return ee.ExitCode()
}

func TestInterruptPrintsPartialSummary(t *testing.T) {
	bin := klpcheckBinary(t)
	out := t.TempDir()
	// Unbounded, this configuration runs for many minutes, so the
	// interrupt always arrives during the search.
	cmd := exec.Command(bin, "explore", "--patches", "4", "--tasks", "4", "--functions", "2",
		"--progress-interval", "10ms", "--out", out)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	// Wait for the first progress line, then interrupt.
	var stderr strings.Builder
	scanner := bufio.NewScanner(stderrPipe)
	sawProgress := false
	for scanner.Scan() {
		line := scanner.Text()
		stderr.WriteString(line + "\n")
		if strings.HasPrefix(line, "klpcheck: progress: depth ") {
			sawProgress = true
			break
		}
	}
	if !sawProgress {
		cmd.Wait()
		t.Fatalf("klpcheck ended without a progress line\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for scanner.Scan() {
		stderr.WriteString(scanner.Text() + "\n")
	}
	code := exitCode(t, cmd.Wait())

	if code != exitInterrupted {
		t.Errorf("exit status %d, expected %d\nstderr:\n%s", code, exitInterrupted, stderr.String())
	}
	for _, want := range []string{"verdict: interrupted", "distinct states", "\ncoverage:\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("an interrupted search warned about coverage:\n%s", stderr.String())
	}
	checkNoTempFiles(t, out)
}

// TestMutantTraceWithoutGraphviz runs explore, view and replay with an empty
// PATH, so no dot program can be found.
func TestMutantTraceWithoutGraphviz(t *testing.T) {
	bin := klpcheckBinary(t)
	out := t.TempDir()
	env := append(os.Environ(), "PATH="+t.TempDir())
	runBin := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return exitCode(t, cmd.Run()), stdout.String(), stderr.String()
	}

	code, _, stderr := runBin("explore", "--mutant", "M3", "--out", out)
	if code != exitViolation {
		t.Fatalf("explore: exit status %d, expected %d\n%s", code, exitViolation, stderr)
	}
	svg := filepath.Join(out, "trace.svg")
	checkSVG(t, svg)
	if err := os.Remove(svg); err != nil {
		t.Fatal(err)
	}

	code, _, stderr = runBin("view", filepath.Join(out, "trace.dot"))
	if code != exitOK {
		t.Fatalf("view: exit status %d\n%s", code, stderr)
	}
	checkSVG(t, svg)

	trace := filepath.Join(out, "trace.json")
	code, stdout, stderr := runBin("replay", "--trace", trace)
	if code != exitViolation || !strings.Contains(stdout, "still fails: S11 ") {
		t.Errorf("replay: exit status %d, expected %d and \"still fails: S11\"\nstdout:\n%s\nstderr:\n%s", code, exitViolation, stdout, stderr)
	}
	code, stdout, stderr = runBin("replay", "--trace", trace, "--mutant", "none")
	if code != exitOK || !strings.Contains(stdout, "no longer fails") {
		t.Errorf("replay --mutant none: exit status %d, expected 0 and \"no longer fails\"\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	checkNoTempFiles(t, out)
}
