// Package explore checks every property of package invariants on every
// interleaving of the model's actions within bounds, by breadth-first search
// from the initial state.
//
// Breadth-first order makes the first violation found a shortest one,
// because states are discovered in order of depth. State properties are
// checked when a state is discovered. Step properties are checked on every
// step taken while expanding a state, steps into known states included.
//
// The search is level-synchronous and runs on Options.Workers goroutines.
// Each level is cut into fixed chunks of the frontier. Workers expand
// chunks and keep the successors not yet visited; then each worker inserts
// the successors whose fingerprints fall in its shards of the visited set,
// taking the chunks in order, so that a state reached several times in a
// level is credited to its first parent and action in sequential order.
// New states are numbered in that order. Every count, the verdict and the
// trace are therefore those of a sequential breadth-first search that takes
// states in number order and actions in model.Config.Actions order, for any
// number of workers.
//
// The visited set stores a 64-bit fingerprint per state (the whole encoded
// state with Options.Exact) and a parent link of 5 bytes. A counterexample
// is rebuilt by replaying the parent links from the initial state. With
// Options.Symmetry the search runs on canonical states, whose tasks are
// sorted, and the counterexample is mapped back to a trace of the unreduced
// model.
package explore

import (
	"time"

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
	// Bounded: MaxDepth, MaxStates or MemoryLimit stopped the search before
	// a verdict.
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
	// Workers is the number of goroutines that expand and store states; 0
	// means runtime.NumCPU(). The result does not depend on it.
	Workers int
	// Symmetry explores one representative per class of states that differ
	// only in the order of their tasks. Distinct states then counts classes.
	// Verdicts and counterexample lengths are the same as without it.
	Symmetry bool
	// Exact stores whole states in the visited set instead of
	// fingerprints, so that no state can be missed through a fingerprint
	// collision, at about four times the memory.
	Exact bool
	// MemoryLimit caps the bytes of the visited set, the parent links, the
	// frontier and the successor buffers; reaching it ends the run with the
	// Bounded verdict. 0 means DefaultMemoryLimit().
	MemoryLimit int64
	// Progress, if set, is called about every ProgressInterval (default
	// 2 s) with the counts so far, from the goroutine that called Run. It
	// must return quickly and must not retain its argument.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

// Progress is a snapshot of a running search.
type Progress struct {
	Depth          int // depth of the states being expanded
	DistinctStates int // states stored before the current level
	Queued         int // states of the current level not yet expanded
	Transitions    int
	Elapsed        time.Duration
	BytesPerState  float64 // bytes of the visited set and parent links per stored state
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

	Workers  int
	Symmetry bool // DistinctStates counts symmetry classes
	Exact    bool
	// VisitedBytes is the memory of the visited set and the parent links at
	// the end of the run, and BytesPerState that divided by DistinctStates.
	VisitedBytes  int64
	BytesPerState float64
	// CollisionProbability is an estimate of the probability that two of the
	// stored states share a fingerprint, so that one of them, and what lies
	// beyond it, was never explored. It is 0 with Exact.
	CollisionProbability float64
	// MemoryLimit is the limit the run used, and PeakMemory the most bytes
	// accounted against it at once.
	MemoryLimit int64
	PeakMemory  int64
}

// StatesPerSecond returns distinct states divided by elapsed time.
func (r *Result) StatesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.DistinctStates) / r.Elapsed.Seconds()
}
