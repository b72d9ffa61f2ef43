package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// runCommand calls run with args and returns the exit status and both
// output streams.
func decodeResult(t *testing.T, stdout string) jsonResult {
	t.Helper()
	var res jsonResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	return res
}

func TestExploreDefaultIsRepeatable(t *testing.T) {
	var results []jsonResult
	for range 2 {
		code, stdout, stderr := runCommand(t, "explore", "--json", "--out", t.TempDir())
		if code != exitOK {
			t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, exitOK, stderr)
		}
		results = append(results, decodeResult(t, stdout))
	}

	first, second := results[0], results[1]
	if first.Verdict != "verified" {
		t.Errorf("verdict %q, want verified", first.Verdict)
	}
	if first.DistinctStates <= 0 {
		t.Errorf("distinct_states = %d, want more than 0", first.DistinctStates)
	}
	if first.DistinctStates != second.DistinctStates {
		t.Errorf("distinct_states differs between runs: %d and %d", first.DistinctStates, second.DistinctStates)
	}
	if first.Transitions != second.Transitions {
		t.Errorf("transitions differs between runs: %d and %d", first.Transitions, second.Transitions)
	}
	def := model.DefaultConfig()
	if first.Patches != def.Patches || first.Tasks != def.Tasks || first.Functions != def.Functions {
		t.Errorf("bounds %d/%d/%d, want the defaults %d/%d/%d",
			first.Patches, first.Tasks, first.Functions, def.Patches, def.Tasks, def.Functions)
	}
}

func TestExploreMutantWritesTrace(t *testing.T) {
	for _, m := range model.Mutants() {
		t.Run(m.String(), func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"explore", "--mutant", m.String(), "--out", dir}
			if m.NeedsCallbacks() {
				args = append(args, "--targets", "1", "--callbacks")
			}
			code, stdout, stderr := runCommand(t, args...)
			if code != exitViolation {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitViolation, stdout, stderr)
			}
			if !strings.Contains(stdout, "verdict: violated") {
				t.Errorf("stdout has no violated verdict:\n%s", stdout)
			}

			dot, err := os.ReadFile(filepath.Join(dir, "trace.dot"))
			if err != nil {
				t.Fatalf("read trace.dot: %v", err)
			}
			if !bytes.HasPrefix(dot, []byte("digraph ")) {
				t.Errorf("trace.dot does not start a digraph:\n%.200s", dot)
			}
			if _, err := os.Stat(filepath.Join(dir, "trace.txt")); err != nil {
				t.Errorf("trace.txt missing: %v", err)
			}
		})
	}
}

func TestExploreUsageErrors(t *testing.T) {
	var mutantNames []string
	for _, m := range model.Mutants() {
		mutantNames = append(mutantNames, m.String())
	}

	cases := []struct {
		name string
		args []string
		// want are the substrings stderr must contain: the rejected value
		// and the valid range or choices.
		want []string
	}{
		{"patches below range", []string{"--patches", "0"},
			[]string{"--patches 0", fmt.Sprintf("1 to %d", model.MaxPatches)}},
		{"tasks above range", []string{"--tasks", "9"},
			[]string{"--tasks 9", fmt.Sprintf("1 to %d", model.MaxTasks)}},
		{"functions above range", []string{"--functions", "3"},
			[]string{"--functions 3", fmt.Sprintf("1 to %d", model.MaxFunctions)}},
		{"unknown mutant", []string{"--mutant", "M99"},
			append([]string{`"M99"`}, mutantNames...)},
		// An unknown flag is named, with the command that lists the valid ones.
		{"unknown flag", []string{"--bogus"},
			[]string{"-bogus", "klpcheck explore -h"}},
		{"stray argument", []string{"stray"},
			[]string{`"stray"`, "takes no arguments"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"explore", "--out", t.TempDir()}, tc.args...)
			code, stdout, stderr := runCommand(t, args...)
			if code != exitUsage {
				t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("usage error wrote to stdout:\n%s", stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestMutantsListsEveryMutant(t *testing.T) {
	code, stdout, stderr := runCommand(t, "mutants")
	if code != exitOK {
		t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, exitOK, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	mutants := model.Mutants()
	if len(lines) != len(mutants) {
		t.Errorf("mutants printed %d lines, want one per mutant (%d):\n%s", len(lines), len(mutants), stdout)
	}
	for i, m := range mutants {
		if i >= len(lines) {
			break
		}
		fields := strings.Fields(lines[i])
		if len(fields) == 0 || fields[0] != m.String() {
			t.Errorf("line %d is %q, want it to start with %s", i+1, lines[i], m)
		}
		if !strings.Contains(lines[i], m.Summary()) {
			t.Errorf("line %d is %q, want the summary %q", i+1, lines[i], m.Summary())
		}
	}
}

func TestExploreMaxStatesIsBounded(t *testing.T) {
	code, stdout, stderr := runCommand(t, "explore", "--json", "--max-states", "10", "--out", t.TempDir())
	if code != exitBounded {
		t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, exitBounded, stderr)
	}
	res := decodeResult(t, stdout)
	if res.Verdict != "bounded" {
		t.Errorf("verdict %q, want bounded", res.Verdict)
	}
	if !strings.Contains(res.BoundReason, "max states 10") {
		t.Errorf("bound_reason %q, want it to name max states 10", res.BoundReason)
	}
	// --max-states stops the search once that many states are stored.
	if res.DistinctStates != 10 {
		t.Errorf("distinct_states = %d, want 10", res.DistinctStates)
	}
}
