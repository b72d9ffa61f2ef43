// Package explore checks every property of package invariants on every
// interleaving of the model's actions within bounds, by breadth-first search
// from the initial state.
//
// Breadth-first order makes the first violation found a shortest one: states
// are discovered in order of depth, state properties are checked when a
// state is discovered, and step properties on every step taken while
// expanding a state. Actions are taken in the fixed order of
// model.Config.Actions, so the counts, the verdict and the trace are the
// same on every run.
package explore

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// Verdict is the result of a run.
type Verdict string

const (
	// Verified: every reachable state within the bounds was explored and
	// every Always property held. With no bound hit this covers the whole
	// state space of the configuration.
	Verified Verdict = "verified"
	// Violated: a property failed or a deadlock was found.
	Violated Verdict = "violated"
	// Bounded: MaxDepth or MaxStates stopped the search before a verdict.
	Bounded Verdict = "bounded"
	// Interrupted: the context was cancelled before a verdict.
	Interrupted Verdict = "interrupted"
)

// DeadlockID is the property ID reported for a state with no enabled action.
const DeadlockID = "deadlock"

// Options configures a run.
type Options struct {
	Config model.Config
	// MaxDepth stops expanding states at this depth (number of steps from
	// the initial state); 0 means no limit.
	MaxDepth int
	// MaxStates stops the search once this many distinct states are
	// stored; 0 means no limit.
	MaxStates int
	// Progress, if set, is called from the search about every
	// ProgressInterval (default 2 s) with the counts so far. It must return
	// quickly and must not retain its argument.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

// Progress is a snapshot of a running search.
type Progress struct {
	Depth          int // depth of the states being expanded
	DistinctStates int
	Queued         int // states found but not yet expanded
	Transitions    int
	Elapsed        time.Duration
	BytesPerState  float64 // memory of the visited set divided by distinct states
}

// Coverage counts, for one action kind, how often an action of that kind
// was enabled in an expanded state and how often it led to a new state.
type Coverage struct {
	Enabled   int
	NewStates int
}

// Step is one step of a trace: the action taken, its outcome and the state
// it led to.
type Step struct {
	Action  model.Action
	Outcome model.Outcome
	State   model.State
}

// Trace is a path from the initial state.
type Trace struct {
	Initial model.State
	Steps   []Step
}

// Last returns the final state of the trace.
func (t *Trace) Last() model.State {
	if len(t.Steps) == 0 {
		return t.Initial
	}
	return t.Steps[len(t.Steps)-1].State
}

// Violation is a failed property with its shortest counterexample.
type Violation struct {
	ID, Name string // property ID and statement; DeadlockID for a deadlock
	Detail   string
	// OnStep is true when the last step of Trace breaks the property,
	// false when its last state does.
	OnStep bool
	Trace  Trace
}

// Witness reports whether a Sometimes property was reached.
type Witness struct {
	ID, Name string
	Reached  bool
	Detail   string
	Depth    int // steps from the initial state to the first example
}

// Result is the outcome of a run.
type Result struct {
	Verdict        Verdict
	DistinctStates int
	Transitions    int // steps taken, including rejected operations that change nothing
	MaxDepth       int // depth of the deepest state stored
	Elapsed        time.Duration
	Violation      *Violation // set when Verdict is Violated
	Witnesses      []Witness
	// BoundReason names the bound that stopped the search when Verdict is
	// Bounded.
	BoundReason string
	// Coverage is indexed by model.Kind.
	Coverage [model.NumKinds]Coverage
}

// StatesPerSecond returns distinct states divided by elapsed time.
func (r *Result) StatesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.DistinctStates) / r.Elapsed.Seconds()
}

// Run explores the state space of opts.Config. It returns an error only for
// invalid options; a cancelled context ends the run with the Interrupted
// verdict and the counts so far.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxDepth < 0 {
		return nil, fmt.Errorf("invalid max depth %d: must be 0 (no limit) or more", opts.MaxDepth)
	}
	if opts.MaxStates < 0 {
		return nil, fmt.Errorf("invalid max states %d: must be 0 (no limit) or more", opts.MaxStates)
	}
	e := newExplorer(opts)
	e.start = time.Now()
	e.lastProgress = e.start
	e.run(ctx)
	e.res.Elapsed = time.Since(e.start)
	return &e.res, nil
}

// errStop ends the search early; the reason is already in the result.
var errStop = errors.New("stop")

// explorer holds one run's search state.
type explorer struct {
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

	start         time.Time
	lastProgress  time.Time
	progressCalls int
}

// reportProgress calls opts.Progress when the interval has passed. It reads
// the clock once per 1024 calls to keep the cost off the hot loop.
func (e *explorer) reportProgress(depth, queued int) {
	if e.opts.Progress == nil {
		return
	}
	e.progressCalls++
	if e.progressCalls%1024 != 0 {
		return
	}
	interval := e.opts.ProgressInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	now := time.Now()
	if now.Sub(e.lastProgress) < interval {
		return
	}
	e.lastProgress = now
	// NOTE: the map's real footprint is not visible from Go; this counts
	// the stored state, its map key and the parent, action and depth slices.
	const perState = 2*unsafe.Sizeof(model.State{}) + 4 + unsafe.Sizeof(model.Action{}) + 2 + 4
	e.opts.Progress(Progress{
		Depth: depth, DistinctStates: len(e.states), Queued: queued,
		Transitions: e.res.Transitions, Elapsed: now.Sub(e.start),
		BytesPerState: float64(perState),
	})
}

func newExplorer(opts Options) *explorer {
	e := &explorer{cfg: opts.Config, opts: opts, index: make(map[model.State]int32)}
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

func (e *explorer) run(ctx context.Context) {
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

		e.reportProgress(d, len(e.states)-next-1)
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
func (e *explorer) add(s model.State, parent int32, a model.Action, d int) error {
	if e.opts.MaxStates > 0 && len(e.states) >= e.opts.MaxStates {
		e.res.Verdict = Bounded
		e.res.BoundReason = fmt.Sprintf("max states %d", e.opts.MaxStates)
		return errStop
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
			return errStop
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

func (e *explorer) checkStep(prev *model.State, a model.Action, next *model.State, out model.Outcome, from int32) error {
	for _, p := range e.always {
		if p.Step == nil {
			continue
		}
		if ok, detail := p.Step(&e.cfg, prev, a, next, out); !ok {
			last := Step{Action: a, Outcome: out, State: *next}
			e.fail(p.ID, p.Name, detail, true, from, &last)
			return errStop
		}
	}
	return nil
}

func (e *explorer) witnessStep(prev *model.State, a model.Action, next *model.State, out model.Outcome, d int) {
	for j, p := range e.sometime {
		if e.reached[j] || p.Step == nil {
			continue
		}
		if ok, detail := p.Step(&e.cfg, prev, a, next, out); ok {
			e.witness(j, detail, d)
		}
	}
}

func (e *explorer) witness(j int, detail string, d int) {
	e.reached[j] = true
	w := &e.res.Witnesses[j]
	w.Reached, w.Detail, w.Depth = true, detail, d
}

// fail records a violation whose trace ends at stored state i, followed by
// last when the violation is on a step.
func (e *explorer) fail(id, name, detail string, onStep bool, i int32, last *Step) {
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
