package replay

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/klpcheck/klpcheck/model"
)

// This file runs the commands of a replay file: the functions.sh helpers
// and the single attempts (sysfs writes, rmmod, modprobe, insmod).

// attemptResult is the outcome of one attempt.
type attemptResult struct {
	errno   int    // 0 on success, else the positive errno the system call returned
	message string // the tool's error message on stderr when the attempt fails
}

func ok() attemptResult { return attemptResult{} }

// loadTool is the program that loads a module.
type loadTool uint8

const (
	toolModprobe loadTool = iota
	toolInsmod
)

// helperTool returns the tool the load helpers run in the dialect.
func (r *runner) helperTool() loadTool {
	if r.opts.Dialect == DialectInsmod {
		return toolInsmod
	}
	return toolModprobe
}

// loadCommandLine returns the "% ..." line a load helper logs.
func (r *runner) loadCommandLine(cmd *Command) string {
	words := []string{"% modprobe " + cmd.Module}
	if r.opts.Dialect == DialectInsmod {
		words = []string{"% insmod test_modules/" + cmd.Module + ".ko"}
	}
	for _, p := range cmd.Params {
		words = append(words, p.Name+"="+p.Value)
	}
	return strings.Join(words, " ")
}

func (r *runner) attempt(cmd *Command) attemptResult {
	switch cmd.Kind {
	case KindWriteEnabled:
		return r.writeEnabled(cmd.Module, cmd.Value)
	case KindWriteForce:
		return r.writeForce(cmd.Module, cmd.Value)
	case KindWritePrePatchRet:
		return r.writePrePatchRet(cmd.Module, cmd.Value)
	case KindRmmod:
		return r.remove(cmd.Module)
	case KindModprobe:
		return r.load(cmd, toolModprobe)
	case KindInsmod:
		return r.load(cmd, toolInsmod)
	}
	panic(fmt.Sprintf("replay: internal error: %v is not a single attempt", cmd.Kind))
}

// load loads the catalogue module of cmd with tool. modprobe does nothing
// for a module that is already loaded; insmod fails with EEXIST.
func (r *runner) load(cmd *Command, tool loadTool) attemptResult {
	mod := catalogue[cmd.Module]
	params, _ := mod.checkParams(cmd.Params)
	errno := 0
	if r.moduleLoaded(mod) {
		if tool == toolModprobe {
			return ok()
		}
		errno = errEEXIST
	} else if mod.kind == livepatchModule {
		errno = r.loadLivepatch(mod, params)
	} else {
		errno = r.loadTarget(mod, params)
	}
	if errno == 0 {
		return ok()
	}
	return attemptResult{errno: errno, message: loadErrorMessage(tool, mod.name, errno)}
}

// loadErrorMessage returns the message kmod's modprobe or insmod prints
// when the init_module system call fails with errno.
func loadErrorMessage(tool loadTool, name string, errno int) string {
	if tool == toolInsmod {
		reason := strerror(errno)
		switch errno {
		case errENOENT:
			reason = "Unknown symbol in module"
		case errEINVAL:
			reason = "Invalid parameters"
		}
		return fmt.Sprintf("insmod: ERROR: could not insert module test_modules/%s.ko: %s", name, reason)
	}
	reason := strerror(errno)
	switch errno {
	case errENOENT:
		reason = "Unknown symbol in module, or unknown parameter (see dmesg)"
	case errEEXIST:
		reason = "Module already in kernel"
	}
	return fmt.Sprintf("modprobe: ERROR: could not insert '%s': %s", name, reason)
}

func (r *runner) loadLivepatch(mod *testModule, params map[string]int) int {
	k := r.slots[mod.name]
	r.setPrePatchRetValue(k, params["pre_patch_ret"])
	out := r.m.step(model.Action{Kind: model.Insmod, Patch: uint8(k)})
	return r.errno(out.Err)
}

func (r *runner) loadTarget(mod *testModule, params map[string]int) int {
	j := mod.target
	out := r.m.step(model.Action{Kind: model.TargetLoad, Target: uint8(j)})
	if out.Rejected() {
		return r.errno(out.Err)
	}
	r.m.step(model.Action{Kind: model.TargetInit, Target: uint8(j)})
	if mod.busy {
		r.m.startWorker(params["sleep_secs"], r.replacementMessage)
	}
	return 0
}

// replacementMessage returns the line that patch k's replacement of
// busymod_work_func prints, or "" for none.
func (r *runner) replacementMessage(k int) string {
	mod := r.slotModules[k]
	if mod.patchedWorkFunc == "" {
		return ""
	}
	return mod.name + ": " + mod.patchedWorkFunc
}

// errno converts a model error to the errno the system call returns. The
// model's pre_patch callbacks fail with ENODEV, while the callbacks demo
// returns its pre_patch_ret parameter, which may name another errno.
func (r *runner) errno(err model.Errno) int {
	if err == model.ENODEV {
		for k, value := range r.prePatchRet {
			if value != 0 && k < len(r.slotModules) {
				return -value
			}
		}
	}
	return int(err)
}

// setPrePatchRetValue sets patch slot k's pre_patch_ret parameter. Only the
// callbacks demo has it.
func (r *runner) setPrePatchRetValue(k, value int) {
	r.prePatchRet[k] = value
	if r.m.state.Patches[k].PrePatchRet != (value != 0) {
		r.m.step(model.Action{Kind: model.SetPrePatchRet, Patch: uint8(k)})
	}
}

// remove is rmmod: delete_module fails with ENOENT for a module that is
// not loaded and with EAGAIN (EWOULDBLOCK) for one in use. The exit
// function of test_klp_callbacks_busy waits for its worker, so removing it
// lets model time pass until the worker returns.
func (r *runner) remove(name string) attemptResult {
	mod := catalogue[name]
	if mod == nil || !r.moduleLoaded(mod) {
		return attemptResult{errno: errENOENT, message: fmt.Sprintf("rmmod: ERROR: Module %s is not currently loaded", name)}
	}
	if mod.kind == livepatchModule {
		out := r.m.step(model.Action{Kind: model.Rmmod, Patch: uint8(r.slots[name])})
		if out.Rejected() {
			return attemptResult{errno: int(out.Err), message: fmt.Sprintf("rmmod: ERROR: Module %s is in use", name)}
		}
		return ok()
	}
	if mod.busy {
		for r.m.worker.sleeping {
			r.m.advanceTo(r.m.worker.wakeAt)
		}
	}
	j := uint8(mod.target)
	r.m.step(model.Action{Kind: model.TargetUnload, Target: j})
	r.m.step(model.Action{Kind: model.TargetGoing, Target: j})
	return ok()
}

func (r *runner) moduleLoaded(mod *testModule) bool {
	switch {
	case mod.unsupported != "":
		return false
	case mod.kind == livepatchModule:
		return r.m.patchLoaded(r.slots[mod.name])
	default:
		return r.m.targetLoaded(mod.target)
	}
}

// refcnt returns /sys/module/<mod>/refcnt. The livepatch core holds the
// only references the model counts; target modules have none.
func (r *runner) refcnt(mod *testModule) int {
	if mod.kind == livepatchModule {
		return int(r.m.state.Patches[r.slots[mod.name]].Ref)
	}
	return 0
}

// livepatchSlot returns the patch slot of name and whether
// /sys/kernel/livepatch/<name> exists.
func (r *runner) livepatchSlot(name string) (int, bool) {
	mod := catalogue[name]
	if mod == nil || mod.kind != livepatchModule {
		return 0, false
	}
	k := r.slots[name]
	return k, r.m.patchSysfs(k)
}

func noSuchFile(path string) attemptResult {
	return attemptResult{errno: errENOENT, message: fmt.Sprintf("bash: %s: No such file or directory", path)}
}

func writeError(errno int) attemptResult {
	return attemptResult{errno: errno, message: "bash: echo: write error: " + strerror(errno)}
}

// parseBool is the kernel's kstrtobool on the decimal form of value: it
// reads only the first character.
func parseBool(value int) (bool, bool) {
	switch strconv.Itoa(value)[0] {
	case '1':
		return true, true
	case '0':
		return false, true
	}
	return false, false
}

// writeEnabled writes value to /sys/kernel/livepatch/<name>/enabled.
func (r *runner) writeEnabled(name string, value int) attemptResult {
	k, exists := r.livepatchSlot(name)
	if !exists {
		return noSuchFile(livepatchSysfsDir + name + "/enabled")
	}
	enable, valid := parseBool(value)
	if !valid {
		return writeError(errEINVAL)
	}
	kind := model.Disable
	if enable {
		kind = model.Enable
	}
	if out := r.m.step(model.Action{Kind: kind, Patch: uint8(k)}); out.Rejected() {
		return writeError(int(out.Err))
	}
	return ok()
}

// writeForce writes value to /sys/kernel/livepatch/<name>/force. A false
// value is accepted and ignored.
func (r *runner) writeForce(name string, value int) attemptResult {
	k, exists := r.livepatchSlot(name)
	if !exists {
		return noSuchFile(livepatchSysfsDir + name + "/force")
	}
	force, valid := parseBool(value)
	switch {
	case !valid:
		return writeError(errEINVAL)
	case !force:
		return ok()
	}
	if out := r.m.step(model.Action{Kind: model.Force, Patch: uint8(k)}); out.Rejected() {
		return writeError(int(out.Err))
	}
	return ok()
}

// writePrePatchRet writes value to the callbacks demo's pre_patch_ret
// module parameter, which exists while the module is loaded.
func (r *runner) writePrePatchRet(name string, value int) attemptResult {
	mod := catalogue[name]
	if mod == nil || mod.params["pre_patch_ret"] == nil || !r.moduleLoaded(mod) {
		return noSuchFile(moduleSysfsDir + name + "/parameters/pre_patch_ret")
	}
	r.setPrePatchRetValue(r.slots[name], value)
	return ok()
}

// Helpers. Each returns "" or the reason it failed, which ends the run.

func (r *runner) loadHelper(cmd *Command) string {
	mod := catalogue[cmd.Module]
	r.logLine(r.loadCommandLine(cmd))
	if res := r.load(cmd, r.helperTool()); res.errno != 0 {
		return res.message
	}
	if cmd.Kind == KindLoadMod {
		return ""
	}

	k := r.slots[mod.name]
	result := r.m.waitUntil(func() bool { return r.m.patchSysfs(k) })
	if result != waitDone {
		return waitFailure(result, fmt.Sprintf("%s%s did not appear", livepatchSysfsDir, mod.name))
	}
	if cmd.Kind == KindLoadLPNoWait {
		return ""
	}
	result = r.m.waitUntil(func() bool { return r.m.patchSysfs(k) && !r.m.inTransition(k) })
	return waitFailure(result, fmt.Sprintf("the patching transition of %s did not finish", mod.name))
}

// waitFailure returns the message for a wait that ended with result, or ""
// when it succeeded.
func waitFailure(result waitResult, what string) string {
	switch result {
	case waitStuck:
		return what + ", and no step can make progress"
	case waitTimedOut:
		return fmt.Sprintf("%s within %d seconds, the wait of functions.sh's loop_until", what, helperTimeout/1000)
	}
	return ""
}

func (r *runner) loadFailingMod(cmd *Command) string {
	r.logLine(r.loadCommandLine(cmd))
	res := r.load(cmd, r.helperTool())
	if res.errno == 0 {
		return cmd.Module + " unexpectedly loaded"
	}
	r.logLine(res.message)
	return ""
}

func (r *runner) unloadHelper(cmd *Command) string {
	mod := catalogue[cmd.Module]
	if mod == nil || !r.moduleLoaded(mod) {
		return fmt.Sprintf("%s%s/refcnt does not exist: %s is not loaded", moduleSysfsDir, cmd.Module, cmd.Module)
	}
	if result := r.m.waitUntil(func() bool { return r.refcnt(mod) == 0 }); result != waitDone {
		what := fmt.Sprintf("the refcnt of %s did not drop to 0 (the livepatch core holds %d)", mod.name, r.refcnt(mod))
		return waitFailure(result, what)
	}

	r.logLine("% rmmod " + mod.name)
	if res := r.remove(mod.name); res.errno != 0 {
		return res.message
	}
	return ""
}

func (r *runner) disableLP(cmd *Command) string {
	name := cmd.Module
	r.logLine(fmt.Sprintf("%% echo 0 > %s%s/enabled", livepatchSysfsDir, name))
	write := r.writeEnabled(name, 0)
	if write.errno != 0 {
		r.note(cmd, "the write of 0 failed with %s: %s", errnoName(write.errno), write.message)
	}

	k, _ := r.livepatchSlot(name)
	what := fmt.Sprintf("%s%s did not disappear", livepatchSysfsDir, name)
	done := func() bool { _, exists := r.livepatchSlot(name); return !exists }
	if r.kernel == model.KernelV50 {
		// At v5.0 the directory stays until klp_unregister_patch, which
		// runs at rmmod, so the helper waits only for the unpatching.
		what = fmt.Sprintf("the unpatching transition of %s did not finish", name)
		done = func() bool {
			_, exists := r.livepatchSlot(name)
			return !exists || (!r.m.state.Patches[k].Enabled && !r.m.inTransition(k))
		}
	}
	if write.errno != 0 {
		what += fmt.Sprintf(" after the write of 0 failed with %s", errnoName(write.errno))
	}
	return waitFailure(r.m.waitUntil(done), what)
}

func (r *runner) setPrePatchRet(cmd *Command) string {
	path := fmt.Sprintf("%s%s/parameters/pre_patch_ret", moduleSysfsDir, cmd.Module)
	r.logLine(fmt.Sprintf("%% echo %d > %s", cmd.Value, path))
	write := r.writePrePatchRet(cmd.Module, cmd.Value)
	if write.errno != 0 {
		r.note(cmd, "the write failed with %s: %s", errnoName(write.errno), write.message)
		return fmt.Sprintf("%s never read %d, and no step can make progress", path, cmd.Value)
	}
	return ""
}
