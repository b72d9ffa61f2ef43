package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// fuzzMaxStates bounds each search that FuzzExploreFlags starts, so that an
// argument list asking for the largest bounds still ends in milliseconds.
const fuzzMaxStates = 2000

// FuzzExploreFlags feeds arbitrary argument lists, one argument per line, to
// the explore command. Parsing must never panic, must reject bad input with
// exit status 2 and exactly one line on stderr, and a search that starts must
// end with 0, 1 or 3. The search is capped at fuzzMaxStates states and
// writes to a temporary --out directory, whatever the arguments request.
func FuzzExploreFlags(f *testing.F) {
	for _, seed := range []string{
		"",
		"--patches\n3\n--tasks\n1",
		"--mutant\nM3",
		"--mutant=m11\n--json",
		"--patches=4\n--tasks=4\n--functions=2\n--max-states\n100",
		"--max-depth\n2\n--quiet",
		"--progress-interval\n1ns",
		"--patches\nx",
		"-h",
		"--\n--patches",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, lines string) {
		args := strings.Split(lines, "\n")
		if lines == "" {
			args = nil
		}
		var stdout, stderr bytes.Buffer

		flags, err := parseExploreFlags(args, &stdout)
		if err != nil {
			code := exitStatus("explore", exitUsage, err, &stderr)
			if code != exitOK && code != exitUsage {
				t.Fatalf("parse error gave exit status %d: %v", code, err)
			}
			if code == exitUsage && strings.Count(stderr.String(), "\n") != 1 {
				t.Fatalf("usage error is not one line: %q", stderr.String())
			}
			return
		}

		if flags.opts.MaxStates == 0 || flags.opts.MaxStates > fuzzMaxStates {
			flags.opts.MaxStates = fuzzMaxStates
		}
		flags.out = t.TempDir()
		code, err := executeExplore(context.Background(), flags, &stdout, &stderr)
		code = exitStatus("explore", code, err, &stderr)
		switch code {
		case exitOK, exitViolation, exitBounded:
		default:
			t.Fatalf("exit status %d for %q\nstderr:\n%s", code, args, stderr.String())
		}
		if err != nil {
			t.Fatalf("explore failed for %q: %v", args, err)
		}
	})
}
