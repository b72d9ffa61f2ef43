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
			if a.Kind == model.Rmmod && !out.Rejected() && prev.Patches[a.Patch].Freed {
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
}
