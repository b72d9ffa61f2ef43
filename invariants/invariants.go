// Package invariants names the promises of the livepatch core as properties
// of model states and steps.
//
// An Always property is a safety invariant: every reachable state, and every
// step between reachable states, must satisfy it. A Sometimes property is a
// reachability witness: some reachable state or step must satisfy it, which
// shows that the model can reach the situation at all and that the safety
// checks are not passing vacuously.
package invariants

import (
	"github.com/klpcheck/klpcheck/model"
)

// Kind says how a property is judged.
type Kind uint8

const (
	Always    Kind = iota // must hold in every state and step
	Sometimes             // must hold in at least one state or step
)

func (k Kind) String() string {
	if k == Sometimes {
		return "sometimes"
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

// Property is a named promise. At least one of State and Step is set.
type Property struct {
	ID   string // the identifier users pass and see, such as "S8"
	Name string // a short statement of the promise
	Kind Kind
	// Reason is the kernel fact the promise rests on.
	Reason string
	State  StateFunc
	Step   StepFunc
}

// Properties returns every property for configuration c: the Always
// properties first, then the Sometimes witnesses, each group in a fixed order.
func Properties(c *model.Config) []Property {
	props := make([]Property, 0, len(safety)+len(witnesses))
	props = append(props, safety...)
	props = append(props, witnesses...)
	return props
}

// Lookup returns the property with the given ID.
func Lookup(id string) (Property, bool) {
	for _, p := range safety {
		if p.ID == id {
			return p, true
		}
	}
	for _, p := range witnesses {
		if p.ID == id {
			return p, true
		}
	}
	return Property{}, false
}

func holds() (bool, string) { return true, "" }
