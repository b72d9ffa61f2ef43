package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

func TestExploreV50HasNoFreeWorkWarning(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"verified", []string{"--patches", "1", "--tasks", "1"}, exitOK},
		{"L5 violated", []string{"--patches", "2", "--tasks", "1"}, exitViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"explore", "--kernel", "v5.0", "--quiet", "--out", t.TempDir()}, tt.args...)
			code, stdout, stderr := runCommand(t, args...)
			if code != tt.code {
				t.Fatalf("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if strings.Contains(stderr, "warning") {
				t.Errorf("a v5.0 run warned, although v5.0 has no free_work:\n%s", stderr)
			}
		})
	}
}

// TestWarnCoverageUsesFinalVerdict gives warnCoverage a safety search that
// verified with no kind ever enabled. Only a final verdict of verified or
// bounded may warn, so a violation found by the possibility pass must not.
func TestWarnCoverageUsesFinalVerdict(t *testing.T) {
	c := model.DefaultConfig()
	res := &explore.Result{Verdict: explore.Verified}
	tests := []struct {
		verdict explore.Verdict
		warns   bool
	}{
		{explore.Verified, true},
		{explore.Bounded, true},
		{explore.Violated, false},
		{explore.Interrupted, false},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		warnCoverage(&stderr, c, res, tt.verdict)
		if warned := stderr.Len() > 0; warned != tt.warns {
			t.Errorf("final verdict %s: warned %t, expected %t:\n%s", tt.verdict, warned, tt.warns, stderr.String())
		}
	}
}
