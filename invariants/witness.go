package invariants

import (
	"fmt"

	"github.com/klpcheck/klpcheck/model"
)

// witnesses are reachability checks. Each StateFunc or StepFunc returns true
// on a state or step that shows the situation.
var witnesses = []Property{
	{
		ID: "W-complete", Name: "a transition completes", Kind: Sometimes,
		Reason: "klp_complete_transition must be reachable, or no patch ever takes effect.",
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if out.Flags&model.FlagCompleted != 0 {
				return true, fmt.Sprintf("%s completed P%d's transition", a, prev.TransitionPatch)
			}
			return false, ""
		},
	},
	{
		ID: "W-removed", Name: "a patch is freed and its module removed", Kind: Sometimes,
		Reason: "The whole life cycle, insmod to rmmod, must be reachable.",
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			// At v5.0 module_exit unregisters the patch in the rmmod step.
			if a.Kind == model.Rmmod && !out.Rejected() && (prev.Patches[a.Patch].Freed || c.V50()) {
				return true, fmt.Sprintf("P%d was freed and its module removed", a.Patch)
			}
			return false, ""
		},
	},
	{
		ID: "W-reversed", Name: "a transition is reversed", Kind: Sometimes,
		Reason: "enabled_store reverses a transition in progress.",
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if out.Flags&model.FlagReversed != 0 {
				return true, fmt.Sprintf("%s reversed P%d's transition", a, prev.TransitionPatch)
			}
			return false, ""
		},
	},
	{
		ID: "W-forced", Name: "a forced patch exists", Kind: Sometimes,
		Reason: "force_store must be able to mark a patch forced.",
		State: func(c *model.Config, s *model.State) (bool, string) {
			for k := 0; k < c.Patches; k++ {
				if s.Patches[k].Forced && s.Patches[k].Loaded {
					return true, fmt.Sprintf("P%d is forced", k)
				}
			}
			return false, ""
		},
	},
	{
		ID: "W-sleeps-in-new", Name: "a task sleeps inside a new function during its transition", Kind: Sometimes,
		Reason: "Tasks must be able to run the new code before the transition completes.",
		State: func(c *model.Config, s *model.State) (bool, string) {
			if !s.InTransition() || s.Target != model.Patched {
				return false, ""
			}
			v := model.PatchVersion(int(s.TransitionPatch))
			for t := 0; t < c.Tasks; t++ {
				for _, fr := range s.Tasks[t].Stack() {
					if fr.Version == v {
						return true, fmt.Sprintf("T%d sleeps in f%d:%s", t, fr.Func, v)
					}
				}
			}
			return false, ""
		},
	},
	{
		ID: "W-reenabled", Name: "a disabled patch is enabled again", Kind: Sometimes,
		Reason:  "v5.0 enabled_store calls __klp_enable_patch on a disabled patch that is not in transition.",
		Applies: func(c *model.Config) bool { return c.V50() },
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if a.Kind == model.Enable && out.Flags&model.FlagInitTransition != 0 {
				return true, fmt.Sprintf("%s started a patching transition", a)
			}
			return false, ""
		},
	},
	{
		ID: "W-applied-coming", Name: "a loading target module is patched", Kind: Sometimes,
		Reason:  "klp_module_coming patches the loading module's object of every enabled or transition patch.",
		Applies: func(c *model.Config) bool { return c.Targets > 0 },
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if a.Kind != model.TargetLoad {
				return false, ""
			}
			for k := 0; k < c.Patches; k++ {
				if next.Patches[k].ObjPatched&(1<<a.Target) != 0 {
					return true, fmt.Sprintf("%s patched P%d's object", a, k)
				}
			}
			return false, ""
		},
	},
	{
		ID: "W-reverted-going", Name: "an unloading target module is reverted", Kind: Sometimes,
		Reason:  "klp_module_going reverts the object of every enabled or transition patch at once, without a transition.",
		Applies: func(c *model.Config) bool { return c.Targets > 0 },
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if a.Kind != model.TargetGoing && a.Kind != model.TargetInitFail {
				return false, ""
			}
			for k := 0; k < c.Patches; k++ {
				if prev.Patches[k].ObjPatched&(1<<a.Target) != 0 {
					return true, fmt.Sprintf("%s reverted P%d's object", a, k)
				}
			}
			return false, ""
		},
	},
	{
		ID: "W-target-blocks", Name: "a task inside a target module's function blocks a transition", Kind: Sometimes,
		Reason:  "klp_check_stack looks at the functions of patched target objects too, which is how the selftest with a busy target module keeps a transition open.",
		Applies: func(c *model.Config) bool { return c.Targets > 0 },
		State: func(c *model.Config, s *model.State) (bool, string) {
			if !s.InTransition() {
				return false, ""
			}
			k := int(s.TransitionPatch)
			for j := 0; j < c.Targets; j++ {
				f := c.TargetFunc(j)
				fs := &s.FuncStacks[f]
				i := fs.Index(k)
				if i < 0 {
					continue
				}
				blocking := fs.Below(i)
				if s.Target == model.Unpatched {
					blocking = model.PatchVersion(k)
				}
				for t := 0; t < c.Tasks; t++ {
					task := &s.Tasks[t]
					for _, fr := range task.Stack() {
						if int(fr.Func) == f && fr.Version == blocking && task.PatchState != s.Target {
							return true, fmt.Sprintf("T%d sleeps in X%d's function, version %s, during P%d's transition", t, j, fr.Version, k)
						}
					}
				}
			}
			return false, ""
		},
	},
	{
		ID: "W-post-unpatch", Name: "a post_unpatch callback runs", Kind: Sometimes,
		Reason:  "klp_post_unpatch_callback must be reachable, or the pairing check of S15 passes vacuously.",
		Applies: func(c *model.Config) bool { return c.Callbacks },
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			for k := 0; k < c.Patches; k++ {
				for o := 0; o < c.NumObjects(); o++ {
					was := prev.Patches[k].Callbacks[o]
					if next.Patches[k].Loaded && was != model.CallbacksIdle && next.Patches[k].Callbacks[o] == model.CallbacksIdle {
						return true, fmt.Sprintf("%s ran post_unpatch of P%d for object %d", a, k, o)
					}
				}
			}
			return false, ""
		},
	},
	{
		ID: "W-load-refused", Name: "a failing pre_patch refuses a target module load", Kind: Sometimes,
		Reason:  "klp_module_coming returns the pre_patch error, and the module loader then fails the load.",
		Applies: func(c *model.Config) bool { return c.PrePatchRet && c.Targets > 0 },
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if a.Kind == model.TargetLoad && out.Rejected() {
				return true, fmt.Sprintf("%s failed with -%s", a, out.Err)
			}
			return false, ""
		},
	},
	{
		ID: "W-enable-cancelled", Name: "a failing pre_patch cancels an enable", Kind: Sometimes,
		Reason:  "__klp_enable_patch calls klp_cancel_transition when a pre_patch callback fails.",
		Applies: func(c *model.Config) bool { return c.PrePatchRet },
		Step: func(c *model.Config, prev *model.State, a model.Action, next *model.State, out model.Outcome) (bool, string) {
			if (a.Kind == model.Insmod || a.Kind == model.Enable) && out.Err == model.ENODEV {
				return true, fmt.Sprintf("%s failed with -%s", a, out.Err)
			}
			return false, ""
		},
	},
}
