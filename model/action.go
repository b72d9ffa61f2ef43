package model

import "fmt"

// Kind is the kind of an Action.
type Kind uint8

const (
	// Insmod loads patch module k; its module_init calls klp_enable_patch.
	Insmod Kind = iota
	// Rmmod unloads patch module k (delete_module), refused while the
	// module is referenced.
	Rmmod
	// Disable writes 0 to /sys/kernel/livepatch/<k>/enabled (enabled_store).
	Disable
	// Enable writes 1 to /sys/kernel/livepatch/<k>/enabled (enabled_store).
	Enable
	// Force writes 1 to /sys/kernel/livepatch/<k>/force (force_store).
	Force
	// FreeWork runs patch k's free_work (klp_free_patch_work_fn).
	FreeWork
	// TransitionWork runs klp_transition_work_fn.
	TransitionWork
	// Call makes a task call a patched function; klp_ftrace_handler picks
	// the version.
	Call
	// Return makes a task return from its innermost patched function.
	Return
	// ExitToUser makes a task with no patched function on its stack return
	// to user space, which calls klp_update_patch_state.
	ExitToUser
	// SetPrePatchRet toggles patch module k's pre_patch_ret parameter
	// between 0 and -ENODEV, as the selftests' set_pre_patch_ret does. For a
	// module that is not loaded it sets the parameter of the next insmod.
	SetPrePatchRet
	// TargetLoad loads target module j up to its init: the module becomes
	// MODULE_STATE_COMING and klp_module_coming runs, which may refuse the
	// load.
	TargetLoad
	// TargetInit runs target module j's init successfully: the module
	// becomes MODULE_STATE_LIVE.
	TargetInit
	// TargetInitFail runs target module j's init and it fails: the loader
	// calls klp_module_going for the module still COMING and frees it.
	TargetInitFail
	// TargetUnload starts unloading target module j (delete_module): the
	// module becomes MODULE_STATE_GOING and its exit function runs.
	TargetUnload
	// TargetGoing finishes unloading target module j: klp_module_going
	// runs and the module is freed.
	TargetGoing

	numKinds
)

// NumKinds is the number of action kinds, for tables indexed by Kind.
const NumKinds = int(numKinds)

var kindNames = [...]string{
	Insmod:         "insmod",
	Rmmod:          "rmmod",
	Disable:        "disable",
	Enable:         "enable",
	Force:          "force",
	FreeWork:       "free_work",
	TransitionWork: "transition_work",
	Call:           "call",
	Return:         "return",
	ExitToUser:     "exit_to_user",
	SetPrePatchRet: "set_pre_patch_ret",
	TargetLoad:     "target_load",
	TargetInit:     "target_init",
	TargetInitFail: "target_init_fail",
	TargetUnload:   "target_unload",
	TargetGoing:    "target_going",
}

// kernelFunctions names the kernel routine each kind abstracts.
var kernelFunctions = [...]string{
	Insmod:         "klp_enable_patch",
	Rmmod:          "delete_module",
	Disable:        "enabled_store",
	Enable:         "enabled_store",
	Force:          "force_store",
	FreeWork:       "klp_free_patch_work_fn",
	TransitionWork: "klp_transition_work_fn",
	Call:           "klp_ftrace_handler",
	Return:         "(return)",
	ExitToUser:     "klp_update_patch_state",
	SetPrePatchRet: "(module parameter)",
	TargetLoad:     "klp_module_coming",
	TargetInit:     "do_init_module",
	TargetInitFail: "klp_module_going",
	TargetUnload:   "delete_module",
	TargetGoing:    "klp_module_going",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// KernelFunction returns the kernel routine the kind abstracts.
func (k Kind) KernelFunction() string {
	if int(k) < len(kernelFunctions) {
		return kernelFunctions[k]
	}
	return ""
}

// Action is one atomic step. Patch is set for the patch-module kinds (Insmod
// to FreeWork, SetPrePatchRet), Task for the task kinds (Call to
// ExitToUser), Func for Call and Target for the target-module kinds
// (TargetLoad to TargetGoing).
type Action struct {
	Kind   Kind
	Patch  uint8
	Task   uint8
	Func   uint8
	Target uint8
}

func (a Action) String() string {
	switch a.Kind {
	case Insmod, Rmmod, FreeWork:
		return fmt.Sprintf("%s(P%d)", a.Kind, a.Patch)
	case Disable:
		return fmt.Sprintf("echo 0 > P%d/enabled", a.Patch)
	case Enable:
		return fmt.Sprintf("echo 1 > P%d/enabled", a.Patch)
	case Force:
		return fmt.Sprintf("echo 1 > P%d/force", a.Patch)
	case TransitionWork:
		return "transition_work"
	case Call:
		return fmt.Sprintf("T%d call f%d", a.Task, a.Func)
	case Return:
		return fmt.Sprintf("T%d return", a.Task)
	case ExitToUser:
		return fmt.Sprintf("T%d exit_to_user", a.Task)
	case SetPrePatchRet:
		return fmt.Sprintf("toggle P%d pre_patch_ret", a.Patch)
	case TargetLoad, TargetInit, TargetInitFail, TargetUnload, TargetGoing:
		return fmt.Sprintf("%s(X%d)", a.Kind, a.Target)
	}
	return a.Kind.String()
}

// Actions appends the actions whose guard holds in s to buf and returns it.
//
// The order is fixed and part of the contract, because counterexamples are
// rebuilt from it. First, for each patch k in ascending order: Insmod,
// Rmmod, Disable, Enable, Force, FreeWork and SetPrePatchRet. Then
// TransitionWork. Then, for each target module j in ascending order, the
// actions its state allows among TargetLoad, TargetInit, TargetInitFail,
// TargetUnload and TargetGoing. Last, for each task t in ascending order:
// Call of each function in ascending order, Return and ExitToUser. Kinds
// that a configuration does not enable never appear, so without targets
// and callbacks the order is the one the model always had.
//
// A guard is the precondition for the routine to run at all: a module to
// load or unload, a sysfs file to write to, a scheduled work item, a function
// to call or return from. An action whose routine runs and then fails with an
// error (-EINVAL, -EBUSY, a refused rmmod) is enabled; Step reports the error.
func (c *Config) Actions(s *State, buf []Action) []Action {
	for k := 0; k < c.Patches; k++ {
		p := &s.Patches[k]
		if !p.Loaded {
			buf = append(buf, Action{Kind: Insmod, Patch: uint8(k)})
		} else {
			buf = append(buf, Action{Kind: Rmmod, Patch: uint8(k)})
		}
		if p.Sysfs {
			buf = append(buf,
				Action{Kind: Disable, Patch: uint8(k)},
				Action{Kind: Enable, Patch: uint8(k)},
				Action{Kind: Force, Patch: uint8(k)})
		}
		if p.FreeWork {
			buf = append(buf, Action{Kind: FreeWork, Patch: uint8(k)})
		}
		if c.PrePatchRet {
			buf = append(buf, Action{Kind: SetPrePatchRet, Patch: uint8(k)})
		}
	}
	if s.TransitionWork {
		buf = append(buf, Action{Kind: TransitionWork})
	}
	for j := 0; j < c.Targets; j++ {
		switch s.Targets[j] {
		case ModuleAbsent:
			buf = append(buf, Action{Kind: TargetLoad, Target: uint8(j)})
		case ModuleComing:
			buf = append(buf,
				Action{Kind: TargetInit, Target: uint8(j)},
				Action{Kind: TargetInitFail, Target: uint8(j)})
		case ModuleLive:
			// The exit function waits for the module's own work, so the
			// unload starts only when no task is inside its function.
			if !s.InsideFunc(c.TargetFunc(j)) {
				buf = append(buf, Action{Kind: TargetUnload, Target: uint8(j)})
			}
		case ModuleGoing:
			buf = append(buf, Action{Kind: TargetGoing, Target: uint8(j)})
		}
	}
	for t := 0; t < c.Tasks; t++ {
		task := &s.Tasks[t]
		low := 0
		if task.Depth > 0 {
			low = int(task.Frames[task.Depth-1].Func) + 1
		}
		for f := low; f < c.NumFuncs(); f++ {
			// A target module's function can be called only while the
			// module is live.
			if o := c.FuncObject(f); o > 0 && s.Targets[o-1] != ModuleLive {
				continue
			}
			buf = append(buf, Action{Kind: Call, Task: uint8(t), Func: uint8(f)})
		}
		if task.Depth > 0 {
			buf = append(buf, Action{Kind: Return, Task: uint8(t)})
		} else {
			buf = append(buf, Action{Kind: ExitToUser, Task: uint8(t)})
		}
	}
	return buf
}

// InsideFunc reports whether some task has function f on its stack, in any
// version.
func (s *State) InsideFunc(f int) bool {
	for t := range s.Tasks {
		for _, fr := range s.Tasks[t].Stack() {
			if int(fr.Func) == f {
				return true
			}
		}
	}
	return false
}

// Configured reports whether c has actions of kind k at all: the
// target-module kinds need Targets, SetPrePatchRet needs PrePatchRet, and
// FreeWork needs the 958ef1e kernel, because v5.0 frees a patch in its
// module_exit and has no free_work. A configured kind that is never
// enabled points at a model bug or bounds that are too small.
func (c *Config) Configured(k Kind) bool {
	switch k {
	case TargetLoad, TargetInit, TargetInitFail, TargetUnload, TargetGoing:
		return c.Targets > 0
	case SetPrePatchRet:
		return c.PrePatchRet
	case FreeWork:
		return !c.V50()
	}
	return k < numKinds
}
