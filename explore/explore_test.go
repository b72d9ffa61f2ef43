package explore

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// smallBounds are configurations that every mutant explores in well under
// a second.
var smallBounds = []model.Config{
	{Patches: 2, Tasks: 2, Functions: 1},
	{Patches: 2, Tasks: 1, Functions: 2},
	{Patches: 1, Tasks: 3, Functions: 2},
	{Patches: 3, Tasks: 1, Functions: 1},
}

func allMutants() []model.Mutant {
	return append([]model.Mutant{model.NoMutant}, model.Mutants()...)
}

func run(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run(%+v): %v", opts.Config, err)
	}
	return res
}

// searchOutcome returns the parts of a result that must not depend on how the
// search was run.
func searchOutcome(r *Result) *Result {
	c := *r
	c.Elapsed = 0
	c.Workers, c.Symmetry, c.Exact = 0, false, false
	c.VisitedBytes, c.BytesPerState, c.CollisionProbability = 0, 0, 0
	c.MemoryLimit, c.PeakMemory = 0, 0
	return &c
}

func configName(c model.Config, extra string) string {
	return fmt.Sprintf("%d-%d-%d/%s%s", c.Patches, c.Tasks, c.Functions, c.Mutant, extra)
}

func TestEngineMatchesReference(t *testing.T) {
	type bound struct{ depth, states int }
	bounds := []bound{{0, 0}, {4, 0}, {0, 300}}
	for _, base := range smallBounds {
		for _, m := range allMutants() {
			for _, b := range bounds {
				cfg := base
				cfg.Mutant = m
				cfg = withCallbacksFor(cfg)
				name := configName(cfg, fmt.Sprintf("/depth%d/states%d", b.depth, b.states))
				t.Run(name, func(t *testing.T) {
					opts := Options{Config: cfg, MaxDepth: b.depth, MaxStates: b.states}
					want, err := referenceRun(context.Background(), opts)
					if err != nil {
						t.Fatal(err)
					}
					for _, workers := range []int{1, 2} {
						opts.Workers = workers
						got := run(t, opts)
						if diff := cmp.Diff(searchOutcome(want), searchOutcome(got)); diff != "" {
							t.Errorf("workers %d: result differs from the reference (-want +got):\n%s", workers, diff)
						}
					}
				})
			}
		}
	}
}

func TestExactMatchesFingerprints(t *testing.T) {
	for _, m := range allMutants() {
		cfg := model.Config{Patches: 2, Tasks: 2, Functions: 2, Mutant: m}
		cfg = withCallbacksFor(cfg)
		t.Run(configName(cfg, ""), func(t *testing.T) {
			for _, sym := range []bool{false, true} {
				fp := run(t, Options{Config: cfg, Workers: 2, Symmetry: sym})
				exact := run(t, Options{Config: cfg, Workers: 2, Symmetry: sym, Exact: true})
				if diff := cmp.Diff(searchOutcome(fp), searchOutcome(exact)); diff != "" {
					t.Errorf("symmetry %t: exact result differs (-fingerprints +exact):\n%s", sym, diff)
				}
				if exact.CollisionProbability != 0 {
					t.Errorf("exact collision probability = %g, want 0", exact.CollisionProbability)
				}
			}
		})
	}
}

func TestWorkersGiveSameResult(t *testing.T) {
	for _, m := range allMutants() {
		cfg := model.Config{Patches: 2, Tasks: 3, Functions: 2, Mutant: m}
		cfg = withCallbacksFor(cfg)
		t.Run(configName(cfg, ""), func(t *testing.T) {
			for _, sym := range []bool{false, true} {
				one := run(t, Options{Config: cfg, Workers: 1, Symmetry: sym})
				for _, workers := range []int{2, 3} {
					got := run(t, Options{Config: cfg, Workers: workers, Symmetry: sym})
					if diff := cmp.Diff(searchOutcome(one), searchOutcome(got)); diff != "" {
						t.Errorf("symmetry %t, workers %d: result differs from 1 worker (-1 +%d):\n%s", sym, workers, workers, diff)
					}
				}
			}
		})
	}
}

func TestSymmetryKeepsVerdicts(t *testing.T) {
	for _, m := range allMutants() {
		cfg := model.Config{Patches: 2, Tasks: 3, Functions: 2, Mutant: m}
		cfg = withCallbacksFor(cfg)
		t.Run(configName(cfg, ""), func(t *testing.T) {
			off := run(t, Options{Config: cfg, Workers: 2})
			on := run(t, Options{Config: cfg, Workers: 2, Symmetry: true})
			if on.Verdict != off.Verdict {
				t.Fatalf("verdict with symmetry = %s, without = %s", on.Verdict, off.Verdict)
			}
			if on.DistinctStates >= off.DistinctStates {
				t.Errorf("distinct states with symmetry = %d, not fewer than %d without", on.DistinctStates, off.DistinctStates)
			}
			for i := range off.Witnesses {
				w0, w1 := off.Witnesses[i], on.Witnesses[i]
				if w0.Reached != w1.Reached || w0.Depth != w1.Depth {
					t.Errorf("witness %s: reached %t at depth %d with symmetry, %t at %d without", w0.ID, w1.Reached, w1.Depth, w0.Reached, w0.Depth)
				}
			}
			if off.Violation == nil {
				if off.MaxDepth != on.MaxDepth {
					t.Errorf("max depth with symmetry = %d, without = %d", on.MaxDepth, off.MaxDepth)
				}
				return
			}
			if got, want := len(on.Violation.Trace.Steps), len(off.Violation.Trace.Steps); got != want {
				t.Errorf("trace length with symmetry = %d, without = %d", got, want)
			}
			if on.Violation.OnStep != off.Violation.OnStep {
				t.Errorf("violation on step with symmetry = %t, without = %t", on.Violation.OnStep, off.Violation.OnStep)
			}
		})
	}
}

// replay checks that tr is a trace of the unreduced model: each action is
// enabled in the state before it, and Config.Step from the initial state
// gives each recorded outcome and state.
func replay(t *testing.T, c *model.Config, tr Trace) {
	t.Helper()
	if tr.Initial != model.Initial(c) {
		t.Fatalf("trace does not start in the initial state")
	}
	prev := tr.Initial
	for i, st := range tr.Steps {
		enabled := false
		for _, a := range c.Actions(&prev, nil) {
			enabled = enabled || a == st.Action
		}
		if !enabled {
			t.Fatalf("step %d: %s is not enabled", i+1, st.Action)
		}
		next, out := c.Step(prev, st.Action)
		if next != st.State {
			t.Fatalf("step %d: %s leads to\n%s\nnot to the recorded\n%s", i+1, st.Action, c.Label(next), c.Label(st.State))
		}
		if out != st.Outcome {
			t.Fatalf("step %d: outcome %+v, recorded %+v", i+1, out, st.Outcome)
		}
		prev = next
	}
}

func TestSymmetricCounterexampleReplays(t *testing.T) {
	violations := 0
	for _, m := range allMutants() {
		cfg := model.Config{Patches: 2, Tasks: 3, Functions: 2, Mutant: m}
		cfg = withCallbacksFor(cfg)
		t.Run(configName(cfg, ""), func(t *testing.T) {
			res := run(t, Options{Config: cfg, Workers: 2, Symmetry: true})
			v := res.Violation
			if v == nil {
				return
			}
			violations++
			replay(t, &cfg, v.Trace)

			// The trace ends in the violation it reports.
			p, ok := invariants.Lookup(v.ID)
			if !ok {
				t.Fatalf("violated property %s not found", v.ID)
			}
			last := v.Trace.Last()
			if v.OnStep {
				n := len(v.Trace.Steps)
				prev := v.Trace.Initial
				if n >= 2 {
					prev = v.Trace.Steps[n-2].State
				}
				st := v.Trace.Steps[n-1]
				holds, detail := p.Step(&cfg, &prev, st.Action, &st.State, st.Outcome)
				if holds {
					t.Fatalf("last step %s does not violate %s", st.Action, v.ID)
				}
				if detail != v.Detail {
					t.Errorf("detail = %q, property gives %q on the last step", v.Detail, detail)
				}
			} else {
				holds, detail := p.State(&cfg, &last)
				if holds {
					t.Fatalf("last state does not violate %s:\n%s", v.ID, cfg.Label(last))
				}
				if detail != v.Detail {
					t.Errorf("detail = %q, property gives %q on the last state", v.Detail, detail)
				}
			}
		})
	}
	if violations == 0 {
		t.Fatal("no mutant produced a counterexample at 2 patches, 3 tasks, 2 functions")
	}
}

func TestMemoryLimitEndsBounded(t *testing.T) {
	cfg := model.Config{Patches: 3, Tasks: 2, Functions: 2}
	res := run(t, Options{Config: cfg, Workers: 2, MemoryLimit: 2 << 20})
	if res.Verdict != Bounded {
		t.Fatalf("verdict = %s, want %s", res.Verdict, Bounded)
	}
	if res.BoundReason != "memory limit 2097152 bytes" {
		t.Errorf("bound reason = %q", res.BoundReason)
	}
	if res.PeakMemory > res.MemoryLimit {
		t.Errorf("peak memory %d is above the limit %d", res.PeakMemory, res.MemoryLimit)
	}
	full := run(t, Options{Config: cfg, Workers: 2})
	if res.DistinctStates >= full.DistinctStates {
		t.Errorf("bounded run stored %d states, the full run %d", res.DistinctStates, full.DistinctStates)
	}
}

func TestCancelledContextInterrupts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, Options{Config: model.Config{Patches: 2, Tasks: 2, Functions: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Interrupted {
		t.Errorf("verdict = %s, want %s", res.Verdict, Interrupted)
	}
}

func TestProgressReportsCounts(t *testing.T) {
	var calls []Progress
	opts := Options{
		Config:           model.Config{Patches: 3, Tasks: 2, Functions: 2},
		Workers:          2,
		ProgressInterval: 1,
		Progress:         func(p Progress) { calls = append(calls, p) },
	}
	res := run(t, opts)
	if len(calls) == 0 {
		t.Fatal("Progress was never called")
	}
	for i, p := range calls {
		if p.DistinctStates <= 0 || p.DistinctStates > res.DistinctStates {
			t.Errorf("call %d: distinct states %d outside 1 to %d", i, p.DistinctStates, res.DistinctStates)
		}
		if p.BytesPerState <= 0 {
			t.Errorf("call %d: bytes per state %g", i, p.BytesPerState)
		}
	}
}

func TestInvalidOptionsRejected(t *testing.T) {
	cfg := model.DefaultConfig()
	for _, opts := range []Options{
		{Config: cfg, Workers: -1},
		{Config: cfg, MemoryLimit: -1},
		{Config: cfg, MaxDepth: -1},
		{Config: cfg, MaxStates: -1},
		{Config: model.Config{Patches: 0, Tasks: 1, Functions: 1}},
	} {
		if _, err := Run(context.Background(), opts); err == nil {
			t.Errorf("Run(%+v) returned no error", opts)
		}
	}
}

// withCallbacksFor adds a target module and callbacks to c when its mutant
// changes callback code, which shows only with them.
func withCallbacksFor(c model.Config) model.Config {
	if c.Mutant.NeedsCallbacks() {
		c.Targets, c.Callbacks = 1, true
	}
	return c
}

func TestEventKeyRoundTrip(t *testing.T) {
	for _, pos := range []int{0, 1, chunkSize - 1, 1 << 40} {
		for _, action := range []int{-1, 0, 7, maxActions - 1} {
			for sub := subStep; sub <= subStateWitness; sub++ {
				key := eventKey(pos, action, sub)
				if p, a := splitKey(key); p != pos || a != action {
					t.Fatalf("splitKey(eventKey(%d, %d, %d)) = %d, %d", pos, action, sub, p, a)
				}
				if sub > subStep && key <= eventKey(pos, action, sub-1) {
					t.Fatalf("key of sub-step %d does not sort after sub-step %d", sub, sub-1)
				}
			}
			if action >= 0 && eventKey(pos, action, subStep) <= eventKey(pos, action-1, subStateWitness) {
				t.Fatalf("action %d does not sort after action %d at position %d", action, action-1, pos)
			}
		}
		if eventKey(pos+1, -1, subStep) <= eventKey(pos, maxActions-1, subStateWitness) {
			t.Fatalf("position %d does not sort after position %d", pos+1, pos)
		}
	}
}
