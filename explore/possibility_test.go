package explore

import (
	"context"
	"testing"
	"time"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

func twoPatchesOneTask(k model.Kernel) Options {
	return Options{Config: model.Config{Kernel: k, Patches: 2, Tasks: 1, Functions: 1}}
}

// TestL5FailsOnV50 checks the shape of the v5.0 counterexample: a force
// sets klp_forced, and a patch that was not listed at that force ends
// disabled with a module reference that nothing can drop.
func TestL5FailsOnV50(t *testing.T) {
	res, err := CheckPossibility(context.Background(), twoPatchesOneTask(model.KernelV50))
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Violated || res.Violation == nil {
		t.Fatalf("verdict %s; want violated", res.Verdict)
	}
	v := res.Violation
	if v.ID != "L5" {
		t.Errorf("violated %s; want L5", v.ID)
	}

	forces := 0
	for _, st := range v.Trace.Steps {
		if st.Action.Kind == model.Force {
			forces++
		}
	}
	if forces != 1 {
		t.Errorf("trace has %d forces; want 1", forces)
	}

	last := v.Trace.Last()
	if !last.KlpForced {
		t.Errorf("last state has klp_forced clear")
	}
	var forced, stuck []int
	for k := 0; k < 2; k++ {
		p := last.Patches[k]
		switch {
		case p.Forced:
			forced = append(forced, k)
		case p.Loaded && !p.Enabled && p.Ref == 1:
			stuck = append(stuck, k)
		}
	}
	if len(forced) != 1 || len(stuck) != 1 {
		t.Errorf("forced patches %v and disabled pinned patches %v; want one of each", forced, stuck)
	}
}

func TestL5HoldsOn958ef1e(t *testing.T) {
	opts := twoPatchesOneTask(model.Kernel958ef1e)
	res, err := CheckPossibility(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Verified {
		t.Fatalf("verdict %s (%+v); want verified", res.Verdict, res.Violation)
	}
	if len(res.Properties) != 1 || res.Properties[0] != "L5" {
		t.Errorf("checked %v; want [L5]", res.Properties)
	}

	// The pass must see the same state space as the safety search.
	safety, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.DistinctStates != safety.DistinctStates {
		t.Errorf("possibility pass stored %d states, safety search %d", res.DistinctStates, safety.DistinctStates)
	}
}

func TestPossibilityBounded(t *testing.T) {
	opts := twoPatchesOneTask(model.KernelV50)
	opts.MaxStates = 10
	res, err := CheckPossibility(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Bounded {
		t.Errorf("verdict %s with max states 10; want bounded", res.Verdict)
	}
}

// TestFirstStuck compares the backward search with a naive forward search
// from every state, on goals whose results are known or computed.
func TestFirstStuck(t *testing.T) {
	c := model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1}
	g, verdict, _ := buildGraph(context.Background(), &c, 0, 1<<40, nil)
	if verdict != "" {
		t.Fatalf("graph incomplete: %s", verdict)
	}
	pred, offsets := g.reverse()
	always := func(*model.Config, *model.State, int) (bool, string) { return true, "" }
	never := func(*model.Config, *model.State, int) (bool, string) { return false, "" }
	initial := model.Initial(&c)
	isInitial := func(_ *model.Config, s *model.State, _ int) (bool, string) { return *s == initial, "" }

	tests := []struct {
		name string
		goal invariants.PatchFunc
		want int32 // -2: compute with the naive search
	}{
		{"goal never met", never, 0},
		{"goal always met", always, -1},
		{"back to the initial state", isInitial, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := invariants.Property{ID: "test", Condition: always, Goal: tt.goal}
			want := tt.want
			if want == -2 {
				want = naiveFirstStuck(&c, g.states, tt.goal)
			}
			if got, _ := g.firstStuck(&c, &p, 0, pred, offsets, nil); got != want {
				t.Errorf("first stuck state %d; want %d", got, want)
			}
		})
	}
}

// naiveFirstStuck returns the first of states from which no forward path
// reaches a goal state, searching forward from each state separately.
func naiveFirstStuck(c *model.Config, states []model.State, goal invariants.PatchFunc) int32 {
	for i, start := range states {
		seen := map[model.State]bool{start: true}
		queue := []model.State{start}
		found := false
		for len(queue) > 0 && !found {
			s := queue[0]
			queue = queue[1:]
			if ok, _ := goal(c, &s, 0); ok {
				found = true
				break
			}
			for _, a := range c.Actions(&s, nil) {
				next, _ := c.Step(s, a)
				if !seen[next] {
					seen[next] = true
					queue = append(queue, next)
				}
			}
		}
		if !found {
			return int32(i)
		}
	}
	return -1
}

func l5(t *testing.T) invariants.Property {
	t.Helper()
	p, ok := invariants.Lookup("L5")
	if !ok || p.Kind != invariants.AlwaysPossible {
		t.Fatalf("invariants.Lookup(L5) = %+v, %t; want an AlwaysPossible property", p, ok)
	}
	return p
}

// TestCheckPossibleFromStuckState starts from the last state of the v5.0
// L5 counterexample, from which P1 can never be removed.
func TestCheckPossibleFromStuckState(t *testing.T) {
	opts := twoPatchesOneTask(model.KernelV50)
	res, err := CheckPossibility(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation == nil {
		t.Fatalf("verdict %s; want an L5 violation", res.Verdict)
	}
	p := l5(t)
	got := CheckPossibleFrom(&opts.Config, &p, res.Violation.Trace.Last())
	if got.Stuck != 1 {
		t.Errorf("Stuck = %d; want P1", got.Stuck)
	}
	if got.Detail != res.Violation.Detail {
		t.Errorf("Detail = %q; want the detail of CheckPossibility, %q", got.Detail, res.Violation.Detail)
	}
	if len(got.Met) == 0 || got.Met[len(got.Met)-1] != 1 {
		t.Errorf("Met = %v; want it to include P1", got.Met)
	}
}

// TestCheckPossibleFromReachableGoal starts from a state in which P0 is
// loaded and disabled at 958ef1e: its free_work and an rmmod unload it.
func TestCheckPossibleFromReachableGoal(t *testing.T) {
	c := model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1}
	s := model.Initial(&c)
	s, _ = c.Step(s, model.Action{Kind: model.Insmod})
	s, _ = c.Step(s, model.Action{Kind: model.Disable})
	p := l5(t)
	if ok, _ := p.Condition(&c, &s, 0); !ok {
		t.Fatalf("P0 does not meet the L5 condition in\n%s", c.Label(s))
	}

	got := CheckPossibleFrom(&c, &p, s)
	if got.Stuck != -1 {
		t.Errorf("Stuck = %d (%s); want -1", got.Stuck, got.Detail)
	}
	if len(got.Met) != 1 || got.Met[0] != 0 {
		t.Errorf("Met = %v; want [0]", got.Met)
	}
	if got.States < 3 {
		t.Errorf("States = %d; want at least the start, free_work and rmmod states", got.States)
	}
}

func TestCheckPossibleFromConditionUnmet(t *testing.T) {
	c := model.Config{Kernel: model.KernelV50, Patches: 2, Tasks: 1, Functions: 1}
	p := l5(t)
	got := CheckPossibleFrom(&c, &p, model.Initial(&c))
	if len(got.Met) != 0 || got.Stuck != -1 || got.States != 0 {
		t.Errorf("CheckPossibleFrom(initial state) = %+v; want no patch met, none stuck, no search", got)
	}
}

// TestCheckPossibilityReportsProgress requests a report at every sample.
// The graph is built first, with Transitions growing, and each backward
// search then counts its own edges from 0, so a drop in Transitions marks
// the reports of a backward search.
func TestCheckPossibilityReportsProgress(t *testing.T) {
	opts := Options{Config: model.Config{Patches: 2, Tasks: 2, Functions: 2}, ProgressInterval: time.Nanosecond}
	var reports []Progress
	opts.Progress = func(pr Progress) { reports = append(reports, pr) }
	res, err := CheckPossibility(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Verified {
		t.Fatalf("verdict %s; want verified", res.Verdict)
	}
	if len(reports) == 0 {
		t.Fatal("CheckPossibility called Progress 0 times")
	}

	backward := 0
	for i, pr := range reports {
		if pr.DistinctStates <= 0 || pr.DistinctStates > res.DistinctStates {
			t.Errorf("report %d: DistinctStates %d; want 1 to %d", i, pr.DistinctStates, res.DistinctStates)
		}
		if pr.BytesPerState <= 0 {
			t.Errorf("report %d: BytesPerState %.0f; want more than 0", i, pr.BytesPerState)
		}
		if i > 0 && pr.Elapsed < reports[i-1].Elapsed {
			t.Errorf("report %d: Elapsed %s is before the previous report's %s", i, pr.Elapsed, reports[i-1].Elapsed)
		}
		if i > 0 && pr.Transitions < reports[i-1].Transitions {
			backward++
		}
	}
	if backward == 0 {
		t.Errorf("no report of a backward search among %d reports", len(reports))
	}
}
