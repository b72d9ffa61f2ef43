package replay

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/klpcheck/klpcheck/model"
)

// Dialect selects how the functions.sh helpers write their command lines
// to the kernel log and which tool they load modules with.
type Dialect uint8

const (
	// Dialect51 is the 5.1-era functions.sh: the helpers run modprobe and
	// log "% modprobe NAME [PARAMS]".
	Dialect51 Dialect = iota
	// DialectInsmod is the later functions.sh: the helpers run insmod and
	// log "% insmod test_modules/NAME.ko [PARAMS]".
	DialectInsmod
)

var dialectNames = [...]string{Dialect51: "5.1", DialectInsmod: "insmod"}

func (d Dialect) String() string {
	if int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return fmt.Sprintf("Dialect(%d)", d)
}

// ParseDialect returns the dialect named s: "5.1" or "insmod".
func ParseDialect(s string) (Dialect, error) {
	for d, name := range dialectNames {
		if s == name {
			return Dialect(d), nil
		}
	}
	return 0, fmt.Errorf("unknown log dialect %q: valid dialects are %s", s, strings.Join(dialectNames[:], ", "))
}

// Options configure Run.
type Options struct {
	// Kernel names the kernel generation (see model.ParseKernel). It
	// overrides the script's "# klpcheck: kernel=K" comment; when both are
	// empty the kernel is 958ef1e.
	Kernel  string
	Dialect Dialect
	// Stdout receives the predicted log and the result of every check,
	// Stderr notes on commands that failed outside expect_error. A nil
	// writer discards its output.
	Stdout, Stderr io.Writer
}

// ScenarioError reports a script that parses but that replay cannot run,
// such as an unknown module or an unsupported module parameter. Run
// returns it before anything runs.
type ScenarioError struct {
	File   string
	Line   int // 1-based line of the command, or 0 for the whole file
	Reason string
}

func (e *ScenarioError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Result is the outcome of a run.
type Result struct {
	// Checks counts the check_result and expect_error commands that ran,
	// Failed those among them that failed.
	Checks, Failed int
	// StopLine is the line of the helper whose failure ended the run, as
	// die() ends a selftest, or 0 when the run reached the end.
	StopLine int
	// Log is the predicted kernel log: every line that check_result's
	// filter keeps, in order.
	Log []string
}

// OK reports whether every check passed and no helper failed.
func (r *Result) OK() bool { return r.Failed == 0 && r.StopLine == 0 }

// Summary returns the last line of a replay of file, such as
// "replay: t.sh: 3 checks passed".
func (r *Result) Summary(file string) string {
	var counts string
	switch {
	case r.Failed > 0:
		counts = fmt.Sprintf("%d of %d %s failed", r.Failed, r.Checks, plural(r.Checks, "check"))
	default:
		counts = fmt.Sprintf("%d %s passed", r.Checks, plural(r.Checks, "check"))
	}
	if r.StopLine != 0 {
		return fmt.Sprintf("replay: %s: stopped at line %d; %s before it", file, r.StopLine, counts)
	}
	return fmt.Sprintf("replay: %s: %s", file, counts)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Run executes script on the model and writes the predicted kernel log and
// the result of each check to opts.Stdout. It returns a *ScenarioError,
// before running anything, when the script names a module or parameter
// that replay does not model.
func Run(script *Script, opts Options) (*Result, error) {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	r := &runner{script: script, opts: opts, slots: map[string]int{}}
	if err := r.prepare(); err != nil {
		return nil, err
	}
	for i := range script.Commands {
		cmd := &script.Commands[i]
		if msg := r.exec(cmd); msg != "" {
			r.result.StopLine = cmd.Line
			r.printf("replay: %s:%d: %s failed: %s", script.Name, cmd.Line, describe(cmd), msg)
			break
		}
		r.m.settle()
	}
	return &r.result, nil
}

// maxSleepSeconds bounds one sleep, about 31 years, so that model time in
// milliseconds cannot overflow.
const maxSleepSeconds = 1e9

// runner is the state of one Run.
type runner struct {
	script *Script
	opts   Options
	kernel model.Kernel
	m      *machine

	// slots maps each livepatch module of the script to its model patch
	// index, in order of first mention; slotModules is the reverse.
	slots       map[string]int
	slotModules []*testModule
	// prePatchRet is the value of each patch slot's pre_patch_ret
	// parameter. The model state stores only whether it is zero.
	prePatchRet [model.MaxPatches]int

	// windowStart is the index in result.Log where the lines that the next
	// check_result compares begin.
	windowStart int
	result      Result
}

// prepare checks every command against the catalogue, assigns patch slots
// and builds the model configuration.
func (r *runner) prepare() error {
	kernelName := r.script.Kernel
	if r.opts.Kernel != "" {
		kernelName = r.opts.Kernel
	}
	if kernelName != "" {
		kernel, err := model.ParseKernel(kernelName)
		if err != nil {
			return &ScenarioError{File: r.script.Name, Reason: err.Error()}
		}
		r.kernel = kernel
	}

	for i := range r.script.Commands {
		cmd := &r.script.Commands[i]
		if reason := r.check(cmd); reason != "" {
			return &ScenarioError{File: r.script.Name, Line: cmd.Line, Reason: reason}
		}
	}

	cfg := model.Config{
		Kernel:    r.kernel,
		Patches:   max(1, len(r.slotModules)),
		Tasks:     numTasks,
		Functions: 1,
		Targets:   numTargets,
	}
	for k, mod := range r.slotModules {
		cfg.Layouts[k] = model.PatchLayout{Objects: mod.objects, Callbacks: mod.callbacks}
		cfg.Callbacks = cfg.Callbacks || mod.callbacks
	}
	cfg.PrePatchRet = cfg.Callbacks
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("replay: internal error: %v", err)
	}

	names := model.Names{Patch: r.patchName, Target: func(j int) string { return targetNames[j] }}
	r.m = newMachine(cfg, names, r.logLine)
	return nil
}

// check returns why cmd cannot run on the catalogue, or "". It also
// assigns a patch slot to every livepatch module that cmd names.
func (r *runner) check(cmd *Command) string {
	if cmd.Kind == KindExpectError {
		return r.check(cmd.Inner)
	}
	mod := catalogue[cmd.Module]
	if mod != nil && mod.kind == livepatchModule {
		if _, ok := r.slots[mod.name]; !ok {
			if len(r.slotModules) == model.MaxPatches {
				return fmt.Sprintf("more than %d livepatch modules", model.MaxPatches)
			}
			r.slots[mod.name] = len(r.slotModules)
			r.slotModules = append(r.slotModules, mod)
		}
	}

	switch cmd.Kind {
	case KindLoadMod, KindLoadLP, KindLoadLPNoWait, KindLoadFailingMod, KindModprobe, KindInsmod:
		if mod == nil {
			return fmt.Sprintf("unknown module %q: replay models %s", cmd.Module, catalogueNames())
		}
		if mod.unsupported != "" {
			return mod.unsupported
		}
		if cmd.Kind == KindLoadMod && mod.kind == livepatchModule {
			return fmt.Sprintf("%s is a livepatch module; load it with load_lp", mod.name)
		}
		if (cmd.Kind == KindLoadLP || cmd.Kind == KindLoadLPNoWait) && mod.kind != livepatchModule {
			return fmt.Sprintf("%s is not a livepatch module; load it with load_mod", mod.name)
		}
		_, reason := mod.checkParams(cmd.Params)
		return reason
	case KindSetPrePatchRet, KindWritePrePatchRet:
		_, reason := checkPrePatchRet(strconv.Itoa(cmd.Value))
		return reason
	case KindSleep:
		if cmd.Seconds > maxSleepSeconds {
			return fmt.Sprintf("sleep %g is too long: model time supports at most %d seconds", cmd.Seconds, int64(maxSleepSeconds))
		}
	}
	return ""
}

func (r *runner) patchName(k int) string {
	if k < len(r.slotModules) {
		return r.slotModules[k].name
	}
	return fmt.Sprintf("P%d", k)
}

func (r *runner) printf(format string, args ...any) {
	fmt.Fprintf(r.opts.Stdout, format+"\n", args...)
}

// note reports on stderr a command that failed outside expect_error. The
// run goes on, as a selftest script goes on after a failed command.
func (r *runner) note(cmd *Command, format string, args ...any) {
	fmt.Fprintf(r.opts.Stderr, "replay: %s:%d: %s\n", r.script.Name, cmd.Line, fmt.Sprintf(format, args...))
}

// logLine adds a kernel log line to the predicted log and prints it,
// unless check_result's filter drops it: the filter keeps lines containing
// "livepatch:" or "test_klp" and drops the kernel's taint messages.
func (r *runner) logLine(line string) {
	if !strings.Contains(line, "livepatch:") && !strings.Contains(line, "test_klp") {
		return
	}
	if strings.Contains(line, "tainting kernel") || strings.Contains(line, "taints kernel") {
		return
	}
	r.result.Log = append(r.result.Log, line)
	r.printf("%s", line)
}

// exec runs one command. It returns a message when a helper fails, which
// ends the run as die() ends a selftest.
func (r *runner) exec(cmd *Command) string {
	switch cmd.Kind {
	case KindSetupConfig, KindSetDynamicDebug:
		// The debug lines are always part of the predicted log.
	case KindStartTest:
		r.windowStart = len(r.result.Log)
	case KindLoadMod, KindLoadLP, KindLoadLPNoWait:
		return r.loadHelper(cmd)
	case KindLoadFailingMod:
		return r.loadFailingMod(cmd)
	case KindUnloadMod, KindUnloadLP:
		return r.unloadHelper(cmd)
	case KindDisableLP:
		return r.disableLP(cmd)
	case KindSetPrePatchRet:
		return r.setPrePatchRet(cmd)
	case KindSleep:
		r.m.advanceTo(r.m.now + int64(math.Round(cmd.Seconds*1000)))
	case KindExpectError:
		r.expectError(cmd)
	case KindCheckResult:
		r.checkResult(cmd)
	default:
		if res := r.attempt(cmd); res.errno != 0 {
			r.note(cmd, "%s failed with %s: %s", describe(cmd), errnoName(res.errno), res.message)
		}
	}
	return ""
}

func (r *runner) expectError(cmd *Command) {
	want := Errnos[cmd.Errno]
	res := r.attempt(cmd.Inner)
	r.result.Checks++
	where := fmt.Sprintf("replay: %s:%d: expect_error %s", r.script.Name, cmd.Line, cmd.Errno)
	switch res.errno {
	case want:
		r.printf("%s passed", where)
	case 0:
		r.result.Failed++
		r.printf("%s failed: %s succeeded", where, describe(cmd.Inner))
	default:
		r.result.Failed++
		r.printf("%s failed: %s failed with %s instead: %s", where, describe(cmd.Inner), errnoName(res.errno), res.message)
	}
}

func (r *runner) checkResult(cmd *Command) {
	got := r.result.Log[r.windowStart:]
	r.windowStart = len(r.result.Log)
	r.result.Checks++
	where := fmt.Sprintf("replay: %s:%d: check_result", r.script.Name, cmd.Line)
	if slicesEqual(got, cmd.Expected) {
		r.printf("%s passed", where)
		return
	}
	r.result.Failed++
	r.printf("%s failed:\n%s", where, strings.TrimSuffix(unifiedDiff(cmd.Expected, got, "expected", "result"), "\n"))
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// describe returns cmd with its variables expanded, for messages.
func describe(cmd *Command) string {
	switch cmd.Kind {
	case KindWriteEnabled:
		return fmt.Sprintf("echo %d > %s%s/enabled", cmd.Value, livepatchSysfsDir, cmd.Module)
	case KindWriteForce:
		return fmt.Sprintf("echo %d > %s%s/force", cmd.Value, livepatchSysfsDir, cmd.Module)
	case KindWritePrePatchRet:
		return fmt.Sprintf("echo %d > %s%s/parameters/pre_patch_ret", cmd.Value, moduleSysfsDir, cmd.Module)
	case KindSetPrePatchRet:
		return fmt.Sprintf("set_pre_patch_ret %s %d", cmd.Module, cmd.Value)
	case KindExpectError:
		return fmt.Sprintf("expect_error %s %s", cmd.Errno, describe(cmd.Inner))
	}
	words := []string{cmd.Kind.String()}
	if cmd.Module != "" {
		words = append(words, cmd.Module)
	}
	for _, p := range cmd.Params {
		words = append(words, p.Name+"="+p.Value)
	}
	return strings.Join(words, " ")
}
