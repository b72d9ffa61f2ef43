package explore

import (
	"context"
	"errors"
	"fmt"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// referenceRun is the first explorer of this package, kept as a test oracle:
// a sequential breadth-first search over a Go map of whole states, with no
// fingerprints, symmetry or workers. The engine must reproduce its results.
func referenceRun(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxDepth < 0 {
		return nil, fmt.Errorf("invalid max depth %d: must be 0 (no limit) or more", opts.MaxDepth)
	}
	if opts.MaxStates < 0 {
		return nil, fmt.Errorf("invalid max states %d: must be 0 (no limit) or more", opts.MaxStates)
	}
	e := newReference(opts)
	e.run(ctx)
	return &e.res, nil
}

// errReferenceStop ends the search early; the reason is already in the result.
var errReferenceStop = errors.New("stop")

// explorer holds one run's search state.
type reference struct {
	// Immutable state.
	cfg      model.Config
	opts     Options
	always   []invariants.Property
	sometime []invariants.Property

	// Mutable state.
	index   map[model.State]int32
	states  []model.State
	parent  []int32 // parent[i] is the index of the state i was found from; -1 for the initial state
	via     []model.Action
	depth   []uint16
	reached []bool // per Sometimes property
	res     Result
}

func newReference(opts Options) *reference {
	e := &reference{cfg: opts.Config, opts: opts, index: make(map[model.State]int32)}
	for _, p := range invariants.Properties(&e.cfg) {
		if p.Kind == invariants.Always {
			e.always = append(e.always, p)
		} else {
			e.sometime = append(e.sometime, p)
			e.res.Witnesses = append(e.res.Witnesses, Witness{ID: p.ID, Name: p.Name})
		}
	}
	e.reached = make([]bool, len(e.sometime))
	return e
}

func (e *reference) run(ctx context.Context) {
	c := &e.cfg
	init := model.Initial(c)
	if e.add(init, -1, model.Action{}, 0) != nil {
		return
	}

	var buf []model.Action
	for next := 0; next < len(e.states); next++ {
		// Check for cancellation once per block of states, not per state.
		if next%4096 == 0 && ctx.Err() != nil {
			e.res.Verdict = Interrupted
			return
		}

		s := e.states[next]
		d := int(e.depth[next])
		buf = c.Actions(&s, buf[:0])

		// A state with no enabled action is a deadlock.
		if len(buf) == 0 {
			e.fail(DeadlockID, "deadlock", "no action is enabled", false, int32(next), nil)
			return
		}

		// Do not expand states at the depth bound.
		if e.opts.MaxDepth > 0 && d >= e.opts.MaxDepth {
			e.res.Verdict = Bounded
			e.res.BoundReason = fmt.Sprintf("max depth %d", e.opts.MaxDepth)
			continue
		}

		for _, a := range buf {
			succ, out := c.Step(s, a)
			e.res.Transitions++
			e.res.Coverage[a.Kind].Enabled++

			// Step properties hold on every step, also into known states.
			if e.checkStep(&s, a, &succ, out, int32(next)) != nil {
				return
			}
			e.witnessStep(&s, a, &succ, out, d+1)

			// Skip states seen before.
			if _, seen := e.index[succ]; seen {
				continue
			}
			e.res.Coverage[a.Kind].NewStates++
			if e.add(succ, int32(next), a, d+1) != nil {
				return
			}
		}
	}
	if e.res.Verdict == "" {
		e.res.Verdict = Verified
	}
}

// add stores a newly found state and checks the state properties on it.
func (e *reference) add(s model.State, parent int32, a model.Action, d int) error {
	if e.opts.MaxStates > 0 && len(e.states) >= e.opts.MaxStates {
		e.res.Verdict = Bounded
		e.res.BoundReason = fmt.Sprintf("max states %d", e.opts.MaxStates)
		return errReferenceStop
	}
	i := int32(len(e.states))
	e.index[s] = i
	e.states = append(e.states, s)
	e.parent = append(e.parent, parent)
	e.via = append(e.via, a)
	e.depth = append(e.depth, uint16(d))
	e.res.DistinctStates++
	if d > e.res.MaxDepth {
		e.res.MaxDepth = d
	}

	for _, p := range e.always {
		if p.State == nil {
			continue
		}
		if ok, detail := p.State(&e.cfg, &s); !ok {
			e.fail(p.ID, p.Name, detail, false, i, nil)
			return errReferenceStop
		}
	}
	for j, p := range e.sometime {
		if e.reached[j] || p.State == nil {
			continue
		}
		if ok, detail := p.State(&e.cfg, &s); ok {
			e.witness(j, detail, d)
		}
	}
	return nil
}

func (e *reference) checkStep(prev *model.State, a model.Action, next *model.State, out model.Outcome, from int32) error {
	for _, p := range e.always {
		if p.Step == nil {
			continue
		}
		if ok, detail := p.Step(&e.cfg, prev, a, next, out); !ok {
			last := Step{Action: a, Outcome: out, State: *next}
			e.fail(p.ID, p.Name, detail, true, from, &last)
			return errReferenceStop
		}
	}
	return nil
}

func (e *reference) witnessStep(prev *model.State, a model.Action, next *model.State, out model.Outcome, d int) {
	for j, p := range e.sometime {
		if e.reached[j] || p.Step == nil {
			continue
		}
		if ok, detail := p.Step(&e.cfg, prev, a, next, out); ok {
			e.witness(j, detail, d)
		}
	}
}

func (e *reference) witness(j int, detail string, d int) {
	e.reached[j] = true
	w := &e.res.Witnesses[j]
	w.Reached, w.Detail, w.Depth = true, detail, d
}

// fail records a violation whose trace ends at stored state i, followed by
// last when the violation is on a step.
func (e *reference) fail(id, name, detail string, onStep bool, i int32, last *Step) {
	tr := Trace{Initial: e.states[0]}
	for j := i; j > 0; j = e.parent[j] {
		tr.Steps = append(tr.Steps, Step{Action: e.via[j], State: e.states[j]})
	}
	for l, r := 0, len(tr.Steps)-1; l < r; l, r = l+1, r-1 {
		tr.Steps[l], tr.Steps[r] = tr.Steps[r], tr.Steps[l]
	}
	// Outcomes are not stored per state, so recompute them by replaying the
	// path; Step is deterministic.
	prev := tr.Initial
	for j := range tr.Steps {
		_, tr.Steps[j].Outcome = e.cfg.Step(prev, tr.Steps[j].Action)
		prev = tr.Steps[j].State
	}
	if last != nil {
		tr.Steps = append(tr.Steps, *last)
	}
	e.res.Verdict = Violated
	e.res.Violation = &Violation{ID: id, Name: name, Detail: detail, OnStep: onStep, Trace: tr}
}
