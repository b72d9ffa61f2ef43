package model

// This file holds the object side of the core: binding objects to target
// modules, patching and unpatching one object, the four callbacks, and the
// module notifiers klp_module_coming and klp_module_going.

// bindObjects binds every target object of patch k whose module is alive,
// as klp_init_object does through klp_find_object_module when the patch is
// initialised (958ef1e) or registered (v5.0).
func (st *stepper) bindObjects(s *State, k int) {
	for j := 0; j < st.c.Targets; j++ {
		if s.Targets[j] != ModuleAbsent && st.c.HasObject(k, j+1) {
			s.Patches[k].Bound |= 1 << j
		}
	}
}

// patchObject is klp_patch_object: push the object's functions on their
// func_stacks and mark it patched.
func (st *stepper) patchObject(s *State, k, o int) {
	if o == 0 {
		for f := 0; f < st.c.Functions; f++ {
			s.FuncStacks[f].push(k)
		}
		return
	}
	s.FuncStacks[st.c.TargetFunc(o-1)].push(k)
	s.Patches[k].ObjPatched |= 1 << (o - 1)
}

// unpatchObject is klp_unpatch_object: pop the object's functions and clear
// its patched mark.
func (st *stepper) unpatchObject(s *State, k, o int) {
	if o == 0 {
		for f := 0; f < st.c.Functions; f++ {
			s.FuncStacks[f].remove(k)
		}
		return
	}
	s.FuncStacks[st.c.TargetFunc(o-1)].remove(k)
	s.Patches[k].ObjPatched &^= 1 << (o - 1)
}

// objectModuleState returns the state of object o's target module as the
// callback module prints it.
func objectModuleState(s *State, o int) ModuleState {
	if o == 0 {
		return ModuleAbsent
	}
	return s.Targets[o-1]
}

func (st *stepper) logCallback(s *State, k, o int, cb Callback) {
	st.logEvent(Event{Kind: EventCallback, Patch: k, Object: o, Callback: cb, ModuleState: objectModuleState(s, o)})
}

// prePatch is klp_pre_patch_callback: run pre_patch, which returns -ENODEV
// when the patch module's pre_patch_ret is set, and record in
// post_unpatch_enabled whether it succeeded. For a patch without callbacks
// it does nothing and succeeds.
func (st *stepper) prePatch(s *State, k, o int) Errno {
	if !st.c.HasCallbacks(k) {
		return 0
	}
	p := &s.Patches[k]
	st.logCallback(s, k, o, PrePatch)
	if p.PrePatchRet {
		p.PostUnpatchEnabled &^= 1 << o
		return ENODEV
	}
	p.PostUnpatchEnabled |= 1 << o
	p.Callbacks[o] = CallbacksPrePatched
	return 0
}

// postPatch is klp_post_patch_callback.
func (st *stepper) postPatch(s *State, k, o int) {
	if !st.c.HasCallbacks(k) {
		return
	}
	st.logCallback(s, k, o, PostPatch)
	s.Patches[k].Callbacks[o] = CallbacksPostPatched
}

// preUnpatch is klp_pre_unpatch_callback.
func (st *stepper) preUnpatch(s *State, k, o int) {
	if !st.c.HasCallbacks(k) {
		return
	}
	st.logCallback(s, k, o, PreUnpatch)
	s.Patches[k].Callbacks[o] = CallbacksPreUnpatched
}

// postUnpatch is klp_post_unpatch_callback: post_unpatch runs only if
// post_unpatch_enabled is set, and the flag is cleared either way.
func (st *stepper) postUnpatch(s *State, k, o int) {
	if !st.c.HasCallbacks(k) {
		return
	}
	p := &s.Patches[k]
	if p.PostUnpatchEnabled&(1<<o) != 0 {
		st.logCallback(s, k, o, PostUnpatch)
		p.Callbacks[o] = CallbacksIdle
	}
	p.PostUnpatchEnabled &^= 1 << o
}

// preUnpatchObjects runs pre_unpatch for every patched object, as
// __klp_disable_patch does between klp_init_transition and
// klp_start_transition.
func (st *stepper) preUnpatchObjects(s *State, k int) {
	for o := 0; o < st.c.NumObjects(); o++ {
		if s.ObjectPatched(k, o) {
			st.preUnpatch(s, k, o)
		}
	}
}

// cancelTransition is klp_cancel_transition, reached from the error path of
// __klp_enable_patch before klp_start_transition: the target becomes
// KLP_UNPATCHED and the transition completes at once.
func (st *stepper) cancelTransition(s *State) {
	st.log(EventCanceling, int(s.TransitionPatch), s.Target)
	s.Target = Unpatched
	st.completeTransition(s)
}

// targetLoad loads target module j up to its init. The module becomes
// COMING and klp_module_coming runs under klp_mutex. It sets klp_alive and
// binds the module's object of each patch on klp_patches that has one, in
// list order.
// When the patch is enabled or in transition, it also runs pre_patch,
// patches the object, and runs post_patch unless the patch is the
// transition patch. A failing pre_patch rejects the load: the patches
// already processed are reverted and the module is freed.
//
// Both generations leave the failing object bound (obj->mod set) on that
// error path. Commit 4ff96fb52c69 (v5.4) clears it; property S18 reports
// the stale binding.
func (st *stepper) targetLoad(s *State, j int) {
	s.Targets[j] = ModuleComing
	o := j + 1
	for i := 0; i < int(s.ListLen); i++ {
		k := int(s.List[i])
		if !st.c.HasObject(k, o) {
			continue
		}
		p := &s.Patches[k]
		p.Bound |= 1 << j
		if !p.Enabled && int(s.TransitionPatch) != k {
			continue
		}
		st.logEvent(Event{Kind: EventApplying, Patch: k, Module: j})
		if err := st.prePatch(s, k, o); err != 0 {
			st.logEvent(Event{Kind: EventPrePatchFailed, Patch: k, Object: o})
			st.logEvent(Event{Kind: EventRefusing, Patch: k, Module: j})
			st.cleanupModulePatches(s, j, i)
			s.Targets[j] = ModuleAbsent
			st.out.Err = err
			return
		}
		st.patchObject(s, k, o)
		if int(s.TransitionPatch) != k {
			st.postPatch(s, k, o)
		}
	}
}

// moduleGoing is klp_module_going for target module j: under klp_mutex it
// clears klp_alive and cleans up every patch on klp_patches.
func (st *stepper) moduleGoing(s *State, j int) {
	st.cleanupModulePatches(s, j, int(s.ListLen))
}

// cleanupModulePatches is klp_cleanup_module_patches_limited for the first
// limit patches on klp_patches that have an object for module j. For each
// such patch that is enabled or in transition it runs pre_unpatch (skipped for the transition patch),
// reverts the object at once without a transition, and runs post_unpatch.
// Then it unbinds the object, enabled or not.
func (st *stepper) cleanupModulePatches(s *State, j, limit int) {
	o := j + 1
	for i := 0; i < limit; i++ {
		k := int(s.List[i])
		if !st.c.HasObject(k, o) {
			continue
		}
		p := &s.Patches[k]
		if p.Enabled || int(s.TransitionPatch) == k {
			if int(s.TransitionPatch) != k || st.c.Mutant == M12 {
				st.preUnpatch(s, k, o)
			}
			st.logEvent(Event{Kind: EventReverting, Patch: k, Module: j})
			st.unpatchObject(s, k, o)
			st.postUnpatch(s, k, o)
		}
		p.Bound &^= 1 << j
	}
}
