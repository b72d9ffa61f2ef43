package invariants

import "github.com/klpcheck/klpcheck/model"

// Checker evaluates the Always properties of a list on states and steps.
// It is meant for the inner loop of a search. For the built-in safety
// properties it first runs one combined check that builds no message. It
// calls a property's own StateFunc or StepFunc only to find which property
// failed and why. Properties that the combined check does not cover are
// always called one by one, so a newly added property is checked even
// before it gets a fast form. A Checker is safe for concurrent use.
type Checker struct {
	c     *model.Config
	props []Property

	// Indices into props of the Always properties with a StateFunc or a
	// StepFunc, and the subset that the combined checks do not cover.
	state, stateRest []int
	step, stepRest   []int
	stateFast        bool // some property is covered by stateHolds
	stepFast         bool // some property is covered by stepHolds
}

// fastStateIDs and fastStepIDs name the properties that stateHolds and
// stepHolds decide. TestFastChecksAgree compares both with the properties'
// own functions on every reachable state and step of every mutant.
var (
	fastStateIDs = map[string]bool{
		"S1": true, "S2": true, "S3": true, "S4": true, "S6": true, "S8": true, "S9": true,
		"S10": true, "S13": true, "S14": true, "S16": true, "no-leak": true,
	}
	fastStepIDs = map[string]bool{
		"S3": true, "S10": true, "S11": true, "S13": true, "S16": true, "S17": true, "S22": true,
	}
)

// NewChecker returns a Checker for the Always properties in props under
// configuration c. Sometimes properties in props are ignored.
func NewChecker(c *model.Config, props []Property) *Checker {
	k := &Checker{c: c, props: props}
	for i, p := range props {
		if p.Kind != Always {
			continue
		}
		if p.State != nil {
			k.state = append(k.state, i)
			if fastStateIDs[p.ID] && isBuiltin(p) {
				k.stateFast = true
			} else {
				k.stateRest = append(k.stateRest, i)
			}
		}
		if p.Step != nil {
			k.step = append(k.step, i)
			if fastStepIDs[p.ID] && isBuiltin(p) {
				k.stepFast = true
			} else {
				k.stepRest = append(k.stepRest, i)
			}
		}
	}
	return k
}

// isBuiltin reports whether p is the package's own property with its ID,
// not a caller's property that reuses the ID.
func isBuiltin(p Property) bool {
	b, ok := Lookup(p.ID)
	return ok && b.Name == p.Name && b.Kind == p.Kind
}

// CheckState returns the index in the Checker's list of the first Always
// property that s violates, with its detail, or -1 when all hold.
func (k *Checker) CheckState(s *model.State) (int, string) {
	if !k.stateFast || stateHolds(k.c, s) {
		if len(k.stateRest) == 0 {
			return -1, ""
		}
		return k.firstStateFailure(s, k.stateRest)
	}
	return k.firstStateFailure(s, k.state)
}

func (k *Checker) firstStateFailure(s *model.State, idx []int) (int, string) {
	for _, i := range idx {
		if ok, detail := k.props[i].State(k.c, s); !ok {
			return i, detail
		}
	}
	return -1, ""
}

// CheckStep returns the index of the first Always property that the step
// from prev by a to next violates, with its detail, or -1 when all hold.
func (k *Checker) CheckStep(prev *model.State, a model.Action, next *model.State, out model.Outcome) (int, string) {
	if !k.stepFast || stepHolds(k.c, prev, a, next, out) {
		if len(k.stepRest) == 0 {
			return -1, ""
		}
		return k.firstStepFailure(prev, a, next, out, k.stepRest)
	}
	return k.firstStepFailure(prev, a, next, out, k.step)
}

func (k *Checker) firstStepFailure(prev *model.State, a model.Action, next *model.State, out model.Outcome, idx []int) (int, string) {
	for _, i := range idx {
		if ok, detail := k.props[i].Step(k.c, prev, a, next, out); !ok {
			return i, detail
		}
	}
	return -1, ""
}

// stepHolds reports whether the step satisfies S3, S10, S11, S13, S16, S17
// and S22. It must agree with checkS3Step, checkS10Step, checkS11,
// checkS13Step, checkS16Step, checkS17 and checkS22 together.
func stepHolds(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) bool {
	if out.Flags&(model.FlagHandlerUndefined|model.FlagFreeInOwnHandler) != 0 {
		return false
	}
	if out.Flags&model.FlagInitTransition != 0 && prev.InTransition() {
		return false
	}
	if a.Kind == model.Disable && !out.Rejected() && !prev.InTransition() && prev.ListTail() != int(a.Patch) {
		return false
	}
	if prev.Patches != next.Patches {
		for k := 0; k < c.Patches; k++ {
			p, n := &prev.Patches[k], &next.Patches[k]
			if *p == *n {
				continue
			}
			ownModule := int(a.Patch) == k && (a.Kind == model.Rmmod || a.Kind == model.Insmod)
			if p.Freed && n.Loaded && !ownModule {
				return false // S10
			}
			if !p.Enabled && n.Enabled {
				fresh := a.Kind == model.Insmod && int(a.Patch) == k && !p.Loaded
				reversed := out.Flags&model.FlagReversed != 0 && int(prev.TransitionPatch) == k
				if !fresh && !reversed {
					return false // S16
				}
			}
			if p.Forced && !n.Forced && n.Loaded {
				return false // S17
			}
		}
	}
	if out.Flags&model.FlagForced != 0 {
		for i := 0; i < int(next.ListLen); i++ {
			if !next.Patches[next.List[i]].Forced {
				return false // S17
			}
		}
	}
	return true
}

// stateHolds reports whether s satisfies S1, S2, S3, S4, S6, S8, S9, S10,
// S13, S14, S16 and no-leak. It must agree with their StateFuncs together.
func stateHolds(c *model.Config, s *model.State) bool {
	inTransition := s.InTransition()
	if inTransition != (s.Target != model.Undefined) {
		return false // S1
	}

	var listed uint32
	for i := 0; i < int(s.ListLen); i++ {
		listed |= 1 << s.List[i]
	}
	for k := 0; k < c.Patches; k++ {
		p := &s.Patches[k]
		isTransition := int(s.TransitionPatch) == k
		isListed := listed&(1<<k) != 0
		if p.FuncTransition && !isTransition {
			return false // S14
		}
		if (p.FreeWork || p.Freed) && (isListed || isTransition) {
			return false // S10
		}
		if isListed && !p.Enabled && (!inTransition || !isTransition) {
			return false // S16 and no-leak
		}
		want := int8(0)
		if p.Loaded && (!p.Freed || p.Forced) {
			want = 1
		}
		if p.Ref != want {
			return false // S9
		}
		if !p.Loaded && (isListed || isTransition || p.Sysfs || p.FreeWork) {
			return false // S8
		}
	}

	// S8: a func_stack entry or a running version of an unloaded module.
	// S13: each func_stack follows klp_patches order.
	for f := 0; f < c.Functions; f++ {
		fs := &s.FuncStacks[f]
		pos := 0
		for i := 0; i < int(fs.Len); i++ {
			k := int(fs.Patches[i])
			if !s.Patches[k].Loaded {
				return false
			}
			for pos < int(s.ListLen) && int(s.List[pos]) != k {
				pos++
			}
			if pos == int(s.ListLen) {
				return false
			}
			pos++
		}
	}

	for t := 0; t < c.Tasks; t++ {
		task := &s.Tasks[t]
		for _, fr := range task.Stack() {
			if k := fr.Version.Patch(); k >= 0 && !s.Patches[k].Loaded {
				return false // S8
			}
		}
		if !inTransition {
			if task.Pending || task.PatchState != model.Undefined {
				return false // S2
			}
			continue
		}
		if task.PatchState == model.Undefined {
			return false // S3
		}
		if task.Pending != (task.PatchState != s.Target) {
			return false // S4
		}
	}
	if inTransition && !s.Patches[s.TransitionPatch].Forced {
		ok, _ := checkS6(c, s)
		return ok
	}
	return true
}
