package invariants

import (
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

func allMutants() []model.Mutant {
	return append([]model.Mutant{model.NoMutant}, model.Mutants()...)
}

// visit calls state on every state reachable within c and step on every
// step from such a state, breadth first. It does not go past a state or
// step that breaks a safety property, as a search would not, because the
// model may crash beyond a mutant's violation.
func visit(c *model.Config, state func(*model.State), step func(*model.State, model.Action, *model.State, model.Outcome)) {
	props := Properties(c)
	broken := func(s *model.State) bool {
		for _, p := range props {
			if p.Kind == Always && p.State != nil {
				if ok, _ := p.State(c, s); !ok {
					return true
				}
			}
		}
		return false
	}
	brokenStep := func(prev *model.State, a model.Action, next *model.State, out model.Outcome) bool {
		for _, p := range props {
			if p.Kind == Always && p.Step != nil {
				if ok, _ := p.Step(c, prev, a, next, out); !ok {
					return true
				}
			}
		}
		return false
	}
	init := model.Initial(c)
	seen := map[model.State]bool{init: true}
	queue := []model.State{init}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		state(&s)
		if broken(&s) {
			continue
		}
		for _, a := range c.Actions(&s, nil) {
			n, out := c.Step(s, a)
			step(&s, a, &n, out)
			if brokenStep(&s, a, &n, out) || seen[n] {
				continue
			}
			seen[n] = true
			queue = append(queue, n)
		}
	}
}

// The combined checks must decide exactly the properties they claim to
// cover, on every reachable state and step of every mutant.
func TestFastChecksAgree(t *testing.T) {
	for _, m := range allMutants() {
		for _, base := range []model.Config{
			{Patches: 2, Tasks: 2, Functions: 2},
			{Patches: 3, Tasks: 1, Functions: 1},
		} {
			c := base
			c.Mutant = m
			props := Properties(&c)
			stateFailures, stepFailures := 0, 0
			visit(&c, func(s *model.State) {
				want := true
				for _, p := range props {
					if fastStateIDs[p.ID] && p.State != nil {
						ok, _ := p.State(&c, s)
						want = want && ok
					}
				}
				if !want {
					stateFailures++
				}
				if got := stateHolds(&c, s); got != want {
					t.Fatalf("%s: stateHolds = %t, the properties give %t on\n%s", m, got, want, c.Label(*s))
				}
			}, func(prev *model.State, a model.Action, next *model.State, out model.Outcome) {
				want := true
				for _, p := range props {
					if fastStepIDs[p.ID] && p.Step != nil {
						ok, _ := p.Step(&c, prev, a, next, out)
						want = want && ok
					}
				}
				if !want {
					stepFailures++
				}
				if got := stepHolds(&c, prev, a, next, out); got != want {
					t.Fatalf("%s: stepHolds = %t, the properties give %t on %s from\n%s", m, got, want, a, c.Label(*prev))
				}
			})
			t.Logf("%s %d-%d-%d: %d failing states, %d failing steps", m, c.Patches, c.Tasks, c.Functions, stateFailures, stepFailures)
		}
	}
}

func TestFastCheckIDsExist(t *testing.T) {
	for id := range fastStateIDs {
		if p, ok := Lookup(id); !ok || p.State == nil {
			t.Errorf("fastStateIDs names %s, which is not a property with a StateFunc", id)
		}
	}
	for id := range fastStepIDs {
		if p, ok := Lookup(id); !ok || p.Step == nil {
			t.Errorf("fastStepIDs names %s, which is not a property with a StepFunc", id)
		}
	}
}

// A property the combined checks do not cover is still checked.
func TestCheckerRunsUncoveredProperties(t *testing.T) {
	c := model.DefaultConfig()
	props := append(Properties(&c), Property{
		ID: "X1", Name: "no patch module is loaded", Kind: Always,
		State: func(c *model.Config, s *model.State) (bool, string) {
			return !s.Patches[0].Loaded, "P0 is loaded"
		},
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			return a.Kind != model.Insmod, "insmod ran"
		},
	})
	k := NewChecker(&c, props)
	init := model.Initial(&c)
	if i, _ := k.CheckState(&init); i >= 0 {
		t.Fatalf("initial state fails %s", props[i].ID)
	}
	a := model.Action{Kind: model.Insmod}
	next, out := c.Step(init, a)
	if i, detail := k.CheckState(&next); i != len(props)-1 || detail != "P0 is loaded" {
		t.Errorf("CheckState after insmod = %d, %q; want X1", i, detail)
	}
	if i, detail := k.CheckStep(&init, a, &next, out); i != len(props)-1 || detail != "insmod ran" {
		t.Errorf("CheckStep of insmod = %d, %q; want X1", i, detail)
	}
}
