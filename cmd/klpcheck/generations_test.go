package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExploreL5ByKernel(t *testing.T) {
	t.Run("v5.0 violates L5", func(t *testing.T) {
		out := t.TempDir()
		code, stdout, stderr := runCommand(t, "explore", "--kernel", "v5.0", "--patches", "2", "--tasks", "1", "--out", out)
		if code != exitViolation {
			t.Fatalf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, exitViolation, stdout, stderr)
		}
		if !strings.Contains(stdout, "verdict: violated (L5 ") {
			t.Errorf("stdout does not report L5 violated:\n%s", stdout)
		}
		dot, err := os.ReadFile(filepath.Join(out, "trace.dot"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"L5", "klp_forced", "echo 1 > P0/force", "echo 0 > P1/enabled"} {
			if !bytes.Contains(dot, []byte(want)) {
				t.Errorf("trace.dot lacks %q", want)
			}
		}
	})
	t.Run("958ef1e holds", func(t *testing.T) {
		code, stdout, stderr := runCommand(t, "explore", "--kernel", "958ef1e", "--patches", "2", "--tasks", "1", "--out", t.TempDir())
		if code != exitOK {
			t.Fatalf("exit %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "possibility [L5]: verified") {
			t.Errorf("stdout does not report the possibility pass:\n%s", stdout)
		}
	})
	t.Run("possibility pass skipped", func(t *testing.T) {
		code, stdout, _ := runCommand(t, "explore", "--kernel", "v5.0", "--patches", "2", "--tasks", "1", "--possibility=false", "--out", t.TempDir())
		if code != exitOK {
			t.Errorf("exit %d with --possibility=false; want 0", code)
		}
		if strings.Contains(stdout, "possibility") {
			t.Errorf("stdout mentions the skipped pass:\n%s", stdout)
		}
	})
}

func TestExploreTargetsAndCallbacks(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		property string
	}{
		{"callbacks hold on 958ef1e", []string{"--targets", "1", "--callbacks", "--patches", "2", "--tasks", "1"}, exitOK, ""},
		{"M12 caught", []string{"--targets", "1", "--callbacks", "--mutant", "M12", "--patches", "1", "--tasks", "1"}, exitViolation, "S15"},
		{"pre-patch-ret needs callbacks", []string{"--targets", "1", "--pre-patch-ret"}, exitUsage, ""},
		{"too many targets", []string{"--targets", "3"}, exitUsage, ""},
		{"958ef1e-only mutant on v5.0", []string{"--kernel", "v5.0", "--mutant", "M2"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"explore", "--out", t.TempDir()}, tt.args...)
			code, stdout, stderr := runCommand(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if tt.property != "" && !strings.Contains(stdout, "verdict: violated ("+tt.property+" ") {
				t.Errorf("stdout does not report %s violated:\n%s", tt.property, stdout)
			}
		})
	}
}
