package replay

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// *SyntaxError pointing at a line of the input, and that a parsed script has
// well-formed commands. The seed corpus in testdata/fuzz/FuzzParse contains
// the scenario files of testdata/selftests and a few rejected inputs.
func FuzzParse(f *testing.F) {
	f.Add([]byte("MOD=m\nload_lp $MOD replace=0\ncheck_result \"% modprobe $MOD\n${MOD}: x\"\n"))
	f.Add([]byte("expect_error EBUSY echo 0 > /sys/kernel/livepatch/p/enabled\nsleep .1\n"))
	f.Add([]byte("if [[ -e x ]]; then echo 1 | cat; fi\n"))
	f.Add([]byte("# klpcheck: kernel=v5.0\nA='x'\"$B\"\n"))

	f.Fuzz(func(t *testing.T, src []byte) {
		lines := bytes.Count(src, []byte("\n")) + 1
		script, err := Parse("fuzz.sh", src)
		if err != nil {
			var syntaxErr *SyntaxError
			if !errors.As(err, &syntaxErr) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			if syntaxErr.Line < 1 || syntaxErr.Line > lines {
				t.Fatalf("error line %d outside 1..%d: %v", syntaxErr.Line, lines, err)
			}
			if syntaxErr.File != "fuzz.sh" || syntaxErr.Reason == "" {
				t.Fatalf("incomplete error %+v", syntaxErr)
			}
			return
		}

		previous := 0
		for _, cmd := range script.Commands {
			if cmd.Line < 1 || cmd.Line > lines || cmd.Line < previous {
				t.Fatalf("command %v on line %d, previous %d, input has %d lines", cmd.Kind, cmd.Line, previous, lines)
			}
			previous = cmd.Line
			if cmd.Kind < KindSetupConfig || cmd.Kind > KindCheckResult {
				t.Fatalf("command on line %d has invalid kind %v", cmd.Line, cmd.Kind)
			}
			if (cmd.Kind == KindExpectError) != (cmd.Inner != nil) {
				t.Fatalf("command %v on line %d: Inner = %v", cmd.Kind, cmd.Line, cmd.Inner)
			}
			if cmd.Inner != nil && cmd.Inner.Kind == KindExpectError {
				t.Fatalf("nested expect_error on line %d", cmd.Line)
			}
			if cmd.Kind == KindExpectError {
				if _, ok := Errnos[cmd.Errno]; !ok {
					t.Fatalf("expect_error on line %d has unknown errno %q", cmd.Line, cmd.Errno)
				}
			}
			if cmd.Kind == KindSleep && !(cmd.Seconds >= 0) {
				t.Fatalf("sleep on line %d has duration %v", cmd.Line, cmd.Seconds)
			}
		}

		again, err := Parse("fuzz.sh", src)
		if err != nil || !reflect.DeepEqual(script, again) {
			t.Fatalf("second Parse differs: %v", err)
		}
	})
}
