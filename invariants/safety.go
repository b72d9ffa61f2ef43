package invariants

import (
	"fmt"

	"github.com/klpcheck/klpcheck/model"
)

var safety = []Property{
	{
		ID: "S1", Name: "a transition patch exists exactly when the target is defined",
		Reason: "klp_init_transition sets klp_transition_patch and klp_target_state together, and klp_complete_transition resets both.",
		State:  checkS1,
	},
	{
		ID: "S2", Name: "outside a transition every task is undefined and not pending",
		Reason: "klp_complete_transition returns every task to KLP_UNDEFINED and warns about a TIF_PATCH_PENDING flag left behind.",
		State:  checkS2,
	},
	{
		ID: "S3", Name: "during a transition every task is unpatched or patched",
		Reason: "klp_init_transition sets every task's patch_state before it marks a function in transition, so klp_ftrace_handler never sees KLP_UNDEFINED on such a function.",
		State:  checkS3, Step: checkS3Step,
	},
	{
		ID: "S4", Name: "a task is pending exactly when it is not at the target",
		Reason: "klp_start_transition sets TIF_PATCH_PENDING on exactly the tasks not at the target, and every switch clears the flag and sets patch_state together.",
		State:  checkS4,
	},
	{
		ID: "S6", Name: "per-task consistency",
		Reason: "klp_ftrace_handler picks a version from patch_state alone, and a task switches only with no affected version on its stack, so an unforced task never mixes old and new versions of the transition patch's functions.",
		State:  checkS6,
	},
	{
		ID: "S8", Name: "no unload while referenced",
		Reason: "A livepatch module may go only when no list, transition, sysfs directory, free_work, func_stack or task refers to it; a forced patch keeps its module reference for that reason.",
		State:  checkS8,
	},
	{
		ID: "S9", Name: "module reference count matches the patch's life",
		Reason: "At 958ef1e klp_init_patch_early takes one reference and klp_free_patch_finish drops it unless the patch was forced, so the count is 1 exactly while the patch lives or is forced. " +
			"At v5.0 each __klp_enable_patch takes one and each unforced unpatching completion drops one, so while klp_forced is clear the count is 1 exactly while the patch is enabled or in transition, and after a force it never falls below that.",
		State: checkS9,
	},
	{
		ID: "S10", Name: "no use after free",
		Reason: "klp_free_patch_start removes the patch from klp_patches after its last transition, and nothing touches the patch after klp_free_patch_finish.",
		State:  checkS10, Step: checkS10Step,
	},
	{
		ID: "S11", Name: "no free inside the patch's own sysfs handler",
		Reason: "klp_free_patch_finish waits for the patch kobject's release, which waits for running sysfs handlers of the patch, so 958ef1e frees from free_work.",
		Step:   checkS11,
	},
	{
		ID: "S13", Name: "stacking order",
		Reason: "Patches are pushed on func_stack in klp_patches order. At 958ef1e __klp_disable_patch refuses a patch that is not last on klp_patches. " +
			"At v5.0 __klp_enable_patch refuses a patch whose predecessor on the list is disabled and __klp_disable_patch one whose successor is enabled.",
		State: checkS13, Step: checkS13Step,
	},
	{
		ID: "S14", Name: "only the transition patch has functions in transition",
		Reason: "klp_init_transition sets func->transition for the transition patch only and klp_complete_transition clears it.",
		State:  checkS14,
	},
	{
		ID: "S16", Name: "listed patches are enabled or in transition, and never re-enabled",
		Reason: "Since 958ef1e klp_patches holds only patches in use, and enabled_store refuses to enable a disabled patch outside a reversal. " +
			"v5.0 does not make this promise: klp_patches holds every registered patch, disabled ones included, and enabled_store enables a disabled patch again, so the property is skipped there.",
		State: checkS16, Step: checkS16Step, Applies: only958ef1e,
	},
	{
		ID: "S17", Name: "forced is sticky and covers every listed patch",
		Reason: "At 958ef1e klp_force_transition marks every patch on klp_patches and nothing clears the flag. At v5.0 it sets the global klp_forced, which nothing clears, and the model marks the listed patches with a ghost flag.",
		Step:   checkS17,
	},
	{
		ID: "S22", Name: "one transition at a time",
		Reason: "__klp_enable_patch and __klp_disable_patch return -EBUSY while klp_transition_patch is set.",
		Step:   checkS22,
	},
	{
		ID: "no-leak", Name: "with no transition every listed patch is enabled",
		Reason: "At 958ef1e a disabled patch is freed when its unpatching transition completes, so one left on klp_patches keeps its sysfs directory and module reference forever. " +
			"At v5.0 a disabled patch stays registered on klp_patches until module_exit, so the property is skipped there.",
		State: checkNoLeak, Applies: only958ef1e,
	},
}

func checkS1(c *model.Config, s *model.State) (bool, string) {
	if s.InTransition() == (s.Target != model.Undefined) {
		return holds()
	}
	if s.InTransition() {
		return false, fmt.Sprintf("P%d is the transition patch but the target is undefined", s.TransitionPatch)
	}
	return false, fmt.Sprintf("no transition patch but the target is %s", s.Target)
}

func checkS2(c *model.Config, s *model.State) (bool, string) {
	if s.InTransition() {
		return holds()
	}
	for t := 0; t < c.Tasks; t++ {
		task := &s.Tasks[t]
		if task.Pending {
			return false, fmt.Sprintf("T%d has TIF_PATCH_PENDING set with no transition in progress", t)
		}
		if task.PatchState != model.Undefined {
			return false, fmt.Sprintf("T%d is %s with no transition in progress", t, task.PatchState)
		}
	}
	return holds()
}

func checkS3(c *model.Config, s *model.State) (bool, string) {
	if !s.InTransition() {
		return holds()
	}
	for t := 0; t < c.Tasks; t++ {
		if s.Tasks[t].PatchState == model.Undefined {
			return false, fmt.Sprintf("T%d is undefined during the transition of P%d", t, s.TransitionPatch)
		}
	}
	return holds()
}

func checkS3Step(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	if out.Flags&model.FlagHandlerUndefined != 0 {
		return false, fmt.Sprintf("T%d called f%d, which is in transition, while its patch_state was undefined", a.Task, a.Func)
	}
	return holds()
}

func checkS4(c *model.Config, s *model.State) (bool, string) {
	if !s.InTransition() {
		return holds()
	}
	for t := 0; t < c.Tasks; t++ {
		task := &s.Tasks[t]
		if task.Pending != (task.PatchState != s.Target) {
			return false, fmt.Sprintf("T%d is %s with pending=%t while the target is %s", t, task.PatchState, task.Pending, s.Target)
		}
	}
	return holds()
}

func checkS6(c *model.Config, s *model.State) (bool, string) {
	if !s.InTransition() {
		return holds()
	}
	k := int(s.TransitionPatch)
	if s.Patches[k].Forced {
		// Force gives up consistency for the tasks it switched.
		return holds()
	}
	for t := 0; t < c.Tasks; t++ {
		oldFrame, newFrame := -1, -1
		for i, fr := range s.Tasks[t].Stack() {
			fs := &s.FuncStacks[fr.Func]
			pos := fs.Index(k)
			if pos < 0 {
				continue
			}
			switch fr.Version {
			case model.PatchVersion(k):
				newFrame = i
			case fs.Below(pos):
				oldFrame = i
			}
		}
		if oldFrame >= 0 && newFrame >= 0 {
			task := &s.Tasks[t]
			return false, fmt.Sprintf("T%d runs f%d:%s and f%d:%s, the versions before and after P%d's transition",
				t, task.Frames[oldFrame].Func, task.Frames[oldFrame].Version,
				task.Frames[newFrame].Func, task.Frames[newFrame].Version, k)
		}
	}
	return holds()
}

func checkS8(c *model.Config, s *model.State) (bool, string) {
	for k := 0; k < c.Patches; k++ {
		p := &s.Patches[k]
		if p.Loaded {
			continue
		}
		switch {
		case s.Listed(k):
			return false, fmt.Sprintf("module of P%d is unloaded while P%d is on klp_patches", k, k)
		case int(s.TransitionPatch) == k:
			return false, fmt.Sprintf("module of P%d is unloaded while P%d is the transition patch", k, k)
		case p.Sysfs:
			return false, fmt.Sprintf("module of P%d is unloaded while its sysfs directory exists", k)
		case p.FreeWork:
			return false, fmt.Sprintf("module of P%d is unloaded while its free_work is pending", k)
		}
		for f := 0; f < c.NumFuncs(); f++ {
			if s.FuncStacks[f].Index(k) >= 0 {
				return false, fmt.Sprintf("module of P%d is unloaded while its function is on func_stack(f%d)", k, f)
			}
		}
		for t := 0; t < c.Tasks; t++ {
			for _, fr := range s.Tasks[t].Stack() {
				if fr.Version == model.PatchVersion(k) {
					return false, fmt.Sprintf("module of P%d is unloaded while T%d is inside its version of f%d", k, t, fr.Func)
				}
			}
		}
	}
	return holds()
}

func checkS9(c *model.Config, s *model.State) (bool, string) {
	if c.V50() {
		return checkS9V50(c, s)
	}
	for k := 0; k < c.Patches; k++ {
		p := &s.Patches[k]
		want := int8(0)
		if p.Loaded && (!p.Freed || p.Forced) {
			want = 1
		}
		if p.Ref != want {
			return false, fmt.Sprintf("the core holds %d references on the module of P%d, expected %d", p.Ref, k, want)
		}
	}
	return holds()
}

func checkS9V50(c *model.Config, s *model.State) (bool, string) {
	for k := 0; k < c.Patches; k++ {
		p := &s.Patches[k]
		held := int8(0)
		if p.Loaded && (p.Enabled || int(s.TransitionPatch) == k) {
			held = 1
		}
		switch {
		case p.Ref < 0:
			return false, fmt.Sprintf("the core holds %d references on the module of P%d", p.Ref, k)
		case !p.Loaded && p.Ref != 0:
			return false, fmt.Sprintf("the core holds %d references on the unloaded module of P%d", p.Ref, k)
		case !s.KlpForced && p.Ref != held:
			return false, fmt.Sprintf("the core holds %d references on the module of P%d with klp_forced clear, expected %d", p.Ref, k, held)
		case s.KlpForced && p.Ref < held:
			return false, fmt.Sprintf("the core holds %d references on the module of P%d, which is enabled or in transition", p.Ref, k)
		}
	}
	return holds()
}

// released reports whether klp_free_patch_start has run for patch k.
func released(p *model.Patch) bool { return p.FreeWork || p.Freed }

func checkS10(c *model.Config, s *model.State) (bool, string) {
	for k := 0; k < c.Patches; k++ {
		p := &s.Patches[k]
		if !released(p) {
			continue
		}
		if s.Listed(k) {
			return false, fmt.Sprintf("P%d is on klp_patches after it was released for freeing", k)
		}
		if int(s.TransitionPatch) == k {
			return false, fmt.Sprintf("P%d is the transition patch after it was released for freeing", k)
		}
	}
	return holds()
}

func checkS10Step(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	for k := 0; k < c.Patches; k++ {
		if !prev.Patches[k].Freed || !next.Patches[k].Loaded {
			continue
		}
		if int(a.Patch) == k && (a.Kind == model.Rmmod || a.Kind == model.Insmod) {
			continue
		}
		if prev.Patches[k] != next.Patches[k] {
			return false, fmt.Sprintf("%s changed P%d after klp_free_patch_finish", a, k)
		}
	}
	return holds()
}

func checkS11(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	if out.Flags&model.FlagFreeInOwnHandler != 0 {
		return false, fmt.Sprintf("%s ran klp_free_patch_finish(P%d) inside P%d's own sysfs handler: self-deadlock", a, a.Patch, a.Patch)
	}
	return holds()
}

func checkS13(c *model.Config, s *model.State) (bool, string) {
	for f := 0; f < c.Functions; f++ {
		fs := &s.FuncStacks[f]
		pos := 0
		for i := 0; i < int(fs.Len); i++ {
			k := int(fs.Patches[i])
			for pos < int(s.ListLen) && int(s.List[pos]) != k {
				pos++
			}
			if pos == int(s.ListLen) {
				return false, fmt.Sprintf("func_stack(f%d) holds P%d out of klp_patches order", f, k)
			}
			pos++
		}
	}
	return holds()
}

func checkS13Step(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	if c.V50() {
		return checkS13StepV50(c, prev, a, next, out)
	}
	if a.Kind != model.Disable || out.Rejected() || prev.InTransition() {
		return holds()
	}
	if tail := prev.ListTail(); tail != int(a.Patch) {
		return false, fmt.Sprintf("P%d was disabled while P%d is last on klp_patches", a.Patch, tail)
	}
	return holds()
}

// checkS13StepV50 checks the v5.0 stacking rules on every enable that
// starts a transition and every disable that starts one.
func checkS13StepV50(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	if out.Flags&model.FlagInitTransition == 0 || prev.InTransition() {
		return holds()
	}
	k := int(a.Patch)
	i := listPosition(next, k)
	if i < 0 {
		// A failed insmod already took the patch off the list again.
		return holds()
	}
	switch a.Kind {
	case model.Insmod, model.Enable:
		if i > 0 && !prev.Patches[next.List[i-1]].Enabled {
			return false, fmt.Sprintf("P%d was enabled while its predecessor P%d is disabled", k, next.List[i-1])
		}
	case model.Disable:
		if i+1 < int(next.ListLen) && prev.Patches[next.List[i+1]].Enabled {
			return false, fmt.Sprintf("P%d was disabled while its successor P%d is enabled", k, next.List[i+1])
		}
	}
	return holds()
}

func listPosition(s *model.State, k int) int {
	for i := 0; i < int(s.ListLen); i++ {
		if int(s.List[i]) == k {
			return i
		}
	}
	return -1
}

func checkS14(c *model.Config, s *model.State) (bool, string) {
	for k := 0; k < c.Patches; k++ {
		if s.Patches[k].FuncTransition && int(s.TransitionPatch) != k {
			return false, fmt.Sprintf("P%d's functions are in transition but the transition patch is %d", k, s.TransitionPatch)
		}
	}
	return holds()
}

func checkS16(c *model.Config, s *model.State) (bool, string) {
	for i := 0; i < int(s.ListLen); i++ {
		k := int(s.List[i])
		if !s.Patches[k].Enabled && int(s.TransitionPatch) != k {
			return false, fmt.Sprintf("P%d is on klp_patches but neither enabled nor in transition", k)
		}
	}
	return holds()
}

func checkS16Step(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	for k := 0; k < c.Patches; k++ {
		if prev.Patches[k].Enabled || !next.Patches[k].Enabled {
			continue
		}
		if a.Kind == model.Insmod && int(a.Patch) == k && !prev.Patches[k].Loaded {
			continue // a fresh module instance
		}
		if out.Flags&model.FlagReversed != 0 && int(prev.TransitionPatch) == k {
			continue
		}
		return false, fmt.Sprintf("%s enabled P%d again outside a reversal", a, k)
	}
	return holds()
}

func checkS17(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	if prev.KlpForced && !next.KlpForced {
		return false, fmt.Sprintf("%s cleared klp_forced", a)
	}
	if c.V50() && out.Flags&model.FlagForced != 0 && !next.KlpForced {
		return false, fmt.Sprintf("%s forced a transition but left klp_forced clear", a)
	}
	for k := 0; k < c.Patches; k++ {
		if prev.Patches[k].Forced && !next.Patches[k].Forced && next.Patches[k].Loaded {
			return false, fmt.Sprintf("%s cleared P%d's forced flag", a, k)
		}
	}
	if out.Flags&model.FlagForced != 0 {
		for i := 0; i < int(next.ListLen); i++ {
			if k := next.List[i]; !next.Patches[k].Forced {
				return false, fmt.Sprintf("%s left P%d on klp_patches unforced", a, k)
			}
		}
	}
	return holds()
}

func checkS22(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
	if prev.InTransition() && out.Flags&model.FlagInitTransition != 0 {
		return false, fmt.Sprintf("%s initialized a new transition while P%d's was in progress", a, prev.TransitionPatch)
	}
	return holds()
}

func checkNoLeak(c *model.Config, s *model.State) (bool, string) {
	if s.InTransition() {
		return holds()
	}
	for i := 0; i < int(s.ListLen); i++ {
		if k := s.List[i]; !s.Patches[k].Enabled {
			return false, fmt.Sprintf("P%d stays on klp_patches disabled with no transition in progress", k)
		}
	}
	return holds()
}
