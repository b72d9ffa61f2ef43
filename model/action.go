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
// to FreeWork), Task for the task kinds (Call to ExitToUser) and Func for Call.
type Action struct {
	Kind  Kind
	Patch uint8
	Task  uint8
	Func  uint8
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
	}
	return a.Kind.String()
}

// Actions appends the actions whose guard holds in s to buf and returns it.
//
// The order is fixed and part of the contract, because counterexamples are
// rebuilt from it: for each patch k in ascending order Insmod, Rmmod,
// Disable, Enable, Force and FreeWork; then TransitionWork; then for each
// task t in ascending order Call of each function in ascending order,
// Return and ExitToUser.
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
	}
	if s.TransitionWork {
		buf = append(buf, Action{Kind: TransitionWork})
	}
	for t := 0; t < c.Tasks; t++ {
		task := &s.Tasks[t]
		low := 0
		if task.Depth > 0 {
			low = int(task.Frames[task.Depth-1].Func) + 1
		}
		for f := low; f < c.Functions; f++ {
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
