package replay

import (
	"fmt"
	"slices"

	"github.com/klpcheck/klpcheck/model"
)

// This file holds the machine a replay runs on: the model state, model time
// and the steps that happen without a command, in the order the package
// comment describes.

// Model tasks of the machine.
const (
	ordinaryTask = 0 // a task that exits to user space at every opportunity
	workerTask   = 1 // the kworker that runs test_klp_callbacks_busy's work
	numTasks     = 2
)

// Times in milliseconds of model time.
const (
	// retryInterval is how long after being scheduled the transition work
	// runs: klp_transition_work is queued with a delay of about a second.
	retryInterval = 1000
	// helperTimeout is how long a functions.sh helper waits for its
	// condition: loop_until tries 600 times, 0.1 s apart.
	helperTimeout = 60 * 1000
)

// machine is the model state of one replay and the clock around it.
type machine struct {
	cfg   model.Config
	state model.State
	names model.Names

	// now is the model time in milliseconds since the file started.
	now int64
	// workDue is when the scheduled transition work runs. It is valid
	// while state.TransitionWork is set.
	workDue int64
	// worker is test_klp_callbacks_busy's work item while it sleeps in
	// busymod_work_func.
	worker struct {
		sleeping bool
		wakeAt   int64
	}

	emit    func(line string)
	actions []model.Action // buffer for the enabled actions in step
}

func newMachine(cfg model.Config, names model.Names, emit func(string)) *machine {
	return &machine{cfg: cfg, state: model.Initial(&cfg), names: names, emit: emit}
}

// step applies one model action and emits the log lines it prints. The
// action must be enabled: replay checks every guard itself, so a disabled
// action is a bug in replay.
func (m *machine) step(a model.Action) model.Outcome {
	m.actions = m.cfg.Actions(&m.state, m.actions[:0])
	if !slices.Contains(m.actions, a) {
		panic(fmt.Sprintf("replay: internal error: %s is not enabled in\n%s", a, m.cfg.Label(m.state)))
	}
	wasScheduled := m.state.TransitionWork
	next, out := m.cfg.StepLogged(m.state, a, func(e model.Event) { m.emit(e.Format(m.names)) })
	m.state = next
	if next.TransitionWork && (!wasScheduled || a.Kind == model.TransitionWork) {
		m.workDue = m.now + retryInterval
	}
	return out
}

// settle runs every step that is due at the current time, until none is.
func (m *machine) settle() {
	for m.runDueStep() {
	}
}

// runDueStep runs one step that is due now and reports whether there was
// one. At the same instant the busy worker returns before the transition
// work runs.
func (m *machine) runDueStep() bool {
	if m.state.Tasks[ordinaryTask].Pending {
		m.step(model.Action{Kind: model.ExitToUser, Task: ordinaryTask})
		return true
	}
	for k := 0; k < m.cfg.Patches; k++ {
		if m.state.Patches[k].FreeWork {
			m.step(model.Action{Kind: model.FreeWork, Patch: uint8(k)})
			return true
		}
	}
	if m.worker.sleeping && m.worker.wakeAt <= m.now {
		m.returnWorker()
		return true
	}
	if m.state.TransitionWork && m.workDue <= m.now {
		m.step(model.Action{Kind: model.TransitionWork})
		return true
	}
	return false
}

// nextEvent returns the time of the next timed step, and false when none
// is scheduled.
func (m *machine) nextEvent() (int64, bool) {
	var next int64
	found := false
	if m.worker.sleeping {
		next, found = m.worker.wakeAt, true
	}
	if m.state.TransitionWork && (!found || m.workDue < next) {
		next, found = m.workDue, true
	}
	return next, found
}

// advanceTo moves the clock to t and runs every step that falls due on the
// way, in time order.
func (m *machine) advanceTo(t int64) {
	m.settle()
	for {
		next, ok := m.nextEvent()
		if !ok || next > t {
			break
		}
		m.now = max(m.now, next)
		m.settle()
	}
	m.now = max(m.now, t)
	m.settle()
}

// waitResult is the outcome of a helper's wait.
type waitResult uint8

const (
	waitDone     waitResult = iota // the condition holds
	waitStuck                      // no scheduled step is left to change the state
	waitTimedOut                   // helperTimeout passed
)

// waitUntil lets time pass, one timed step after the other, until done
// holds, as a functions.sh helper polls in loop_until.
func (m *machine) waitUntil(done func() bool) waitResult {
	deadline := m.now + helperTimeout
	for {
		m.settle()
		if done() {
			return waitDone
		}
		next, ok := m.nextEvent()
		if !ok {
			return waitStuck
		}
		if next > deadline {
			m.advanceTo(deadline)
			return waitTimedOut
		}
		m.advanceTo(next)
	}
}

// startWorker runs test_klp_callbacks_busy's work function on the worker
// task, right after the module's init. The ftrace handler picks the
// version: a patch's replacement prints its message and returns at once,
// the original sleeps for seconds.
func (m *machine) startWorker(seconds int, replacementMessage func(patch int) string) {
	m.step(model.Action{Kind: model.Call, Task: workerTask, Func: uint8(m.cfg.TargetFunc(targetBusy))})
	task := &m.state.Tasks[workerTask]
	if v := task.Frames[task.Depth-1].Version; v != model.Original {
		if msg := replacementMessage(v.Patch()); msg != "" {
			m.emit(msg)
		}
		m.step(model.Action{Kind: model.Return, Task: workerTask})
		return
	}
	m.emit(fmt.Sprintf("%s: busymod_work_func, sleeping %d seconds ...", targetNames[targetBusy], seconds))
	m.worker.sleeping = true
	m.worker.wakeAt = m.now + int64(seconds)*1000
}

// returnWorker ends the busy worker's sleep: busymod_work_func prints its
// exit message and returns.
func (m *machine) returnWorker() {
	m.emit(targetNames[targetBusy] + ": busymod_work_func exit")
	m.worker.sleeping = false
	m.step(model.Action{Kind: model.Return, Task: workerTask})
}

// Queries on the state, by model index.

func (m *machine) patchLoaded(k int) bool  { return m.state.Patches[k].Loaded }
func (m *machine) patchSysfs(k int) bool   { return m.state.Patches[k].Sysfs }
func (m *machine) targetLoaded(j int) bool { return m.state.Targets[j] != model.ModuleAbsent }

// inTransition reports whether patch k is the transition patch, which is
// when /sys/kernel/livepatch/<k>/transition reads 1.
func (m *machine) inTransition(k int) bool { return int(m.state.TransitionPatch) == k }
