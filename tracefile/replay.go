package tracefile

import (
	"fmt"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// Status is the outcome of replaying a trace.
type Status int

const (
	// StillFails: a safety property failed on a state or step of the
	// trace, or the recorded possibility property fails in its last state.
	StillFails Status = iota
	// NoLongerFails: every recorded action ran, every safety property held
	// on every state and step, the last state has an enabled action, and a
	// recorded possibility property holds in the last state.
	NoLongerFails
	// Blocked: a recorded action is not enabled in the state the replay
	// reached, so the trace cannot be followed to its end.
	Blocked
)

func (s Status) String() string {
	switch s {
	case StillFails:
		return "still fails"
	case NoLongerFails:
		return "no longer fails"
	case Blocked:
		return "blocked"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Failure is a property that failed during the replay.
type Failure struct {
	ID, Name, Detail string
	// Step is the step that breaks the property or leads to the state that
	// breaks it, counted from 1. Step 0 is the initial state.
	Step   int
	OnStep bool
}

// Divergence lists how the replayed state after a step differs from the
// recorded one. Each Change has the recorded value in Old and the replayed
// value in New. A changed error number appears as the path "errno".
type Divergence struct {
	Step    int // counted from 1, with 0 for the initial state
	Changes []counterexamples.Change
}

// ReplayResult is the outcome of Replay.
type ReplayResult struct {
	Status Status
	// Steps is the number of recorded steps that ran.
	Steps int
	// Failure is set when Status is StillFails.
	Failure *Failure
	// Possibility is the re-check of the recorded property in the last
	// state, set when that property is an AlwaysPossible property such as
	// L5 and every step ran without a safety failure.
	Possibility *explore.PossibleFrom
	// Divergences lists, in step order, every state that differs from the
	// recorded one, up to the end of the replay.
	Divergences []Divergence
	// When Status is Blocked, BlockedStep (counted from 1) is the step whose
	// action BlockedAction is not enabled, and Enabled lists the actions
	// that are.
	BlockedStep   int
	BlockedAction model.Action
	Enabled       []model.Action
}

// Replay runs the recorded actions of f from the initial state of c, one at
// a time, and checks every safety property of package invariants on every
// state and step, as package explore does. It stops at the first failed
// property or at the first recorded action that is not enabled. A last
// state with no enabled action fails as a deadlock.
//
// When the recorded property is an AlwaysPossible property such as L5,
// Replay then checks it in the last state with explore.CheckPossibleFrom:
// it still fails when a patch that meets the property's condition there
// cannot reach the property's goal. That search covers every state
// reachable from the last state within the bounds of c.
//
// c may differ from the recorded configuration in its mutant and kernel, but
// its bounds must be the recorded ones. Replay returns an error only when f
// does not fit c.
func Replay(f *File, c model.Config) (*ReplayResult, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Patches != f.Config.Patches || c.Tasks != f.Config.Tasks || c.Functions != f.Config.Functions {
		return nil, fmt.Errorf("bounds patches %d, tasks %d, functions %d differ from the recorded patches %d, tasks %d, functions %d",
			c.Patches, c.Tasks, c.Functions, f.Config.Patches, f.Config.Tasks, f.Config.Functions)
	}
	var always []invariants.Property
	for _, p := range invariants.Properties(&c) {
		if p.Kind == invariants.Always {
			always = append(always, p)
		}
	}

	res := &ReplayResult{}
	s := model.Initial(&c)
	if err := res.compare(&c, 0, &f.Initial, &s, model.Outcome{}, nil); err != nil {
		return nil, fmt.Errorf("initial_state: %w", err)
	}
	if res.checkState(&c, always, 0, &s) {
		return res, nil
	}

	var enabled []model.Action
	for i := range f.Steps {
		n := i + 1
		rec := &f.Steps[i]
		a, err := DecodeAction(&c, &rec.Action)
		if err != nil {
			return nil, fmt.Errorf("step %d: action: %w", n, err)
		}

		enabled = c.Actions(&s, enabled[:0])
		if !containsAction(enabled, a) {
			res.Status = Blocked
			res.BlockedStep, res.BlockedAction = n, a
			res.Enabled = append([]model.Action(nil), enabled...)
			return res, nil
		}

		next, out := c.Step(s, a)
		res.Steps = n
		if err := res.compare(&c, n, &rec.State, &next, out, rec); err != nil {
			return nil, fmt.Errorf("step %d: state: %w", n, err)
		}
		if res.checkStep(&c, always, n, &s, a, &next, out) || res.checkState(&c, always, n, &next) {
			return res, nil
		}
		s = next
	}

	// explore reports a state with no enabled action as a deadlock.
	if len(c.Actions(&s, enabled[:0])) == 0 {
		res.Status = StillFails
		res.Failure = &Failure{ID: explore.DeadlockID, Name: "deadlock", Detail: "no action is enabled", Step: res.Steps}
		return res, nil
	}
	if p, ok := possibilityProperty(&c, f.Property.ID); ok {
		check := explore.CheckPossibleFrom(&c, &p, s)
		res.Possibility = &check
		if check.Stuck >= 0 {
			res.Status = StillFails
			res.Failure = &Failure{ID: p.ID, Name: p.Name, Detail: check.Detail, Step: res.Steps}
			return res, nil
		}
	}
	res.Status = NoLongerFails
	return res, nil
}

// possibilityProperty returns the AlwaysPossible property with the given
// ID if it applies to c.
func possibilityProperty(c *model.Config, id string) (invariants.Property, bool) {
	for _, p := range invariants.Possibility(c) {
		if p.ID == id {
			return p, true
		}
	}
	return invariants.Property{}, false
}

// compare records a Divergence when the replayed state or error number
// differs from the recorded one. rec is nil for the initial state.
func (res *ReplayResult) compare(c *model.Config, n int, recorded *State, got *model.State, out model.Outcome, rec *Step) error {
	want, err := DecodeState(c, recorded)
	if err != nil {
		return err
	}
	var changes []counterexamples.Change
	if rec != nil && rec.Errno != int(out.Err) {
		changes = append(changes, counterexamples.Change{
			Path: "errno", Old: model.Errno(rec.Errno).String(), New: out.Err.String(),
		})
	}
	if want != *got {
		changes = append(changes, counterexamples.Diff(want, *got)...)
	}
	if len(changes) > 0 {
		res.Divergences = append(res.Divergences, Divergence{Step: n, Changes: changes})
	}
	return nil
}

// checkState records the first safety property that s breaks and reports
// whether there was one.
func (res *ReplayResult) checkState(c *model.Config, always []invariants.Property, n int, s *model.State) bool {
	for _, p := range always {
		if p.State == nil {
			continue
		}
		if ok, detail := p.State(c, s); !ok {
			res.Status = StillFails
			res.Failure = &Failure{ID: p.ID, Name: p.Name, Detail: detail, Step: n}
			return true
		}
	}
	return false
}

// checkStep records the first safety property that the step breaks and
// reports whether there was one.
func (res *ReplayResult) checkStep(c *model.Config, always []invariants.Property, n int, prev *model.State, a model.Action, next *model.State, out model.Outcome) bool {
	for _, p := range always {
		if p.Step == nil {
			continue
		}
		if ok, detail := p.Step(c, prev, a, next, out); !ok {
			res.Status = StillFails
			res.Failure = &Failure{ID: p.ID, Name: p.Name, Detail: detail, Step: n, OnStep: true}
			return true
		}
	}
	return false
}

func containsAction(actions []model.Action, a model.Action) bool {
	for _, b := range actions {
		if a == b {
			return true
		}
	}
	return false
}
