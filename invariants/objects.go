package invariants

import (
	"fmt"

	"github.com/klpcheck/klpcheck/model"
)

// objectSafety are the safety properties of objects, target modules and
// callbacks. Without target modules or callbacks they hold trivially.
var objectSafety = []Property{
	{
		ID: "S15", Name: "callbacks pair up per object",
		Reason: "klp_pre_patch_callback records in post_unpatch_enabled whether pre_patch succeeded and klp_post_unpatch_callback runs only then, " +
			"post callbacks run at completion for loaded objects, klp_module_coming skips post_patch and klp_module_going skips pre_unpatch for the transition patch, " +
			"and klp_reverse_transition runs no callback. So per object the calls follow pre_patch, post_patch, pre_unpatch, post_unpatch, " +
			"where a reversal may go from pre_unpatch back to post_patch and a reverted or cancelled patching goes from pre_patch straight to post_unpatch.",
		Step:    checkS15,
		Applies: func(c *model.Config) bool { return c.Callbacks },
	},
	{
		ID: "S18", Name: "objects bind only to live target modules",
		Reason: "klp_find_object_module binds only a module with klp_alive set, klp_module_going unbinds and reverts every listed patch's object, " +
			"and since 4ff96fb52c69 (v5.4) a refused klp_module_coming also unbinds the failing object. Both modelled generations predate that fix, " +
			"so a refused target load leaves obj->mod pointing at the freed module.",
		State:   checkS18,
		Applies: func(c *model.Config) bool { return c.Targets > 0 },
	},
}

// phaseAfter returns the callback phase after cb ran in phase from, and
// whether cb may run in that phase at all. A failed pre_patch leaves the
// phase as it was.
func phaseAfter(from model.CallbackPhase, cb model.Callback, failed bool) (model.CallbackPhase, bool) {
	switch cb {
	case model.PrePatch:
		if failed {
			return from, from == model.CallbacksIdle
		}
		return model.CallbacksPrePatched, from == model.CallbacksIdle
	case model.PostPatch:
		ok := from == model.CallbacksPrePatched || from == model.CallbacksPreUnpatched
		return model.CallbacksPostPatched, ok
	case model.PreUnpatch:
		return model.CallbacksPreUnpatched, from == model.CallbacksPostPatched
	case model.PostUnpatch:
		ok := from == model.CallbacksPrePatched || from == model.CallbacksPreUnpatched
		return model.CallbacksIdle, ok
	}
	return from, false
}

// checkS15 replays the step with its log to see the callbacks it ran, in
// order, and judges each against the object's callback phase before it.
func checkS15(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	var events []model.Event
	c.StepLogged(*prev, a, func(e model.Event) { events = append(events, e) })

	var phase [model.MaxPatches][model.MaxObjects]model.CallbackPhase
	for k := 0; k < c.Patches; k++ {
		phase[k] = prev.Patches[k].Callbacks
	}
	for i, e := range events {
		if e.Kind != model.EventCallback {
			continue
		}
		k, o := e.Patch, e.Object
		obj := objectName(o)
		if out.Flags&model.FlagReversed != 0 {
			return false, fmt.Sprintf("%s ran %s of P%d for %s while reversing the transition", a, e.Callback, k, obj)
		}
		if o > 0 && e.ModuleState == model.ModuleAbsent {
			return false, fmt.Sprintf("%s ran %s of P%d for %s, which is not loaded", a, e.Callback, k, obj)
		}
		failed := i+1 < len(events) && events[i+1].Kind == model.EventPrePatchFailed &&
			events[i+1].Patch == k && events[i+1].Object == o
		after, ok := phaseAfter(phase[k][o], e.Callback, failed)
		if !ok {
			return false, fmt.Sprintf("%s ran %s of P%d for %s after %s", a, e.Callback, k, obj, phase[k][o])
		}
		phase[k][o] = after
	}
	return holds()
}

func objectName(o int) string {
	if o == 0 {
		return "vmlinux"
	}
	return fmt.Sprintf("X%d", o-1)
}

func checkS18(c *model.Config, s *model.State) (bool, string) {
	for i := 0; i < int(s.ListLen); i++ {
		k := int(s.List[i])
		p := &s.Patches[k]
		for j := 0; j < c.Targets; j++ {
			bound := p.Bound&(1<<j) != 0
			patched := p.ObjPatched&(1<<j) != 0
			onStack := s.FuncStacks[c.TargetFunc(j)].Index(k) >= 0
			switch {
			case bound && s.Targets[j] == model.ModuleAbsent:
				return false, fmt.Sprintf("P%d's object for X%d is bound but X%d is not loaded", k, j, j)
			case patched && !bound:
				return false, fmt.Sprintf("P%d's object for X%d is patched but not bound", k, j)
			case onStack != patched:
				return false, fmt.Sprintf("P%d's object for X%d has patched=%t but its function on func_stack is %t", k, j, patched, onStack)
			}
		}
	}
	for j := 0; j < c.Targets; j++ {
		if s.Targets[j] != model.ModuleAbsent {
			continue
		}
		if top := s.FuncStacks[c.TargetFunc(j)].Top(); top >= 0 {
			return false, fmt.Sprintf("P%d's function for X%d is on func_stack after X%d was unloaded", top, j, j)
		}
	}
	return holds()
}
