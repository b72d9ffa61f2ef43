package explore

import (
	"fmt"

	"github.com/klpcheck/klpcheck/model"
)

// stopAt ends the search at event ev of chunk c. The counts are those a
// sequential search has when it meets the event: all of the earlier chunks,
// and the part of chunk c that comes before the event.
func (e *engine) stopAt(chunks []*chunk, c int, ev event, atDepthBound bool) {
	stored := e.stored
	e.addCounts(chunks[:c])
	for _, ch := range chunks[:c] {
		stored += ch.winners
	}

	ch := chunks[c]
	evPos, evAction := splitKey(ev.key)
	var s model.State
	var acts []model.Action
	for pos := ch.lo; pos <= evPos; pos++ {
		decode((*encoded)(e.frontier.w[pos*encWords:]), &s)
		acts = e.cfg.Actions(&s, acts[:0])
		n := len(acts)
		if atDepthBound {
			n = 0
		}
		if pos == evPos {
			n = min(n, evAction+1)
		}
		for _, a := range acts[:n] {
			e.res.Transitions++
			e.res.Coverage[a.Kind].Enabled++
		}
	}
	parentPos := -1
	for _, m := range ch.metas {
		if m&metaWon == 0 {
			continue
		}
		pos := ch.lo + int(m&^metaWon>>metaActionBits)
		j := int(m & (maxActions - 1))
		key := eventKey(pos, j, subNewState)
		if key > ev.key || key == ev.key && ev.kind == stepViolation {
			break
		}
		if pos != parentPos {
			parentPos = pos
			decode((*encoded)(e.frontier.w[pos*encWords:]), &s)
			acts = e.cfg.Actions(&s, acts[:0])
		}
		// A new state past MaxStates counts as found but is not stored.
		e.res.Coverage[acts[j].Kind].NewStates++
		if key == ev.key && ev.kind == stateLimit {
			break
		}
		stored++
	}
	e.mergeWitnesses(chunks[:c+1], ev.key)
	if stored > e.stored {
		e.res.MaxDepth = e.level + 1
	}
	e.res.DistinctStates = stored

	parent := e.levelStart + evPos
	switch ev.kind {
	case stateLimit:
		e.res.Verdict = Bounded
		if e.opts.MaxStates > 0 && stored >= e.opts.MaxStates {
			e.res.BoundReason = fmt.Sprintf("max states %d", e.opts.MaxStates)
		} else {
			e.res.BoundReason = fmt.Sprintf("state number limit %d", maxStoredStates)
		}
	case deadlock:
		e.res.Verdict = Violated
		e.res.Violation = e.buildViolation(-1, "", false, parent, -1)
	case stepViolation:
		e.res.Verdict = Violated
		e.res.Violation = e.buildViolation(ev.prop, ev.detail, true, parent, evAction)
	case stateViolation:
		e.res.Verdict = Violated
		e.res.Violation = e.buildViolation(ev.prop, ev.detail, false, parent, evAction)
	}
}

// buildViolation returns the violation of property prop (-1 for a
// deadlock) whose trace runs to stored state number and then, when action
// is not -1, takes the action with that index. With symmetry the stored
// states are canonical. The trace is then mapped to the unreduced model,
// and the detail is recomputed on its last state or step.
func (e *engine) buildViolation(prop int, detail string, onStep bool, number, action int) *Violation {
	var numbers []int
	for n := number; ; n = int(e.links.parent[n]) {
		numbers = append(numbers, n)
		if e.links.parent[n] == noParent {
			break
		}
	}
	// The action indices from the initial state, in order.
	var path []int
	for i := len(numbers) - 2; i >= 0; i-- {
		path = append(path, int(e.links.action[numbers[i]]))
	}
	if action >= 0 {
		path = append(path, action)
	}

	c := &e.cfg
	init := model.Initial(c)
	tr := Trace{Initial: init}
	canon := init
	e.canonical(&canon)
	concrete := init
	var acts []model.Action
	for i, j := range path {
		acts = c.Actions(&canon, acts[:0])
		target, _ := c.Step(canon, acts[j])
		e.canonical(&target)
		canon = target

		last := i == len(path)-1
		step, ok := e.concreteStep(concrete, target, last && onStep, prop)
		if !ok {
			panic(fmt.Sprintf("explore: no action from a concrete state reaches canonical state %d of the counterexample", i+1))
		}
		tr.Steps = append(tr.Steps, step)
		concrete = step.State
	}

	v := &Violation{OnStep: onStep, Trace: tr}
	if prop < 0 {
		v.ID, v.Name, v.Detail = DeadlockID, "deadlock", "no action is enabled"
		return v
	}
	p := e.props[prop]
	v.ID, v.Name, v.Detail = p.ID, p.Name, detail
	if !e.opts.Symmetry {
		return v
	}
	// Task indices in the detail must name the tasks of the concrete trace.
	if onStep {
		prev := tr.Initial
		if n := len(tr.Steps); n >= 2 {
			prev = tr.Steps[n-2].State
		}
		st := tr.Steps[len(tr.Steps)-1]
		if ok, d := p.Step(c, &prev, st.Action, &st.State, st.Outcome); !ok {
			v.Detail = d
		}
	} else {
		last := tr.Last()
		if ok, d := p.State(c, &last); !ok {
			v.Detail = d
		}
	}
	return v
}

// concreteStep returns the first step from the concrete state from whose
// successor is target after canonicalization. With mustViolate the step
// must also violate property prop, because among the steps that reach
// target only some may break a step property.
func (e *engine) concreteStep(from, target model.State, mustViolate bool, prop int) (Step, bool) {
	c := &e.cfg
	for _, a := range c.Actions(&from, nil) {
		next, out := c.Step(from, a)
		canon := next
		e.canonical(&canon)
		if canon != target {
			continue
		}
		if mustViolate {
			if ok, _ := e.props[prop].Step(c, &from, a, &next, out); ok {
				continue
			}
		}
		return Step{Action: a, Outcome: out, State: next}, true
	}
	return Step{}, false
}
