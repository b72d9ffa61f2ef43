package model

import "testing"

// reachable returns the states reachable within the bounds of c, in
// breadth-first order, found with a plain map.
func reachable(c *Config) []State {
	init := Initial(c)
	seen := map[State]bool{init: true}
	states := []State{init}
	var buf []Action
	for i := 0; i < len(states); i++ {
		s := states[i]
		buf = c.Actions(&s, buf[:0])
		for _, a := range buf {
			n, _ := c.Step(s, a)
			if !seen[n] {
				seen[n] = true
				states = append(states, n)
			}
		}
	}
	return states
}

// BenchmarkStep takes every enabled action of every reachable state at 2
// patches, 2 tasks and 1 function; one op is one Step.
func BenchmarkStep(b *testing.B) {
	c := &Config{Patches: 2, Tasks: 2, Functions: 1}
	states := reachable(c)
	type step struct {
		s State
		a Action
	}
	var steps []step
	for _, s := range states {
		for _, a := range c.Actions(&s, nil) {
			steps = append(steps, step{s, a})
		}
	}
	b.ResetTimer()
	var sink State
	i := 0
	for b.Loop() {
		st := &steps[i]
		sink, _ = c.Step(st.s, st.a)
		i++
		if i == len(steps) {
			i = 0
		}
	}
	_ = sink
}

// BenchmarkActions enumerates the enabled actions of every reachable state
// at 2 patches, 2 tasks and 1 function; one op is one state.
func BenchmarkActions(b *testing.B) {
	c := &Config{Patches: 2, Tasks: 2, Functions: 1}
	states := reachable(c)
	buf := make([]Action, 0, 64)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		buf = c.Actions(&states[i], buf[:0])
		i++
		if i == len(states) {
			i = 0
		}
	}
}
