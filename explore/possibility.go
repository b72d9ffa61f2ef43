package explore

import (
	"context"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// PossibilityResult is the outcome of CheckPossibility.
type PossibilityResult struct {
	// Verdict is Verified when every AlwaysPossible property holds on the
	// whole state space, Violated when one fails, Bounded when MaxStates
	// stopped the search and Interrupted when the context was cancelled.
	Verdict        Verdict
	Properties     []string // IDs of the properties checked, in order
	DistinctStates int
	Edges          int // stored edges: transitions between distinct states
	Elapsed        time.Duration
	Violation      *Violation // set when Verdict is Violated
	BoundReason    string
}

// stateGraph is the reachable state graph in compressed sparse row form:
// the successors of state i are succ[offsets[i]:offsets[i+1]].
type stateGraph struct {
	states  []model.State
	parent  []int32
	via     []model.Action
	offsets []int32
	succ    []int32
}

// CheckPossibility checks the AlwaysPossible properties of package
// invariants: for each property and each patch k, every reachable state
// that meets the condition for k must reach a state that meets the goal
// for k.
//
// It explores the state space again by breadth-first search and stores
// every edge between distinct states, then marks the states that can reach
// a goal state by a backward search over the reversed edges. The first
// state in breadth-first order that meets the condition and cannot reach
// the goal is the violation, and the breadth-first parents give the
// shortest path to it.
//
// Memory: on top of the visited set (about twice the size of model.State
// per state, as in Run), the pass stores 8 bytes per edge (forward and
// reverse) and about 20 bytes per state. It is meant for the small bounds
// the safety search verifies in seconds; MaxDepth is ignored because a
// truncated graph could hide the path to a goal.
//
// opts.Progress, if set, is called about every opts.ProgressInterval in
// both phases. While the graph is built, the fields mean what they mean in
// Run. During each backward search, Depth is the distance from the goal
// states reached so far, Queued the states whose predecessors are still to
// be marked, Transitions the reversed edges followed, and DistinctStates
// the states of the whole graph. Elapsed counts from the start of the pass.
func CheckPossibility(ctx context.Context, opts Options) (*PossibilityResult, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxStates < 0 {
		return nil, fmt.Errorf("invalid max states %d: must be 0 (no limit) or more", opts.MaxStates)
	}
	c := &opts.Config
	res := &PossibilityResult{}
	props := invariants.Possibility(c)
	for _, p := range props {
		res.Properties = append(res.Properties, p.ID)
	}
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start) }()
	progress := newPassProgress(&opts, start)

	limit := opts.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit()
	}
	g, verdict, reason := buildGraph(ctx, c, opts.MaxStates, limit, progress)
	res.DistinctStates = len(g.states)
	res.Edges = len(g.succ)
	if verdict != "" {
		res.Verdict, res.BoundReason = verdict, reason
		return res, nil
	}

	pred, predOffsets := g.reverse()
	for _, p := range props {
		// Of the patches, report the one whose violation comes first in
		// breadth-first order.
		first := int32(-1)
		for k := 0; k < c.Patches; k++ {
			if ctx.Err() != nil {
				res.Verdict = Interrupted
				return res, nil
			}
			i, detail := g.firstStuck(c, &p, k, pred, predOffsets, progress)
			if i < 0 || (first >= 0 && i >= first) {
				continue
			}
			first = i
			res.Violation = &Violation{
				ID: p.ID, Name: p.Name,
				Detail: stuckDetail(&p, detail),
				Trace:  g.trace(c, i),
			}
		}
		if res.Violation != nil {
			res.Verdict = Violated
			return res, nil
		}
	}
	res.Verdict = Verified
	return res, nil
}

// buildGraph explores the state space of c breadth-first and stores every
// edge. A non-empty verdict means the graph is incomplete.
//
// memoryLimit caps the Go heap in use while the graph grows, which is
// checked every 65,536 states with runtime.ReadMemStats: the graph's
// map and slices are the pass's only large allocations, and their real
// size is not visible otherwise.
//
// TODO: this pass explores the state space a second time with a Go map of
// whole states, which needs about 5.7 GiB at 3 patches, 3 tasks and 2
// functions; the fingerprint engine of Run could record the edges instead.
func buildGraph(ctx context.Context, c *model.Config, maxStates int, memoryLimit int64, progress *passProgress) (*stateGraph, Verdict, string) {
	g := &stateGraph{}
	index := make(map[model.State]int32)
	add := func(s model.State, parent int32, a model.Action) (int32, bool) {
		if maxStates > 0 && len(g.states) >= maxStates {
			return -1, false
		}
		i := int32(len(g.states))
		index[s] = i
		g.states = append(g.states, s)
		g.parent = append(g.parent, parent)
		g.via = append(g.via, a)
		return i, true
	}
	add(model.Initial(c), -1, model.Action{})

	var buf []model.Action
	// States before levelEnd are at depth, the others one step deeper.
	depth, levelEnd, transitions := 0, 1, 0
	for i := 0; i < len(g.states); i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return g, Interrupted, ""
		}
		if i%65536 == 0 && i > 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if int64(ms.HeapInuse) > memoryLimit {
				return g, Bounded, fmt.Sprintf("memory limit %d bytes, with %d bytes of heap in use", memoryLimit, ms.HeapInuse)
			}
		}
		if i == levelEnd {
			depth++
			levelEnd = len(g.states)
		}
		if progress.due() {
			progress.send(Progress{
				Depth: depth, DistinctStates: len(g.states), Queued: len(g.states) - i - 1,
				Transitions: transitions, BytesPerState: g.bytesPerState(0),
			})
		}
		g.offsets = append(g.offsets, int32(len(g.succ)))
		s := g.states[i]
		buf = c.Actions(&s, buf[:0])
		transitions += len(buf)
		for _, a := range buf {
			next, _ := c.Step(s, a)
			j, seen := index[next]
			if !seen {
				var ok bool
				if j, ok = add(next, int32(i), a); !ok {
					return g, Bounded, fmt.Sprintf("max states %d", maxStates)
				}
			}
			// A self-loop never helps to reach a goal.
			if int(j) != i {
				g.succ = append(g.succ, j)
			}
		}
	}
	g.offsets = append(g.offsets, int32(len(g.succ)))
	return g, "", ""
}

// bytesPerState estimates the memory of the graph, plus extra bytes, per
// stored state.
//
// NOTE: the map's real footprint is not visible from Go. This counts each
// state twice (slice and map key), its parent, action and offset, and 4
// bytes per edge, as Run's estimate does for its own slices.
func (g *stateGraph) bytesPerState(extra int) float64 {
	n := len(g.states)
	if n == 0 {
		return 0
	}
	perState := 2*unsafe.Sizeof(model.State{}) + 4 + unsafe.Sizeof(model.Action{}) + 4
	total := int(perState)*n + 4*len(g.succ) + extra
	return float64(total) / float64(n)
}

// passProgress sends the progress reports of the possibility pass to
// Options.Progress, at most one per interval. due reads the clock once per
// 1024 calls, to keep the cost off the search loops.
type passProgress struct {
	report   func(Progress)
	interval time.Duration
	start    time.Time
	last     time.Time
	now      time.Time
	calls    int
}

func newPassProgress(opts *Options, start time.Time) *passProgress {
	interval := opts.ProgressInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	return &passProgress{report: opts.Progress, interval: interval, start: start, last: start}
}

// due reports whether a report is due. The caller then calls send. A nil
// passProgress never reports.
func (pp *passProgress) due() bool {
	if pp == nil || pp.report == nil {
		return false
	}
	pp.calls++
	if pp.calls%1024 != 0 {
		return false
	}
	pp.now = time.Now()
	return pp.now.Sub(pp.last) >= pp.interval
}

// send reports pr with the time elapsed since the start of the pass.
func (pp *passProgress) send(pr Progress) {
	pp.last = pp.now
	pr.Elapsed = pp.now.Sub(pp.start)
	pp.report(pr)
}

// reverse returns the predecessor lists in the same compressed form.
func (g *stateGraph) reverse() (pred, offsets []int32) {
	n := len(g.states)
	offsets = make([]int32, n+1)
	for _, j := range g.succ {
		offsets[j+1]++
	}
	for i := 0; i < n; i++ {
		offsets[i+1] += offsets[i]
	}
	pred = make([]int32, len(g.succ))
	fill := make([]int32, n)
	copy(fill, offsets[:n])
	for i := 0; i < n; i++ {
		for _, j := range g.succ[g.offsets[i]:g.offsets[i+1]] {
			pred[fill[j]] = int32(i)
			fill[j]++
		}
	}
	return pred, offsets
}

// firstStuck returns the first state in breadth-first order that meets p's
// condition for patch k and cannot reach a state that meets p's goal, with
// the condition's detail, or -1.
func (g *stateGraph) firstStuck(c *model.Config, p *invariants.Property, k int, pred, predOffsets []int32, progress *passProgress) (int32, string) {
	n := len(g.states)
	canReach := make([]bool, n)
	var queue []int32
	for i := range g.states {
		if ok, _ := p.Goal(c, &g.states[i], k); ok {
			canReach[i] = true
			queue = append(queue, int32(i))
		}
	}
	// Queue entries before levelEnd are depth steps from a goal state.
	depth, levelEnd, followed := 0, len(queue), 0
	for head := 0; head < len(queue); head++ {
		if head == levelEnd {
			depth++
			levelEnd = len(queue)
		}
		if progress.due() {
			// The backward search adds pred, its offsets, canReach and
			// the queue to the graph.
			extra := 4*len(pred) + 4*len(predOffsets) + n + 4*cap(queue)
			progress.send(Progress{
				Depth: depth, DistinctStates: n, Queued: len(queue) - head,
				Transitions: followed, BytesPerState: g.bytesPerState(extra),
			})
		}
		j := queue[head]
		followed += int(predOffsets[j+1] - predOffsets[j])
		for _, i := range pred[predOffsets[j]:predOffsets[j+1]] {
			if !canReach[i] {
				canReach[i] = true
				queue = append(queue, i)
			}
		}
	}
	for i := range g.states {
		if canReach[i] {
			continue
		}
		if ok, detail := p.Condition(c, &g.states[i], k); ok {
			return int32(i), detail
		}
	}
	return -1, ""
}

// trace returns the breadth-first path from the initial state to state i.
func (g *stateGraph) trace(c *model.Config, i int32) Trace {
	tr := Trace{Initial: g.states[0]}
	for j := i; j > 0; j = g.parent[j] {
		tr.Steps = append(tr.Steps, Step{Action: g.via[j], State: g.states[j]})
	}
	for l, r := 0, len(tr.Steps)-1; l < r; l, r = l+1, r-1 {
		tr.Steps[l], tr.Steps[r] = tr.Steps[r], tr.Steps[l]
	}
	prev := tr.Initial
	for j := range tr.Steps {
		_, tr.Steps[j].Outcome = c.Step(prev, tr.Steps[j].Action)
		prev = tr.Steps[j].State
	}
	return tr
}

// PossibleFrom is the outcome of CheckPossibleFrom.
type PossibleFrom struct {
	// Met lists, in ascending order, the patches that meet the property's
	// condition in the start state.
	Met []int
	// Stuck is the first patch of Met from which no state that meets the
	// goal is reachable, or -1 when every patch of Met can reach one.
	Stuck int
	// Detail describes the violation for Stuck in the form that
	// CheckPossibility uses. It is empty when Stuck is -1.
	Detail string
	// States is the number of distinct states the search visited.
	States int
}

// CheckPossibleFrom checks the AlwaysPossible property p in state s alone:
// for every patch k that meets p's condition in s, whether some state
// reachable from s by c.Actions and c.Step meets p's goal for k.
//
// The breadth-first search from s visits at most every state reachable
// from s within the bounds of c, with no depth or state limit, so it can
// cost as much as the graph of CheckPossibility at the same bounds. It
// stops as soon as every such patch has reached its goal.
func CheckPossibleFrom(c *model.Config, p *invariants.Property, s model.State) PossibleFrom {
	res := PossibleFrom{Stuck: -1}
	for k := 0; k < c.Patches; k++ {
		if ok, _ := p.Condition(c, &s, k); ok {
			res.Met = append(res.Met, k)
		}
	}
	if len(res.Met) == 0 {
		return res
	}

	reached := make(map[int]bool, len(res.Met))
	markGoals := func(st *model.State) {
		for _, k := range res.Met {
			if !reached[k] {
				if ok, _ := p.Goal(c, st, k); ok {
					reached[k] = true
				}
			}
		}
	}
	markGoals(&s)
	seen := map[model.State]bool{s: true}
	queue := []model.State{s}
	var buf []model.Action
	for i := 0; i < len(queue) && len(reached) < len(res.Met); i++ {
		from := queue[i]
		buf = c.Actions(&from, buf[:0])
		for _, a := range buf {
			next, _ := c.Step(from, a)
			if seen[next] {
				continue
			}
			seen[next] = true
			queue = append(queue, next)
			markGoals(&next)
		}
	}
	res.States = len(seen)

	for _, k := range res.Met {
		if !reached[k] {
			_, detail := p.Condition(c, &s, k)
			res.Stuck = k
			res.Detail = stuckDetail(p, detail)
			break
		}
	}
	return res
}

// stuckDetail describes a state that meets p's condition, with the
// condition's detail, and from which p's goal is unreachable.
func stuckDetail(p *invariants.Property, detail string) string {
	return fmt.Sprintf("%s, but no state reachable from here has %s", detail, p.GoalName)
}
