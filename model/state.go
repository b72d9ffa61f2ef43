package model

import "fmt"

// TargetState is a klp_target_state or a task's patch_state, with the
// kernel's values: KLP_UNDEFINED is -1, KLP_UNPATCHED 0, KLP_PATCHED 1.
type TargetState int8

const (
	Undefined TargetState = -1
	Unpatched TargetState = 0
	Patched   TargetState = 1
)

func (t TargetState) String() string {
	switch t {
	case Undefined:
		return "undefined"
	case Unpatched:
		return "unpatched"
	case Patched:
		return "patched"
	}
	return "invalid"
}

// opposite returns !t as the kernel computes it for the initial state of a
// transition and for a reversal. It is only meaningful for Unpatched and Patched.
func (t TargetState) opposite() TargetState {
	if t == Patched {
		return Unpatched
	}
	return Patched
}

// NoPatch marks an empty klp_transition_patch.
const NoPatch int8 = -1

// Version identifies the implementation of a function a task executes:
// Original, or the new_func of patch k as PatchVersion(k).
type Version uint8

// Original is the unpatched function.
const Original Version = 0

// PatchVersion returns the version of patch k's replacement function.
func PatchVersion(k int) Version { return Version(k + 1) }

// Patch returns the index of the patch that owns v, or -1 for Original.
func (v Version) Patch() int { return int(v) - 1 }

// Frame is one patched function on a task's stack and the version the
// ftrace handler chose when the task called it.
type Frame struct {
	Func    uint8
	Version Version
}

// Task is the livepatch view of one task.
//
// Frames[:Depth] is the stack, innermost last. A task may call function f
// only from an empty stack or from inside a function with a lower index, so
// a stack holds each function at most once and Depth is at most MaxFuncs.
type Task struct {
	PatchState TargetState // task->patch_state
	Pending    bool        // TIF_PATCH_PENDING
	Depth      uint8
	Frames     [MaxFuncs]Frame
}

// Stack returns the frames of the task, innermost last. The slice aliases t.
func (t *Task) Stack() []Frame { return t.Frames[:t.Depth] }

// Patch is one livepatch module and its struct klp_patch.
//
// The module and the patch have separate lives: the patch is freed by
// klp_free_patch_finish, while the module stays loaded until rmmod. When the
// module is unloaded, the fields that belong to the freed struct (Enabled,
// Forced, Freed) are cleared. The fields that other kernel objects refer to
// (Ref, Sysfs, FreeWork, FuncTransition) are kept, so that an unload that
// leaves a reference behind shows up as a violation instead of vanishing.
//
// The object fields are zero unless Config.Targets or Config.Callbacks is
// set, so the default state space does not change. The vmlinux object has
// no Bound or ObjPatched bit: it is always loaded, and it is patched exactly
// while the patch is on the func_stack of function 0 (State.ObjectPatched).
type Patch struct {
	Loaded  bool // the module is live (insmod succeeded, no rmmod yet)
	Ref     int8 // references the livepatch core holds on the module
	Enabled bool // patch->enabled
	// Forced is patch->forced at 958ef1e: the patch was on klp_patches
	// when a transition was forced. v5.0 has only the global klp_forced,
	// so there Forced is a ghost bit with the same meaning, which the
	// kernel never reads but the removability property L5 needs.
	Forced         bool
	Sysfs          bool // /sys/kernel/livepatch/<patch> exists (patch->kobj added, not yet put)
	FreeWork       bool // patch->free_work is scheduled and has not run
	Freed          bool // klp_free_patch_finish has run: the last access to the patch
	FuncTransition bool // func->transition of every function of the patch

	// Bound has bit j set when the object of target module j is bound
	// (obj->mod is set).
	Bound uint8
	// ObjPatched has bit j set when the object of target module j is
	// patched (obj->patched): its function is on its func_stack.
	ObjPatched uint8
	// PostUnpatchEnabled has bit o set for object o (0 vmlinux, j+1 target
	// j) when obj->callbacks.post_unpatch_enabled is set. Kept only with
	// Config.Callbacks.
	PostUnpatchEnabled uint8
	// Callbacks is a ghost of the callbacks object o ran, kept only with
	// Config.Callbacks. The kernel has no such field; property S15 judges
	// the order of callbacks against it.
	Callbacks [MaxObjects]CallbackPhase
	// PrePatchRet is the module parameter pre_patch_ret: when set, every
	// pre_patch callback of the patch returns -ENODEV. While the module is
	// not loaded it is the value the next insmod passes.
	PrePatchRet bool
}

// CallbackPhase is the last callback an object ran, as the ghost state that
// property S15 checks pairing against.
type CallbackPhase uint8

const (
	// CallbacksIdle: no pre_patch succeeded since the last post_unpatch.
	CallbacksIdle CallbackPhase = iota
	// CallbacksPrePatched: pre_patch succeeded and no other callback ran
	// since.
	CallbacksPrePatched
	// CallbacksPostPatched: post_patch ran last.
	CallbacksPostPatched
	// CallbacksPreUnpatched: pre_unpatch ran last.
	CallbacksPreUnpatched
)

var callbackPhaseNames = [...]string{"idle", "pre_patched", "post_patched", "pre_unpatched"}

func (p CallbackPhase) String() string {
	if int(p) < len(callbackPhaseNames) {
		return callbackPhaseNames[p]
	}
	return fmt.Sprintf("CallbackPhase(%d)", p)
}

// ModuleState is the state of a target module, with Absent for a module
// that is not loaded. klp_alive is true exactly while the module is not
// Absent, because the model runs klp_module_coming in the step that makes
// the module Coming and klp_module_going in the step that makes it Absent.
type ModuleState uint8

const (
	ModuleAbsent ModuleState = iota
	ModuleComing             // MODULE_STATE_COMING: klp_module_coming ran, init did not finish
	ModuleLive               // MODULE_STATE_LIVE
	ModuleGoing              // MODULE_STATE_GOING: the exit function ran, klp_module_going did not
)

var moduleStateNames = [...]string{"absent", "coming", "live", "going"}

func (m ModuleState) String() string {
	if int(m) < len(moduleStateNames) {
		return moduleStateNames[m]
	}
	return fmt.Sprintf("ModuleState(%d)", m)
}

// FuncStack is the func_stack of one patched function: the patches whose
// replacement is registered for it, oldest first, so the ftrace handler
// uses the last entry.
type FuncStack struct {
	Len     uint8
	Patches [MaxPatches]uint8
}

// Top returns the newest patch on the stack, or -1 when it is empty.
func (fs *FuncStack) Top() int {
	if fs.Len == 0 {
		return -1
	}
	return int(fs.Patches[fs.Len-1])
}

// Index returns the position of patch k on the stack, or -1.
func (fs *FuncStack) Index(k int) int {
	for i := 0; i < int(fs.Len); i++ {
		if int(fs.Patches[i]) == k {
			return i
		}
	}
	return -1
}

// Below returns the version the handler falls back to under position i:
// the patch one entry older, or Original at the bottom.
func (fs *FuncStack) Below(i int) Version {
	if i <= 0 {
		return Original
	}
	return PatchVersion(int(fs.Patches[i-1]))
}

// push registers patch k's replacement on top of the stack. As with
// listAppend, only a state that already breaks a property can fill the
// stack, and a push onto a full stack is dropped.
func (fs *FuncStack) push(k int) {
	if int(fs.Len) == len(fs.Patches) {
		return
	}
	fs.Patches[fs.Len] = uint8(k)
	fs.Len++
}

func (fs *FuncStack) remove(k int) {
	i := fs.Index(k)
	if i < 0 {
		return
	}
	copy(fs.Patches[i:], fs.Patches[i+1:fs.Len])
	fs.Len--
	fs.Patches[fs.Len] = 0
}

// State is one global state of the livepatch core. It is a comparable value:
// two states are the same exactly when they compare equal, and slots beyond
// the configured bounds stay zero.
type State struct {
	// List is klp_patches: List[:ListLen] holds patch indices in list order.
	List    [MaxPatches]uint8
	ListLen uint8

	TransitionPatch int8        // klp_transition_patch, or NoPatch
	Target          TargetState // klp_target_state
	TransitionWork  bool        // klp_transition_work is scheduled

	Patches    [MaxPatches]Patch
	Tasks      [MaxTasks]Task
	FuncStacks [MaxFuncs]FuncStack // vmlinux functions first, then one per target module

	// KlpForced is v5.0's global klp_forced: a transition was forced since
	// boot. Always false at 958ef1e.
	KlpForced bool
	// Targets holds the state of each target module.
	Targets [MaxTargets]ModuleState
}

// Initial returns the state at boot: no livepatch module loaded, no
// transition, every task in KLP_UNDEFINED.
func Initial(c *Config) State {
	var s State
	s.TransitionPatch = NoPatch
	s.Target = Undefined
	for t := range s.Tasks {
		s.Tasks[t].PatchState = Undefined
	}
	return s
}

// Listed reports whether patch k is on klp_patches.
func (s *State) Listed(k int) bool { return s.listIndex(k) >= 0 }

func (s *State) listIndex(k int) int {
	for i := 0; i < int(s.ListLen); i++ {
		if int(s.List[i]) == k {
			return i
		}
	}
	return -1
}

// ListTail returns the last patch on klp_patches, or -1 when it is empty.
func (s *State) ListTail() int {
	if s.ListLen == 0 {
		return -1
	}
	return int(s.List[s.ListLen-1])
}

// listAppend adds patch k at the tail of klp_patches. A full list can only
// come from a mutant that keeps released patches listed (M6), so the
// append is dropped there instead of overflowing the array: the state
// already breaks S10 and the search stops at it.
func (s *State) listAppend(k int) {
	if int(s.ListLen) == len(s.List) {
		return
	}
	s.List[s.ListLen] = uint8(k)
	s.ListLen++
}

func (s *State) listDelete(k int) {
	i := s.listIndex(k)
	if i < 0 {
		return
	}
	copy(s.List[i:], s.List[i+1:s.ListLen])
	s.ListLen--
	s.List[s.ListLen] = 0
}

// InTransition reports whether a transition is in progress.
func (s *State) InTransition() bool { return s.TransitionPatch != NoPatch }

// ObjectPatched reports whether object o of patch k is patched: for
// vmlinux (o == 0) whether the patch is on the func_stack of function 0,
// for target module j (o == j+1) its ObjPatched bit.
func (s *State) ObjectPatched(k, o int) bool {
	if o == 0 {
		return s.FuncStacks[0].Index(k) >= 0
	}
	return s.Patches[k].ObjPatched&(1<<(o-1)) != 0
}

// ObjectLoaded reports whether object o of patch k is loaded in the sense
// of klp_is_object_loaded: vmlinux always is, a target object when it is
// bound, even to a module that is gone.
func (s *State) ObjectLoaded(k, o int) bool {
	return o == 0 || s.Patches[k].Bound&(1<<(o-1)) != 0
}
