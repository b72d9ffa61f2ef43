package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// exploreJSON runs "klpcheck explore --json" with args and decodes the output.
func exploreJSON(t *testing.T, args ...string) (jsonResult, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"explore", "--json", "--out", t.TempDir()}, args...)
	code := run(args, &stdout, &stderr)
	var res jsonResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("klpcheck %v: exit %d, output is not JSON: %v\nstderr: %s", args, code, err, stderr.String())
	}
	return res, code
}

// The verdict, the counts and every mutant's counterexample length must
// not depend on the number of workers, and symmetry must keep verdicts and
// counterexample lengths.
func TestExploreSameForWorkersAndSymmetry(t *testing.T) {
	bounds := []string{"--patches", "2", "--tasks", "3", "--functions", "1"}
	for _, m := range append([]model.Mutant{model.NoMutant}, model.Mutants()...) {
		t.Run(m.String(), func(t *testing.T) {
			results := map[string]jsonResult{}
			for _, sym := range []bool{false, true} {
				for _, workers := range []int{1, 2} {
					args := append(bounds, "--mutant", m.String(), "--workers", fmt.Sprint(workers), fmt.Sprintf("--symmetry=%t", sym))
					if m.NeedsCallbacks() {
						args = append(args, "--targets", "1", "--callbacks")
					}
					res, code := exploreJSON(t, args...)
					if res.Workers != workers || res.Symmetry != sym {
						t.Fatalf("JSON reports workers %d, symmetry %t; ran with %d, %t", res.Workers, res.Symmetry, workers, sym)
					}
					if want := map[string]int{"verified": exitOK, "violated": exitViolation}[res.Verdict]; code != want {
						t.Errorf("verdict %s exited %d, want %d", res.Verdict, code, want)
					}
					results[fmt.Sprintf("%t/%d", sym, workers)] = res
				}
			}
			base := results["false/1"]
			for key, res := range results {
				if res.Verdict != base.Verdict || res.TraceLength != base.TraceLength {
					t.Errorf("symmetry/workers %s: verdict %s, trace length %d; without symmetry on 1 worker %s, %d",
						key, res.Verdict, res.TraceLength, base.Verdict, base.TraceLength)
				}
			}
			for _, sym := range []string{"false", "true"} {
				one, two := results[sym+"/1"], results[sym+"/2"]
				if one.DistinctStates != two.DistinctStates || one.Transitions != two.Transitions || one.MaxDepth != two.MaxDepth {
					t.Errorf("symmetry %s: 1 worker gives %d states, %d transitions, depth %d; 2 workers %d, %d, %d",
						sym, one.DistinctStates, one.Transitions, one.MaxDepth, two.DistinctStates, two.Transitions, two.MaxDepth)
				}
			}
		})
	}
}

func TestExploreMemoryLimitExitsBounded(t *testing.T) {
	res, code := exploreJSON(t, "--patches", "3", "--tasks", "3", "--functions", "2", "--memory", "4MiB")
	if code != exitBounded || res.Verdict != "bounded" {
		t.Fatalf("exit %d, verdict %s; want %d, bounded", code, res.Verdict, exitBounded)
	}
	if res.MemoryLimit != 4<<20 {
		t.Errorf("memory_limit_bytes = %d, want %d", res.MemoryLimit, 4<<20)
	}
	if res.PeakAccounted > res.MemoryLimit {
		t.Errorf("peak_accounted_bytes %d above the limit %d", res.PeakAccounted, res.MemoryLimit)
	}
}

func TestExploreRejectsInvalidMemory(t *testing.T) {
	for _, memory := range []string{"lots", "0", "12XB"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"explore", "--memory", memory}, &stdout, &stderr); code != exitUsage {
			t.Errorf("--memory %q: exit %d, want %d", memory, code, exitUsage)
		}
	}
}
