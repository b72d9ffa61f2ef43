package explore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/klpcheck/klpcheck/model"
)

// chunkSize is the number of frontier states in one chunk, the unit of
// work of every phase. It is fixed, not derived from the number of
// workers, so that chunk boundaries and with them the successor buffers are
// the same for every worker count.
const chunkSize = 2048

// A candidate's meta word holds its parent's position in the chunk, the
// action index, and the bit that marks it as the first occurrence of a new
// state.
const (
	metaActionBits = 8
	metaWon        = 1 << 31
	maxActions     = 1 << metaActionBits
)

// Positions of events within a level. An event at frontier position pos,
// action index a (-1 for the state itself) and sub-step sub has the key
// pos<<11 | (a+1)<<2 | sub, with 9 bits for a+1 because a is below
// maxActions, so keys sort in the order in which a sequential
// search meets the events: the deadlock check of a state, then for each
// action the step properties, the step witnesses, the storing of a new
// state (where MaxStates stops the search) with its state properties, and
// its state witnesses.
const (
	subStep         = 0
	subStepWitness  = 1
	subNewState     = 2
	subStateWitness = 3
	noEvent         = math.MaxUint64
)

func eventKey(pos, action, sub int) uint64 {
	return uint64(pos)<<11 | uint64(action+1)<<2 | uint64(sub)
}

func splitKey(key uint64) (pos, action int) {
	return int(key >> 11), int(key>>2&0x1ff) - 1
}

type eventKind uint8

const (
	stepViolation eventKind = iota
	stateViolation
	deadlock
	stateLimit // MaxStates, or the limit of state numbers
)

// event is the first thing in a chunk that ends the search.
type event struct {
	key    uint64
	kind   eventKind
	prop   int // index into engine.props, for violations
	detail string
}

// witnessHit is the first state or step of a chunk that reaches a
// Sometimes property.
type witnessHit struct {
	key    uint64
	detail string
}

// chunk is one slice of a level's frontier and what expanding it produced.
type chunk struct {
	lo, hi int // frontier positions

	// Successors not visited before the level, in the order found: the key
	// words of each, then its meta word.
	keys      []uint64
	metas     []uint32
	accounted int64 // bytes of keys and metas accounted in the budget

	transitions int
	enabled     [model.NumKinds]int
	newStates   [model.NumKinds]int
	winners     int
	base        int // number of winners in earlier chunks
	event       event
	stepHits    []witnessHit // per Sometimes property
	stateHits   []witnessHit
}

func (ch *chunk) reset(lo, hi, sometimes int) {
	ch.lo, ch.hi = lo, hi
	ch.keys, ch.metas = ch.keys[:0], ch.metas[:0]
	ch.transitions, ch.winners, ch.base = 0, 0, 0
	ch.enabled, ch.newStates = [model.NumKinds]int{}, [model.NumKinds]int{}
	ch.event = event{key: noEvent}
	ch.stepHits = resetHits(ch.stepHits, sometimes)
	ch.stateHits = resetHits(ch.stateHits, sometimes)
}

func resetHits(h []witnessHit, n int) []witnessHit {
	h = h[:0]
	for range n {
		h = append(h, witnessHit{key: noEvent})
	}
	return h
}

// scratch is one worker's reusable buffers.
type scratch struct {
	actions   []model.Action
	key       []uint64
	batch     []uint32 // meta words of one state's successors
	batchKeys []uint64 // and their keys
	touched   uint64   // sum of the slots touch loaded, kept so the loads stay
}

// expandLevel expands the frontier and makes the next level the frontier.
// It returns true when the search is over.
func (e *engine) expandLevel(ctx context.Context) bool {
	if e.opts.Progress != nil {
		e.reportProgress()
	}
	n := e.stored - e.levelStart
	atDepthBound := e.opts.MaxDepth > 0 && e.level >= e.opts.MaxDepth
	nChunks := (n + chunkSize - 1) / chunkSize
	for len(e.chunks) < nChunks {
		e.chunks = append(e.chunks, &chunk{})
	}
	for c := range nChunks {
		e.chunks[c].reset(c*chunkSize, min((c+1)*chunkSize, n), len(e.someIdx))
	}
	chunks := e.chunks[:nChunks]

	// Phase 1: expand every chunk. A chunk after one with an event cannot
	// matter, because the search stops at the first event in order.
	var firstEvent atomic.Int64
	firstEvent.Store(math.MaxInt64)
	var failure atomic.Pointer[error]
	stopped := func() bool {
		return failure.Load() != nil || ctx.Err() != nil
	}
	e.parallel(nChunks, stopped, func(w, c int) {
		if int64(c) > firstEvent.Load() {
			return
		}
		if err := e.expandChunk(w, chunks[c], atDepthBound); err != nil {
			failure.CompareAndSwap(nil, &err)
			return
		}
		if chunks[c].event.key != noEvent {
			for {
				f := firstEvent.Load()
				if int64(c) >= f || firstEvent.CompareAndSwap(f, int64(c)) {
					break
				}
			}
		}
	})
	if e.levelAborted(ctx, failure.Load()) {
		return true
	}
	if atDepthBound {
		e.res.Verdict = Bounded
		e.res.BoundReason = fmt.Sprintf("max depth %d", e.opts.MaxDepth)
		if ev, c := e.firstEvent(chunks); c >= 0 {
			e.stopAt(chunks, c, ev, true)
		}
		return true
	}

	// Phase 2: insert the successors into the visited set. Worker w owns
	// the shards whose index is w modulo the number of workers and takes
	// the chunks in order, so the first occurrence of a new state in
	// sequential order is the one marked.
	last := nChunks - 1
	if f := firstEvent.Load(); f < int64(nChunks) {
		last = int(f)
	}
	winners := make([][]int32, e.workers)
	e.parallel(e.workers, stopped, func(_, w int) {
		counts := make([]int32, last+1)
		winners[w] = counts
		if err := e.insertChunks(w, chunks[:last+1], counts); err != nil {
			failure.CompareAndSwap(nil, &err)
		}
	})
	if e.levelAborted(ctx, failure.Load()) {
		return true
	}

	// Number the new states in order, up to the state limit.
	limit := e.newStateLimit()
	newStates := min(numberNewStates(chunks[:last+1], winners), limit)
	next, err := allocWords(e.mem, newStates*encWords)
	if err == nil {
		err = e.links.extend(e.mem, newStates)
	}
	if err != nil {
		next.free(e.mem)
		e.levelAborted(ctx, &err)
		return true
	}

	// Phase 3: build the next frontier, link each new state to its parent
	// and check the state properties.
	e.parallel(last+1, stopped, func(w, c int) {
		if err := e.storeChunk(w, chunks[c], next.w, limit); err != nil {
			failure.CompareAndSwap(nil, &err)
		}
	})
	if e.levelAborted(ctx, failure.Load()) {
		next.free(e.mem)
		return true
	}

	if ev, c := e.firstEvent(chunks[:last+1]); c >= 0 {
		next.free(e.mem)
		e.stopAt(chunks[:last+1], c, ev, false)
		return true
	}

	// The level is complete.
	e.addCounts(chunks)
	e.mergeWitnesses(chunks, noEvent)
	e.frontierNext(next, newStates)
	e.res.DistinctStates = e.stored
	if newStates > 0 {
		e.res.MaxDepth = e.level
	}
	return false
}

// newStateLimit returns how many more states the run may store: the rest
// of MaxStates, and never more than state numbers allow.
func (e *engine) newStateLimit() int {
	limit := maxStoredStates - e.stored
	if e.opts.MaxStates > 0 {
		limit = min(limit, e.opts.MaxStates-e.stored)
	}
	return limit
}

// numberNewStates sums the per-worker winner counts of each chunk, sets
// each chunk's base (the number of winners in earlier chunks) and returns
// the total.
func numberNewStates(chunks []*chunk, winners [][]int32) int {
	total := 0
	for c, ch := range chunks {
		for _, counts := range winners {
			ch.winners += int(counts[c])
		}
		ch.base = total
		total += ch.winners
	}
	return total
}

// addCounts adds the transitions and coverage of whole chunks to the result.
func (e *engine) addCounts(chunks []*chunk) {
	for _, ch := range chunks {
		e.res.Transitions += ch.transitions
		for k := range ch.enabled {
			e.res.Coverage[k].Enabled += ch.enabled[k]
			e.res.Coverage[k].NewStates += ch.newStates[k]
		}
	}
}

// frontierNext makes the new states the frontier of the next level.
func (e *engine) frontierNext(next words, n int) {
	e.frontier.free(e.mem)
	e.frontier = next
	e.levelStart = e.stored
	e.stored += n
	e.level++
}

// levelAborted ends the search if the context was cancelled or a phase
// failed. The result keeps the counts of the completed levels.
func (e *engine) levelAborted(ctx context.Context, failure *error) bool {
	switch {
	case failure != nil && errors.Is(*failure, errMemory):
		e.stopForMemory()
	case failure != nil:
		e.err = *failure
	case ctx.Err() != nil:
		e.res.Verdict = Interrupted
	default:
		return false
	}
	return true
}

// expandChunk runs phase 1 on one chunk: it takes every action of every
// state, checks the step properties and step witnesses, and keeps the
// successors that are not in the visited set. It works in groups of
// states: it first computes the successors of a whole group, then looks
// them up together.
func (e *engine) expandChunk(w int, ch *chunk, atDepthBound bool) error {
	sc := &e.scratch[w]
	kw := e.visited.keyWords
	if len(sc.key) != kw {
		sc.key = make([]uint64, kw)
	}
	for lo := ch.lo; lo < ch.hi; lo += lookupGroup {
		sc.batch, sc.batchKeys = sc.batch[:0], sc.batchKeys[:0]
		if err := e.successors(sc, ch, lo, min(lo+lookupGroup, ch.hi), atDepthBound); err != nil {
			return err
		}

		// Keep the successors not in the visited set, which no worker
		// writes during this phase. A first pass only loads each home
		// slot: those loads have no branches between them, so their cache
		// misses overlap, and the lookups that follow hit the cache.
		sc.touched += e.visited.touch(sc.batchKeys, kw)
		for i, meta := range sc.batch {
			key := sc.batchKeys[i*kw : (i+1)*kw]
			if e.visited.contains(key) {
				continue
			}
			if len(ch.metas) == cap(ch.metas) {
				if err := e.growBuffers(ch, kw); err != nil {
					return err
				}
			}
			ch.keys = append(ch.keys, key...)
			ch.metas = append(ch.metas, meta)
		}
		if ch.event.key != noEvent {
			return nil
		}
	}
	return nil
}

// lookupGroup is the number of states whose successors are looked up in
// the visited set together: enough successors to keep many cache misses in
// flight, few enough that their slots stay in the cache.
const lookupGroup = 32

// successors appends to sc.batch and sc.batchKeys the successors of
// frontier states lo to hi-1 other than the states themselves. It stops at
// the first deadlock or step violation, which it records in ch.
func (e *engine) successors(sc *scratch, ch *chunk, lo, hi int, atDepthBound bool) error {
	c := &e.cfg
	kw := e.visited.keyWords
	var s, succ model.State
	var enc encoded
	for pos := lo; pos < hi; pos++ {
		decode((*encoded)(e.frontier.w[pos*encWords:]), &s)
		sc.actions = c.Actions(&s, sc.actions[:0])
		acts := sc.actions
		if len(acts) == 0 {
			ch.event = event{key: eventKey(pos, -1, subStep), kind: deadlock}
			return nil
		}
		if atDepthBound {
			continue
		}
		if len(acts) > maxActions {
			return fmt.Errorf("state has %d enabled actions, more than the %d a parent link can name", len(acts), maxActions)
		}
		for j, a := range acts {
			var out model.Outcome
			succ = s
			out = c.StepInPlace(&succ, a)
			ch.transitions++
			ch.enabled[a.Kind]++

			// Step properties hold on every step, also into known states.
			if i, detail := e.checker.CheckStep(&s, a, &succ, out); i >= 0 {
				ch.event = event{key: eventKey(pos, j, subStep), kind: stepViolation, prop: i, detail: detail}
				return nil
			}
			e.stepWitnesses(ch, pos, j, &s, a, &succ, out)

			// Most rejected operations lead back to the state itself.
			if sameState(&succ, &s) {
				continue
			}
			e.canonical(&succ)
			if e.opts.Symmetry && sameState(&succ, &s) {
				continue
			}
			if kw == 1 {
				sc.batchKeys = append(sc.batchKeys, fingerprint(&succ))
			} else {
				if err := e.makeKey(&succ, &enc, sc.key); err != nil {
					return err
				}
				sc.batchKeys = append(sc.batchKeys, sc.key...)
			}
			sc.batch = append(sc.batch, uint32(pos-ch.lo)<<metaActionBits|uint32(j))
		}
	}
	return nil
}

// growBuffers doubles the capacity of a chunk's successor buffers within
// the memory limit. Buffers keep their capacity from level to level.
func (e *engine) growBuffers(ch *chunk, kw int) error {
	n := max(2*cap(ch.metas), 256)
	bytes := int64(n) * int64(kw*8+4)
	if err := e.mem.reserve(bytes - ch.accounted); err != nil {
		return err
	}
	ch.accounted = bytes
	keys := make([]uint64, len(ch.keys), n*kw)
	copy(keys, ch.keys)
	metas := make([]uint32, len(ch.metas), n)
	copy(metas, ch.metas)
	ch.keys, ch.metas = keys, metas
	return nil
}

func (e *engine) stepWitnesses(ch *chunk, pos, j int, s *model.State, a model.Action, succ *model.State, out model.Outcome) {
	if e.allReached {
		return
	}
	for k, pi := range e.someIdx {
		if e.reached[k] || ch.stepHits[k].key != noEvent {
			continue
		}
		p := e.props[pi]
		if p.Step == nil {
			continue
		}
		if ok, detail := p.Step(&e.cfg, s, a, succ, out); ok {
			ch.stepHits[k] = witnessHit{key: eventKey(pos, j, subStepWitness), detail: detail}
		}
	}
}

// insertChunks runs phase 2 for worker w: it inserts the successors that
// fall in its shards, chunk by chunk in order, marks the ones that were new
// and counts them per chunk.
func (e *engine) insertChunks(w int, chunks []*chunk, counts []int32) error {
	kw := e.visited.keyWords
	const ahead = 16
	for c, ch := range chunks {
		for i := range ch.metas {
			// Load the slot of a later key now, so that its cache miss
			// overlaps with this insert. Only this worker's shards may be
			// read: another worker may be growing its own and unmapping
			// the old table.
			if i+ahead < len(ch.metas) {
				later := ch.keys[(i+ahead)*kw : (i+ahead+1)*kw]
				if shardOf(later[0])%e.workers == w {
					e.scratch[w].touched += e.visited.touch(later, kw)
				}
			}
			key := ch.keys[i*kw : (i+1)*kw]
			if shardOf(key[0])%e.workers != w {
				continue
			}
			added, err := e.visited.insert(key)
			if err != nil {
				return err
			}
			if added {
				ch.metas[i] |= metaWon
				counts[c]++
			}
		}
	}
	return nil
}

// storeChunk runs phase 3 on one chunk: it stores each new state in the
// next frontier at its number, links it to its parent, and checks the state
// properties and state witnesses. New states past limit are not stored; the
// first of them is an event.
func (e *engine) storeChunk(w int, ch *chunk, next []uint64, limit int) error {
	c := &e.cfg
	sc := &e.scratch[w]
	var s, succ model.State
	var enc encoded
	parentPos := -1
	ord := ch.base
	for _, m := range ch.metas {
		if m&metaWon == 0 {
			continue
		}
		pos := ch.lo + int(m&^metaWon>>metaActionBits)
		j := int(m & (maxActions - 1))
		if ord >= limit {
			if ev := eventKey(pos, j, subNewState); ev < ch.event.key {
				ch.event = event{key: ev, kind: stateLimit}
			}
			break
		}
		if pos != parentPos {
			parentPos = pos
			decode((*encoded)(e.frontier.w[pos*encWords:]), &s)
			sc.actions = c.Actions(&s, sc.actions[:0])
		}
		a := sc.actions[j]
		succ = s
		c.StepInPlace(&succ, a)
		e.canonical(&succ)
		if !encode(&succ, &enc) {
			return errNotEncodable(&succ)
		}
		copy(next[ord*encWords:], enc[:])
		number := e.stored + ord
		e.links.parent[number] = uint32(e.levelStart + pos)
		e.links.action[number] = uint8(j)
		ch.newStates[a.Kind]++
		ord++

		key := eventKey(pos, j, subNewState)
		if key > ch.event.key {
			break
		}
		if i, detail := e.checker.CheckState(&succ); i >= 0 {
			ch.event = event{key: key, kind: stateViolation, prop: i, detail: detail}
			break
		}
		for k, pi := range e.someIdx {
			if e.reached[k] || ch.stateHits[k].key != noEvent {
				continue
			}
			if p := e.props[pi]; p.State != nil {
				if ok, detail := p.State(c, &succ); ok {
					ch.stateHits[k] = witnessHit{key: eventKey(pos, j, subStateWitness), detail: detail}
				}
			}
		}
	}
	return nil
}

// firstEvent returns the earliest event of the level and its chunk, or -1.
// Chunks are in frontier order, so it is the first chunk with an event.
func (e *engine) firstEvent(chunks []*chunk) (event, int) {
	for c, ch := range chunks {
		if ch.event.key != noEvent {
			return ch.event, c
		}
	}
	return event{}, -1
}

// mergeWitnesses records, for each Sometimes property not reached before,
// its first witness of the level that comes before the key stop.
func (e *engine) mergeWitnesses(chunks []*chunk, stop uint64) {
	for k := range e.someIdx {
		if e.reached[k] {
			continue
		}
		for _, ch := range chunks {
			hit := ch.stepHits[k]
			if ch.stateHits[k].key < hit.key {
				hit = ch.stateHits[k]
			}
			if hit.key == noEvent {
				continue
			}
			if hit.key < stop {
				e.witness(k, hit.detail, e.level+1)
			}
			break
		}
	}
}
