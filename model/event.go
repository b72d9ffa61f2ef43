package model

import "fmt"

// Errno is a positive Linux error number returned by a rejected operation.
type Errno uint8

const (
	EAGAIN Errno = 11 // delete_module of a module still in use (EWOULDBLOCK)
	EBUSY  Errno = 16
	ENODEV Errno = 19 // the error of the selftests' failing pre_patch callback
	EINVAL Errno = 22
)

var errnoNames = map[Errno]string{EAGAIN: "EAGAIN", EBUSY: "EBUSY", ENODEV: "ENODEV", EINVAL: "EINVAL"}

func (e Errno) String() string {
	if e == 0 {
		return "0"
	}
	if name, ok := errnoNames[e]; ok {
		return name
	}
	return fmt.Sprintf("errno %d", uint8(e))
}

// Flag records a fact about a step that the next state cannot show.
type Flag uint8

const (
	// FlagCompleted: a transition completed (klp_complete_transition ran).
	FlagCompleted Flag = 1 << iota
	// FlagReversed: klp_reverse_transition ran.
	FlagReversed
	// FlagForced: klp_force_transition ran.
	FlagForced
	// FlagFreeInOwnHandler: klp_free_patch_finish ran inside a sysfs store
	// handler of the same patch. It waits for the patch kobject's release,
	// which waits for that handler to return: a self-deadlock.
	FlagFreeInOwnHandler
	// FlagHandlerUndefined: klp_ftrace_handler found a function in
	// transition while the calling task's patch_state was KLP_UNDEFINED.
	FlagHandlerUndefined
	// FlagInitTransition: klp_init_transition ran.
	FlagInitTransition
)

// Outcome is the result of a step besides the next state.
type Outcome struct {
	Err   Errno // the error the routine returned, 0 on success
	Flags Flag
}

// Rejected reports whether the routine failed with an error.
func (o Outcome) Rejected() bool { return o.Err != 0 }

// EventKind is a kind of kernel log message.
type EventKind uint8

const (
	EventEnabling     EventKind = iota // __klp_enable_patch, pr_notice
	EventInitializing                  // klp_init_transition, pr_debug
	EventStarting                      // klp_start_transition, pr_notice
	EventCompleting                    // klp_complete_transition, pr_debug
	EventComplete                      // klp_complete_transition, pr_notice
	EventReversing                     // klp_reverse_transition, pr_debug
	EventForcing                       // klp_force_transition, pr_warn

	EventCanceling      // klp_cancel_transition, pr_debug
	EventPrePatchFailed // __klp_enable_patch or klp_module_coming, pr_warn; Object is set
	EventEnableFailed   // error path of __klp_enable_patch, pr_warn
	EventApplying       // klp_module_coming, pr_notice; Module is set
	EventRefusing       // error path of klp_module_coming, pr_warn; Module is set
	EventReverting      // klp_module_going, pr_notice; Module is set
	// EventCallback is a callback of the patch module: Callback, Object
	// and ModuleState are set. The kernel prints nothing itself; the
	// selftests' callback modules print one line per call.
	EventCallback
	// EventModuleInit and EventModuleExit are target module Module's own
	// init and exit messages, as the selftests' target modules print them.
	EventModuleInit
	EventModuleExit
)

// Callback names one of an object's four callbacks.
type Callback uint8

const (
	PrePatch Callback = iota
	PostPatch
	PreUnpatch
	PostUnpatch
)

var callbackNames = [...]string{"pre_patch", "post_patch", "pre_unpatch", "post_unpatch"}

func (cb Callback) String() string {
	if int(cb) < len(callbackNames) {
		return callbackNames[cb]
	}
	return fmt.Sprintf("Callback(%d)", cb)
}

// Event is one message the kernel would print, in the order it prints them.
type Event struct {
	Kind   EventKind
	Patch  int
	Target TargetState // the transition's target when the message was printed

	// Object is the object a callback or a failure message is about: 0
	// for vmlinux, j+1 for target module j.
	Object int
	// Module is the target module of a module message.
	Module int
	// Callback is the callback of an EventCallback.
	Callback Callback
	// ModuleState is the state of the object's target module when the
	// callback ran (obj->mod->state), ModuleAbsent for vmlinux or for an
	// object bound to a module that is gone.
	ModuleState ModuleState
}

func direction(t TargetState) string {
	if t == Patched {
		return "patching"
	}
	return "unpatching"
}

// Message returns the kernel log line for e, "livepatch: " prefix included,
// with name giving the module name of a patch index. Target modules are
// named X0, X1 and so on; use Format to choose their names.
func (e Event) Message(name func(patch int) string) string {
	return e.Format(Names{Patch: name})
}

// Names gives the module names that log lines print.
type Names struct {
	Patch  func(patch int) string
	Target func(target int) string // nil names target j "X<j>"
}

func (n Names) target(j int) string {
	if n.Target == nil {
		return fmt.Sprintf("X%d", j)
	}
	return n.Target(j)
}

func (n Names) object(o int) string {
	if o == 0 {
		return "vmlinux"
	}
	return n.target(o - 1)
}

// moduleStateText holds the selftests' callback module's text for each
// target module state.
var moduleStateText = [...]string{
	ModuleAbsent: "[MODULE_STATE_UNFORMED] Still setting it up",
	ModuleComing: "[MODULE_STATE_COMING] Full formed, running module_init",
	ModuleLive:   "[MODULE_STATE_LIVE] Normal state",
	ModuleGoing:  "[MODULE_STATE_GOING] Going away",
}

// Format returns the log line for e with the module names of names. Lines
// the kernel prints start with "livepatch: "; callback and target module
// lines start with the printing module's name, as the selftests' modules
// print them.
func (e Event) Format(names Names) string {
	n := names.Patch(e.Patch)
	switch e.Kind {
	case EventCanceling:
		return fmt.Sprintf("livepatch: '%s': canceling patching transition, going to unpatch", n)
	case EventPrePatchFailed:
		return fmt.Sprintf("livepatch: pre-patch callback failed for object '%s'", names.object(e.Object))
	case EventEnableFailed:
		return fmt.Sprintf("livepatch: failed to enable patch '%s'", n)
	case EventApplying:
		return fmt.Sprintf("livepatch: applying patch '%s' to loading module '%s'", n, names.target(e.Module))
	case EventRefusing:
		x := names.target(e.Module)
		return fmt.Sprintf("livepatch: patch '%s' failed for module '%s', refusing to load module '%s'", n, x, x)
	case EventReverting:
		return fmt.Sprintf("livepatch: reverting patch '%s' on unloading module '%s'", n, names.target(e.Module))
	case EventCallback:
		if e.Object == 0 {
			return fmt.Sprintf("%s: %s_callback: vmlinux", n, e.Callback)
		}
		return fmt.Sprintf("%s: %s_callback: %s -> %s", n, e.Callback, names.object(e.Object), moduleStateText[e.ModuleState])
	case EventModuleInit:
		x := names.target(e.Module)
		return fmt.Sprintf("%s: %s_init", x, x)
	case EventModuleExit:
		x := names.target(e.Module)
		return fmt.Sprintf("%s: %s_exit", x, x)
	}
	switch e.Kind {
	case EventEnabling:
		return fmt.Sprintf("livepatch: enabling patch '%s'", n)
	case EventInitializing:
		return fmt.Sprintf("livepatch: '%s': initializing %s transition", n, direction(e.Target))
	case EventStarting:
		return fmt.Sprintf("livepatch: '%s': starting %s transition", n, direction(e.Target))
	case EventCompleting:
		return fmt.Sprintf("livepatch: '%s': completing %s transition", n, direction(e.Target))
	case EventComplete:
		return fmt.Sprintf("livepatch: '%s': %s complete", n, direction(e.Target))
	case EventReversing:
		// Target is the direction before the reversal.
		return fmt.Sprintf("livepatch: '%s': reversing transition from %s to %s", n, direction(e.Target), direction(e.Target.opposite()))
	case EventForcing:
		return "livepatch: forcing remaining tasks to the patched state"
	}
	return fmt.Sprintf("livepatch: unknown event %d", e.Kind)
}
