package invariants

import (
	"fmt"

	"github.com/klpcheck/klpcheck/model"
)

// possibility are the AlwaysPossible properties.
var possibility = []Property{
	{
		ID: "L5", Name: "a patch never involved in a forced transition can be removed after it is disabled", Kind: AlwaysPossible,
		Reason: "At 958ef1e a forced transition marks only the patches then on klp_patches (patch->forced), and klp_free_patch_finish drops the module reference of every other patch. " +
			"At v5.0 a force sets the global klp_forced, after which no completion drops a module reference, so a patch loaded after the force can never be removed: " +
			"the model shows this as a violation on v5.0, and the fix \"livepatch: Do not block the removal of patches loaded after a forced transition\" is why it holds at 958ef1e.",
		Condition: func(c *model.Config, s *model.State, k int) (bool, string) {
			p := &s.Patches[k]
			if !p.Loaded || p.Enabled || int(s.TransitionPatch) == k || p.Forced {
				return false, ""
			}
			detail := fmt.Sprintf("P%d is loaded, disabled and not in transition, was never on klp_patches during a force, and its module reference count is %d", k, p.Ref)
			if s.KlpForced {
				detail += " with klp_forced set"
			}
			return true, detail
		},
		Goal: func(c *model.Config, s *model.State, k int) (bool, string) {
			return !s.Patches[k].Loaded, ""
		},
		GoalName: "its module unloaded",
	},
}
