package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
	"github.com/klpcheck/klpcheck/replay"
	"github.com/klpcheck/klpcheck/tracefile"
)

const replayUsage = `usage: klpcheck replay [--kernel K] [--log-dialect D] FILE
       klpcheck replay --trace FILE [--mutant NAME]

Replay runs a scenario or a recorded counterexample on the model.
--kernel and --log-dialect apply only to a scenario FILE, and --mutant
only to --trace. Giving one to the other form is a usage error.

With FILE, it runs one scenario written in the shell dialect of the Linux
livepatch selftests deterministically on the model and prints the kernel
log the model predicts: the "% command" lines of the functions.sh helpers,
the livepatch messages (with the pr_debug lines the selftests enable) and
the test modules' own messages, in order. Each check_result compares the
lines since the previous check_result or start_test and prints a unified
diff when they differ. expect_error ERRNO CMD checks that a single attempt
fails with that errno. docs/replay.md describes the dialect, the test
modules and the time model.

With --trace, it re-runs a counterexample recorded in a trace.json file
(written by "klpcheck explore" to its --out directory) on the current
model. It starts from the initial state, checks that each recorded action is still enabled,
takes it, and checks every safety property on every state and step, as
explore does. It runs under the configuration recorded in the file; --mutant
switches in another seeded bug, or none, to check whether the correct model
still fails on the same actions.

When the recorded property is a possibility property such as L5, replay
then checks it in the last state: a breadth-first search from that state,
over every state reachable within the recorded bounds, looks for the goal
(for L5, the patch module unloaded) of each patch that meets the
property's condition there.

It prints each step whose state, or error number, differs from the recorded
one, then one of:

	still fails: PROPERTY ...        a safety property failed, or the
	                                 possibility property fails in the
	                                 last state
	no longer fails: ...             every action ran and every property held
	cannot replay: step N: ...       the action of step N is not enabled

Exit status:

	FILE     0 every check passed; 1 a check failed or a helper could not
	         finish; 2 usage error, syntax error or a scenario replay
	         cannot model
	--trace  0 no longer fails; 1 still fails; 2 usage error, or the file
	         is missing or not a valid trace.json; 4 the trace cannot be
	         followed because a recorded action is not enabled
`

// replayTraceFlags are the parsed flags of "replay --trace".
type replayTraceFlags struct {
	trace  string
	mutant string // "" keeps the recorded mutant
}

// replayScriptFlags are the parsed arguments of "replay FILE".
type replayScriptFlags struct {
	kernel  string
	dialect replay.Dialect
	file    string
}

// Forms of the replay command, for messages about flags that belong to one.
const (
	replayScriptForm = `"klpcheck replay FILE" (a selftest scenario)`
	replayTraceForm  = `"klpcheck replay --trace FILE" (a recorded trace.json)`
)

// replayFormFlags lists the flags that only one form of replay uses, with
// the form and why the other form has no use for the flag. A flag given to
// the other form is a usage error rather than silently ignored.
var replayFormFlags = []struct {
	name, form, reason string
}{
	{"kernel", replayScriptForm, "a trace replays under the kernel recorded in it"},
	{"log-dialect", replayScriptForm, "a trace replay prints no kernel log"},
	{"mutant", replayTraceForm, "a scenario always runs the model without a seeded bug"},
}

// replayFlags are the parsed arguments of either form of replay. asTrace
// is set when --trace was given, which selects the trace.json form.
type replayFlags struct {
	asTrace bool
	trace   replayTraceFlags
	script  replayScriptFlags
}

func runReplay(args []string, stdout, stderr io.Writer) (int, error) {
	f, err := parseReplayFlags(args, stdout)
	if err != nil {
		return exitUsage, err
	}
	if f.asTrace {
		return runReplayTrace(f.trace, stdout)
	}
	return runReplayScript(f.script, stdout, stderr)
}

// parseReplayFlags parses the flags of both forms with one flag set, so
// that -h lists them all, then rejects a flag that belongs to the form not
// selected. Flags may come before or after FILE.
func parseReplayFlags(args []string, stdout io.Writer) (replayFlags, error) {
	var (
		f       replayFlags
		dialect string
	)
	fs := newFlagSet("replay", replayUsage)
	fs.StringVar(&f.script.kernel, "kernel", "", `with a scenario FILE: livepatch core generation to model, "958ef1e" or "v5.0"; overrides the file's "# klpcheck: kernel=K" comment (default 958ef1e)`)
	fs.StringVar(&dialect, "log-dialect", "5.1", `with a scenario FILE: form of the helpers' log lines: "5.1" logs "% modprobe NAME", "insmod" logs "% insmod test_modules/NAME.ko" as later selftests do`)
	fs.StringVar(&f.trace.trace, "trace", "", "trace.json `file` of a recorded counterexample to replay instead of a scenario")
	fs.StringVar(&f.trace.mutant, "mutant", "", "with --trace: seeded bug to switch in instead of the recorded one, or none for the model without a seeded bug; default: the recorded mutant")
	positional, err := fs.parseInterspersed(args, stdout)
	if err != nil {
		return f, err
	}

	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	f.asTrace = set["trace"]
	form := replayScriptForm
	if f.asTrace {
		form = replayTraceForm
	}
	for _, fl := range replayFormFlags {
		if set[fl.name] && fl.form != form {
			return f, usagef("invalid --%s: it applies only to %s, not to %s, because %s", fl.name, fl.form, form, fl.reason)
		}
	}

	if f.asTrace {
		if f.trace.trace == "" {
			return f, usagef("missing --trace FILE: name the trace.json to replay")
		}
		if len(positional) > 0 {
			return f, usagef("unexpected argument %q: %s takes no scenario FILE", positional[0], replayTraceForm)
		}
		return f, nil
	}
	if len(positional) != 1 {
		return f, usagef("expected one scenario FILE or --trace FILE, got %d arguments", len(positional))
	}
	f.script.file = positional[0]
	d, err := replay.ParseDialect(dialect)
	if err != nil {
		return f, usagef("invalid --log-dialect: %v", err)
	}
	f.script.dialect = d
	return f, nil
}

// runReplayScript parses and runs one scenario in the selftest dialect.
func runReplayScript(f replayScriptFlags, stdout, stderr io.Writer) (int, error) {
	src, err := os.ReadFile(f.file)
	if err != nil {
		return exitUsage, usagef("cannot read %q: %v", f.file, unwrapPathError(err))
	}
	script, err := replay.Parse(f.file, src)
	if err != nil {
		return exitUsage, usageError{err}
	}
	result, err := replay.Run(script, replay.Options{Kernel: f.kernel, Dialect: f.dialect, Stdout: stdout, Stderr: stderr})
	if err != nil {
		return exitUsage, usageError{err}
	}
	fmt.Fprintln(stdout, result.Summary(f.file))
	if !result.OK() {
		return exitViolation, nil
	}
	return exitOK, nil
}

func runReplayTrace(f replayTraceFlags, stdout io.Writer) (int, error) {
	tf, c, err := loadTrace(f)
	if err != nil {
		return exitUsage, err
	}

	res, err := tracefile.Replay(tf, c)
	if err != nil {
		return exitUsage, usagef("invalid trace %q: %v", f.trace, err)
	}
	printReplay(stdout, f.trace, tf, c, res)
	switch res.Status {
	case tracefile.StillFails:
		return exitViolation, nil
	case tracefile.Blocked:
		return exitBlocked, nil
	}
	return exitOK, nil
}

// loadTrace reads the trace file and returns it with the configuration to
// replay it under: the recorded one, with the mutant of --mutant if given.
func loadTrace(f replayTraceFlags) (*tracefile.File, model.Config, error) {
	r, err := os.Open(f.trace)
	if err != nil {
		return nil, model.Config{}, usagef("cannot read --trace %q: %v", f.trace, unwrapPathError(err))
	}
	defer r.Close()
	tf, err := tracefile.Read(r)
	if err != nil {
		return nil, model.Config{}, usagef("invalid --trace %q: %v", f.trace, err)
	}
	c, err := tf.ModelConfig()
	if err != nil {
		return nil, model.Config{}, usagef("invalid --trace %q: %v", f.trace, err)
	}
	if f.mutant != "" {
		m, err := model.ParseMutant(f.mutant)
		if err != nil {
			return nil, model.Config{}, usagef("invalid --mutant: %v", err)
		}
		c.Mutant = m
		if err := checkTraceMutant(c); err != nil {
			return nil, model.Config{}, err
		}
	}
	return tf, c, nil
}

func printReplay(w io.Writer, path string, tf *tracefile.File, c model.Config, res *tracefile.ReplayResult) {
	p := tf.Property
	fmt.Fprintf(w, "klpcheck: replaying %s: %s %s, recorded after %d steps\n", path, p.ID, p.Name, len(tf.Steps))
	fmt.Fprintf(w, "model: kernel %s, patches %d, tasks %d, functions %d, mutant %s", c.Kernel, c.Patches, c.Tasks, c.Functions, c.Mutant)
	if c.Mutant.String() != tf.Config.Mutant {
		fmt.Fprintf(w, " (recorded with mutant %s)", tf.Config.Mutant)
	}
	fmt.Fprintln(w)

	for _, d := range res.Divergences {
		fmt.Fprintf(w, "%s differs from the recording:\n", stateName(d.Step))
		for _, ch := range d.Changes {
			fmt.Fprintf(w, "    %s: recorded %s, now %s\n", ch.Path, ch.Old, ch.New)
		}
	}

	switch res.Status {
	case tracefile.StillFails:
		fl := res.Failure
		where := "in " + stateName(fl.Step)
		if fl.OnStep {
			where = fmt.Sprintf("on step %d", fl.Step)
		}
		fmt.Fprintf(w, "still fails: %s %s, %s: %s", fl.ID, fl.Name, where, fl.Detail)
		if fl.ID != p.ID || fl.Step != len(tf.Steps) {
			fmt.Fprintf(w, " (the trace recorded %s at step %d)", p.ID, len(tf.Steps))
		}
		fmt.Fprintln(w)
	case tracefile.NoLongerFails:
		if res.Possibility == nil {
			fmt.Fprintf(w, "no longer fails: all %d recorded steps ran and every safety property held\n", res.Steps)
			break
		}
		fmt.Fprintf(w, "no longer fails: all %d recorded steps ran, every safety property held, and %s\n", res.Steps, possibilityHolds(p.ID, res.Possibility))
	case tracefile.Blocked:
		fmt.Fprintf(w, "cannot replay: step %d: %s is not enabled in %s; enabled actions: %s\n",
			res.BlockedStep, res.BlockedAction, stateName(res.BlockedStep-1), actionList(res.Enabled))
	}
}

// possibilityHolds describes why possibility property id holds in the last
// state of a replay.
func possibilityHolds(id string, check *explore.PossibleFrom) string {
	if len(check.Met) == 0 {
		return fmt.Sprintf("no patch meets the condition of %s in the last state", id)
	}
	patches := make([]string, len(check.Met))
	for i, k := range check.Met {
		patches[i] = fmt.Sprintf("P%d", k)
	}
	return fmt.Sprintf("%s holds in the last state: a search of %d states from it reaches the goal of %s",
		id, check.States, strings.Join(patches, ", "))
}

// stateName names the state after step n, counted from 1, for messages.
func stateName(n int) string {
	if n == 0 {
		return "the initial state"
	}
	return fmt.Sprintf("the state after step %d", n)
}

func actionList(actions []model.Action) string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = a.String()
	}
	return strings.Join(names, ", ")
}
