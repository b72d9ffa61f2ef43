package explore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// dfsResult is what a plain depth-first search finds over the whole state
// space of one configuration.
type dfsResult struct {
	states      int
	transitions int // actions taken from every reachable state
	enabled     [model.NumKinds]int
	violations  []string // Always properties that failed, one entry per property
	witnessed   map[string]bool
}

// depthFirst visits every state reachable from the initial state of c with
// an explicit stack, and judges every property on every state and every
// step. It uses nothing from package explore, only model.Config.Actions,
// model.Config.Step and the property functions.
func depthFirst(c model.Config) dfsResult {
	props := invariants.Properties(&c)
	r := dfsResult{witnessed: map[string]bool{}}
	failed := map[string]bool{}

	judgeState := func(s *model.State) {
		for _, p := range props {
			if p.State == nil {
				continue
			}
			ok, detail := p.State(&c, s)
			switch {
			case p.Kind == invariants.Always && !ok && !failed[p.ID]:
				failed[p.ID] = true
				r.violations = append(r.violations, fmt.Sprintf("%s: %s", p.ID, detail))
			case p.Kind == invariants.Sometimes && ok:
				r.witnessed[p.ID] = true
			}
		}
	}

	init := model.Initial(&c)
	seen := map[model.State]bool{init: true}
	judgeState(&init)
	stack := []model.State{init}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r.states++

		for _, a := range c.Actions(&s, nil) {
			next, out := c.Step(s, a)
			r.transitions++
			r.enabled[a.Kind]++
			for _, p := range props {
				if p.Step == nil {
					continue
				}
				ok, detail := p.Step(&c, &s, a, &next, out)
				switch {
				case p.Kind == invariants.Always && !ok && !failed[p.ID]:
					failed[p.ID] = true
					r.violations = append(r.violations, fmt.Sprintf("%s on %s: %s", p.ID, a, detail))
				case p.Kind == invariants.Sometimes && ok:
					r.witnessed[p.ID] = true
				}
			}
			if !seen[next] {
				seen[next] = true
				judgeState(&next)
				stack = append(stack, next)
			}
		}
	}
	return r
}

// differentialBounds are all bounds up to 2 patches, 2 tasks and 2
// functions, plus 3 patches with 1 task and 1 function.
func differentialBounds() []model.Config {
	var cs []model.Config
	for p := 1; p <= 2; p++ {
		for t := 1; t <= 2; t++ {
			for f := 1; f <= 2; f++ {
				cs = append(cs, config(p, t, f))
			}
		}
	}
	return append(cs, config(3, 1, 1))
}

func config(patches, tasks, functions int) model.Config {
	return model.Config{Kernel: model.Kernel958ef1e, Patches: patches, Tasks: tasks, Functions: functions}
}

func boundName(c model.Config) string {
	return fmt.Sprintf("%d-%d-%d", c.Patches, c.Tasks, c.Functions)
}

// TestDifferentialDepthFirst compares explore.Run with depthFirst on the
// correct model: the same number of distinct states, the same transitions
// per action kind, the same verdict and the same witnesses. Result does not
// expose the visited set, so only counts are compared.
func TestDifferentialDepthFirst(t *testing.T) {
	for _, c := range differentialBounds() {
		t.Run(boundName(c), func(t *testing.T) {
			want := depthFirst(c)
			got, err := explore.Run(context.Background(), explore.Options{Config: c})
			if err != nil {
				t.Fatal(err)
			}

			if len(want.violations) > 0 {
				t.Errorf("depth-first search found violations: %v", want.violations)
			}
			if got.Verdict != explore.Verified {
				t.Errorf("explore verdict %s, want %s", got.Verdict, explore.Verified)
			}
			if got.DistinctStates != want.states {
				t.Errorf("explore found %d distinct states, depth-first search %d", got.DistinctStates, want.states)
			}
			if got.Transitions != want.transitions {
				t.Errorf("explore took %d transitions, depth-first search %d", got.Transitions, want.transitions)
			}

			newStates := 0
			for k := range model.NumKinds {
				kind := model.Kind(k)
				if got.Coverage[k].Enabled != want.enabled[k] {
					t.Errorf("explore counted %s enabled %d times, depth-first search %d", kind, got.Coverage[k].Enabled, want.enabled[k])
				}
				newStates += got.Coverage[k].NewStates
			}
			// Every state but the initial one is new exactly once.
			if newStates != want.states-1 {
				t.Errorf("explore's coverage counts %d new states, want %d", newStates, want.states-1)
			}

			for _, w := range got.Witnesses {
				if w.Reached != want.witnessed[w.ID] {
					t.Errorf("witness %s: explore reached=%t, depth-first search reached=%t", w.ID, w.Reached, want.witnessed[w.ID])
				}
			}
		})
	}
}
