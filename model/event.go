package model

import "fmt"

// Errno is a positive Linux error number returned by a rejected operation.
type Errno uint8

const (
	EAGAIN Errno = 11 // delete_module of a module still in use (EWOULDBLOCK)
	EBUSY  Errno = 16
	EINVAL Errno = 22
)

var errnoNames = map[Errno]string{EAGAIN: "EAGAIN", EBUSY: "EBUSY", EINVAL: "EINVAL"}

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
)

// Event is one message the kernel would print, in the order it prints them.
type Event struct {
	Kind   EventKind
	Patch  int
	Target TargetState // the transition's target when the message was printed
}

func direction(t TargetState) string {
	if t == Patched {
		return "patching"
	}
	return "unpatching"
}

// Message returns the kernel log line for e, "livepatch: " prefix included,
// with name giving the module name of a patch index.
func (e Event) Message(name func(patch int) string) string {
	n := name(e.Patch)
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
