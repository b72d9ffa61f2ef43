package model_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// walker is a random walk over the correct model. Each rapid action takes
// one enabled model action of its kind, so rapid shrinks a failure to a
// short sequence of named kernel events.
type walker struct {
	c      model.Config
	s      model.State
	always []invariants.Property
	steps  int
}

func newWalker(c model.Config) *walker {
	w := &walker{c: c, s: model.Initial(&c)}
	for _, p := range invariants.Properties(&w.c) {
		if p.Kind == invariants.Always {
			w.always = append(w.always, p)
		}
	}
	return w
}

// actions returns one rapid action per action kind. An action skips when no
// action of its kind is enabled, which rapid treats as an unmet
// precondition.
func (w *walker) actions() map[string]func(*rapid.T) {
	m := map[string]func(*rapid.T){"": w.check}
	for k := range model.NumKinds {
		kind := model.Kind(k)
		m[kind.String()] = func(t *rapid.T) { w.step(t, kind) }
	}
	return m
}

func (w *walker) step(t *rapid.T, kind model.Kind) {
	enabled := w.c.Actions(&w.s, nil)
	if len(enabled) == 0 {
		t.Fatalf("deadlock: no action is enabled in\n%s", w.c.Label(w.s))
	}
	var ofKind []model.Action
	for _, a := range enabled {
		if a.Kind == kind {
			ofKind = append(ofKind, a)
		}
	}
	if len(ofKind) == 0 {
		t.Skipf("no %s action is enabled", kind)
	}
	a := rapid.SampledFrom(ofKind).Draw(t, "action")

	prev := w.s
	next, out := w.c.Step(prev, a)
	w.steps++
	if out.Rejected() && next != prev {
		t.Fatalf("%s failed with -%s but changed the state\nbefore:\n%s\nafter:\n%s",
			a, out.Err, w.c.Label(prev), w.c.Label(next))
	}
	for _, p := range w.always {
		if p.Step == nil {
			continue
		}
		if ok, detail := p.Step(&w.c, &prev, a, &next, out); !ok {
			t.Fatalf("step %d %s violates %s (%s): %s\nbefore:\n%s", w.steps, a, p.ID, p.Name, detail, w.c.Label(prev))
		}
	}
	w.s = next
}

// check runs before and after every action. It judges every Always state
// property, that the transition work is queued exactly during a transition,
// and the promise of model.State that slots beyond the bounds keep their
// initial value.
func (w *walker) check(t *rapid.T) {
	for _, p := range w.always {
		if p.State == nil {
			continue
		}
		if ok, detail := p.State(&w.c, &w.s); !ok {
			t.Fatalf("after %d steps %s (%s) fails: %s\n%s", w.steps, p.ID, p.Name, detail, w.c.Label(w.s))
		}
	}

	// The delayed transition work is the only way to finish a transition
	// that did not complete inline, so it must be queued exactly while one
	// is in progress.
	if w.s.InTransition() != w.s.TransitionWork {
		t.Fatalf("after %d steps: transition in progress %t but klp_transition_work scheduled %t\n%s",
			w.steps, w.s.InTransition(), w.s.TransitionWork, w.c.Label(w.s))
	}

	init := model.Initial(&w.c)
	for k := w.c.Patches; k < model.MaxPatches; k++ {
		if w.s.Patches[k] != init.Patches[k] {
			t.Fatalf("P%d is beyond the bound of %d patches but changed: %+v", k, w.c.Patches, w.s.Patches[k])
		}
	}
	for i := w.c.Tasks; i < model.MaxTasks; i++ {
		if w.s.Tasks[i] != init.Tasks[i] {
			t.Fatalf("T%d is beyond the bound of %d tasks but changed: %+v", i, w.c.Tasks, w.s.Tasks[i])
		}
	}
	for f := w.c.Functions; f < model.MaxFunctions; f++ {
		if w.s.FuncStacks[f] != init.FuncStacks[f] {
			t.Fatalf("func_stack(f%d) is beyond the bound of %d functions but changed", f, w.c.Functions)
		}
	}
}

// TestRapidAlwaysProperties walks the correct model at random bounds and
// checks every Always property of package invariants on every state and
// step, and that a rejected operation leaves the state unchanged.
func TestRapidAlwaysProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := config(
			rapid.IntRange(1, model.MaxPatches).Draw(t, "patches"),
			rapid.IntRange(1, model.MaxTasks).Draw(t, "tasks"),
			rapid.IntRange(1, model.MaxFunctions).Draw(t, "functions"),
		)
		t.Repeat(newWalker(c).actions())
	})
}

// reachable returns every state reachable from the initial state of c,
// found by a plain breadth-first search over Actions and Step.
func reachable(c *model.Config) map[model.State]bool {
	init := model.Initial(c)
	seen := map[model.State]bool{init: true}
	queue := []model.State{init}
	var buf []model.Action
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		buf = c.Actions(&s, buf[:0])
		for _, a := range buf {
			next, _ := c.Step(s, a)
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return seen
}

// TestTransitionWorkQueuedDuringTransition checks every reachable state
// at 2 patches, 2 tasks and 2 functions: klp_transition_work is scheduled
// exactly while a transition is in progress. Without it a transition that
// did not complete inline would hang, and no safety property would notice.
func TestTransitionWorkQueuedDuringTransition(t *testing.T) {
	c := config(2, 2, 2)
	for s := range reachable(&c) {
		if s.InTransition() != s.TransitionWork {
			t.Fatalf("transition in progress %t but klp_transition_work scheduled %t in\n%s",
				s.InTransition(), s.TransitionWork, c.Label(s))
		}
	}
}

// TestRapidWalksStayReachable checks that random walks at small bounds only
// visit states in the reachable set, and that this set has the size that
// explore.Run reports. A walk that leaves the set would mean that Actions
// or Step depends on something besides the state, such as shared memory
// between steps.
func TestRapidWalksStayReachable(t *testing.T) {
	for _, c := range []model.Config{config(2, 2, 1), config(1, 2, 2), config(2, 1, 2)} {
		name := fmt.Sprintf("%d-%d-%d", c.Patches, c.Tasks, c.Functions)
		t.Run(name, func(t *testing.T) {
			states := reachable(&c)
			res, err := explore.Run(context.Background(), explore.Options{Config: c})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != explore.Verified {
				t.Fatalf("explore verdict %s, want %s", res.Verdict, explore.Verified)
			}
			if res.DistinctStates != len(states) {
				t.Fatalf("explore found %d distinct states, breadth-first search over Step found %d", res.DistinctStates, len(states))
			}

			rapid.Check(t, func(t *rapid.T) {
				s := model.Initial(&c)
				n := rapid.IntRange(0, 200).Draw(t, "steps")
				var trail []model.Action
				for range n {
					a := rapid.SampledFrom(c.Actions(&s, nil)).Draw(t, "action")
					trail = append(trail, a)
					s, _ = c.Step(s, a)
					if !states[s] {
						t.Fatalf("state after %v is not in the reachable set:\n%s", trail, c.Label(s))
					}
				}
			})
		})
	}
}

// TestRapidStepIsDeterministic checks that Step and Actions return the same
// result for the same input, which breadth-first counterexamples rely on.
func TestRapidStepIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := config(
			rapid.IntRange(1, model.MaxPatches).Draw(t, "patches"),
			rapid.IntRange(1, model.MaxTasks).Draw(t, "tasks"),
			rapid.IntRange(1, model.MaxFunctions).Draw(t, "functions"),
		)
		s := model.Initial(&c)
		for range rapid.IntRange(0, 60).Draw(t, "steps") {
			a := rapid.SampledFrom(c.Actions(&s, nil)).Draw(t, "action")
			first, firstOut := c.Step(s, a)
			second, secondOut := c.Step(s, a)
			if first != second || firstOut != secondOut {
				t.Fatalf("Step(%s) gave two results:\n%s\n%+v\nand\n%s\n%+v", a, c.Label(first), firstOut, c.Label(second), secondOut)
			}
			if !slices.Equal(c.Actions(&first, nil), c.Actions(&second, nil)) {
				t.Fatalf("Actions differs for equal states after %s", a)
			}
			s = first
		}
	})
}
