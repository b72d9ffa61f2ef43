package model

// Step applies a to s and returns the next state and the outcome. It does
// not retain s. The caller must pass an action that Actions returned for s.
func (c *Config) Step(s State, a Action) (State, Outcome) {
	st := stepper{c: c}
	st.step(&s, a)
	return s, st.out
}

// StepInPlace is Step that changes *s into the next state instead of
// copying it, for search loops.
func (c *Config) StepInPlace(s *State, a Action) Outcome {
	st := stepper{c: c}
	st.step(s, a)
	return st.out
}

// StepLogged is Step that also passes each kernel log message of the step to
// emit, in the order the kernel prints them.
func (c *Config) StepLogged(s State, a Action, emit func(Event)) (State, Outcome) {
	st := stepper{c: c, emit: emit}
	st.step(&s, a)
	return s, st.out
}

// stepper carries the configuration, the log sink and the outcome through
// the kernel routines of one step.
type stepper struct {
	c    *Config
	emit func(Event)
	out  Outcome
}

func (st *stepper) log(kind EventKind, k int, target TargetState) {
	if st.emit != nil {
		st.emit(Event{Kind: kind, Patch: k, Target: target})
	}
}

func (st *stepper) logEvent(e Event) {
	if st.emit != nil {
		st.emit(e)
	}
}

// context is where a kernel routine runs, which decides whether freeing a
// patch inline would deadlock.
type context uint8

const (
	inModuleInit context = iota
	inSysfsHandler
	inWorkqueue
)

func (st *stepper) step(s *State, a Action) {
	k := int(a.Patch)
	j := int(a.Target)
	switch a.Kind {
	case Insmod:
		if st.c.V50() {
			st.insmodV50(s, k)
		} else {
			st.insmod(s, k)
		}
	case Rmmod:
		if st.c.V50() {
			st.rmmodV50(s, k)
		} else {
			st.rmmod(s, k)
		}
	case Disable:
		st.enabledStore(s, k, false)
	case Enable:
		st.enabledStore(s, k, true)
	case Force:
		st.forceStore(s, k)
	case FreeWork:
		// klp_free_patch_work_fn: the work item is dequeued, then frees.
		s.Patches[k].FreeWork = false
		st.freePatchFinish(s, k)
	case TransitionWork:
		// klp_transition_work_fn: dequeued, then under klp_mutex it retries
		// the transition if one is still in progress.
		s.TransitionWork = false
		if s.InTransition() {
			st.tryCompleteTransition(s, inWorkqueue)
		}
	case Call:
		st.call(s, int(a.Task), int(a.Func))
	case Return:
		t := &s.Tasks[a.Task]
		t.Depth--
		t.Frames[t.Depth] = Frame{}
	case ExitToUser:
		updatePatchState(s, int(a.Task))
	case SetPrePatchRet:
		s.Patches[k].PrePatchRet = !s.Patches[k].PrePatchRet
	case TargetLoad:
		st.targetLoad(s, j)
	case TargetInit:
		s.Targets[j] = ModuleLive
		st.logEvent(Event{Kind: EventModuleInit, Module: j})
	case TargetInitFail:
		// The module is still COMING when the loader calls
		// klp_module_going on the failed init.
		st.moduleGoing(s, j)
		s.Targets[j] = ModuleAbsent
	case TargetUnload:
		s.Targets[j] = ModuleGoing
		st.logEvent(Event{Kind: EventModuleExit, Module: j})
	case TargetGoing:
		st.moduleGoing(s, j)
		s.Targets[j] = ModuleAbsent
	}
}

// insmod loads patch module k. Its module_init is klp_enable_patch: under
// klp_mutex, klp_init_patch_early takes the module reference,
// klp_init_patch adds the sysfs directory and appends the patch to
// klp_patches, and __klp_enable_patch starts the patching transition. If
// __klp_enable_patch fails, klp_free_patch_start runs under the mutex and
// klp_free_patch_finish right after it, synchronously, and the load fails:
// the module is freed.
func (st *stepper) insmod(s *State, k int) {
	s.Patches[k] = Patch{Loaded: true, Ref: 1, Sysfs: true, PrePatchRet: s.Patches[k].PrePatchRet}
	st.bindObjects(s, k)
	s.listAppend(k)

	if err := st.enablePatch(s, k, inModuleInit); err != 0 {
		st.out.Err = err
		st.freePatchStart(s, k)
		st.freePatchFinish(s, k)
		st.unloadModule(s, k)
	}
}

// rmmod unloads patch module k unless it is referenced. Since 958ef1e the
// module exit of a livepatch module does nothing.
func (st *stepper) rmmod(s *State, k int) {
	if s.Patches[k].Ref != 0 {
		st.out.Err = EAGAIN
		return
	}
	st.unloadModule(s, k)
}

// unloadModule frees module k's memory, and with it the struct klp_patch
// and its objects. ObjPatched stays, like FuncTransition, because
// func_stack still refers to a patched object.
func (st *stepper) unloadModule(s *State, k int) {
	p := &s.Patches[k]
	p.Loaded = false
	p.Enabled = false
	p.Forced = false
	p.Freed = false
	p.Bound = 0
	p.PostUnpatchEnabled = 0
	p.Callbacks = [MaxObjects]CallbackPhase{}
}

// enablePatch is __klp_enable_patch, in the form of the configured kernel.
// ctx is where it runs, for the free that 958ef1e may start inline.
func (st *stepper) enablePatch(s *State, k int, ctx context) Errno {
	p := &s.Patches[k]
	if s.InTransition() && st.c.Mutant != M11 {
		return EBUSY
	}
	if p.Enabled {
		return EINVAL
	}
	if st.c.V50() {
		// Stacking: the patch before this one on klp_patches must be
		// enabled.
		if i := s.listIndex(k); i > 0 && !s.Patches[s.List[i-1]].Enabled {
			return EBUSY
		}
		// try_module_get succeeds: the module is COMING (from its own
		// init) or LIVE, never GOING, because delete_module unregisters
		// the patch in the same step that makes the module GOING.
		p.Ref = min(p.Ref+1, RefSaturation)
	} else if !p.Sysfs {
		// kobj_added is false
		return EINVAL
	}

	st.log(EventEnabling, k, Patched)
	st.initTransition(s, k, Patched)
	for o := 0; o < st.c.NumObjects(); o++ {
		if !st.c.HasObject(k, o) || !s.ObjectLoaded(k, o) {
			continue
		}
		if err := st.prePatch(s, k, o); err != 0 {
			st.logEvent(Event{Kind: EventPrePatchFailed, Patch: k, Object: o})
			st.logEvent(Event{Kind: EventEnableFailed, Patch: k})
			st.cancelTransition(s)
			return err
		}
		st.patchObject(s, k, o)
	}

	st.startTransition(s)
	if st.c.V50() {
		// v5.0 sets enabled only after the first completion attempt.
		st.tryCompleteTransition(s, ctx)
		p.Enabled = true
		return 0
	}
	p.Enabled = true
	st.tryCompleteTransition(s, ctx)
	return 0
}

// disablePatch is __klp_disable_patch at 958ef1e, including its stacking
// rule: only the last patch on klp_patches may be disabled.
func (st *stepper) disablePatch(s *State, k int) Errno {
	p := &s.Patches[k]
	if !p.Enabled {
		return EINVAL
	}
	if s.InTransition() {
		return EBUSY
	}
	if s.ListTail() != k {
		return EBUSY
	}
	st.initTransition(s, k, Unpatched)
	st.preUnpatchObjects(s, k)
	st.startTransition(s)
	if st.c.Mutant == M1 {
		st.tryCompleteTransition(s, inSysfsHandler)
		p.Enabled = false
		return 0
	}
	p.Enabled = false
	st.tryCompleteTransition(s, inSysfsHandler)
	return 0
}

// enabledStore is the store handler of /sys/kernel/livepatch/<k>/enabled.
func (st *stepper) enabledStore(s *State, k int, enabled bool) {
	p := &s.Patches[k]
	switch {
	case p.Enabled == enabled:
		st.out.Err = EINVAL
	case s.TransitionPatch == int8(k):
		st.reverseTransition(s)
	case !enabled && st.c.V50():
		st.out.Err = st.disablePatchV50(s, k)
	case !enabled:
		st.out.Err = st.disablePatch(s, k)
	case st.c.V50():
		// v5.0 enables a disabled patch again.
		st.out.Err = st.enablePatch(s, k, inSysfsHandler)
	case st.c.Mutant == M4:
		st.out.Err = st.enablePatch(s, k, inSysfsHandler)
	default:
		// A disabled patch can never be enabled again.
		st.out.Err = EINVAL
	}
}

// forceStore is the store handler of /sys/kernel/livepatch/<k>/force with
// the value 1: only the transition patch can be forced.
func (st *stepper) forceStore(s *State, k int) {
	if s.TransitionPatch != int8(k) {
		st.out.Err = EINVAL
		return
	}
	st.forceTransition(s)
}

// initTransition is klp_init_transition: every task gets the initial state
// (the opposite of the target) before any function is marked in transition.
func (st *stepper) initTransition(s *State, k int, target TargetState) {
	s.TransitionPatch = int8(k)
	s.Target = target
	st.log(EventInitializing, k, target)
	for t := 0; t < st.c.Tasks; t++ {
		s.Tasks[t].PatchState = target.opposite()
	}
	s.Patches[k].FuncTransition = true
	st.out.Flags |= FlagInitTransition
}

// startTransition is klp_start_transition: every task not yet in the target
// state gets TIF_PATCH_PENDING.
func (st *stepper) startTransition(s *State) {
	st.log(EventStarting, int(s.TransitionPatch), s.Target)
	for t := 0; t < st.c.Tasks; t++ {
		task := &s.Tasks[t]
		if task.PatchState != s.Target {
			task.Pending = true
		}
	}
}

// reverseTransition is klp_reverse_transition. It flips enabled and the
// target, clears every pending flag, waits for tasks inside
// klp_update_patch_state (klp_synchronize_transition), and starts the
// transition again. It runs no callbacks and does not try to complete: the
// transition work that is already scheduled does that.
func (st *stepper) reverseTransition(s *State) {
	k := int(s.TransitionPatch)
	st.log(EventReversing, k, s.Target)
	s.Patches[k].Enabled = !s.Patches[k].Enabled
	s.Target = s.Target.opposite()
	for t := 0; t < st.c.Tasks; t++ {
		s.Tasks[t].Pending = false
	}
	st.startTransition(s)
	st.out.Flags |= FlagReversed
}

// forceTransition is klp_force_transition: klp_update_patch_state on every
// task, whatever its stack, then every patch on klp_patches is marked
// forced. v5.0 sets the global klp_forced instead; the per-patch mark is
// then the ghost that L5 reads.
func (st *stepper) forceTransition(s *State) {
	st.log(EventForcing, int(s.TransitionPatch), s.Target)
	for t := 0; t < st.c.Tasks; t++ {
		updatePatchState(s, t)
	}
	for i := 0; i < int(s.ListLen); i++ {
		s.Patches[s.List[i]].Forced = true
	}
	if st.c.V50() {
		s.KlpForced = true
	}
	st.out.Flags |= FlagForced
}

// updatePatchState is klp_update_patch_state: if the task's pending flag is
// set, clear it and move the task to klp_target_state.
func updatePatchState(s *State, t int) {
	task := &s.Tasks[t]
	if task.Pending {
		task.Pending = false
		task.PatchState = s.Target
	}
}

// affected returns the version of function f that blocks a task from
// switching, as klp_check_stack computes it. For an unpatching transition
// it is the transition patch's own function. For a patching transition it
// is the previous implementation: the entry below the patch on func_stack,
// or the original. ok is false when the patch is not on f's func_stack, because
// klp_check_stack skips objects that are not patched.
func (s *State) affected(f int) (v Version, ok bool) {
	k := int(s.TransitionPatch)
	fs := &s.FuncStacks[f]
	i := fs.Index(k)
	if i < 0 {
		return 0, false
	}
	if s.Target == Unpatched {
		return PatchVersion(k), true
	}
	return fs.Below(i), true
}

// trySwitchTask is klp_try_switch_task for a task that is not running: it
// switches the task unless a frame on its stack is an affected version. A
// task already in the target state counts as switched, and its pending flag
// is left as it is.
func (s *State) trySwitchTask(t int) bool {
	task := &s.Tasks[t]
	if task.PatchState == s.Target {
		return true
	}
	for _, fr := range task.Stack() {
		if v, ok := s.affected(int(fr.Func)); ok && fr.Version == v {
			return false
		}
	}
	task.Pending = false
	task.PatchState = s.Target
	return true
}

// tryCompleteTransition is klp_try_complete_transition: try to switch every
// task; if one could not switch, schedule the transition work again.
// Otherwise complete the transition and, when the patch ends up disabled,
// start freeing it and schedule its free_work.
func (st *stepper) tryCompleteTransition(s *State, ctx context) {
	complete := true
	for t := 0; t < st.c.Tasks; t++ {
		if !s.trySwitchTask(t) {
			complete = false
		}
	}
	if !complete {
		s.TransitionWork = true
		return
	}

	k := int(s.TransitionPatch)
	st.completeTransition(s)
	if st.c.V50() || s.Patches[k].Enabled {
		// v5.0 frees nothing here: the patch stays registered.
		return
	}
	st.freePatchStart(s, k)
	if st.c.Mutant == M3 && ctx == inSysfsHandler {
		st.freePatchFinish(s, k)
		st.out.Flags |= FlagFreeInOwnHandler
		return
	}
	s.Patches[k].FreeWork = true
}

// completeTransition is klp_complete_transition.
func (st *stepper) completeTransition(s *State) {
	k := int(s.TransitionPatch)
	target := s.Target
	st.log(EventCompleting, k, target)
	if target == Unpatched {
		// klp_unpatch_objects: the functions of every patched object leave
		// their func_stacks.
		for o := 0; o < st.c.NumObjects(); o++ {
			if s.ObjectPatched(k, o) {
				st.unpatchObject(s, k, o)
			}
		}
	}
	s.Patches[k].FuncTransition = false
	// Every task returns to KLP_UNDEFINED. The kernel only warns about a
	// pending flag that is still set and leaves it.
	for t := 0; t < st.c.Tasks; t++ {
		s.Tasks[t].PatchState = Undefined
	}

	// The post callbacks of the new direction, for loaded objects only.
	for o := 0; o < st.c.NumObjects(); o++ {
		if !st.c.HasObject(k, o) || !s.ObjectLoaded(k, o) {
			continue
		}
		if target == Patched {
			st.postPatch(s, k, o)
		} else {
			st.postUnpatch(s, k, o)
		}
	}
	if st.c.Mutant == M5 && target == Unpatched && !s.Patches[k].Forced {
		s.Patches[k].Ref--
	}
	if st.c.V50() && target == Unpatched && !s.KlpForced {
		s.Patches[k].Ref--
	}
	st.log(EventComplete, k, target)
	s.Target = Undefined
	s.TransitionPatch = NoPatch
	st.out.Flags |= FlagCompleted
}

// freePatchStart is klp_free_patch_start: the patch leaves klp_patches and
// its object and function kobjects are released.
func (st *stepper) freePatchStart(s *State, k int) {
	if st.c.Mutant != M6 {
		s.listDelete(k)
	}
}

// freePatchFinish is klp_free_patch_finish: put the patch kobject (the
// sysfs directory goes away), wait for its release, then drop the module
// reference unless the patch was forced. This is the last access to the
// patch.
func (st *stepper) freePatchFinish(s *State, k int) {
	p := &s.Patches[k]
	p.Sysfs = false
	if !p.Forced || st.c.Mutant == M2 {
		p.Ref--
	}
	p.Freed = true
}

// call pushes function f on task t's stack with the version
// klp_ftrace_handler selects. That is the original while f's func_stack is
// empty, and the newest patch when that patch is not in transition. During
// its transition, a task in KLP_PATCHED gets the newest patch and a task in
// KLP_UNPATCHED the entry below it. A task in KLP_UNDEFINED gets the newest patch, after the
// kernel's warning.
func (st *stepper) call(s *State, t, f int) {
	task := &s.Tasks[t]
	fs := &s.FuncStacks[f]
	v := Original
	if top := fs.Top(); top >= 0 {
		v = PatchVersion(top)
		if s.Patches[top].FuncTransition {
			switch task.PatchState {
			case Unpatched:
				v = fs.Below(int(fs.Len) - 1)
			case Undefined:
				st.out.Flags |= FlagHandlerUndefined
			}
		}
	}
	task.Frames[task.Depth] = Frame{Func: uint8(f), Version: v}
	task.Depth++
}
