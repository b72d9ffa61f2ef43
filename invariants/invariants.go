// Package invariants names the promises of the livepatch core as properties
// of model states and steps.
//
// An Always property is a safety invariant: every reachable state, and every
// step between reachable states, must satisfy it. A Sometimes property is a
// reachability witness: some reachable state or step must satisfy it, which
// shows that the model can reach the situation at all and that the safety
// checks are not passing vacuously. An AlwaysPossible property is a
// possibility property (AG EF in CTL): from every reachable state that meets
// its condition, some state that meets its goal must stay reachable.
package invariants

import (
	"github.com/klpcheck/klpcheck/model"
)

// Kind is the way a property is judged: on every state and step, or on at
// least one.
type Kind uint8

const (
	Always    Kind = iota // must hold in every state and step
	Sometimes             // must hold in at least one state or step
	// AlwaysPossible: from every reachable state where Condition holds
	// for a patch, a state where Goal holds for it must be reachable.
	AlwaysPossible
)

func (k Kind) String() string {
	switch k {
	case Sometimes:
		return "sometimes"
	case AlwaysPossible:
		return "always possible"
	}
	return "always"
}

// StateFunc judges one state. It returns ok and, when ok is false for an
// Always property (or true for a Sometimes property), a detail that names
// the patches and tasks involved. It must not modify s.
type StateFunc func(c *model.Config, s *model.State) (ok bool, detail string)

// StepFunc judges one step from prev to next by action a. It must not
// modify prev or next.
type StepFunc func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (ok bool, detail string)

// PatchFunc judges one patch k in one state, with a detail naming what it
// found. It must not modify s.
type PatchFunc func(c *model.Config, s *model.State, k int) (ok bool, detail string)

// Property is a named promise. An Always or Sometimes property sets at
// least one of State and Step; an AlwaysPossible property sets Condition
// and Goal.
type Property struct {
	ID   string // the identifier users pass and see, such as "S8"
	Name string // a short statement of the promise
	Kind Kind
	// Reason is the kernel fact the promise rests on.
	Reason string
	State  StateFunc
	Step   StepFunc
	// Applies reports whether the property is checked under c, and nil
	// means always. A kernel generation that does not make the promise
	// skips it, and Reason explains why.
	Applies func(c *model.Config) bool

	Condition PatchFunc
	Goal      PatchFunc
	GoalName  string // a short statement of the goal, for messages
}

// appliesTo reports whether p is checked under c.
func (p *Property) appliesTo(c *model.Config) bool {
	return p.Applies == nil || p.Applies(c)
}

// Properties returns the Always and Sometimes properties that apply to
// configuration c: the Always properties first, then the Sometimes
// witnesses, each group in a fixed order. Possibility returns the
// AlwaysPossible properties.
func Properties(c *model.Config) []Property {
	props := make([]Property, 0, len(safety)+len(objectSafety)+len(witnesses))
	for _, group := range [][]Property{safety, objectSafety, witnesses} {
		for _, p := range group {
			if p.appliesTo(c) {
				props = append(props, p)
			}
		}
	}
	return props
}

// Possibility returns the AlwaysPossible properties that apply to
// configuration c, in a fixed order.
func Possibility(c *model.Config) []Property {
	var props []Property
	for _, p := range possibility {
		if p.appliesTo(c) {
			props = append(props, p)
		}
	}
	return props
}

// Lookup returns the property with the given ID, whatever it applies to.
func Lookup(id string) (Property, bool) {
	for _, group := range [][]Property{safety, objectSafety, witnesses, possibility} {
		for _, p := range group {
			if p.ID == id {
				return p, true
			}
		}
	}
	return Property{}, false
}

// only958ef1e is an Applies func for promises that v5.0 does not make.
func only958ef1e(c *model.Config) bool { return c.Kernel == model.Kernel958ef1e }

func holds() (bool, string) { return true, "" }
