package explore

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// engine holds one run's search state.
type engine struct {
	cfg     model.Config
	opts    Options
	workers int
	props   []invariants.Property
	checker *invariants.Checker
	always  []int // indices into props
	someIdx []int // indices into props of the Sometimes properties
	reached []bool
	// allReached is set once every Sometimes property has a witness.
	allReached bool

	mem      *budget
	visited  *visitedSet
	links    *linkStore
	frontier words // encoded states of the current level
	chunks   []*chunk
	scratch  []scratch

	level      int // depth of the frontier states
	levelStart int // number of the first frontier state
	stored     int // states stored, frontier included
	res        Result

	start        time.Time
	lastProgress time.Time
	progressDone atomic.Int64 // chunks of the current phase done, for Progress
	err          error        // an error that ends Run, such as an unencodable state
}

// Run explores the state space of opts.Config. It returns an error only for
// invalid options or a state the engine cannot encode; a cancelled context
// ends the run with the Interrupted verdict and the counts of the levels
// completed so far.
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
	if opts.Workers < 0 {
		return nil, fmt.Errorf("invalid workers %d: must be 0 (one per CPU) or more", opts.Workers)
	}
	if opts.MemoryLimit < 0 {
		return nil, fmt.Errorf("invalid memory limit %d: must be 0 (the default) or more", opts.MemoryLimit)
	}
	e := newEngine(opts)
	defer e.free()
	e.start = time.Now()
	e.lastProgress = e.start
	e.run(ctx)
	e.finish()
	if e.err != nil {
		return nil, e.err
	}
	return &e.res, nil
}

func newEngine(opts Options) *engine {
	e := &engine{cfg: opts.Config, opts: opts, workers: opts.Workers}
	if e.workers == 0 {
		e.workers = runtime.NumCPU()
	}
	if e.opts.MemoryLimit == 0 {
		e.opts.MemoryLimit = DefaultMemoryLimit()
	}
	e.mem = &budget{limit: e.opts.MemoryLimit}
	e.props = invariants.Properties(&e.cfg)
	e.checker = invariants.NewChecker(&e.cfg, e.props)
	for i, p := range e.props {
		if p.Kind == invariants.Always {
			e.always = append(e.always, i)
		} else {
			e.someIdx = append(e.someIdx, i)
			e.res.Witnesses = append(e.res.Witnesses, Witness{ID: p.ID, Name: p.Name})
		}
	}
	e.reached = make([]bool, len(e.someIdx))
	e.scratch = make([]scratch, e.workers)
	e.res.Workers, e.res.Symmetry, e.res.Exact = e.workers, opts.Symmetry, opts.Exact
	e.res.MemoryLimit = e.opts.MemoryLimit
	return e
}

func (e *engine) free() {
	if e.visited != nil {
		e.visited.free()
	}
	if e.links != nil {
		e.links.free(e.mem)
	}
	e.frontier.free(e.mem)
	for _, ch := range e.chunks {
		e.mem.release(ch.accounted)
	}
	e.chunks = nil
}

// finish fills in the summary figures of the result.
func (e *engine) finish() {
	e.res.Elapsed = time.Since(e.start)
	if e.visited != nil {
		e.res.VisitedBytes = e.visited.bytes() + e.links.bytes()
	}
	if e.res.DistinctStates > 0 {
		e.res.BytesPerState = float64(e.res.VisitedBytes) / float64(e.res.DistinctStates)
	}
	if !e.opts.Exact {
		e.res.CollisionProbability = collisionProbability(e.res.DistinctStates)
	}
	e.res.PeakMemory = e.mem.peak.Load()
}

// collisionProbability estimates the probability that some two of n states
// share a 64-bit fingerprint, taking fingerprints as uniform and
// independent: by the union bound over the n(n-1)/2 pairs it is at most
// n(n-1)/2 * 2^-64, about n^2/2^65. A collision makes the search treat a
// new state as visited.
func collisionProbability(n int) float64 {
	p := float64(n) * float64(n-1) / math.Exp2(65)
	return math.Min(p, 1)
}

// canonical returns s reduced by symmetry when the run uses it.
func (e *engine) canonical(s *model.State) {
	if e.opts.Symmetry {
		canonicalize(s, e.cfg.Tasks)
	}
}

// makeKey fills key with the visited-set key of s and encodes s into enc.
func (e *engine) makeKey(s *model.State, enc *encoded, key []uint64) error {
	if !encode(s, enc) {
		return errNotEncodable(s)
	}
	key[0] = fingerprint(s)
	copy(key[1:], enc[:])
	return nil
}

func errNotEncodable(s *model.State) error {
	return fmt.Errorf("state not encodable: a byte of model.State is outside -1 to 14, the range the engine packs into 4 bits: %+v", *s)
}

func (e *engine) run(ctx context.Context) {
	var err error
	if e.visited, err = newVisitedSet(e.mem, e.opts.Exact); err != nil {
		e.stopForMemory()
		return
	}
	capacity := int(min(int64(maxStoredStates), e.opts.MemoryLimit/linkBytes+1))
	if e.opts.MaxStates > 0 {
		capacity = min(capacity, e.opts.MaxStates)
	}
	e.links = newLinkStore(capacity)

	// The initial state is level 0.
	init := model.Initial(&e.cfg)
	e.canonical(&init)
	key := make([]uint64, e.visited.keyWords)
	var enc encoded
	if e.err = e.makeKey(&init, &enc, key); e.err != nil {
		return
	}
	if _, err := e.visited.insert(key); err != nil {
		e.stopForMemory()
		return
	}
	if e.frontier, err = allocWords(e.mem, encWords); err != nil {
		e.stopForMemory()
		return
	}
	copy(e.frontier.w, enc[:])
	if err := e.links.extend(e.mem, 1); err != nil {
		e.stopForMemory()
		return
	}
	e.links.parent[0] = noParent
	e.stored, e.res.DistinctStates = 1, 1
	if i, detail := e.checker.CheckState(&init); i >= 0 {
		e.res.Verdict = Violated
		e.res.Violation = e.buildViolation(i, detail, false, 0, -1)
		return
	}
	for j, pi := range e.someIdx {
		if p := e.props[pi]; p.State != nil {
			if ok, detail := p.State(&e.cfg, &init); ok {
				e.witness(j, detail, 0)
			}
		}
	}

	for e.levelStart < e.stored {
		if done := e.expandLevel(ctx); done {
			return
		}
	}
	if e.res.Verdict == "" {
		e.res.Verdict = Verified
	}
}

func (e *engine) witness(j int, detail string, depth int) {
	e.reached[j] = true
	e.allReached = !slices.Contains(e.reached, false)
	w := &e.res.Witnesses[j]
	w.Reached, w.Detail, w.Depth = true, detail, depth
}

func (e *engine) stopForMemory() {
	e.res.Verdict = Bounded
	e.res.BoundReason = fmt.Sprintf("memory limit %d bytes", e.opts.MemoryLimit)
}

// parallel runs fn for items 0 to n-1 on the workers, taking items in
// order, and calls Progress while it waits. It stops handing out items
// once stop returns true.
func (e *engine) parallel(n int, stop func() bool, fn func(worker, item int)) {
	e.progressDone.Store(0)
	var next atomic.Int64
	work := func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n || stop() {
				return
			}
			fn(w, i)
			e.progressDone.Add(1)
		}
	}
	if e.workers == 1 && e.opts.Progress == nil {
		work(0)
		return
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range e.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(w)
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	if e.opts.Progress == nil {
		<-done
		return
	}
	tick := time.NewTicker(max(e.progressInterval()/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			e.reportProgress()
		}
	}
}

func (e *engine) progressInterval() time.Duration {
	if e.opts.ProgressInterval > 0 {
		return e.opts.ProgressInterval
	}
	return 2 * time.Second
}

func (e *engine) reportProgress() {
	now := time.Now()
	if now.Sub(e.lastProgress) < e.progressInterval() {
		return
	}
	e.lastProgress = now
	queued := e.stored - e.levelStart - int(e.progressDone.Load())*chunkSize
	bytes := e.visited.bytes() + e.links.bytes()
	e.opts.Progress(Progress{
		Depth: e.level, DistinctStates: e.stored, Queued: max(queued, 0),
		Transitions: e.res.Transitions, Elapsed: now.Sub(e.start),
		BytesPerState: float64(bytes) / float64(e.stored),
	})
}
