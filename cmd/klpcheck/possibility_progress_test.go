package main

import (
	"strings"
	"testing"
)

func TestExplorePossibilityPassPrintsProgress(t *testing.T) {
	code, stdout, stderr := runCommand(t, "explore", "--patches", "2", "--tasks", "2", "--functions", "2",
		"--progress-interval", "1ns", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, stdout, stderr)
	}
	if !strings.Contains(stderr, "klpcheck: progress: possibility pass: depth ") {
		t.Errorf("stderr lacks progress lines of the possibility pass:\n%s", stderr)
	}
	for _, want := range []string{"\ntotal seconds: ", "\nsafety search seconds: ", "\npossibility pass: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestExploreJSONTotalSeconds(t *testing.T) {
	code, stdout, stderr := runCommand(t, "explore", "--json", "--quiet", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit status %d, expected %d\nstderr:\n%s", code, exitOK, stderr)
	}
	res := decodeResult(t, stdout)
	if res.Possibility == "" {
		t.Fatalf("possibility pass did not run:\n%s", stdout)
	}
	if res.SafetySeconds != res.Seconds {
		t.Errorf("safety_seconds %g differs from seconds %g", res.SafetySeconds, res.Seconds)
	}
	if res.PossibilitySeconds <= 0 {
		t.Errorf("possibility_seconds %g, expected more than 0", res.PossibilitySeconds)
	}
	if res.TotalSeconds < res.SafetySeconds+res.PossibilitySeconds {
		t.Errorf("total_seconds %g is less than safety_seconds %g plus possibility_seconds %g",
			res.TotalSeconds, res.SafetySeconds, res.PossibilitySeconds)
	}
}
