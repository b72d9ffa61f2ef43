package main

import "github.com/klpcheck/klpcheck/model"

// checkExploreConfig checks the options of explore that model.Config.Validate
// also checks, so that the message names the flags as the user typed them.
// Validate keeps its own messages for callers of the Go API.
func checkExploreConfig(c model.Config) error {
	if err := checkRange("targets", c.Targets, 0, model.MaxTargets); err != nil {
		return err
	}
	if c.PrePatchRet && !c.Callbacks {
		return usagef("invalid --pre-patch-ret: it needs --callbacks, because it makes the pre_patch callbacks fail")
	}
	if c.Mutant.NeedsCallbacks() && (c.Targets == 0 || !c.Callbacks) {
		return usagef("invalid --mutant %s: it changes callback code, so it needs at least --targets 1 and --callbacks", c.Mutant)
	}
	if !c.Mutant.AppliesTo(c.Kernel) {
		return usagef("invalid --mutant %s: it changes code that --kernel %s does not have; use --kernel %s", c.Mutant, c.Kernel, model.Kernel958ef1e)
	}
	return nil
}

// checkTraceMutant checks the mutant that --mutant switches into c, the
// configuration recorded in a trace file.
func checkTraceMutant(c model.Config) error {
	if c.Mutant.NeedsCallbacks() && (c.Targets == 0 || !c.Callbacks) {
		return usagef("invalid --mutant %s: it changes callback code, but the trace was recorded without target modules and callbacks", c.Mutant)
	}
	if !c.Mutant.AppliesTo(c.Kernel) {
		return usagef("invalid --mutant %s: it changes code that kernel %s, recorded in the trace, does not have", c.Mutant, c.Kernel)
	}
	return nil
}
