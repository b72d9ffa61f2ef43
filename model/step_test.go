package model_test

import (
	"slices"
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// The step tests build each scenario by applying actions from the initial
// state, so every state they check is reachable. The expected values come
// from the kernel routines at commit 958ef1e39d24 named in each comment, not
// from running the model.

func config(patches, tasks, functions int) model.Config {
	return model.Config{Kernel: model.Kernel958ef1e, Patches: patches, Tasks: tasks, Functions: functions}
}

func insmod(k int) model.Action   { return model.Action{Kind: model.Insmod, Patch: uint8(k)} }
func rmmod(k int) model.Action    { return model.Action{Kind: model.Rmmod, Patch: uint8(k)} }
func disable(k int) model.Action  { return model.Action{Kind: model.Disable, Patch: uint8(k)} }
func enable(k int) model.Action   { return model.Action{Kind: model.Enable, Patch: uint8(k)} }
func force(k int) model.Action    { return model.Action{Kind: model.Force, Patch: uint8(k)} }
func freeWork(k int) model.Action { return model.Action{Kind: model.FreeWork, Patch: uint8(k)} }
func transitionWork() model.Action {
	return model.Action{Kind: model.TransitionWork}
}
func call(t, f int) model.Action {
	return model.Action{Kind: model.Call, Task: uint8(t), Func: uint8(f)}
}
func ret(t int) model.Action { return model.Action{Kind: model.Return, Task: uint8(t)} }
func exitToUser(t int) model.Action {
	return model.Action{Kind: model.ExitToUser, Task: uint8(t)}
}

// mustStep applies a to s after checking that Actions offers it.
// withTargetCallbacks adds one target module and callbacks to c.
func withTargetCallbacks(c model.Config) model.Config {
	c.Targets, c.Callbacks = 1, true
	return c
}

func mustStep(t *testing.T, c *model.Config, s model.State, a model.Action) (model.State, model.Outcome) {
	t.Helper()
	if !slices.Contains(c.Actions(&s, nil), a) {
		t.Fatalf("%s is not enabled in state\n%s", a, c.Label(s))
	}
	return c.Step(s, a)
}

// replay applies setup from the initial state and fails the test if any of
// those steps is rejected.
func replay(t *testing.T, c *model.Config, setup ...model.Action) model.State {
	t.Helper()
	s := model.Initial(c)
	for _, a := range setup {
		var out model.Outcome
		s, out = mustStep(t, c, s, a)
		if out.Rejected() {
			t.Fatalf("setup step %s failed with -%s", a, out.Err)
		}
	}
	return s
}

func stack(vs ...int) model.FuncStack {
	var fs model.FuncStack
	for _, k := range vs {
		fs.Patches[fs.Len] = uint8(k)
		fs.Len++
	}
	return fs
}

func list(s model.State) []int {
	var ks []int
	for _, k := range s.List[:s.ListLen] {
		ks = append(ks, int(k))
	}
	return ks
}

// The check helpers give every field its own assertion, so a failure names
// one cause.

func checkList(t *testing.T, s model.State, want ...int) {
	t.Helper()
	if got := list(s); !slices.Equal(got, want) {
		t.Errorf("klp_patches = %v, want %v", got, want)
	}
}

func checkTransition(t *testing.T, s model.State, patch int, target model.TargetState) {
	t.Helper()
	if int(s.TransitionPatch) != patch {
		t.Errorf("klp_transition_patch = %d, want %d", s.TransitionPatch, patch)
	}
	if s.Target != target {
		t.Errorf("klp_target_state = %s, want %s", s.Target, target)
	}
}

func checkNoTransition(t *testing.T, s model.State) {
	t.Helper()
	checkTransition(t, s, int(model.NoPatch), model.Undefined)
	if s.TransitionWork {
		t.Errorf("klp_transition_work is scheduled with no transition in progress")
	}
}

func checkTask(t *testing.T, s model.State, task int, state model.TargetState, pending bool) {
	t.Helper()
	if got := s.Tasks[task].PatchState; got != state {
		t.Errorf("T%d patch_state = %s, want %s", task, got, state)
	}
	if got := s.Tasks[task].Pending; got != pending {
		t.Errorf("T%d TIF_PATCH_PENDING = %t, want %t", task, got, pending)
	}
}

func checkFrames(t *testing.T, s model.State, task int, want ...model.Frame) {
	t.Helper()
	if got := s.Tasks[task].Stack(); !slices.Equal(got, want) {
		t.Errorf("T%d stack = %v, want %v", task, got, want)
	}
}

func checkFuncStack(t *testing.T, s model.State, f int, want ...int) {
	t.Helper()
	if got := s.FuncStacks[f]; got != stack(want...) {
		t.Errorf("func_stack(f%d) = %v, want %v", f, got.Patches[:got.Len], want)
	}
}

func checkPatch(t *testing.T, s model.State, k int, want model.Patch) {
	t.Helper()
	got := s.Patches[k]
	fields := []struct {
		name      string
		got, want any
	}{
		{"Loaded", got.Loaded, want.Loaded},
		{"Ref", got.Ref, want.Ref},
		{"Enabled", got.Enabled, want.Enabled},
		{"Forced", got.Forced, want.Forced},
		{"Sysfs", got.Sysfs, want.Sysfs},
		{"FreeWork", got.FreeWork, want.FreeWork},
		{"Freed", got.Freed, want.Freed},
		{"FuncTransition", got.FuncTransition, want.FuncTransition},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("P%d.%s = %v, want %v", k, f.name, f.got, f.want)
		}
	}
}

func checkFlags(t *testing.T, out model.Outcome, set, clear model.Flag) {
	t.Helper()
	if out.Flags&set != set {
		t.Errorf("outcome flags %#b lack %#b", out.Flags, set&^out.Flags)
	}
	if out.Flags&clear != 0 {
		t.Errorf("outcome flags %#b include %#b", out.Flags, out.Flags&clear)
	}
}

func orig(f int) model.Frame { return model.Frame{Func: uint8(f), Version: model.Original} }
func in(f, k int) model.Frame {
	return model.Frame{Func: uint8(f), Version: model.PatchVersion(k)}
}

// live is a loaded patch that klp_enable_patch set up and that is not yet
// freed.
var live = model.Patch{Loaded: true, Ref: 1, Sysfs: true, Enabled: true}

type stepCase struct {
	name   string
	config model.Config
	setup  []model.Action
	action model.Action
	err    model.Errno
	// check runs on the state before and after action, unless err is set:
	// then the state must be unchanged.
	check func(t *testing.T, before, after model.State, out model.Outcome)
}

func runStepCases(t *testing.T, cases []stepCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.config
			before := replay(t, &c, tc.setup...)
			after, out := mustStep(t, &c, before, tc.action)
			if out.Err != tc.err {
				t.Fatalf("%s returned -%s, want -%s", tc.action, out.Err, tc.err)
			}
			if tc.err != 0 {
				if after != before {
					t.Errorf("rejected %s changed the state\nbefore:\n%s\nafter:\n%s", tc.action, c.Label(before), c.Label(after))
				}
				if out.Flags != 0 {
					t.Errorf("rejected %s set outcome flags %#b", tc.action, out.Flags)
				}
				return
			}
			tc.check(t, before, after, out)
		})
	}
}

func TestStepInsmod(t *testing.T) {
	runStepCases(t, []stepCase{
		{
			// klp_enable_patch: klp_init_patch_early takes the module
			// reference, klp_init_patch adds the sysfs directory and appends
			// to klp_patches, and __klp_enable_patch starts the transition.
			// With no task inside f0, klp_try_complete_transition finishes
			// it at once.
			name:   "completes inline when no task blocks",
			config: config(1, 2, 1),
			action: insmod(0),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkPatch(t, s, 0, live)
				checkList(t, s, 0)
				checkFuncStack(t, s, 0, 0)
				checkNoTransition(t, s)
				checkTask(t, s, 0, model.Undefined, false)
				checkTask(t, s, 1, model.Undefined, false)
				checkFlags(t, out, model.FlagInitTransition|model.FlagCompleted, 0)
			},
		},
		{
			// T0 sleeps in the original f0, which is the version
			// klp_check_stack looks for when patching over an empty
			// func_stack. patch->enabled is already true because
			// __klp_enable_patch sets it before klp_try_complete_transition.
			name:   "leaves a task in the original pending",
			config: config(1, 2, 1),
			setup:  []model.Action{call(0, 0)},
			action: insmod(0),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, Enabled: true, FuncTransition: true})
				checkList(t, s, 0)
				checkFuncStack(t, s, 0, 0)
				checkTransition(t, s, 0, model.Patched)
				if !s.TransitionWork {
					t.Errorf("klp_transition_work is not scheduled after a failed try")
				}
				checkTask(t, s, 0, model.Unpatched, true)
				checkFrames(t, s, 0, orig(0))
				checkTask(t, s, 1, model.Patched, false)
				checkFlags(t, out, model.FlagInitTransition, model.FlagCompleted)
			},
		},
		{
			// __klp_enable_patch returns -EBUSY while klp_transition_patch
			// is set; klp_enable_patch then frees the half-built patch
			// synchronously and module_init fails, so nothing remains.
			name:   "EBUSY while another transition is in progress",
			config: config(2, 1, 1),
			setup:  []model.Action{call(0, 0), insmod(0)},
			action: insmod(1),
			err:    model.EBUSY,
		},
	})
}

func TestStepEnabledStore(t *testing.T) {
	runStepCases(t, []stepCase{
		{
			// __klp_disable_patch on the tail of klp_patches: the unpatching
			// transition completes inline, and because patch->enabled is
			// already false klp_try_complete_transition calls
			// klp_free_patch_start and schedules free_work.
			name:   "disable of the list tail",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), insmod(1)},
			action: disable(1),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkPatch(t, s, 1, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FreeWork: true})
				checkPatch(t, s, 0, live)
				checkList(t, s, 0)
				checkFuncStack(t, s, 0, 0)
				checkNoTransition(t, s)
				checkTask(t, s, 0, model.Undefined, false)
				checkFlags(t, out, model.FlagInitTransition|model.FlagCompleted, 0)
			},
		},
		{
			// 958ef1e keeps a stacking rule in __klp_disable_patch: only the
			// last patch on klp_patches may be disabled.
			name:   "disable of a patch that is not the list tail is EBUSY",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), insmod(1)},
			action: disable(0),
			err:    model.EBUSY,
		},
		{
			// __klp_disable_patch returns -EBUSY while klp_transition_patch
			// is set. T0 inside P0's f0 keeps P1's patching transition open.
			name:   "disable during another patch's transition is EBUSY",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), call(0, 0), insmod(1)},
			action: disable(0),
			err:    model.EBUSY,
		},
		{
			// enabled_store rejects a value equal to patch->enabled.
			name:   "echo 1 on an enabled patch is EINVAL",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0)},
			action: enable(0),
			err:    model.EINVAL,
		},
		{
			// Since 958ef1e enabled_store never re-enables a disabled patch
			// that is not the transition patch. The sysfs directory stays
			// until free_work runs.
			name:   "echo 1 on a disabled patch out of transition is EINVAL",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), disable(0)},
			action: enable(0),
			err:    model.EINVAL,
		},
		{
			name:   "echo 0 on a disabled patch is EINVAL",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), disable(0)},
			action: disable(0),
			err:    model.EINVAL,
		},
		{
			// enabled_store on the transition patch calls
			// klp_reverse_transition: enabled and the target flip, every
			// TIF_PATCH_PENDING is cleared, and klp_start_transition sets it
			// again only on tasks not at the new target. No completion is
			// tried, although T1 could switch at once: the scheduled
			// transition work does that.
			name:   "echo 0 during patching reverses",
			config: config(1, 2, 1),
			setup:  []model.Action{call(0, 0), insmod(0)},
			action: disable(0),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkTask(t, before, 0, model.Unpatched, true)
				checkTask(t, before, 1, model.Patched, false)

				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FuncTransition: true})
				checkTransition(t, s, 0, model.Unpatched)
				if !s.TransitionWork {
					t.Errorf("klp_transition_work is no longer scheduled after the reversal")
				}
				checkTask(t, s, 0, model.Unpatched, false)
				checkTask(t, s, 1, model.Patched, true)
				checkList(t, s, 0)
				checkFuncStack(t, s, 0, 0)
				checkFlags(t, out, model.FlagReversed, model.FlagCompleted|model.FlagInitTransition)
			},
		},
		{
			// The reverse direction: T0 inside P0's f0 blocks unpatching,
			// and echo 1 sends the transition back to patched.
			name:   "echo 1 during unpatching reverses",
			config: config(1, 2, 1),
			setup:  []model.Action{insmod(0), call(0, 0), disable(0)},
			action: enable(0),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkTask(t, before, 0, model.Patched, true)
				checkTask(t, before, 1, model.Unpatched, false)

				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, Enabled: true, FuncTransition: true})
				checkTransition(t, s, 0, model.Patched)
				if !s.TransitionWork {
					t.Errorf("klp_transition_work is no longer scheduled after the reversal")
				}
				checkTask(t, s, 0, model.Patched, false)
				checkTask(t, s, 1, model.Unpatched, true)
				checkList(t, s, 0)
				checkFlags(t, out, model.FlagReversed, model.FlagCompleted|model.FlagInitTransition)
			},
		},
	})
}

func TestStepForce(t *testing.T) {
	runStepCases(t, []stepCase{
		{
			// force_store rejects any patch but klp_transition_patch.
			name:   "force with no transition is EINVAL",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0)},
			action: force(0),
			err:    model.EINVAL,
		},
		{
			name:   "force on a patch other than the transition patch is EINVAL",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), call(0, 0), insmod(1)},
			action: force(0),
			err:    model.EINVAL,
		},
		{
			// After klp_free_patch_start the sysfs files stay until
			// free_work, but the patch is no longer the transition patch.
			name:   "force on a patch waiting for free_work is EINVAL",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), disable(0)},
			action: force(0),
			err:    model.EINVAL,
		},
		{
			// klp_force_transition calls klp_update_patch_state on every
			// task, whatever its stack, then sets forced on every patch on
			// klp_patches, not only the transition patch. Completion waits
			// for the next try.
			name:   "force switches pending tasks and marks every listed patch",
			config: config(2, 2, 1),
			setup:  []model.Action{insmod(0), call(0, 0), insmod(1)},
			action: force(1),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkTask(t, before, 0, model.Unpatched, true)

				checkTask(t, s, 0, model.Patched, false)
				checkTask(t, s, 1, model.Patched, false)
				checkFrames(t, s, 0, in(0, 0))
				if !s.Patches[0].Forced {
					t.Errorf("P0 is on klp_patches but not forced")
				}
				if !s.Patches[1].Forced {
					t.Errorf("P1 is the transition patch but not forced")
				}
				checkTransition(t, s, 1, model.Patched)
				if !s.TransitionWork {
					t.Errorf("klp_transition_work is not scheduled to complete the forced transition")
				}
				checkFlags(t, out, model.FlagForced, model.FlagCompleted)
			},
		},
		{
			// P0 left klp_patches when its unpatching completed, so a force
			// of P1's transition does not mark it.
			name:   "force skips a patch already off the list",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), disable(0), call(0, 0), insmod(1)},
			action: force(1),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				if s.Patches[0].Forced {
					t.Errorf("P0 is forced although it was off klp_patches")
				}
				if !s.Patches[1].Forced {
					t.Errorf("P1 is the transition patch but not forced")
				}
			},
		},
	})
}

// The stack check of klp_try_switch_task looks for the affected version of
// each function. When patching, that is the entry below the patch on
// func_stack, or the original at the bottom. When unpatching, it is the
// patch's own version.
func TestStepTransitionWork(t *testing.T) {
	// forcedUnder sets up T0 sleeping in the original f0 while P0 is
	// enabled: only force gets P0's transition past T0.
	forcedUnder := []model.Action{call(0, 0), insmod(0), force(0), transitionWork()}

	runStepCases(t, []stepCase{
		{
			// klp_transition_work_fn: T1 has returned and switches, T0 still
			// sleeps in the original f0 and stays; the work is scheduled
			// again.
			name:   "switches unblocked tasks and keeps blocked ones",
			config: config(1, 3, 1),
			setup:  []model.Action{call(0, 0), call(1, 0), insmod(0), ret(1)},
			action: transitionWork(),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkTask(t, s, 0, model.Unpatched, true)
				checkTask(t, s, 1, model.Patched, false)
				checkTask(t, s, 2, model.Patched, false)
				checkTransition(t, s, 0, model.Patched)
				if !s.TransitionWork {
					t.Errorf("klp_transition_work is not scheduled again after a failed try")
				}
				checkFlags(t, out, 0, model.FlagCompleted)
			},
		},
		{
			name:   "completes once every task switched",
			config: config(1, 1, 1),
			setup:  []model.Action{call(0, 0), insmod(0), ret(0)},
			action: transitionWork(),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkNoTransition(t, s)
				checkTask(t, s, 0, model.Undefined, false)
				checkPatch(t, s, 0, live)
				checkFlags(t, out, model.FlagCompleted, 0)
			},
		},
		{
			// klp_try_complete_transition frees a patch whose transition
			// completes with patch->enabled false.
			name:   "frees the patch when unpatching completes",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), call(0, 0), disable(0), ret(0)},
			action: transitionWork(),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkNoTransition(t, s)
				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FreeWork: true})
				checkList(t, s)
				checkFuncStack(t, s, 0)
				checkFlags(t, out, model.FlagCompleted, 0)
			},
		},
		{
			// An enable reversed to unpatching ends with patch->enabled
			// false, so klp_try_complete_transition frees the patch as
			// after a disable. T0 in the original f0 no longer blocks.
			name:   "frees the patch when a reversed enable completes",
			config: config(1, 2, 1),
			setup:  []model.Action{call(0, 0), insmod(0), disable(0)},
			action: transitionWork(),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkNoTransition(t, s)
				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FreeWork: true})
				checkList(t, s)
				checkFuncStack(t, s, 0)
				checkTask(t, s, 0, model.Undefined, false)
				checkTask(t, s, 1, model.Undefined, false)
				checkFlags(t, out, model.FlagCompleted, 0)
			},
		},
		{
			// Patching P1 over P0: the affected version of f0 is P0's.
			name:   "patching is blocked by the entry below",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), call(0, 0)},
			action: insmod(1),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkTransition(t, s, 1, model.Patched)
				checkTask(t, s, 0, model.Unpatched, true)
				checkFuncStack(t, s, 0, 0, 1)
			},
		},
		{
			// The original is not affected when P0 sits below P1, so T0
			// inside the original f0 does not stop P1.
			name:   "patching is not blocked by the original under a patch",
			config: config(2, 1, 1),
			setup:  forcedUnder,
			action: insmod(1),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkFrames(t, before, 0, orig(0))
				checkNoTransition(t, s)
				checkTask(t, s, 0, model.Undefined, false)
				checkFuncStack(t, s, 0, 0, 1)
				checkFlags(t, out, model.FlagCompleted, 0)
			},
		},
		{
			// Unpatching P0: the affected version is P0's own f0.
			name:   "unpatching is blocked by the patch's own version",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), call(0, 0)},
			action: disable(0),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkTransition(t, s, 0, model.Unpatched)
				checkTask(t, s, 0, model.Patched, true)
				checkFrames(t, s, 0, in(0, 0))
				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FuncTransition: true})
				checkList(t, s, 0)
				checkFlags(t, out, model.FlagInitTransition, model.FlagCompleted)
			},
		},
		{
			// Unpatching P1 while T0 sleeps in P0's f0, the entry below.
			name:   "unpatching is not blocked by the entry below",
			config: config(2, 1, 1),
			setup:  []model.Action{insmod(0), call(0, 0), insmod(1), force(1), transitionWork()},
			action: disable(1),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkFrames(t, before, 0, in(0, 0))
				checkNoTransition(t, s)
				checkList(t, s, 0)
				checkFuncStack(t, s, 0, 0)
				checkFlags(t, out, model.FlagCompleted, 0)
			},
		},
		{
			name:   "unpatching is not blocked by the original",
			config: config(1, 1, 1),
			setup:  forcedUnder,
			action: disable(0),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkNoTransition(t, s)
				checkFuncStack(t, s, 0)
				checkFlags(t, out, model.FlagCompleted, 0)
			},
		},
		{
			// The stack check looks at every frame, not only the innermost:
			// T0 returned from f1 but still sleeps in P0's f0.
			name:   "an outer frame blocks",
			config: config(1, 1, 2),
			setup:  []model.Action{insmod(0), call(0, 0), call(0, 1), disable(0), ret(0)},
			action: transitionWork(),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkFrames(t, s, 0, in(0, 0))
				checkTask(t, s, 0, model.Patched, true)
				checkTransition(t, s, 0, model.Unpatched)
				checkFlags(t, out, 0, model.FlagCompleted)
			},
		},
	})
}

func TestStepFreeWorkAndRmmod(t *testing.T) {
	// forcedAndDisabled leaves P0 forced and disabled with free_work
	// scheduled: T0 in the original f0 needs a force to finish patching,
	// and then does not block unpatching.
	forcedAndDisabled := []model.Action{call(0, 0), insmod(0), force(0), transitionWork(), disable(0)}

	runStepCases(t, []stepCase{
		{
			// klp_free_patch_finish: kobject_put removes the sysfs
			// directory, then module_put drops the core's reference.
			name:   "free_work removes sysfs and drops the reference",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), disable(0)},
			action: freeWork(0),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				checkPatch(t, s, 0, model.Patch{Loaded: true, Freed: true})
			},
		},
		{
			// klp_free_patch_finish skips module_put for a forced patch.
			name:   "free_work keeps the reference of a forced patch",
			config: config(1, 1, 1),
			setup:  forcedAndDisabled,
			action: freeWork(0),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkPatch(t, before, 0, model.Patch{Loaded: true, Ref: 1, Forced: true, Sysfs: true, FreeWork: true})
				checkPatch(t, s, 0, model.Patch{Loaded: true, Ref: 1, Forced: true, Freed: true})
			},
		},
		{
			// delete_module refuses a module whose reference count is not
			// zero.
			name:   "rmmod of an enabled patch is EAGAIN",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0)},
			action: rmmod(0),
			err:    model.EAGAIN,
		},
		{
			// The reference is dropped only in free_work, after the sysfs
			// directory is gone.
			name:   "rmmod before free_work is EAGAIN",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), disable(0)},
			action: rmmod(0),
			err:    model.EAGAIN,
		},
		{
			name:   "rmmod after free_work unloads the module",
			config: config(1, 1, 1),
			setup:  []model.Action{insmod(0), disable(0), freeWork(0)},
			action: rmmod(0),
			check: func(t *testing.T, _, s model.State, out model.Outcome) {
				c := config(1, 1, 1)
				if s != model.Initial(&c) {
					t.Errorf("state after the whole life cycle differs from the initial state:\n%s", c.Label(s))
				}
			},
		},
		{
			name:   "rmmod of a freed forced patch is EAGAIN",
			config: config(1, 1, 1),
			setup:  append(slices.Clone(forcedAndDisabled), freeWork(0)),
			action: rmmod(0),
			err:    model.EAGAIN,
		},
	})
}

// klp_ftrace_handler takes the newest entry of func_stack. Only when that
// entry is in transition does it look at the calling task: a task in
// KLP_UNPATCHED gets the entry below (or the original at the bottom).
func TestStepFtraceHandler(t *testing.T) {
	// overP0 leaves T1 blocked inside P0's f0 by P1's patching transition,
	// with T0 switched to KLP_PATCHED.
	overP0 := []model.Action{insmod(0), call(1, 0), insmod(1)}

	versionCase := func(name string, c model.Config, setup []model.Action, a model.Action, want model.Frame) stepCase {
		return stepCase{
			name: name, config: c, setup: setup, action: a,
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				task := int(a.Task)
				checkFrames(t, s, task, append(slices.Clone(before.Tasks[task].Stack()), want)...)
				checkFlags(t, out, 0, model.FlagHandlerUndefined)
			},
		}
	}
	runStepCases(t, []stepCase{
		versionCase("empty func_stack runs the original", config(1, 1, 1), nil, call(0, 0), orig(0)),
		versionCase("no transition runs the newest patch", config(2, 1, 1),
			[]model.Action{insmod(0), insmod(1)}, call(0, 0), in(0, 1)),
		versionCase("patched task during patching runs the new patch", config(2, 2, 1),
			overP0, call(0, 0), in(0, 1)),
		versionCase("unpatched task during patching runs the entry below", config(2, 2, 1),
			append(slices.Clone(overP0), ret(1)), call(1, 0), in(0, 0)),
		versionCase("unpatched task at the bottom runs the original", config(1, 2, 1),
			[]model.Action{call(1, 0), insmod(0), ret(1)}, call(1, 0), orig(0)),
		versionCase("patched task during unpatching runs the patch", config(1, 2, 1),
			[]model.Action{insmod(0), call(1, 0), disable(0), ret(1)}, call(1, 0), in(0, 0)),
		versionCase("unpatched task during unpatching runs the original", config(1, 2, 1),
			[]model.Action{insmod(0), call(1, 0), disable(0)}, call(0, 0), orig(0)),
		{
			name:   "return pops the innermost frame",
			config: config(1, 1, 2),
			setup:  []model.Action{call(0, 0), insmod(0), call(0, 1)},
			action: ret(0),
			check: func(t *testing.T, _, s model.State, _ model.Outcome) {
				checkFrames(t, s, 0, orig(0))
				if s.Tasks[0].Frames[1] != (model.Frame{}) {
					t.Errorf("popped frame slot is %v, want zero so equal states compare equal", s.Tasks[0].Frames[1])
				}
			},
		},
	})
}

// A task in KLP_UNDEFINED during a transition is unreachable in the correct
// model (property S3), so this case edits a reachable state by hand to test
// the handler rule alone: the kernel warns and runs the newest entry.
func TestStepFtraceHandlerUndefinedTask(t *testing.T) {
	c := config(1, 2, 1)
	s := replay(t, &c, call(0, 0), insmod(0))
	s.Tasks[1].PatchState = model.Undefined
	s.Tasks[1].Pending = false

	next, out := c.Step(s, call(1, 0))
	checkFrames(t, next, 1, in(0, 0))
	checkFlags(t, out, model.FlagHandlerUndefined, 0)
}

// klp_update_patch_state runs when a task returns to user space. A pending
// task takes klp_target_state and its flag is cleared, but completion still
// waits for the transition work.
func TestStepExitToUser(t *testing.T) {
	runStepCases(t, []stepCase{
		{
			name:   "switches a pending task",
			config: config(1, 1, 1),
			setup:  []model.Action{call(0, 0), insmod(0), ret(0)},
			action: exitToUser(0),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkTask(t, before, 0, model.Unpatched, true)
				checkTask(t, s, 0, model.Patched, false)
				checkTransition(t, s, 0, model.Patched)
				checkFlags(t, out, 0, model.FlagCompleted)
			},
		},
		{
			// After reversing an enable, T1 is pending towards unpatched.
			name:   "switches to the reversed target",
			config: config(1, 2, 1),
			setup:  []model.Action{call(0, 0), insmod(0), disable(0)},
			action: exitToUser(1),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				checkTask(t, before, 1, model.Patched, true)
				checkTask(t, s, 1, model.Unpatched, false)
			},
		},
		{
			name:   "leaves a task that is not pending alone",
			config: config(1, 2, 1),
			setup:  []model.Action{call(0, 0), insmod(0)},
			action: exitToUser(1),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				if s != before {
					t.Errorf("exit_to_user of a task that is not pending changed the state")
				}
			},
		},
		{
			name:   "outside a transition does nothing",
			config: config(1, 1, 1),
			action: exitToUser(0),
			check: func(t *testing.T, before, s model.State, out model.Outcome) {
				if s != before {
					t.Errorf("exit_to_user with no transition changed the state")
				}
			},
		},
	})
}

// TestActionsOrder checks the documented order of Config.Actions. Each patch
// contributes Insmod or Rmmod, the sysfs writes and FreeWork. The transition
// work follows, then each task's calls and its Return or ExitToUser.
func TestActionsOrder(t *testing.T) {
	c := config(2, 2, 2)
	s := replay(t, &c, call(0, 0), insmod(0), disable(0))
	// P0 is reversed towards unpatched with T0 inside the original f0.
	got := c.Actions(&s, nil)
	want := []model.Action{
		rmmod(0), disable(0), enable(0), force(0),
		insmod(1),
		transitionWork(),
		call(0, 1), ret(0),
		call(1, 0), call(1, 1), exitToUser(1),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Actions =\n%v\nwant\n%v", got, want)
	}
}

// mutantCase is a scenario whose last step behaves differently under a
// mutant than in the correct model.
type mutantCase struct {
	mutant model.Mutant
	config model.Config
	setup  []model.Action
	action model.Action
	// check runs on the outcome of action in the correct model and under
	// the mutant.
	check func(t *testing.T, correct, mutant model.State, correctOut, mutantOut model.Outcome)
}

func TestStepMutants(t *testing.T) {
	forcedAndDisabled := []model.Action{call(0, 0), insmod(0), force(0), transitionWork(), disable(0)}

	cases := []mutantCase{
		{
			// __klp_disable_patch clears enabled after
			// klp_try_complete_transition, so the inline completion reads
			// enabled as true and does not free the patch.
			mutant: model.M1, config: config(1, 1, 1),
			setup: []model.Action{insmod(0)}, action: disable(0),
			check: func(t *testing.T, correct, mutant model.State, _, out model.Outcome) {
				checkPatch(t, correct, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FreeWork: true})
				checkList(t, correct)

				checkFlags(t, out, model.FlagCompleted, 0)
				checkPatch(t, mutant, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true})
				checkList(t, mutant, 0)
			},
		},
		{
			// klp_free_patch_finish drops the reference of a forced patch.
			mutant: model.M2, config: config(1, 1, 1),
			setup: forcedAndDisabled, action: freeWork(0),
			check: func(t *testing.T, correct, mutant model.State, _, _ model.Outcome) {
				checkPatch(t, correct, 0, model.Patch{Loaded: true, Ref: 1, Forced: true, Freed: true})
				checkPatch(t, mutant, 0, model.Patch{Loaded: true, Ref: 0, Forced: true, Freed: true})
			},
		},
		{
			// enabled_store runs klp_free_patch_finish itself.
			mutant: model.M3, config: config(1, 1, 1),
			setup: []model.Action{insmod(0)}, action: disable(0),
			check: func(t *testing.T, correct, mutant model.State, correctOut, out model.Outcome) {
				checkFlags(t, correctOut, 0, model.FlagFreeInOwnHandler)
				checkPatch(t, correct, 0, model.Patch{Loaded: true, Ref: 1, Sysfs: true, FreeWork: true})

				checkFlags(t, out, model.FlagFreeInOwnHandler, 0)
				checkPatch(t, mutant, 0, model.Patch{Loaded: true, Freed: true})
			},
		},
		{
			// Completion in the transition work still schedules free_work:
			// M3 changes only the sysfs handler path.
			mutant: model.M3, config: config(1, 1, 1),
			setup: []model.Action{insmod(0), call(0, 0), disable(0), ret(0)}, action: transitionWork(),
			check: func(t *testing.T, correct, mutant model.State, _, out model.Outcome) {
				if correct != mutant {
					t.Errorf("M3 changed a completion in the transition work\ncorrect: %+v\nmutant:  %+v", correct.Patches[0], mutant.Patches[0])
				}
				checkFlags(t, out, 0, model.FlagFreeInOwnHandler)
			},
		},
		{
			// enabled_store calls __klp_enable_patch on a disabled patch
			// that already left klp_patches.
			mutant: model.M4, config: config(1, 1, 1),
			setup: []model.Action{insmod(0), disable(0)}, action: enable(0),
			check: func(t *testing.T, correct, mutant model.State, correctOut, out model.Outcome) {
				if correctOut.Err != model.EINVAL {
					t.Errorf("correct model returned -%s, want -EINVAL", correctOut.Err)
				}
				if out.Err != 0 {
					t.Fatalf("M4 returned -%s, want success", out.Err)
				}
				if !mutant.Patches[0].Enabled {
					t.Errorf("M4 did not enable P0 again")
				}
				checkFuncStack(t, mutant, 0, 0)
				checkList(t, mutant)
			},
		},
		{
			// klp_complete_transition drops a reference after unpatching,
			// and free_work drops it again.
			mutant: model.M5, config: config(1, 1, 1),
			setup: []model.Action{insmod(0)}, action: disable(0),
			check: func(t *testing.T, correct, mutant model.State, _, _ model.Outcome) {
				if correct.Patches[0].Ref != 1 {
					t.Errorf("correct model: P0.Ref = %d before free_work, want 1", correct.Patches[0].Ref)
				}
				if mutant.Patches[0].Ref != 0 {
					t.Errorf("M5: P0.Ref = %d before free_work, want 0", mutant.Patches[0].Ref)
				}
				c := config(1, 1, 1)
				c.Mutant = model.M5
				after, _ := mustStep(t, &c, mutant, freeWork(0))
				if after.Patches[0].Ref != -1 {
					t.Errorf("M5: P0.Ref = %d after free_work, want -1", after.Patches[0].Ref)
				}
			},
		},
		{
			// klp_free_patch_start leaves the patch on klp_patches.
			mutant: model.M6, config: config(1, 1, 1),
			setup: []model.Action{insmod(0)}, action: disable(0),
			check: func(t *testing.T, correct, mutant model.State, _, _ model.Outcome) {
				checkList(t, correct)
				checkList(t, mutant, 0)
				if !mutant.Patches[0].FreeWork {
					t.Errorf("M6: free_work is not scheduled")
				}
			},
		},
		{
			// __klp_enable_patch starts P1's transition over P0's.
			mutant: model.M11, config: config(2, 1, 1),
			setup: []model.Action{call(0, 0), insmod(0)}, action: insmod(1),
			check: func(t *testing.T, correct, mutant model.State, correctOut, out model.Outcome) {
				if correctOut.Err != model.EBUSY {
					t.Errorf("correct model returned -%s, want -EBUSY", correctOut.Err)
				}
				if out.Err != 0 {
					t.Fatalf("M11 returned -%s, want success", out.Err)
				}
				// P1's transition replaced P0's and completed at once, because
				// T0's original f0 is not P1's affected version.
				checkFlags(t, out, model.FlagInitTransition|model.FlagCompleted, 0)
				checkList(t, mutant, 0, 1)
				if !mutant.Patches[1].Enabled {
					t.Errorf("M11 did not enable P1")
				}
			},
		},
	}

	// M12 changes which callbacks run, which only the log shows, so
	// TestStepM12RunsPreUnpatch covers it.
	covered := map[model.Mutant]bool{model.M12: true}
	for _, tc := range cases {
		covered[tc.mutant] = true
		t.Run(tc.mutant.String()+"/"+tc.action.String(), func(t *testing.T) {
			correctCfg := tc.config
			mutantCfg := tc.config
			mutantCfg.Mutant = tc.mutant

			// The setup must reach the same state in both, so the last
			// step alone shows the difference.
			before := replay(t, &correctCfg, tc.setup...)
			if mb := replay(t, &mutantCfg, tc.setup...); mb != before {
				t.Fatalf("setup already differs under %s:\n%s", tc.mutant, mutantCfg.Label(mb))
			}
			correct, correctOut := mustStep(t, &correctCfg, before, tc.action)
			mutant, mutantOut := mustStep(t, &mutantCfg, before, tc.action)
			tc.check(t, correct, mutant, correctOut, mutantOut)
		})
	}
	for _, m := range model.Mutants() {
		if !covered[m] {
			t.Errorf("mutant %s has no step test", m)
		}
	}
}

// TestStepM12RunsPreUnpatch checks that a target module whose init fails
// during P0's transition gets P0's pre_unpatch callback from
// klp_module_going only under M12.
func TestStepM12RunsPreUnpatch(t *testing.T) {
	for _, m := range []model.Mutant{model.NoMutant, model.M12} {
		c := withTargetCallbacks(config(1, 1, 1))
		c.Mutant = m
		s := replay(t, &c, model.Action{Kind: model.TargetLoad}, call(0, 0), insmod(0))
		if !s.InTransition() {
			t.Fatalf("%s: setup left no transition in progress:\n%s", m, c.Label(s))
		}

		preUnpatch := 0
		c.StepLogged(s, model.Action{Kind: model.TargetInitFail}, func(e model.Event) {
			if e.Kind == model.EventCallback && e.Callback == model.PreUnpatch {
				preUnpatch++
			}
		})
		want := 0
		if m == model.M12 {
			want = 1
		}
		if preUnpatch != want {
			t.Errorf("%s: klp_module_going ran pre_unpatch %d times, want %d", m, preUnpatch, want)
		}
	}
}
