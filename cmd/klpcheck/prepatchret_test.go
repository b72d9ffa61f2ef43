package main

import (
	"strings"
	"testing"
)

// TestPrePatchRetReportsStaleBinding checks what README and explore -h
// promise for --pre-patch-ret: on both modelled kernels a refused target
// module load leaves the object bound, and S18 reports it after 3 steps.
func TestPrePatchRetReportsStaleBinding(t *testing.T) {
	for _, kernel := range []string{"958ef1e", "v5.0"} {
		t.Run(kernel, func(t *testing.T) {
			code, stdout, stderr := runCommand(t, "explore", "--kernel", kernel, "--targets", "1", "--callbacks", "--pre-patch-ret",
				"--json", "--quiet", "--out", t.TempDir())
			if code != exitViolation {
				t.Fatalf("exit status %d, expected %d\nstderr:\n%s", code, exitViolation, stderr)
			}
			res := decodeResult(t, stdout)
			if res.Property != "S18" {
				t.Errorf("property %q, expected S18", res.Property)
			}
			if res.TraceLength != 3 {
				t.Errorf("trace_length %d, expected 3", res.TraceLength)
			}
		})
	}
}

func TestPrePatchRetHelpNamesFix(t *testing.T) {
	code, stdout, _ := runCommand(t, "explore", "-h")
	if code != exitOK {
		t.Fatalf("exit status %d, expected %d", code, exitOK)
	}
	for _, want := range []string{"4ff96fb52c69 (v5.4)", "reports S18"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explore -h lacks %q:\n%s", want, stdout)
		}
	}
}
