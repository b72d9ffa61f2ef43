// Package model is a small state machine of the Linux livepatch core
// (kernel/livepatch/) as it is after commit 958ef1e39d24 ("livepatch:
// Simplify API by removing registration step", Linux 5.1).
//
// A State is a comparable value of fixed-size arrays: the klp_patches list,
// the transition (klp_transition_patch, klp_target_state, the delayed
// transition work), one record per patch module, one per task and one
// func_stack per patched function. An Action is one atomic step of a kernel
// routine. Every routine that runs under klp_mutex (module_init calling
// klp_enable_patch, the sysfs store handlers, the transition work) is one
// step, and so are free_work and each task event, because those run without
// the mutex and interleave with it.
//
// Step is pure: it takes a state and an action and returns the next state and
// an Outcome, without retaining either. Actions enumerates the enabled
// actions of a state into a caller-owned slice in a fixed order, which makes
// breadth-first counterexamples reproducible.
//
// docs/model.md lists every variable and action with its guard, effect and
// kernel function, and the kernel behaviour the model leaves out.
package model
